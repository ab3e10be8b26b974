/**
 * `rsp terminal`: a pool user on the command line. Each line of standard
 * input goes to the session as one message; whatever the session receives
 * is written to standard output. Events (connected, failover) go to
 * standard error, as text or with `--json` as one JSON object per line
 * (`{"event":"failover","from":"0x…","to":"0x…",…}`). At the end of input
 * it waits `--linger` ms for late replies, then closes.
 *
 * @module
 */
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { connect } from '../session/enhanced-mode.js';
import type { PoolSession } from '../session/pool-session.js';
import { SESSION_DEFAULTS, type ReplayMode } from '../session/session-options.js';
import { formatTransportAddress } from '../registrar/options.js';
import { onTerminationSignal } from './lifecycle.js';
import { parseDuration } from './parse.js';
import { collectRegistrar, errorLine, formatId, REGISTRAR_HELP, reportError } from './common.js';
import type { FailoverEvent } from '../session/failover.js';
import { transportFromCli, type TransportCliOptions } from './transport-option.js';

/** Parsed options of `rsp terminal`. */
interface TerminalCliOptions extends TransportCliOptions {
  pool: string;
  registrar?: string[];
  failoverTimeout: number;
  linger: number;
  replay: ReplayMode;
  json?: boolean;
}

/** Registers the `terminal` subcommand on `program`. */
export function registerTerminalCommand(program: Command): void {
  program
    .command('terminal')
    .description('Open a session with a pool: standard input lines to the session, session data to standard output, failovers on standard error.')
    .requiredOption('--pool <name>', 'pool handle to connect to')
    .option('--registrar <host:port>', REGISTRAR_HELP, collectRegistrar)
    .option('--failover-timeout <ms>', 'give up when no PE can be reached for this long', parseDuration, 5000)
    .option('--linger <ms>', 'after the end of input, wait this long for replies before closing', parseDuration, 1000)
    .option('--replay <mode>', 'what is re-sent after a failover: unacknowledged | since-cookie | none (the library default)', SESSION_DEFAULTS.replay)
    .option('--json', 'events on standard error as JSON lines instead of text', false)
    .configureHelp({ showGlobalOptions: false })
    .action(async (opts: TerminalCliOptions) => {
      await runTerminal(opts);
    });
}

/** A failover as a JSON event (PE ids in 0x form). */
export function failoverJson(e: FailoverEvent): Record<string, unknown> {
  return {
    event: 'failover',
    from: formatId(e.from),
    to: formatId(e.to),
    address: formatTransportAddress(e.toAddress),
    durationMs: Math.round(e.durationMs),
    reason: e.reason,
    cookieEchoed: e.cookieEchoed,
    resent: e.resent,
    replayed: e.replayed,
    possiblyLost: e.possiblyLost,
    attempts: e.attempts,
  };
}

/** Writes a session's failovers with `write` (default: standard error), as text or JSON lines. */
export function reportFailovers(session: PoolSession, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`), json = false): void {
  session.on('failover', (e) => {
    if (json) {
      write(JSON.stringify(failoverJson(e)));
      return;
    }
    write(
      `failover: PE ${formatId(e.from)} -> PE ${formatId(e.to)} at ${formatTransportAddress(e.toAddress)} in ${e.durationMs.toFixed(0)} ms` +
        ` (${e.reason}${e.cookieEchoed ? ', cookie echoed' : ', no cookie'}${e.resent + e.replayed > 0 ? `, ${e.resent + e.replayed} message(s) re-sent` : ''}` +
        `${e.possiblyLost > 0 ? `, ${e.possiblyLost} message(s) acknowledged by the old PE after its last reply: possibly lost` : ''})`,
    );
  });
}

async function runTerminal(opts: TerminalCliOptions): Promise<void> {
  if (opts.replay !== 'none' && opts.replay !== 'unacknowledged' && opts.replay !== 'since-cookie') {
    reportError('terminal', '--replay must be unacknowledged, since-cookie or none', 2);
    return;
  }
  const event = (text: string, json: Record<string, unknown>): void => {
    process.stderr.write(`${opts.json ? JSON.stringify(json) : text}\n`);
  };
  // SIGINT/SIGTERM end the command with status 0 from the start, also while still connecting.
  const stop = new AbortController();
  let session: PoolSession | undefined;
  let reader: Promise<void> | undefined;
  onTerminationSignal(async () => {
    stop.abort();
    await session?.close();
    await reader;
  }, 'terminal');
  try {
    session = await connect(opts.pool, { transport: transportFromCli(opts), ...(opts.registrar !== undefined ? { registrars: opts.registrar } : {}), failoverTimeout: opts.failoverTimeout, replay: opts.replay, signal: stop.signal });
  } catch (err) {
    if (!stop.signal.aborted) reportError('terminal', err);
    return;
  }
  session.on('error', (err) => event(errorLine('terminal', err), { event: 'error', message: err.message }));
  event(`connected to PE ${formatId(session.poolElement?.id)} of pool ${opts.pool}`, { event: 'connected', pe: formatId(session.poolElement?.id), pool: opts.pool });
  reportFailovers(session, undefined, opts.json === true);
  let lastActivity = Date.now();
  reader = (async () => {
    for (let m = await session.recv().catch(() => null); m !== null; m = await session.recv().catch(() => null)) {
      lastActivity = Date.now();
      const text = Buffer.from(m.data).toString('utf8');
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  })();
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) {
      await session.send(line);
      lastActivity = Date.now();
    }
  } catch (err) {
    reportError('terminal', err);
  }
  // End of input: wait for late replies (bounded), then close.
  lastActivity = Date.now();
  while (session.state !== 'closed' && Date.now() - lastActivity < opts.linger) await new Promise((r) => setTimeout(r, 50));
  await session.close();
  await reader;
}
