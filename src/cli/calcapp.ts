/**
 * `rsp calcapp`: the CalcApp pool user of the RSerPool performance studies,
 * on the reference's wire protocol. Jobs arrive with exponentially
 * distributed gaps (mean `--job-interval`) and sizes (mean `--job-size`
 * calculations) and wait in a FIFO queue; one job runs at a time, each on a
 * new session, until Complete. Prints one line per job and a summary.
 *
 * @module
 */
import { Command } from 'commander';
import { CALCAPP_PPID, runCalcAppJob } from '../services/calcapp.js';
import { connect } from '../session/enhanced-mode.js';
import { onTerminationSignal } from './lifecycle.js';
import { parseDuration, parseInteger } from './parse.js';
import { collectRegistrar, hexPeId, REGISTRAR_HELP } from './server.js';
import { transportFromCli, type TransportCliOptions } from './transport-option.js';

/** Parsed options of `rsp calcapp`. */
interface CalcAppCliOptions extends TransportCliOptions {
  pool: string;
  registrar?: string[];
  jobs: number;
  jobSize: number;
  fixedSize: boolean;
  jobInterval: number;
  keepaliveInterval: number;
  keepaliveTimeout: number;
  failoverTimeout: number;
}

/** Registers the `calcapp` subcommand on `program`. */
export function registerCalcAppCommand(program: Command): void {
  program
    .command('calcapp')
    .description("Run CalcApp jobs (the reference's protocol, PPID 34) on a pool: one session per job, printing each job's handling time and failovers.")
    .option('--pool <name>', 'pool handle', 'CalcAppPool')
    .option('--registrar <host:port>', REGISTRAR_HELP, collectRegistrar)
    .option('--jobs <n>', 'jobs to run (0 = until SIGINT/SIGTERM)', parseInteger, 0)
    .option('--job-size <n>', 'mean job size in calculations (exponentially distributed)', parseInteger, 5_000_000)
    .option('--fixed-size', 'every job has exactly --job-size calculations', false)
    .option('--job-interval <ms>', 'mean time between job arrivals (exponentially distributed)', parseDuration, 15_000)
    .option('--keepalive-interval <ms>', 'keep-alive interval after Accept and after each Ack', parseDuration, 5000)
    .option('--keepalive-timeout <ms>', 'wait this long for Accept or a Keep-Alive Ack before failing over', parseDuration, 5000)
    .option('--failover-timeout <ms>', 'give up when no PE can be reached for this long', parseDuration, 5000)
    .configureHelp({ showGlobalOptions: false })
    .action(async (opts: CalcAppCliOptions) => {
      process.exitCode = await runCalcAppCli(opts);
    });
}

const exponential = (mean: number): number => -mean * Math.log(1 - Math.random());

async function runCalcAppCli(opts: CalcAppCliOptions): Promise<number> {
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  if (opts.keepaliveInterval < 100 || opts.keepaliveTimeout < 100) {
    process.stderr.write('error: --keepalive-interval and --keepalive-timeout must be at least 100 ms\n');
    return 2;
  }
  let transport;
  try {
    transport = transportFromCli(opts);
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const stop = new AbortController();
  onTerminationSignal(async () => stop.abort());
  const queue: Array<{ id: number; size: bigint; arrived: number }> = [];
  let nextId = 1;
  let completed = 0;
  let failed = 0;
  let handling = 0;
  // Arrivals: the first job at once, then exponential gaps (the queue absorbs bursts).
  const arrive = (): void => {
    if (stop.signal.aborted || (opts.jobs > 0 && nextId > opts.jobs)) return;
    queue.push({ id: nextId++, size: BigInt(Math.max(1, Math.round(opts.fixedSize ? opts.jobSize : exponential(opts.jobSize)))), arrived: performance.now() });
    if (opts.jobs === 0 || nextId <= opts.jobs) setTimeout(arrive, exponential(opts.jobInterval)).unref();
    wake?.();
  };
  let wake: (() => void) | undefined;
  arrive();
  while (!stop.signal.aborted && (opts.jobs === 0 || completed + failed < opts.jobs)) {
    const job = queue.shift();
    if (!job) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        stop.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      wake = undefined;
      continue;
    }
    const queued = performance.now() - job.arrived;
    try {
      const session = await connect(opts.pool, {
        transport,
        ppid: CALCAPP_PPID,
        ...(opts.registrar !== undefined ? { registrars: opts.registrar } : {}),
        failoverTimeout: opts.failoverTimeout,
        replay: 'none',
      });
      session.on('error', () => undefined);
      try {
        const r = await runCalcAppJob(session, job.id, job.size, { keepAliveInterval: opts.keepaliveInterval, keepAliveTimeout: opts.keepaliveTimeout, signal: stop.signal });
        completed++;
        handling += r.handlingTime;
        out(
          `job ${r.jobId} size ${r.jobSize} completed by PE ${hexPeId(r.pe)}: queued ${queued.toFixed(0)} ms, startup ${r.startupDelay.toFixed(0)} ms, handling ${r.handlingTime.toFixed(0)} ms` +
            (r.failovers > 0 ? `, ${r.failovers} failover(s)` : ''),
        );
      } finally {
        await session.close().catch(() => undefined);
      }
    } catch (err) {
      if (stop.signal.aborted) break;
      failed++;
      out(`job ${job.id} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  out(`${completed} jobs completed, ${failed} failed${completed > 0 ? `, mean handling time ${(handling / completed).toFixed(0)} ms` : ''}`);
  return failed > 0 ? 1 : 0;
}
