/**
 * `rsp registrar`: runs a pool registrar (ASAP server side) until SIGINT or
 * SIGTERM.
 *
 * Logs go to standard output, one line per event (`--log-format text|json`).
 * When started with an IPC channel (`child_process.fork`), the process also
 * answers `{ cmd: 'stats' }` messages with `{ event: 'stats', stats, cpu,
 * memory }` (counters, `process.cpuUsage()`, `process.memoryUsage()`) and
 * sends `{ event: 'listening', id, addresses }` once it serves; benchmarks use
 * this to measure the registrar's own CPU time.
 *
 * @module
 */
import { Command, Option } from 'commander';
import { Registrar } from '../registrar/registrar.js';
import { REGISTRAR_DEFAULTS, formatTransportAddress, type RegistrarOptions } from '../registrar/options.js';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel } from '../registrar/logger.js';
import type { MinAddressScope } from '../registrar/address-filter.js';
import type { RateLimit } from '../registrar/rate-limiter.js';
import type { TransportAddress } from '../transport/types.js';
import { addRegistrarSecurityOptions, addTlsOptions, registrarSecurityFromCli, tlsFromCli, type RegistrarSecurityCliOptions, type TlsCliOptions } from './security-options.js';
import { collectAddress, formatRate, parseAddress, parseAddressOrOff, parseDuration, parseInteger, parseRate } from './parse.js';
import { errorText, formatId, reportError, resolveAddressOptions } from './common.js';
import { onTerminationSignal } from './lifecycle.js';
import { addEnrpOptions, startEnrpFromCli, type EnrpCliOptions } from '../registrar/enrp/command-line.js';
import type { EnrpAttachment } from '../registrar/enrp/attach.js';
import { transportFromCli, type TransportCliOptions } from './transport-option.js';
import type { TransportOptions } from '../transport/endpoint-factory.js';
import { addHttpOption, httpAllowedHosts, httpUrl } from './http-option.js';
import type { ObservedHttp } from '../observe/serve-http.js';
import { addCspListenOption, addCspOptions, startCspFromCli, startCspListenFromCli, type CspCliOptions } from './csp-option.js';
import type { CspMonitor } from '../observe/csp.js';
import { registrarCspStatus } from '../observe/csp-status.js';
import { cspComponentId, type CspReporter } from '../observe/csp.js';

/** Parsed command-line options of `rsp registrar`. */
interface RegistrarCliOptions extends TransportCliOptions {
  asap?: TransportAddress[];
  announce: TransportAddress | false;
  announceInterval: number;
  announceTtl: number;
  announceInterface?: string;
  announceAddress?: TransportAddress[];
  registrarId?: number;
  keepAliveInterval: number;
  keepAliveTimeout: number;
  keepAliveWindow: number;
  maxKeepAliveRate: number;
  maxBadPeReports: number;
  maxHresItems: number;
  maxIncrement: number;
  minAddressScope: MinAddressScope;
  addressCheck: boolean;
  maxPoolHandleLength: number;
  maxPesPerAssociation: number;
  maxPes: number;
  maxPools: number;
  maxAssociations: number;
  maxMessageSize: number;
  hrRate: RateLimit;
  euRate: RateLimit;
  registrationRate: RateLimit;
  idleTimeout: number;
  sctpHeartbeatInterval: number;
  sctpRtoMax: number;
  sctpMaxRetransmissions: number;
  statsInterval: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  http?: TransportAddress;
  httpAllowHost?: string[];
  cspListen?: TransportAddress;
}

/** Registers the `registrar` subcommand on `program`. */
export function registerRegistrarCommand(program: Command): void {
  const d = REGISTRAR_DEFAULTS;
  program
    .command('registrar')
    .description('Run a pool registrar (ASAP server: registrations, handle resolution, keep-alives, announces).')
    .option('--asap <addr:port>', `ASAP endpoint to listen on, repeatable (SCTP over UDP; port 0 = ephemeral) (default: ${d.asap})`, collectAddress)
    .option('--announce <addr:port|off>', 'UDP multicast group for ASAP Server Announces, or "off"', parseAddressOrOff, parseAddress(d.announce))
    .option('--announce-interval <ms>', 'announce period (jittered ±12.5 %)', parseDuration, d.announceInterval)
    .option('--announce-ttl <hops>', 'multicast TTL of announces', parseInteger, d.announceTtl)
    .option('--announce-interface <addr>', 'local interface address for multicast announces (default: system choice)')
    .option('--announce-address <addr:port>', 'ASAP address to advertise in announces, repeatable (default: the --asap addresses)', collectAddress)
    .option('--registrar-id <id>', 'registrar identifier, 1..0xffffffff, decimal or 0x hex (default: random)', parseInteger)
    .option('--keep-alive-interval <ms>', 'endpoint keep-alive transmission interval per PE', parseDuration, d.keepAliveInterval)
    .option('--keep-alive-timeout <ms>', 'time to wait for a keep-alive ack before the PE is removed', parseDuration, d.keepAliveTimeout)
    .option('--keep-alive-window <n>', 'most unanswered keep-alives per association (slow peers are not flooded)', parseInteger, d.keepAliveWindow)
    .option('--max-keep-alive-rate <n>', 'most keep-alive events per second; beyond it the interval stretches (0 = unlimited)', parseInteger, d.maxKeepAliveRate)
    .option('--max-bad-pe-reports <n>', 'Endpoint Unreachable reports after which a PE is removed (MAX-BAD-PE-REPORT)', parseInteger, d.maxBadPeReports)
    .option('--max-hres-items <n>', 'PEs per handle resolution response when the request does not say (cap 128)', parseInteger, d.maxHresItems)
    .option('--max-increment <n>', 'PEs whose selection state advances per resolution (0 = policy default)', parseInteger, d.maxIncrement)
    .addOption(
      new Option('--min-address-scope <scope>', 'narrowest accepted scope of registered addresses (loopback is also accepted when listening on loopback)')
        .choices(['loopback', 'link-local', 'site-local', 'global'])
        .default(d.minAddressScope),
    )
    .option('--no-address-check', 'accept user-transport addresses that are not addresses of the registering association')
    .option('--max-pool-handle-length <bytes>', 'longest accepted pool handle', parseInteger, d.maxPoolHandleLength)
    .option('--max-pes-per-association <n>', 'most PEs registered over one association', parseInteger, d.maxPesPerAssociation)
    .option('--max-pes <n>', 'most PEs in the handlespace', parseInteger, d.maxPes)
    .option('--max-pools <n>', 'most pools in the handlespace', parseInteger, d.maxPools)
    .option('--max-associations <n>', 'most concurrent ASAP associations', parseInteger, d.maxAssociations)
    .option('--max-message-size <bytes>', 'largest accepted ASAP message', parseInteger, d.maxMessageSize)
    .option('--hr-rate <rate[/burst]>', 'handle resolutions per second per association, or "off"', parseRate, d.handleResolutionRate)
    .option('--eu-rate <rate[/burst]>', 'Endpoint Unreachable reports per second per association, or "off"', parseRate, d.failureReportRate)
    .option('--registration-rate <rate[/burst]>', '(de)registrations per second per association, or "off"', parseRate, d.registrationRate)
    .option('--idle-timeout <ms>', 'close associations without PEs after this idle time (0 = never)', parseDuration, d.idleAssociationTimeout)
    .option('--sctp-heartbeat-interval <ms>', 'SCTP heartbeat interval of registrar associations', parseDuration, d.failureDetection.heartbeatInterval)
    .option('--sctp-rto-max <ms>', 'SCTP maximum retransmission timeout of registrar associations', parseDuration, d.failureDetection.rtoMax)
    .option('--sctp-max-retransmissions <n>', 'SCTP retransmissions before an association is declared dead', parseInteger, d.failureDetection.maxRetransmissions)
    .option('--stats-interval <ms>', 'log the counters periodically (0 = never)', parseDuration, 0)
    .addOption(new Option('--log-level <level>', 'least severe log level written').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--log-format <format>', 'log line format').choices(['text', 'json']).default('text'))
    .configureHelp({ showGlobalOptions: false })
    .action(async (opts: RegistrarCliOptions) => {
      await runRegistrar(opts);
    });
  // Show rates and scope choices in the default column in a readable form.
  const cmd = program.commands.find((c) => c.name() === 'registrar')!;
  addEnrpOptions(cmd);
  addHttpOption(cmd);
  addCspOptions(cmd);
  addCspListenOption(cmd);
  addRegistrarSecurityOptions(cmd);
  addTlsOptions(cmd, true);
  for (const o of cmd.options) {
    if (o.defaultValue !== undefined && typeof o.defaultValue === 'object' && o.defaultValue !== null) {
      if ('rate' in o.defaultValue) o.defaultValueDescription = formatRate(o.defaultValue as RateLimit);
      else if ('address' in o.defaultValue) o.defaultValueDescription = formatTransportAddress(o.defaultValue as TransportAddress);
    }
  }
}

async function runRegistrar(opts: RegistrarCliOptions): Promise<void> {
  const logger = createLogger({ level: opts.logLevel, format: opts.logFormat, stream: process.stdout });
  // Signal handlers first: a SIGINT that arrives while starting (or right after the
  // `listening` line) must stop the registrar cleanly with status 0, not kill it.
  let registrar: Registrar | undefined;
  let enrp: EnrpAttachment | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  let onIpc: ((msg: unknown) => void) | undefined;
  let transport: TransportOptions;
  let http: ObservedHttp | undefined;
  let monitor: CspMonitor | undefined;
  let csp: CspReporter | undefined;
  onTerminationSignal(async (signal) => {
    logger.info('shutdown', { signal });
    if (statsTimer) clearInterval(statsTimer);
    if (onIpc) process.off('message', onIpc);
    await http?.close();
    await monitor?.close();
    await csp?.close();
    await enrp?.close();
    await registrar?.close();
    if (registrar) logger.info('stopped', { registrar: formatId(registrar.id) });
    if (process.connected) process.disconnect();
  }, 'registrar');
  try {
    await resolveAddressOptions(opts as RegistrarCliOptions & EnrpCliOptions, ['asap', 'announceAddress', 'enrp', 'peer', 'enrpAdvertise']);
    transport = { heartbeatInterval: opts.sctpHeartbeatInterval, rtoMax: opts.sctpRtoMax, maxRetransmissions: opts.sctpMaxRetransmissions, ...transportFromCli(opts) };
  } catch (err) {
    logger.error('start-failed', { error: errorText(err) });
    reportError('registrar', err);
    return;
  }
  const security = tlsFromCli(opts as TlsCliOptions);
  if (!security.ok) {
    logger.error('start-failed', { error: security.error });
    process.exitCode = 2;
    return;
  }
  const options: RegistrarOptions = {
    asap: opts.asap,
    announce: opts.announce,
    announceInterval: opts.announceInterval,
    announceTtl: opts.announceTtl,
    announceInterface: opts.announceInterface,
    announceAddresses: opts.announceAddress,
    registrarId: opts.registrarId,
    keepAliveInterval: opts.keepAliveInterval,
    keepAliveTimeout: opts.keepAliveTimeout,
    keepAliveWindow: opts.keepAliveWindow,
    maxKeepAliveRate: opts.maxKeepAliveRate,
    maxBadPeReports: opts.maxBadPeReports,
    maxHresItems: opts.maxHresItems,
    maxIncrement: opts.maxIncrement,
    minAddressScope: opts.minAddressScope,
    checkAssociationAddresses: opts.addressCheck,
    maxPoolHandleLength: opts.maxPoolHandleLength,
    maxPesPerAssociation: opts.maxPesPerAssociation,
    maxPes: opts.maxPes,
    maxPools: opts.maxPools,
    maxAssociations: opts.maxAssociations,
    maxMessageSize: opts.maxMessageSize,
    handleResolutionRate: opts.hrRate,
    failureReportRate: opts.euRate,
    registrationRate: opts.registrationRate,
    idleAssociationTimeout: opts.idleTimeout,
    failureDetection: { heartbeatInterval: opts.sctpHeartbeatInterval, rtoMax: opts.sctpRtoMax, maxRetransmissions: opts.sctpMaxRetransmissions },
    transport,
    ...registrarSecurityFromCli(opts as RegistrarSecurityCliOptions),
    ...(security.tls ? { tls: security.tls } : {}),
    ...(security.authorization ? { authorization: security.authorization } : {}),
    logger,
  };
  try {
    registrar = new Registrar(options);
    await registrar.start();
  } catch (err) {
    logger.error('start-failed', { error: errorText(err) });
    reportError('registrar', err);
    return;
  }
  try {
    enrp = await startEnrpFromCli(registrar, opts as RegistrarCliOptions & EnrpCliOptions, logger, { ...(security.tls ? { tls: security.tls } : {}), ...(security.authorization ? { authorization: security.authorization } : {}) });
  } catch (err) {
    logger.error('start-failed', { error: errorText(err) });
    await registrar.close();
    reportError('registrar', err);
    return;
  }
  if (opts.http !== undefined) {
    try {
      monitor = await startCspListenFromCli(opts);
      if (monitor) logger.info('csp-listening', { csp: formatTransportAddress(monitor.address) });
      const { serveRegistrarHttp } = await import('../observe/serve-http.js');
      http = await serveRegistrarHttp(registrar, { listen: opts.http, ...httpAllowedHosts(opts), ...(enrp ? { enrp } : {}), ...(monitor ? { monitor } : {}) });
      logger.info('http-listening', { url: httpUrl(http.address) });
      process.send?.({ event: 'http', address: http.address });
    } catch (err) {
      logger.error('start-failed', { http: formatTransportAddress(opts.http), error: errorText(err) });
      await monitor?.close();
      await enrp?.close();
      await registrar.close();
      reportError('registrar', err);
      return;
    }
  }
  csp = startCspFromCli(opts as RegistrarCliOptions & CspCliOptions, cspComponentId('registrar', registrar.id), () => registrarCspStatus(registrar, enrp));
  const addresses = registrar.addresses.map(formatTransportAddress);
  logger.info('listening', { registrar: formatId(registrar.id), asap: addresses.join(','), announce: opts.announce === false ? 'off' : formatTransportAddress(opts.announce) });

  const running = registrar;
  if (opts.statsInterval > 0) {
    statsTimer = setInterval(() => logger.info('stats', { ...running.stats }), opts.statsInterval);
  }
  onIpc = (msg: unknown): void => {
    if (msg !== null && typeof msg === 'object' && (msg as { cmd?: unknown }).cmd === 'stats') {
      // With --expose-gc, { gc: true } collects garbage first so memory figures are live data only.
      const gc = (globalThis as { gc?: () => void }).gc;
      if ((msg as { gc?: unknown }).gc === true && gc) gc();
      process.send?.({ event: 'stats', stats: registrar.stats, cpu: process.cpuUsage(), memory: process.memoryUsage() });
    }
  };
  if (process.send) {
    process.on('message', onIpc);
    process.send({ event: 'listening', id: registrar.id, addresses: registrar.addresses });
  }
}
