#!/usr/bin/env node
/**
 * The `rsp` command. Each subcommand lives in its own module and registers
 * itself on the shared commander program (see {@link SUBCOMMANDS}).
 *
 * @module
 */
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerRegistrarCommand } from './registrar.js';
import { registerHsdumpCommand } from './hsdump.js';
import { registerServerCommand } from './server.js';
import { registerTerminalCommand } from './terminal.js';
import { registerPingPongCommand } from './pingpong.js';
import { registerDemoCommand } from './demo.js';
import { registerCalcAppCommand } from './calcapp.js';
import { addTransportOptions } from './transport-option.js';
import { registerResolveCommand } from './resolve.js';
import { prefixCommanderErrors } from './common.js';
import { registerMonitorCommand } from './monitor.js';
import { registerFractalCommand } from './fractal.js';

/** Adds one subcommand to the program. */
export type SubcommandRegistration = (program: Command) => void;

/** Every subcommand of `rsp`, in help order. Add a line per new subcommand. */
export const SUBCOMMANDS: readonly SubcommandRegistration[] = [
  registerRegistrarCommand,
  registerHsdumpCommand,
  registerServerCommand,
  registerResolveCommand,
  registerTerminalCommand,
  registerPingPongCommand,
  registerCalcAppCommand,
  registerDemoCommand,
  registerMonitorCommand,
  registerFractalCommand,
];

/** Builds the `rsp` program with every subcommand. */
export function createProgram(): Command {
  const program = new Command('rsp')
    .description(`Reliable Server Pooling (RSerPool) tools, rserpool ${VERSION}`)
    .version(VERSION, '-v, --version')
    .showHelpAfterError();
  for (const register of SUBCOMMANDS) register(program);
  // One transport choice for every command (--transport, $RSP_TRANSPORT).
  for (const command of program.commands) addTransportOptions(command);
  prefixCommanderErrors(program);
  return program;
}

await createProgram().parseAsync(process.argv);
