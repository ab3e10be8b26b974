/**
 * `rsp pingpong`: the pool user of the pingpong service. Sends `ping N` at
 * an interval and prints each reply with its counter and round-trip time,
 * and each failover with its duration and whether the counter continued.
 *
 * @module
 */
import { Command } from 'commander';
import { runPingPong } from '../services/pingpong-client.js';
import { PINGPONG_PPID, runRsplibPingPong } from '../services/rsplib-pingpong.js';
import { protocolOption, type PingPongProtocol } from './service-options.js';
import { connect } from '../session/enhanced-mode.js';
import type { PoolSession } from '../session/pool-session.js';
import { onTerminationSignal } from './lifecycle.js';
import { parseDuration, parseInteger } from './parse.js';
import { collectRegistrar, hexPeId, REGISTRAR_HELP } from './server.js';
import { reportFailovers } from './terminal.js';
import { transportFromCli, type TransportCliOptions } from './transport-option.js';

/** Parsed options of `rsp pingpong`. */
interface PingPongCliOptions extends TransportCliOptions {
  protocol: PingPongProtocol;
  pool: string;
  registrar?: string[];
  interval: number;
  count: number;
  replyTimeout: number;
  failoverTimeout: number;
}

/** Registers the `pingpong` subcommand on `program`. */
export function registerPingPongCommand(program: Command): void {
  program
    .command('pingpong')
    .description('Ping a pingpong pool: print every reply (counter, PE, round trip) and every failover with its duration.')
    .requiredOption('--pool <name>', 'pool handle to connect to')
    .option('--registrar <host:port>', REGISTRAR_HELP, collectRegistrar)
    .option('--interval <ms>', 'time between requests', parseDuration, 1000)
    .option('--count <n>', 'requests to send (0 = until SIGINT/SIGTERM)', parseInteger, 0)
    .option('--reply-timeout <ms>', 'send a request again when its reply is this late', parseDuration, 1000)
    .option('--failover-timeout <ms>', 'give up when no PE can be reached for this long', parseDuration, 5000)
    .addOption(protocolOption())
    .configureHelp({ showGlobalOptions: false })
    .action(async (opts: PingPongCliOptions) => {
      await runPingPongCli(opts);
    });
}

async function runPingPongCli(opts: PingPongCliOptions): Promise<void> {
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let session: PoolSession;
  try {
    session = await connect(opts.pool, { transport: transportFromCli(opts), ...(opts.protocol === 'rsplib' ? { ppid: PINGPONG_PPID } : {}), ...(opts.registrar !== undefined ? { registrars: opts.registrar } : {}), failoverTimeout: opts.failoverTimeout, replay: 'since-cookie' });
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  session.on('error', () => undefined);
  out(`connected to PE ${hexPeId(session.poolElement?.id)} of pool ${opts.pool}`);
  reportFailovers(session, out);
  const stop = new AbortController();
  onTerminationSignal(async () => {
    stop.abort();
    await done.catch(() => undefined);
  });
  const done = (async () => {
    try {
      const summary = await (opts.protocol === 'rsplib' ? runRsplibPingPong : runPingPong)(session, {
        interval: opts.interval,
        count: opts.count,
        replyTimeout: opts.replyTimeout,
        signal: stop.signal,
        onReply: (r) =>
          out(
            `pong ${r.counter} from PE ${r.pe ?? '?'} (ping ${r.seq}, ${r.rttMs.toFixed(1)} ms${r.resent > 0 ? `, sent ${r.resent + 1} times` : ''})` +
              (r.continued ? '' : r.counter > r.expected ? ` GAP: expected ${r.expected}` : ` REPEAT: expected ${r.expected}`),
          ),
      });
      out(`${summary.replies} replies, ${summary.gaps} gaps, ${summary.repeats} repeats, ${summary.resends} re-sent requests (${summary.end})`);
      if (summary.end === 'closed') process.exitCode = 1;
    } catch (err) {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    } finally {
      await session.close();
    }
  })();
  await done;
}
