/**
 * Options of `rsp server` that pick and tune a service: `--protocol` for
 * pingpong (the reference's binary PingPong by default, `text` for the text
 * protocol of earlier versions) and the CalcApp PE's capacity and job limit.
 *
 * @module
 */
import { Option, type Command } from 'commander';
import { createCalcAppService } from '../services/calcapp.js';
import { pingpongService } from '../services/pingpong.js';
import { getService } from '../services/registry.js';
import type { Service } from '../services/service.js';
import { parseInteger } from './parse.js';

/** Wire protocols of the pingpong service and pool user. */
export const PINGPONG_PROTOCOLS = ['rsplib', 'text'] as const;
/** One of {@link PINGPONG_PROTOCOLS}. */
export type PingPongProtocol = (typeof PINGPONG_PROTOCOLS)[number];

/** Parsed service options (commander camel-case names). */
export interface ServiceCliOptions {
  service: string;
  protocol?: PingPongProtocol;
  capacity?: number;
  maxJobs?: number;
}

/** The `--protocol` option of pingpong servers and clients. */
export function protocolOption(): Option {
  return new Option('--protocol <name>', "pingpong wire protocol: rsplib (the reference's binary Ping/Pong, PPID 33) or text").choices([...PINGPONG_PROTOCOLS]).default('rsplib');
}

/** Adds `--protocol`, `--capacity` and `--max-jobs` to `rsp server`. */
export function addServiceOptions(command: Command): Command {
  return command
    .addOption(protocolOption())
    .option('--capacity <n>', 'calcapp: calculations per second shared by the jobs (default 1000000)', parseInteger)
    .option('--max-jobs <n>', 'calcapp: most jobs at a time; load = jobs / max-jobs (default 10)', parseInteger);
}

/** The service the options name; `onLoad` receives CalcApp's load (jobs / max jobs). */
export function serviceFromCli(opts: ServiceCliOptions, onLoad: (load: number) => void): Service {
  if (opts.service === 'pingpong' && opts.protocol === 'text') return pingpongService;
  if (opts.service === 'calcapp') {
    return createCalcAppService({
      ...(opts.capacity !== undefined ? { capacity: opts.capacity } : {}),
      ...(opts.maxJobs !== undefined ? { maxJobs: opts.maxJobs } : {}),
      onLoad,
    });
  }
  return getService(opts.service);
}
