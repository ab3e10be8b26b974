/**
 * Prometheus metrics of a registrar, its ENRP attachment and a pool element
 * (`prom-client`). Most figures are read from the components' own counters
 * when Prometheus scrapes (`collect`), so nothing is counted twice; a few
 * labelled counters (refusals by cause, removals by reason, violations by
 * kind) are fed by the components' events.
 *
 * Every metric name starts with `rserpool_`; see the README table.
 *
 * @module
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { causeName } from '../asap/cause-names.js';
import type { HandlespaceChange, Registrar, RegistrarStats, RegistrarViolation } from '../registrar/registrar.js';
import type { EnrpAttachment } from '../registrar/enrp/attach.js';
import { TlsEndpoint } from '../transport/tls.js';

/** Content type of the Prometheus text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Metrics attached to a registry; {@link MetricsHandle.close} removes the event listeners. */
export interface MetricsHandle {
  readonly registry: Registry;
  /** Detaches from the component's events (the registry keeps its last values). */
  close(): void;
}

/** Creates a registry with the Node.js process metrics (`process_*`, `nodejs_*`). */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

/** A counter whose value is read from `read()` at every scrape. */
function readCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect(this: Counter) {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge whose value is read from `read()` at every scrape. */
function readGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect(this: Gauge) {
      this.set(read());
    },
  });
}

/** Registrar counters exported as `rserpool_registrar_<name>_total`, from {@link RegistrarStats}. */
const REGISTRAR_COUNTERS: readonly [string, keyof RegistrarStats, string][] = [
  ['registrations_total', 'registrations', 'PE registrations accepted (first registration of a PE)'],
  ['reregistrations_total', 'reRegistrations', 'PE re-registrations accepted'],
  ['registrations_refused_total', 'registrationsRefused', 'registrations refused (any cause)'],
  ['deregistrations_total', 'deregistrations', 'PE deregistrations'],
  ['handle_resolutions_total', 'handleResolutions', 'handle resolutions answered'],
  ['handle_resolutions_unknown_pool_total', 'handleResolutionsUnknownPool', 'handle resolutions for a pool that does not exist'],
  ['keep_alives_sent_total', 'keepAlivesSent', 'endpoint keep-alives sent to PEs'],
  ['keep_alive_acks_total', 'keepAliveAcks', 'endpoint keep-alive acks received'],
  ['keep_alives_missed_total', 'keepAliveTimeouts', 'endpoint keep-alives left unanswered within the timeout'],
  ['failure_reports_total', 'failureReports', 'Endpoint Unreachable reports from pool users'],
  ['rate_limited_total', 'rateLimited', 'requests dropped or refused by a per-association rate limit'],
  ['limit_violations_total', 'limitViolations', 'requests refused by a size limit (PEs, pools, handle length)'],
  ['associations_accepted_total', 'associationsAccepted', 'ASAP associations accepted'],
  ['associations_closed_total', 'associationsClosed', 'ASAP associations closed'],
  ['associations_refused_total', 'associationsRefused', 'ASAP associations refused (association limit)'],
  ['messages_received_total', 'messagesReceived', 'ASAP messages received'],
  ['malformed_messages_total', 'malformedMessages', 'malformed ASAP messages received'],
  ['send_failures_total', 'sendFailures', 'ASAP messages that could not be sent'],
  ['announces_sent_total', 'announcesSent', 'ASAP Server Announces sent'],
  ['tls_handshakes_refused_total', 'tlsHandshakesRefused', 'incoming ASAP associations aborted because too many TLS handshakes were unfinished'],
];

/**
 * Registers the metrics of `registrar` (and of its ENRP attachment, when
 * given) on `registry`.
 *
 * ```ts
 * const registry = createMetricsRegistry();
 * const metrics = registrarMetrics(registrar, registry, { enrp });
 * console.log(await registry.metrics());
 * ```
 */
export function registrarMetrics(registrar: Registrar, registry: Registry, options: { enrp?: EnrpAttachment } = {}): MetricsHandle {
  const stats = (): RegistrarStats => registrar.stats;
  readGauge(registry, 'rserpool_registrar_pool_elements', 'PEs in the handlespace (own and learnt from ENRP peers)', () => registrar.handlespace.size);
  readGauge(registry, 'rserpool_registrar_own_pool_elements', 'PEs whose home registrar is this one', () => stats().pes);
  readGauge(registry, 'rserpool_registrar_pools', 'pools in the handlespace', () => registrar.handlespace.poolCount);
  readGauge(registry, 'rserpool_registrar_associations', 'ASAP associations open now', () => stats().associations);
  readGauge(registry, 'rserpool_registrar_up', '1 while the registrar serves', () => (registrar.running ? 1 : 0));
  for (const [name, key, help] of REGISTRAR_COUNTERS) readCounter(registry, `rserpool_registrar_${name}`, help, () => stats()[key]);

  const refused = new Counter({ name: 'rserpool_registrar_refusals_total', help: 'registrations refused, by error cause', labelNames: ['cause'], registers: [registry] });
  const removed = new Counter({ name: 'rserpool_registrar_pe_removals_total', help: 'PEs removed from the handlespace by this registrar, by reason', labelNames: ['reason'], registers: [registry] });
  const violations = new Counter({ name: 'rserpool_registrar_violations_total', help: 'protection limits hit and bad input, by kind (rate-limit drops are the *-rate kinds)', labelNames: ['kind'], registers: [registry] });
  const onRefused = (r: { cause: number }): void => refused.inc({ cause: causeName(r.cause) });
  const onChange = (c: HandlespaceChange): void => {
    if (c.action === 'del') removed.inc({ reason: c.reason });
  };
  const onViolation = (v: RegistrarViolation): void => violations.inc({ kind: v.kind });
  registrar.on('refused', onRefused);
  registrar.on('change', onChange);
  registrar.on('violation', onViolation);

  const enrp = options.enrp;
  let detachEnrp = (): void => undefined;
  if (enrp !== undefined) {
    const server = enrp.server;
    readGauge(registry, 'rserpool_enrp_peers', 'ENRP peers known', () => server.peerList().length);
    readGauge(registry, 'rserpool_enrp_synchronized', '1 once ENRP startup (handlespace download from a mentor) has ended', () => (server.synchronized ? 1 : 0));
    new Gauge({
      name: 'rserpool_enrp_peer_up',
      help: 'one series per ENRP peer: 1 when heard recently, 0 while it is probed (no answer yet)',
      labelNames: ['peer', 'address'],
      registers: [registry],
      collect(this: Gauge) {
        this.reset();
        for (const p of server.peerList()) this.set({ peer: hex(p.id), address: `${p.address.address}:${p.address.port}` }, p.probing ? 0 : 1);
      },
    });
    readCounter(registry, 'rserpool_enrp_messages_sent_total', 'ENRP messages sent', () => server.stats.sent);
    readCounter(registry, 'rserpool_enrp_messages_received_total', 'ENRP messages received', () => server.stats.received);
    readCounter(registry, 'rserpool_enrp_updates_sent_total', 'ENRP Handle Updates sent', () => server.stats.updatesSent);
    readCounter(registry, 'rserpool_enrp_updates_received_total', 'ENRP Handle Updates received', () => server.stats.updatesReceived);
    readCounter(registry, 'rserpool_enrp_audits_total', 'handlespace audits started after a checksum mismatch', () => server.stats.audits);
    const enrpEndpoint = enrp.endpoint;
    if (enrpEndpoint instanceof TlsEndpoint) {
      readCounter(registry, 'rserpool_enrp_tls_handshakes_refused_total', 'incoming ENRP associations aborted because too many TLS handshakes were unfinished', () => enrpEndpoint.stats.handshakesRefused);
    }
    readCounter(registry, 'rserpool_enrp_takeovers_total', 'takeovers of a dead peer done by this registrar', () => server.stats.takeovers);
    const takenOver = new Counter({ name: 'rserpool_enrp_taken_over_total', help: 'takeovers of a peer done by another registrar', registers: [registry] });
    const peerDown = new Counter({ name: 'rserpool_enrp_peers_lost_total', help: 'ENRP peers removed, by reason', labelNames: ['reason'], registers: [registry] });
    const onTaken = (): void => takenOver.inc();
    const onDown = (_id: number, reason: string): void => peerDown.inc({ reason });
    server.on('taken-over', onTaken);
    server.on('peer-down', onDown);
    detachEnrp = () => {
      server.off('taken-over', onTaken);
      server.off('peer-down', onDown);
    };
  }
  return {
    registry,
    close() {
      registrar.off('refused', onRefused);
      registrar.off('change', onChange);
      registrar.off('violation', onViolation);
      detachEnrp();
    },
  };
}

/** What {@link poolElementMetrics} reads from a pool element; a `PoolElementSocket` (plus its serve handle) provides it. */
export interface PoolElementMetricsSource {
  readonly peId: number | undefined;
  readonly registration: unknown;
  readonly sessionCount: number;
  readonly stats: { sessionsAccepted: number; cookiesEchoed: number; cookiesRefused: number };
}

/**
 * Registers the metrics of a pool element on `registry`: registration
 * state, sessions (open, accepted) and sessions taken over from another PE
 * (arrived with a cookie echo: a pool user's failover).
 */
export function poolElementMetrics(pe: PoolElementMetricsSource, registry: Registry): MetricsHandle {
  readGauge(registry, 'rserpool_pe_registered', '1 while the PE is registered', () => (pe.registration !== undefined ? 1 : 0));
  readGauge(registry, 'rserpool_pe_sessions', 'sessions (associations with pool users) open now', () => pe.sessionCount);
  readCounter(registry, 'rserpool_pe_sessions_total', 'sessions accepted', () => pe.stats.sessionsAccepted);
  readCounter(registry, 'rserpool_pe_failovers_total', 'sessions that arrived by a pool user failover (cookie echoed)', () => pe.stats.cookiesEchoed);
  readCounter(registry, 'rserpool_pe_cookies_refused_total', 'echoed cookies refused', () => pe.stats.cookiesRefused);
  return { registry, close: () => undefined };
}

/** What {@link poolUserMetrics} reads from a pool user. */
export interface PoolUserMetricsSource {
  /** Sessions open now. */
  readonly sessions: number;
  /** Failovers of every session so far. */
  readonly failovers: number;
}

/** Registers the metrics of a pool user (`rsp fractal`) on `registry`. */
export function poolUserMetrics(pu: PoolUserMetricsSource, registry: Registry): MetricsHandle {
  readGauge(registry, 'rserpool_pu_sessions', 'sessions of this pool user open now', () => pu.sessions);
  readCounter(registry, 'rserpool_pu_failovers_total', 'failovers of this pool user\'s sessions', () => pu.failovers);
  return { registry, close: () => undefined };
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}
