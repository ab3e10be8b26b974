/**
 * `rsp terminal`: a pool user on the command line. Each line of standard
 * input goes to the session as one message; whatever the session receives
 * is written to standard output. Failovers are reported on standard error.
 * At the end of input it waits `--linger` ms for late replies, then closes.
 *
 * @module
 */
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { connect } from '../session/enhanced-mode.js';
import type { PoolSession } from '../session/pool-session.js';
import type { ReplayMode } from '../session/session-options.js';
import { formatTransportAddress } from '../registrar/options.js';
import { onTerminationSignal } from './lifecycle.js';
import { parseDuration } from './parse.js';
import { collectRegistrar, hexPeId, REGISTRAR_HELP } from './server.js';
import { transportFromCli, type TransportCliOptions } from './transport-option.js';

/** Parsed options of `rsp terminal`. */
interface TerminalCliOptions extends TransportCliOptions {
  pool: string;
  registrar?: string[];
  failoverTimeout: number;
  linger: number;
  replay: ReplayMode;
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
    .option('--replay <mode>', 'what is re-sent after a failover: none | since-cookie', 'since-cookie')
    .configureHelp({ showGlobalOptions: false })
    .action(async (opts: TerminalCliOptions) => {
      await runTerminal(opts);
    });
}

/** Writes a session's failovers to standard error. */
export function reportFailovers(session: PoolSession, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  session.on('failover', (e) => {
    write(
      `failover: PE ${hexPeId(e.from)} -> PE ${hexPeId(e.to)} at ${formatTransportAddress(e.toAddress)} in ${e.durationMs.toFixed(0)} ms` +
        ` (${e.reason}${e.cookieEchoed ? ', cookie echoed' : ', no cookie'}${e.resent + e.replayed > 0 ? `, ${e.resent + e.replayed} message(s) re-sent` : ''})`,
    );
  });
}

async function runTerminal(opts: TerminalCliOptions): Promise<void> {
  if (opts.replay !== 'none' && opts.replay !== 'since-cookie') {
    process.stderr.write('error: --replay must be none or since-cookie\n');
    process.exitCode = 2;
    return;
  }
  let session: PoolSession;
  try {
    session = await connect(opts.pool, { transport: transportFromCli(opts), ...(opts.registrar !== undefined ? { registrars: opts.registrar } : {}), failoverTimeout: opts.failoverTimeout, replay: opts.replay });
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  session.on('error', (err) => process.stderr.write(`error: ${err.message}\n`));
  process.stderr.write(`connected to PE ${hexPeId(session.poolElement?.id)} of pool ${opts.pool}\n`);
  reportFailovers(session);
  let lastActivity = Date.now();
  const reader = (async () => {
    for (let m = await session.recv().catch(() => null); m !== null; m = await session.recv().catch(() => null)) {
      lastActivity = Date.now();
      const text = Buffer.from(m.data).toString('utf8');
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  })();
  onTerminationSignal(async () => {
    await session.close();
    await reader;
  });
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) {
      await session.send(line);
      lastActivity = Date.now();
    }
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
  // End of input: wait for late replies (bounded), then close.
  lastActivity = Date.now();
  while (session.state !== 'closed' && Date.now() - lastActivity < opts.linger) await new Promise((r) => setTimeout(r, 50));
  await session.close();
  await reader;
}
