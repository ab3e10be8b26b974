/**
 * `rsp server`: a pool element running one of the built-in services
 * (echo, discard, daytime, chargen, pingpong) until SIGINT or SIGTERM, which
 * deregisters it and closes its sessions (their pool users fail over).
 *
 * Standard output gets one line when registered —
 * `registered PE 0x1a2b3c4d in pool NAME at 127.0.0.1:PORT (service S)` —
 * and, unless `--quiet`, one line per session opened or closed.
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { REGISTRARS_ENV } from '../asap/registrar-table.js';
import { formatTransportAddress } from '../registrar/options.js';
import { getService, SERVICE_NAMES } from '../services/registry.js';
import { serve } from '../services/serve.js';
import { socket } from '../session/enhanced-mode.js';
import type { AcceptedSession } from '../session/accepted-session.js';
import type { PolicyOptions } from '../asap/policy-options.js';
import { POLICY_TYPE_CODES, type PolicyName } from '../wire/types.js';
import { onTerminationSignal } from './lifecycle.js';
import { parseAddress, parseDuration, parseInteger } from './parse.js';
import { addCookieOptions, addTlsOptions, cookieSettingsFromCli, tlsFromCli, type CookieCliOptions, type TlsCliOptions } from './security-options.js';

/** Parsed options of `rsp server`. */
interface ServerCliOptions extends CookieCliOptions, TlsCliOptions {
  service: string;
  pool: string;
  registrar?: string[];
  policy: PolicyName;
  load?: number;
  weight?: number;
  priority?: number;
  port: number;
  address?: string;
  peId?: number;
  requireCookie: boolean;
  name?: string;
  closeTimeout: number;
  quiet: boolean;
}

/** Collects a repeatable `HOST:PORT` option as text (validated). */
export function collectRegistrar(text: string, previous: string[] | undefined): string[] {
  parseAddress(text);
  return [...(previous ?? []), text];
}

/** Parses a fraction 0..1. */
export function parseFraction(text: string): number {
  const v = Number(text);
  if (!/^\d*\.?\d+$/.test(text.trim()) || !(v >= 0 && v <= 1)) throw new InvalidArgumentError(`"${text}" is not a fraction between 0 and 1.`);
  return v;
}

/** The registrars option text of help texts. */
export const REGISTRAR_HELP = `registrar to use, HOST:PORT, repeatable (default: $${REGISTRARS_ENV}, else registrars heard in announces)`;

/** Formats a PE identifier as `0x` and 8 hex digits. */
export function hexPeId(id: number | undefined): string {
  return id === undefined ? '?' : '0x' + id.toString(16).padStart(8, '0');
}

/** Registers the `server` subcommand on `program`. */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('Run a pool element with a built-in service until SIGINT/SIGTERM (then deregister and close its sessions).')
    .addOption(new Option('--service <name>', 'service to run').choices(SERVICE_NAMES).makeOptionMandatory())
    .requiredOption('--pool <name>', 'pool handle to register under')
    .option('--registrar <host:port>', REGISTRAR_HELP, collectRegistrar)
    .addOption(new Option('--policy <name>', 'pool member selection policy').choices(Object.keys(POLICY_TYPE_CODES)).default('round-robin'))
    .option('--load <fraction>', 'load 0..1 for the least-used policies (default: 0)', parseFraction)
    .option('--weight <n>', 'weight for the weighted policies (default: 1)', parseInteger)
    .option('--priority <n>', 'priority for the priority policies (default: 0)', parseInteger)
    .option('--port <n>', 'SCTP-over-UDP port to serve on (0 = ephemeral)', parseInteger, 0)
    .option('--address <addr>', 'local address to serve on (default: 127.0.0.1 when every registrar is on loopback, else the wildcard)')
    .option('--pe-id <id>', 'PE identifier, decimal or 0x hex (default: random)', parseInteger)
    .option('--cookie-key <secret>', 'shared secret (≥ 16 bytes) for sealed cookies; echoed cookies that do not open with it are refused (visible in ps: prefer --cookie-key-file; default: plain cookies)')
    .option('--require-cookie', 'refuse sessions that do not start with a valid cookie echo', false)
    .option('--name <text>', 'name of this PE in replies that name their sender (default: the PE id in hex)')
    .option('--close-timeout <ms>', 'on SIGINT/SIGTERM, longest wait for sessions to close', parseDuration, 2000)
    .option('-q, --quiet', 'no line per session', false)
    .configureHelp({ showGlobalOptions: false })
    .action(async (opts: ServerCliOptions) => {
      await runServer(opts);
    });
  const cmd = program.commands.find((c) => c.name() === 'server')!;
  addCookieOptions(cmd);
  addTlsOptions(cmd, false);
}

async function runServer(opts: ServerCliOptions): Promise<void> {
  const service = getService(opts.service);
  const cookie = cookieSettingsFromCli(opts);
  if (!cookie.ok) {
    process.stderr.write(`error: ${cookie.error}\n`);
    process.exitCode = 2;
    return;
  }
  const cookieKey = cookie.key;
  const security = tlsFromCli(opts);
  if (!security.ok) {
    process.stderr.write(`error: ${security.error}\n`);
    process.exitCode = 2;
    return;
  }
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const pe = socket({
    ...(opts.registrar !== undefined ? { registrars: opts.registrar } : {}),
    ...(opts.address !== undefined ? { address: opts.address } : {}),
    ...(cookieKey !== undefined ? { cookieKey } : {}),
    ...(cookie.maxAge !== undefined ? { cookieOpenOptions: { maxAge: cookie.maxAge } } : {}),
    requireCookie: opts.requireCookie,
    ...(security.tls ? { asapOptions: { tls: security.tls } } : {}),
  });
  pe.on('error', () => undefined);
  pe.on('cookieRefused', (err, remote) => out(`cookie refused from ${formatTransportAddress(remote)}: ${err.message}`));
  const policy: PolicyOptions = {
    type: opts.policy,
    ...(opts.load !== undefined ? { load: opts.load } : {}),
    ...(opts.weight !== undefined ? { weight: opts.weight } : {}),
    ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
  };
  const stopping = new AbortController();
  const stop = async (): Promise<void> => {
    const timer = setTimeout(() => stopping.abort(), opts.closeTimeout);
    await pe.close();
    await Promise.race([handle?.done, new Promise((r) => stopping.signal.addEventListener('abort', r, { once: true }))]);
    clearTimeout(timer);
    stopping.abort();
  };
  let handle: ReturnType<typeof serve<AcceptedSession>> | undefined;
  onTerminationSignal(async (signal) => {
    out(`${signal}: deregistering and closing sessions`);
    await stop();
    out('stopped');
  });
  try {
    await pe.register(opts.pool, { policy, port: opts.port, ...(opts.peId !== undefined ? { peId: opts.peId } : {}) });
  } catch (err) {
    process.stderr.write(`error: could not register in pool "${opts.pool}": ${err instanceof Error ? err.message : String(err)}\n`);
    await pe.close().catch(() => undefined);
    process.exitCode = 1;
    return;
  }
  const id = hexPeId(pe.peId);
  const name = opts.name ?? id;
  out(`registered PE ${id} in pool ${opts.pool} at ${pe.local ? formatTransportAddress(pe.local) : '?'} (service ${service.name}, policy ${opts.policy}${cookieKey !== undefined ? ', sealed cookies' : ''})`);
  const log = (line: string): void => {
    if (!opts.quiet) out(line);
  };
  handle = serve(pe, service, { name, log, signal: stopping.signal, ...(cookieKey !== undefined ? { cookieKey } : {}) }, (s) => {
    const from = formatTransportAddress(s.remote);
    log(`session from ${from}${s.cookie !== undefined ? ' (failover, cookie echoed)' : ''}`);
    s.once('close', () => log(`session from ${from} closed`));
  });
  process.send?.({ event: 'registered', peId: pe.peId, address: pe.local });
}
