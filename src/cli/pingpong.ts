/**
 * `rsp pingpong`: the pool user of the pingpong service. Sends `ping N` at
 * an interval and prints each reply with its counter and round-trip time,
 * and each failover with its duration and whether the counter continued.
 * With `--json` every line is one JSON event: `connected`, `pong`,
 * `failover` and `summary` (PE ids as `0x` and 8 hex digits).
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
import { collectRegistrar, formatId, REGISTRAR_HELP, reportError } from './common.js';
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
  json?: boolean;
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
    .option('--json', 'one JSON event per line (connected, pong, failover, summary) instead of text', false)
    .configureHelp({ showGlobalOptions: false })
    .action(async (opts: PingPongCliOptions) => {
      await runPingPongCli(opts);
    });
}

async function runPingPongCli(opts: PingPongCliOptions): Promise<void> {
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const event = (text: string, json: Record<string, unknown>): void => out(opts.json ? JSON.stringify(json) : text);
  // SIGINT/SIGTERM end the run with status 0 from the start, also while still connecting.
  const stop = new AbortController();
  let done: Promise<void> | undefined;
  onTerminationSignal(async () => {
    stop.abort();
    await done?.catch(() => undefined);
  }, 'pingpong');
  let session: PoolSession;
  try {
    // Not the library default on purpose: the pingpong counter lives in the cookie, and a request
    // answered but not yet covered by a cookie must be replayed so the next PE counts it too.
    session = await connect(opts.pool, { transport: transportFromCli(opts), ...(opts.protocol === 'rsplib' ? { ppid: PINGPONG_PPID } : {}), ...(opts.registrar !== undefined ? { registrars: opts.registrar } : {}), failoverTimeout: opts.failoverTimeout, replay: 'since-cookie', signal: stop.signal });
  } catch (err) {
    if (!stop.signal.aborted) reportError('pingpong', err);
    return;
  }
  session.on('error', () => undefined);
  event(`connected to PE ${formatId(session.poolElement?.id)} of pool ${opts.pool}`, { event: 'connected', pe: formatId(session.poolElement?.id), pool: opts.pool });
  reportFailovers(session, out, opts.json === true);
  done = (async () => {
    try {
      const summary = await (opts.protocol === 'rsplib' ? runRsplibPingPong : runPingPong)(session, {
        interval: opts.interval,
        count: opts.count,
        replyTimeout: opts.replyTimeout,
        signal: stop.signal,
        onReply: (r) =>
          event(
            `pong ${r.counter} from PE ${r.pe ?? '?'} (ping ${r.seq}, ${r.rttMs.toFixed(1)} ms${r.resent > 0 ? `, sent ${r.resent + 1} times` : ''})` +
              (r.continued ? '' : r.counter > r.expected ? ` GAP: expected ${r.expected}` : ` REPEAT: expected ${r.expected}`),
            { event: 'pong', counter: r.counter, pe: r.pe ?? null, seq: r.seq, rttMs: Math.round(r.rttMs * 10) / 10, resent: r.resent, expected: r.expected, continued: r.continued },
          ),
      });
      event(`${summary.replies} replies, ${summary.gaps} gaps, ${summary.repeats} repeats, ${summary.resends} re-sent requests (${summary.end})`, { event: 'summary', ...summary });
      if (summary.end === 'closed') process.exitCode = 1;
    } catch (err) {
      reportError('pingpong', err);
    } finally {
      await session.close();
    }
  })();
  await done;
}
