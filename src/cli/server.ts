/**
 * `rsp server`: a pool element running one of the built-in services
 * (echo, discard, daytime, chargen, pingpong) until SIGINT or SIGTERM, which
 * deregisters it and closes its sessions (their pool users fail over).
 *
 * Standard output gets one line when registered —
 * `registered PE 0x1a2b3c4d in pool NAME at 127.0.0.1:PORT (service S, policy P, pid N)` —
 * and, unless `--quiet`, one line per session opened or closed.
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatTransportAddress } from '../registrar/options.js';
import { SERVICE_NAMES } from '../services/registry.js';
import { addServiceOptions, serviceFromCli, type ServiceCliOptions } from './service-options.js';
import { serve } from '../services/serve.js';
import { socket } from '../session/enhanced-mode.js';
import type { AcceptedSession } from '../session/accepted-session.js';
import type { PolicyOptions } from '../asap/policy-options.js';
import { POLICY_TYPE_CODES, type PolicyName } from '../wire/types.js';
import { collectRegistrar, errorText, formatId, REGISTRAR_HELP, reportError } from './common.js';
import { resolveHost } from '../transport/resolve-host.js';
import { onTerminationSignal } from './lifecycle.js';
import { parseDuration, parseInteger } from './parse.js';
import { addCookieOptions, addTlsOptions, cookieSettingsFromCli, tlsFromCli, type CookieCliOptions, type TlsCliOptions } from './security-options.js';
import { transportFromCli, type TransportCliOptions } from './transport-option.js';
import type { TransportOptions } from '../transport/endpoint-factory.js';
import { addHttpOption, httpAllowedHosts, httpUrl } from './http-option.js';
import type { TransportAddress } from '../transport/types.js';
import type { ObservedHttp } from '../observe/serve-http.js';
import { addCspOptions, startCspFromCli, type CspCliOptions } from './csp-option.js';
import { cspComponentId, type CspReporter } from '../observe/csp.js';
import { poolElementCspStatus } from '../observe/csp-status.js';
import { addFractalServerOption, fractalServiceFromCli } from './fractal.js';

/** Parsed options of `rsp server`. */
interface ServerCliOptions extends TransportCliOptions, ServiceCliOptions, CookieCliOptions, TlsCliOptions {
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
  http?: TransportAddress;
  httpAllowHost?: string[];
}

/** Parses a fraction 0..1. */
export function parseFraction(text: string): number {
  const v = Number(text);
  if (!/^\d*\.?\d+$/.test(text.trim()) || !(v >= 0 && v <= 1)) throw new InvalidArgumentError(`"${text}" is not a fraction between 0 and 1.`);
  return v;
}

// Shared with the other commands (kept here under their old names for existing imports).
export { collectRegistrar, REGISTRAR_HELP, formatId as hexPeId } from './common.js';

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
    .option('--address <addr>', 'local address (or host name) to serve on (default: 127.0.0.1 when every registrar is on loopback, else the wildcard)')
    .option('--pe-id <id>', 'PE identifier, decimal or 0x hex (default: random)', parseInteger)
    .option('--cookie-key <secret>', 'shared secret (≥ 16 bytes) for sealed cookies; echoed cookies that do not open with it are refused (visible in ps: prefer --cookie-key-file; default: plain cookies)')
    .option('--require-cookie', 'refuse sessions that do not start with a valid cookie echo', false)
    .option('--name <text>', 'name of this PE in replies that name their sender (default: the PE id in hex)')
    .option('--close-timeout <ms>', 'on SIGINT/SIGTERM, longest wait for sessions to close', parseDuration, 2000)
    .option('-q, --quiet', 'no line per session', false)
    .configureHelp({ showGlobalOptions: false });
  addServiceOptions(program.commands.find((c) => c.name() === 'server')!)
    .action(async (opts: ServerCliOptions) => {
      await runServer(opts);
    });
  const serverCmd = program.commands.find((c) => c.name() === 'server')!;
  addHttpOption(serverCmd);
  addCspOptions(serverCmd);
  addFractalServerOption(serverCmd);
  addCookieOptions(serverCmd);
  addTlsOptions(serverCmd, false);
}

async function runServer(opts: ServerCliOptions): Promise<void> {
  // CalcApp's load (jobs / max jobs) is re-registered when it changed by 1 %, with adaptive policies only.
  let reportedLoad = opts.load ?? 0;
  const service = opts.service === 'fractal' ? fractalServiceFromCli(opts as { fractalRate?: number; fractalMaxWork?: number }) : serviceFromCli(opts, (load) => {
    if (!opts.policy.includes('least-used') || Math.abs(load - reportedLoad) < 0.01 || pe.registration === undefined) return;
    reportedLoad = load;
    pe.update({ load }).catch(() => undefined);
  });
  const cookie = cookieSettingsFromCli(opts);
  if (!cookie.ok) {
    reportError('server', cookie.error, 2);
    return;
  }
  const cookieKey = cookie.key;
  const security = tlsFromCli(opts);
  if (!security.ok) {
    reportError('server', security.error, 2);
    return;
  }
  if (opts.address !== undefined) {
    try {
      opts.address = await resolveHost(opts.address);
    } catch (err) {
      reportError('server', err);
      return;
    }
  }
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let transport: TransportOptions;
  try {
    transport = transportFromCli(opts);
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  const pe = socket({
    transport,
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
  let http: ObservedHttp | undefined;
  let csp: CspReporter | undefined;
  const stop = async (): Promise<void> => {
    await http?.close();
    await csp?.close();
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
  }, 'server');
  try {
    await pe.register(opts.pool, { policy, port: opts.port, ...(opts.peId !== undefined ? { peId: opts.peId } : {}) });
  } catch (err) {
    reportError('server', `could not register in pool "${opts.pool}": ${errorText(err)}`);
    await pe.close().catch(() => undefined);
    return;
  }
  const id = formatId(pe.peId);
  const name = opts.name ?? id;
  const registeredAt = performance.now();
  csp = startCspFromCli(opts as ServerCliOptions & CspCliOptions, cspComponentId('pe', pe.peId!), () => poolElementCspStatus({ local: pe.local, sessionCount: pe.sessionCount, registration: pe.registration ? { policy: pe.registration.policy, homeRegistrarId: pe.asap.homeRegistrarId } : undefined }, registeredAt));
  if (opts.http !== undefined) {
    try {
      const { servePoolElementHttp } = await import('../observe/serve-http.js');
      http = await servePoolElementHttp(pe, { listen: opts.http, ...httpAllowedHosts(opts), pool: opts.pool, service: service.name });
      out(`http ${httpUrl(http.address)}`);
    } catch (err) {
      reportError('server', `--http ${formatTransportAddress(opts.http)}: ${errorText(err)}`);
      await pe.close().catch(() => undefined);
      return;
    }
  }
  out(`registered PE ${id} in pool ${opts.pool} at ${pe.local ? formatTransportAddress(pe.local) : '?'} (service ${service.name}, policy ${opts.policy}${cookieKey !== undefined ? ', sealed cookies' : ''}, pid ${process.pid})`);
  const log = (line: string): void => {
    if (!opts.quiet) out(line);
  };
  handle = serve(pe, service, { name, log, signal: stopping.signal, ...(cookieKey !== undefined ? { cookieKey } : {}) }, (s) => {
    const from = formatTransportAddress(s.remote);
    log(`session from ${from}${s.cookie !== undefined ? ' (failover, cookie echoed)' : ''}`);
    if (s.cookie !== undefined) http?.feed.push('failover', `session from ${from} taken over by failover (cookie echoed)`, { pe: id });
    else http?.feed.push('session', `session from ${from}`, { pe: id });
    s.once('close', () => log(`session from ${from} closed`));
  });
  process.send?.({ event: 'registered', peId: pe.peId, address: pe.local });
}
