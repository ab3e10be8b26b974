/**
 * The Component Status Protocol options of the long-running `rsp`
 * commands (`--csp ADDR:PORT`, `--csp-interval MS`, or the environment
 * variables `CSP_SERVER` and `CSP_INTERVAL` as with the reference
 * implementation), kept here so each command needs one line to add them
 * and one call to start reporting.
 *
 * @module
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CSP_PORT, CspMonitor, CspReporter, type CspStatus } from '../observe/csp.js';
import type { TransportAddress } from '../transport/types.js';
import { parseAddress, parseDuration } from './parse.js';

/** Parsed CSP options. */
export interface CspCliOptions {
  csp?: TransportAddress;
  cspInterval: number;
}

/** Parses `ADDR:PORT` or `ADDR` (port 2960). */
export function parseCspAddress(text: string): TransportAddress {
  if (/^[^:[\]]+$/.test(text)) return { address: text, port: CSP_PORT };
  return parseAddress(text);
}

function envInterval(): number {
  const t = process.env['CSP_INTERVAL'];
  if (t === undefined || t === '') return 1000;
  try {
    return Math.max(250, parseDuration(t));
  } catch {
    throw new InvalidArgumentError(`CSP_INTERVAL="${t}" is not a duration`);
  }
}

/** Adds `--csp` and `--csp-interval` to a command. */
export function addCspOptions(cmd: Command): Command {
  const env = process.env['CSP_SERVER'];
  const csp = new Option('--csp <addr[:port]>', 'send Component Status Protocol reports to this monitor (UDP, port default 2960; off unless given or $CSP_SERVER is set)').argParser(parseCspAddress);
  if (env) csp.default(parseCspAddress(env), `$CSP_SERVER = ${env}`);
  else csp.default(undefined, '$CSP_SERVER, else off');
  cmd.addOption(csp);
  cmd.addOption(new Option('--csp-interval <ms>', 'CSP report interval, at least 250').argParser((t) => Math.max(250, parseDuration(t))).default(envInterval(), process.env['CSP_INTERVAL'] ? `$CSP_INTERVAL = ${process.env['CSP_INTERVAL']}` : '$CSP_INTERVAL, else 1000'));
  return cmd;
}

/** Starts reporting when `--csp` (or `CSP_SERVER`) is set. */
export function startCspFromCli(opts: CspCliOptions, id: bigint, status: () => CspStatus): CspReporter | undefined {
  if (opts.csp === undefined) return undefined;
  return new CspReporter({ monitor: opts.csp, interval: opts.cspInterval, id, status });
}

/** Adds `--csp-listen` (a CSP monitor inside the command, shown in its `--http` view). */
export function addCspListenOption(cmd: Command): Command {
  return cmd.option('--csp-listen <addr:port>', 'with --http: also receive Component Status Protocol reports here and show the components in the web view (port 0 = ephemeral)', parseAddress);
}

/** Opens the monitor of `--csp-listen`, if given. */
export async function startCspListenFromCli(opts: { cspListen?: TransportAddress }): Promise<CspMonitor | undefined> {
  if (opts.cspListen === undefined) return undefined;
  return CspMonitor.listen({ listen: opts.cspListen });
}
