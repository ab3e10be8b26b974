/**
 * The pool registrar (PR), ASAP server side (RFC 5352; spec §12.2–12.7):
 * accepts registrations, re-registrations and deregistrations of pool
 * elements, answers handle resolutions by the pool's policy, supervises its
 * PEs with endpoint keep-alives, removes PEs reported unreachable too often,
 * and announces itself by UDP multicast.
 *
 * Many registrars can live in one process: all state is in the object, all
 * time comes from the injected clock.
 *
 * Every change of the local handlespace goes through one method that emits
 * the `change` event, the seam where ENRP handle updates will attach.
 *
 * @module
 */
import { endpointFactoryFor, type TransportOptions } from '../transport/endpoint-factory.js';
import { EventEmitter } from 'eventemitter3';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { ClosedError, ProtocolError } from '../errors.js';
import { resolveTransportAddress } from '../transport/resolve-host.js';
import type { Association, CloseReason, ConnectOptions, Endpoint, FailureDetectionOptions, MessageInfo, TransportAddress } from '../transport/types.js';
import { ErrorCauseCode, type ErrorCause, type PoolElementParam, type PoolHandle, type TransportParam } from '../wire/types.js';
import { AddressFilter, isWildcardAddress, addressScope } from './address-filter.js';
import { Announcer } from './announcer.js';
import { KeepAliveScheduler, jitteredDelay, type Schedulable } from './keep-alive-scheduler.js';
import { silentLogger, type Logger } from './logger.js';
import { MAX_MAX_HRES_ITEMS, resolveRegistrarOptions, type RegistrarOptions, type ResolvedRegistrarOptions } from './options.js';
import { TokenBucket } from './rate-limiter.js';
import { HostTable, type HostState } from './host-limits.js';
import { peerIdentityOf, TlsEndpoint, tlsEndpoint } from '../transport/tls.js';
import { RegistrarCodec, type AsapRequest } from './registrar-codec.js';
import { sendHandedOver } from '../transport/hand-over.js';
import { Handlespace } from '../handlespace/handlespace.js';
import type { PoolElement } from '../handlespace/pool-element.js';

export type { RegistrarOptions, ResolvedRegistrarOptions } from './options.js';

/** ASAP payload protocol identifier (spec §1). */
const PPID_ASAP = 11;

/**
 * Why a PE left the handlespace. `keep-alive-timeout`: keep-alives went
 * unanswered (when nothing at all came over the association, it was
 * aborted: every PE registered over it leaves with this reason);
 * `unreachable`: the same after pool users had reported the PE;
 * `association-closed`: the PE's ASAP association closed or failed.
 */
export type RemovalReason =
  | 'deregistration'
  | 'keep-alive-timeout'
  | 'unreachable'
  | 'association-closed'
  | 'expired'
  | 'registrar-closed';

/**
 * A local handlespace change: the seam for ENRP handle updates (action `add`
 * on registration and re-registration, `del` on every removal).
 */
export interface HandlespaceChange {
  action: 'add' | 'del';
  poolHandle: PoolHandle;
  /** The PE as it is (add) or was (del), with its ASAP transport. */
  pe: PoolElementParam;
  /** What caused the change. */
  reason: 'registration' | 're-registration' | RemovalReason;
}

/** A protection limit was hit or bad input arrived (RFC 5355). */
export interface RegistrarViolation {
  kind:
    | 'malformed'
    | 'oversized'
    | 'unexpected-message'
    | 'pool-handle-length'
    | 'pes-per-association'
    | 'pe-limit'
    | 'pool-limit'
    | 'association-limit'
    | 'handle-resolution-rate'
    | 'failure-report-rate'
    | 'registration-rate'
    | 'foreign-pe'
    | 'host-association-limit'
    | 'host-pool-limit'
    | 'unsent-limit'
    | 'unauthorized';
  remote: TransportAddress;
  detail?: string;
}

/** Events of a {@link Registrar}. */
export interface RegistrarEvents {
  /** A PE was added/updated (`add`) or removed (`del`). */
  change: (change: HandlespaceChange) => void;
  /** A protection limit was hit or bad input arrived. */
  violation: (violation: RegistrarViolation) => void;
  /** A registration was refused. */
  refused: (info: { poolHandle: PoolHandle; peId: number; cause: number; remote: TransportAddress }) => void;
  /** A pool user reported a PE unreachable (Endpoint Unreachable); `reports` counts the reports so far. */
  'failure-report': (info: { poolHandle: PoolHandle; peId: number; reports: number; remote: TransportAddress }) => void;
  /** A non-fatal internal problem. */
  error: (error: Error) => void;
}

/** Counters of a {@link Registrar}; see {@link Registrar.stats}. */
export interface RegistrarStats {
  /** PEs currently registered. */
  pes: number;
  /** Pools currently known. */
  pools: number;
  /** ASAP associations currently open. */
  associations: number;
  registrations: number;
  reRegistrations: number;
  registrationsRefused: number;
  deregistrations: number;
  handleResolutions: number;
  handleResolutionsUnknownPool: number;
  keepAlivesSent: number;
  keepAliveAcks: number;
  keepAliveTimeouts: number;
  keepAliveRetries: number;
  keepAlivesDeferred: number;
  associationsAbortedByKeepAlive: number;
  failureReports: number;
  /** Failure reports that started a keep-alive probe of the PE. */
  unreachableProbes: number;
  /** PEs reported unreachable that answered the probe and stayed. */
  unreachableProbesAnswered: number;
  pesRemovedUnreachable: number;
  pesExpired: number;
  pesRemovedAssociationClosed: number;
  associationsAccepted: number;
  associationsClosed: number;
  associationsRefused: number;
  associationsIdleClosed: number;
  /** Associations refused because their host had its maximum already. */
  associationsRefusedPerHost: number;
  /** Associations aborted because their peer did not read (unsent queue over `maxUnsentBytes`). */
  associationsAbortedUnsent: number;
  /** Registrations or deregistrations of a PE owned by another association, refused. */
  foreignPeRefused: number;
  /** With TLS: incoming associations aborted because too many handshakes were unfinished (in total or from their host). */
  tlsHandshakesRefused: number;
  messagesReceived: number;
  malformedMessages: number;
  oversizedMessages: number;
  unexpectedMessages: number;
  nonAsapMessages: number;
  rateLimited: number;
  limitViolations: number;
  errorsSent: number;
  errorRepliesSuppressed: number;
  sendFailures: number;
  announcesSent: number;
  announceFailures: number;
  internalErrors: number;
}

function emptyStats(): RegistrarStats {
  return {
    pes: 0,
    pools: 0,
    associations: 0,
    registrations: 0,
    reRegistrations: 0,
    registrationsRefused: 0,
    deregistrations: 0,
    handleResolutions: 0,
    handleResolutionsUnknownPool: 0,
    keepAlivesSent: 0,
    keepAliveAcks: 0,
    keepAliveTimeouts: 0,
    keepAliveRetries: 0,
    keepAlivesDeferred: 0,
    associationsAbortedByKeepAlive: 0,
    failureReports: 0,
    unreachableProbes: 0,
    unreachableProbesAnswered: 0,
    pesRemovedUnreachable: 0,
    pesExpired: 0,
    pesRemovedAssociationClosed: 0,
    associationsAccepted: 0,
    associationsClosed: 0,
    associationsRefused: 0,
    associationsIdleClosed: 0,
    associationsRefusedPerHost: 0,
    associationsAbortedUnsent: 0,
    foreignPeRefused: 0,
    tlsHandshakesRefused: 0,
    messagesReceived: 0,
    malformedMessages: 0,
    oversizedMessages: 0,
    unexpectedMessages: 0,
    nonAsapMessages: 0,
    rateLimited: 0,
    limitViolations: 0,
    errorsSent: 0,
    errorRepliesSuppressed: 0,
    sendFailures: 0,
    announcesSent: 0,
    announceFailures: 0,
    internalErrors: 0,
  };
}

/** State the registrar keeps per ASAP association. */
class AssociationState {
  /** PEs registered over this association. */
  readonly pes = new Set<PeRecord>();
  readonly remoteAddresses: string[];
  /** Normalised remote addresses, for the address filter. */
  addressSet: ReadonlySet<string> = new Set();
  /** The first normalised remote address as a one-element array shared by this association's PEs. */
  sharedAddresses: string[] = [];
  /** The ASAP transport of PEs registered over this association (shared object). */
  readonly asapTransport: TransportParam;
  lastReceived: number;
  /** Messages received so far (tells whether the peer spoke since a keep-alive). */
  received = 0;
  /** Keep-alives sent on this association and not yet acknowledged. */
  kaInFlight = 0;
  /** PEs whose keep-alive is due but waits for the window (FIFO from `kaHead`). */
  readonly kaWaiting: PeRecord[] = [];
  kaHead = 0;
  closed = false;
  /** Why its PEs leave when we abort it (set before the abort, whose close event may come at once). */
  removal: RemovalReason = 'association-closed';

  constructor(
    readonly association: Association,
    readonly host: HostState,
    readonly hrBucket: TokenBucket,
    readonly euBucket: TokenBucket,
    readonly regBucket: TokenBucket,
    readonly errBucket: TokenBucket,
    now: number,
  ) {
    const remote = association.remote;
    const extra = (association as { remoteAddresses?: readonly string[] }).remoteAddresses;
    this.remoteAddresses = extra && extra.length > 0 ? [...extra] : [remote.address];
    this.asapTransport = { protocol: 'sctp', port: remote.port, transportUse: 0, addresses: this.remoteAddresses };
    this.lastReceived = now;
  }
}

/** Keep-alive state of a PE. */
const enum KaState {
  Idle = 0,
  AwaitingAck = 1,
  /** Due, queued in its association's keep-alive window. */
  Waiting = 2,
}

/**
 * The registrar's record of a PE it owns. It is also the PE's entry in the
 * keep-alive scheduler (one heap slot covers keep-alive, ack timeout and
 * registration-life expiry).
 */
interface PeRecord extends Schedulable {
  readonly stored: PoolElement;
  assoc: AssociationState;
  kaState: KaState;
  kaRetries: number;
  kaSentAt: number;
  /** The association's receive count when the keep-alive was sent. */
  kaRxMark: number;
  /** Last proof of life: registration, re-registration or keep-alive ack. */
  confirmedAt: number;
  /** Clock time when the registration life runs out. */
  expiresAt: number;
  /** Hosts that reported the PE unreachable since it last answered a keep-alive. */
  reporters?: Set<string>;
  /** A keep-alive probe after failure reports is outstanding. */
  euProbe?: boolean;
}

/**
 * An RSerPool pool registrar (ASAP server side).
 *
 * ```ts
 * const pr = new Registrar({ asap: ['127.0.0.1:0'], announce: false, minAddressScope: 'loopback' });
 * await pr.start();
 * console.log(pr.addresses); // [{ address: '127.0.0.1', port: 49321 }]
 * // ... PEs register, PUs resolve ...
 * await pr.close();
 * ```
 */
export class Registrar extends EventEmitter<RegistrarEvents> {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedRegistrarOptions;
  /** Registrar (server) identifier. */
  readonly id: number;
  /** The registrar's handlespace (pools and PEs). */
  readonly handlespace: Handlespace;

  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly codec: RegistrarCodec;
  private readonly scheduler: KeepAliveScheduler<PeRecord>;
  private readonly records = new Map<PoolElement, PeRecord>();
  private readonly associations = new Set<AssociationState>();
  private readonly hosts: HostTable;
  private readonly endpoints: Endpoint[] = [];
  private readonly counters = emptyStats();
  private addressFilter: AddressFilter;
  private announcer: Announcer | undefined;
  private idleTimer: TimerHandle | undefined;
  private state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new';
  private boundAddresses: TransportAddress[] = [];
  private readonly violationLog: TokenBucket;
  private violationsSuppressed = 0;

  /**
   * @param options - see {@link RegistrarOptions}; every field is optional
   * @throws InvalidArgumentError for invalid options
   */
  constructor(options: RegistrarOptions = {}) {
    super();
    this.options = resolveRegistrarOptions(options);
    this.id = this.options.registrarId;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.createEndpoint = options.createEndpoint;
    this.createAnnounceSender = options.createAnnounceSender;
    this.codec = new RegistrarCodec({ maxPoolHandleLength: Math.max(255, this.options.maxPoolHandleLength), maxMessageSize: Math.max(65536, this.options.maxMessageSize) });
    this.handlespace = new Handlespace({ maxPoolHandleLength: Math.max(255, this.options.maxPoolHandleLength), maxIncrement: this.options.maxIncrement, maxPools: this.options.maxPools, clock: this.clock });
    this.scheduler = new KeepAliveScheduler<PeRecord>((r) => this.onScheduled(r), {
      clock: this.clock,
      batchSize: this.options.keepAliveBatchSize,
      maxRate: this.options.maxKeepAliveRate,
    });
    this.addressFilter = this.makeAddressFilter(this.options.asap);
    this.hosts = new HostTable(this.options, this.clock);
    this.violationLog = new TokenBucket({ rate: 20, burst: 50 }, this.clock);
  }

  private readonly createEndpoint: RegistrarOptions['createEndpoint'];
  private readonly createAnnounceSender: RegistrarOptions['createAnnounceSender'];

  /** Local ASAP transport addresses, known after {@link Registrar.start}. */
  get addresses(): TransportAddress[] {
    return this.boundAddresses.map((a) => ({ ...a }));
  }

  /** A snapshot of the counters. */
  get stats(): RegistrarStats {
    this.counters.pes = this.records.size;
    this.counters.pools = this.handlespace.poolCount;
    this.counters.associations = this.associations.size;
    this.counters.tlsHandshakesRefused = this.endpoints.reduce((n, e) => n + (e instanceof TlsEndpoint ? e.stats.handshakesRefused : 0), 0);
    return { ...this.counters };
  }

  /** The transport choice (mode and tuning) of the ASAP endpoints; ENRP uses it unless given its own. */
  get transport(): TransportOptions {
    return { ...this.options.transport };
  }

  /** IPv6 prefix length that counts as one remote host ({@link RegistrarOptions.ipv6HostPrefix}); ENRP's TLS handshake cap uses it too. */
  get ipv6HostPrefix(): number {
    return this.options.ipv6HostPrefix;
  }

  /** True between a successful {@link Registrar.start} and {@link Registrar.close}. */
  get running(): boolean {
    return this.state === 'running';
  }

  /**
   * Opens the ASAP endpoints and starts announcing.
   *
   * @throws when an endpoint cannot be opened (the registrar is closed again)
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new ClosedError(`Registrar cannot start in state ${this.state}`);
    this.state = 'starting';
    try {
      const factory = this.createEndpoint ?? endpointFactoryFor(this.options.transport);
      for (const address of this.options.asap) {
        // A host name ('localhost:3863') is looked up here; one that does not resolve fails the start.
        const plain = await factory(await resolveTransportAddress(address));
        const endpoint = this.options.tls !== undefined ? tlsEndpoint(plain, { ipv6HostPrefix: this.options.ipv6HostPrefix, ...this.options.tls }) : plain;
        this.endpoints.push(endpoint);
        endpoint.on('association', (a) => this.addAssociation(a));
        endpoint.on('error', (e) => this.logger.warn('endpoint-error', { error: e }));
        this.boundAddresses.push({ address: endpoint.local.address, port: endpoint.local.port });
        if ((this.state as string) !== 'starting') throw new ClosedError('Registrar closed while starting');
      }
      this.addressFilter = this.makeAddressFilter(this.boundAddresses);
      if (this.options.announce !== false) {
        const group = this.options.announce;
        this.announcer = new Announcer({
          group,
          interval: this.options.announceInterval,
          ttl: this.options.announceTtl,
          interface: this.options.announceInterface,
          loopback: this.options.announceLoopback,
          clock: this.clock,
          random: this.options.random,
          logger: this.logger,
          createSender: this.createAnnounceSender,
          payload: () => this.codec.serverAnnounce(this.id, this.announceTransports()),
          onSent: (ok) => {
            if (ok) this.counters.announcesSent++;
            else this.counters.announceFailures++;
          },
        });
        try {
          await this.announcer.start();
        } catch (err) {
          this.logger.warn('announce-unavailable', { error: err });
          this.announcer = undefined;
        }
      }
      this.armIdleSweep();
      this.state = 'running';
      this.logger.debug('registrar-started', { registrar: hex(this.id), asap: this.boundAddresses.map((a) => `${a.address}:${a.port}`).join(',') });
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * Stops announcing, aborts every association, closes the endpoints and
   * drops every timer. The handlespace is emptied (`change` events with
   * reason `registrar-closed`). Safe to call more than once.
   */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.scheduler.close();
    const announcer = this.announcer;
    this.announcer = undefined;
    await announcer?.close().catch(() => {});
    for (const st of this.associations) for (const rec of [...st.pes]) this.removePe(rec, 'registrar-closed');
    for (const st of [...this.associations]) {
      this.retire(st);
      try {
        st.association.abort('registrar closing');
      } catch {
        // already gone
      }
    }
    const endpoints = this.endpoints.splice(0);
    await Promise.all(endpoints.map((e) => e.close().catch(() => {})));
    this.state = 'closed';
    this.logger.debug('registrar-closed', { registrar: hex(this.id) });
  }

  /**
   * Serves ASAP on an association that did not come from the registrar's own
   * endpoints (tests, or an endpoint shared with ENRP). Associations from the
   * registrar's endpoints are added automatically.
   */
  addAssociation(association: Association): void {
    if (this.state === 'closing' || this.state === 'closed') {
      association.abort('registrar closed');
      return;
    }
    const remote = association.remote;
    if (this.associations.size >= this.options.maxAssociations) {
      this.counters.associationsRefused++;
      this.violation({ kind: 'association-limit', remote, detail: `${this.associations.size} associations` });
      association.abort('too many associations');
      return;
    }
    const host = this.hosts.acquire(remote.address);
    if (host === undefined) {
      this.counters.associationsRefused++;
      this.counters.associationsRefusedPerHost++;
      this.violation({ kind: 'host-association-limit', remote, detail: `${this.options.maxAssociationsPerHost} associations from this host` });
      association.abort('too many associations from this host');
      return;
    }
    const o = this.options;
    const st = new AssociationState(
      association,
      host,
      new TokenBucket(o.handleResolutionRate, this.clock),
      new TokenBucket(o.failureReportRate, this.clock),
      new TokenBucket(o.registrationRate, this.clock),
      new TokenBucket(o.errorReplyRate, this.clock),
      this.clock.now(),
    );
    st.addressSet = this.addressFilter.associationSet(st.remoteAddresses);
    st.sharedAddresses = [...st.addressSet].slice(0, 1);
    this.associations.add(st);
    this.counters.associationsAccepted++;
    association.on('message', (data, info) => this.onMessage(st, data, info));
    association.on('close', (reason) => this.onAssociationClose(st, reason));
    association.on('error', (e) => this.logger.debug('association-error', { remote: fmt(remote), error: e }));
    this.logger.debug('association-up', { remote: fmt(remote) });
  }

  // ------------------------------------------------------------ message entry

  private onMessage(st: AssociationState, data: Uint8Array, info: MessageInfo): void {
    if (st.closed) return;
    st.lastReceived = this.clock.now();
    st.received++;
    this.counters.messagesReceived++;
    try {
      if (info.ppid !== PPID_ASAP) {
        this.counters.nonAsapMessages++;
        return;
      }
      if (data.length > this.options.maxMessageSize) {
        this.counters.oversizedMessages++;
        this.violation({ kind: 'oversized', remote: st.association.remote, detail: `${data.length} bytes` });
        this.replyError(st, { code: ErrorCauseCode.LACK_OF_RESOURCES, info: new Uint8Array(0) });
        return;
      }
      let req: AsapRequest;
      try {
        req = this.codec.decode(data);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.counters.malformedMessages++;
        this.violation({ kind: 'malformed', remote: st.association.remote, detail: err.message });
        const code = err.cause_code ?? ErrorCauseCode.INVALID_VALUES;
        this.replyError(st, { code, info: code === ErrorCauseCode.UNRECOGNIZED_MESSAGE ? data : new Uint8Array(0) });
        return;
      }
      switch (req.kind) {
        case 'registration':
          this.onRegistration(st, req.poolHandle, req.pe);
          break;
        case 'deregistration':
          this.onDeregistration(st, req.poolHandle, req.peId);
          break;
        case 'handle-resolution':
          this.onHandleResolution(st, req.poolHandle, req.items);
          break;
        case 'keep-alive-ack':
          this.onKeepAliveAck(st, req.poolHandle, req.peId);
          break;
        case 'endpoint-unreachable':
          this.onEndpointUnreachable(st, req.poolHandle, req.peId);
          break;
        case 'error':
          this.logger.info('peer-error', { remote: fmt(st.association.remote), causes: req.causes.map((c) => '0x' + c.code.toString(16)).join(',') });
          break;
        default:
          this.counters.unexpectedMessages++;
          this.violation({ kind: 'unexpected-message', remote: st.association.remote, detail: req.name });
          this.replyError(st, { code: ErrorCauseCode.UNRECOGNIZED_MESSAGE, info: data.length <= 1024 ? data : data.subarray(0, 4) });
      }
    } catch (err) {
      this.counters.internalErrors++;
      this.logger.error('internal-error', { remote: fmt(st.association.remote), error: err instanceof Error ? err.stack ?? err.message : String(err) });
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  // ------------------------------------------------------------- registration

  private onRegistration(st: AssociationState, poolHandle: PoolHandle, pe: PoolElementParam): void {
    if (!st.regBucket.take()) {
      this.counters.rateLimited++;
      this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.LACK_OF_RESOURCES, info: new Uint8Array(0) }, 'registration-rate');
      return;
    }
    if (poolHandle.length > this.options.maxPoolHandleLength) {
      this.counters.limitViolations++;
      this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.INVALID_VALUES, info: this.codec.poolHandleParameter(poolHandle) }, 'pool-handle-length', `${poolHandle.length} bytes`);
      return;
    }
    const auth = this.options.authorization;
    if (auth !== undefined) {
      const identity = peerIdentityOf(st.association);
      if (identity === undefined || !auth.mayRegister(identity, poolHandle)) {
        this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.SECURITY_REJECTION, info: new Uint8Array(0) }, 'unauthorized', identity ? `"${identity.commonName}" may not register here` : 'no TLS identity');
        return;
      }
    }
    if (pe.peId === 0) {
      this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.INVALID_VALUES, info: this.codec.peIdParameter(0) }, undefined, 'PE identifier 0');
      return;
    }
    if (pe.asapTransport !== undefined) {
      this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.INVALID_VALUES, info: this.codec.transportParameter(pe.asapTransport) }, undefined, 'registration carries an ASAP transport');
      return;
    }
    if (!(pe.registrationLife > 0)) {
      this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.INVALID_VALUES, info: new Uint8Array(0) }, undefined, `registration life ${pe.registrationLife}`);
      return;
    }
    const ut = pe.userTransport;
    if (!(ut.port > 0 && ut.port <= 65535)) {
      this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.INVALID_VALUES, info: this.codec.transportParameter(ut) }, undefined, `user transport port ${ut.port}`);
      return;
    }
    const filtered = this.addressFilter.filter(ut.addresses, st.addressSet);
    const addresses = filtered.accepted;
    if (addresses.length === 0) {
      this.refuseRegistration(st, poolHandle, pe.peId, 
        { code: ErrorCauseCode.INVALID_VALUES, info: this.codec.transportParameter(ut) },
        undefined,
        `no usable user-transport address (${filtered.rejected.map((r) => `${r.address}:${r.reason}`).join(' ') || 'none'})`,
      );
      return;
    }
    const existing = this.handlespace.find(poolHandle, pe.peId);
    const existingRec = existing ? this.records.get(existing) : undefined;
    if (existingRec && existingRec.assoc !== st) {
      // RFC 5355: a PE identity belongs to the association that registered it
      // while that association lives; nobody else overwrites it, not even from
      // the same host. The owner is probed so that a dead one is found soon.
      this.counters.foreignPeRefused++;
      this.probeOwner(existingRec);
      this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.SECURITY_REJECTION, info: new Uint8Array(0) }, 'foreign-pe', `PE ${hex(pe.peId)} belongs to ${fmt(existingRec.assoc.association.remote)}`);
      return;
    }
    if (!existingRec || existingRec.assoc !== st) {
      if (st.pes.size >= this.options.maxPesPerAssociation) {
        this.counters.limitViolations++;
        this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.LACK_OF_RESOURCES, info: new Uint8Array(0) }, 'pes-per-association', `${st.pes.size} PEs`);
        return;
      }
    }
    if (!existingRec && !this.hosts.mayJoin(st.host, this.handlespace.getPool(poolHandle))) {
      this.counters.limitViolations++;
      this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.LACK_OF_RESOURCES, info: new Uint8Array(0) }, 'host-pool-limit', `${st.host.pools.size} pools from this host`);
      return;
    }
    if (!existing) {
      if (this.records.size >= this.options.maxPes) {
        this.counters.limitViolations++;
        this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.LACK_OF_RESOURCES, info: new Uint8Array(0) }, 'pe-limit', `${this.records.size} PEs`);
        return;
      }
      if (this.handlespace.getPool(poolHandle) === undefined && this.handlespace.poolCount >= this.options.maxPools) {
        this.counters.limitViolations++;
        this.refuseRegistration(st, poolHandle, pe.peId, { code: ErrorCauseCode.LACK_OF_RESOURCES, info: new Uint8Array(0) }, 'pool-limit', `${this.handlespace.poolCount} pools`);
        return;
      }
    }
    // PEs whose user address is the association's address share one array
    // (and string) per association instead of one per PE.
    const shared = st.sharedAddresses;
    const userTransport: TransportParam =
      addresses.length === 1 && addresses[0] === shared[0]
        ? ({ ...ut, addresses: shared } as TransportParam)
        : addresses === ut.addresses
          ? ut
          : ({ ...ut, addresses: [...addresses] } as TransportParam);
    const asapTransport = st.asapTransport;
    const now = this.clock.now();
    const result = this.handlespace.register(
      poolHandle,
      { peId: pe.peId, homeRegistrarId: this.id, registrationLife: pe.registrationLife, userTransport, policy: pe.policy, asapTransport },
      // Registration life and keep-alives are supervised by the keep-alive scheduler.
      { now, expiresAt: Infinity },
    );
    if (!result.ok) {
      this.refuseRegistration(st, poolHandle, pe.peId, { code: result.cause, info: new Uint8Array(0) }, undefined, result.reason);
      return;
    }
    const stored = result.pe;
    let rec = this.records.get(stored);
    const isNew = rec === undefined;
    if (rec === undefined) {
      rec = {
        stored,
        assoc: st,
        kaState: KaState.Idle,
        kaRetries: 0,
        kaSentAt: 0,
        kaRxMark: 0,
        confirmedAt: now,
        expiresAt: now + pe.registrationLife,
        dueAt: 0,
        heapIndex: -1,
      };
      this.records.set(stored, rec);
      st.pes.add(rec);
      st.host.addPe(stored.pool);
      this.counters.registrations++;
    } else {
      this.clearAwaiting(rec);
      if (rec.assoc !== st) {
        rec.assoc.pes.delete(rec);
        rec.assoc.host.removePe(stored.pool);
        rec.assoc = st;
        st.pes.add(rec);
        st.host.addPe(stored.pool);
      }
      this.proofOfLife(rec);
      rec.confirmedAt = now;
      rec.expiresAt = now + pe.registrationLife;
      rec.kaRetries = 0;
      this.counters.reRegistrations++;
    }
    // (Re)start the keep-alive timer (spec §12.2 PR step 5).
    this.scheduleIdle(rec, now);
    this.send(st, this.codec.registrationResponse(poolHandle, pe.peId));
    if (st.closed) return; // aborted as a peer that does not read: the PE is gone again
    if (this.logger.enabled(isNew ? 'info' : 'debug')) {
      this.logger[isNew ? 'info' : 'debug'](isNew ? 'registered' : 're-registered', {
        pool: handleText(poolHandle),
        pe: hex(pe.peId),
        remote: fmt(st.association.remote),
        policy: pe.policy.type,
        transport: `${userTransport.protocol}:${userTransport.addresses.join('/')}:${userTransport.port}`,
      });
    }
    if (this.listenerCount('change') > 0) {
      this.commit({ action: 'add', poolHandle: stored.poolHandle, pe: stored.toParam(), reason: isNew ? 'registration' : 're-registration' });
    }
  }

  private refuseRegistration(st: AssociationState, poolHandle: PoolHandle, peId: number, cause: ErrorCause, kind?: RegistrarViolation['kind'], detail?: string): void {
    const remote = st.association.remote;
    this.counters.registrationsRefused++;
    if (kind) this.violation({ kind, remote, detail });
    if (this.logger.enabled('info')) {
      this.logger.info('registration-refused', { pool: handleText(poolHandle), pe: hex(peId), remote: fmt(remote), cause: '0x' + cause.code.toString(16), detail });
    }
    if (this.listenerCount('refused') > 0) this.emit('refused', { poolHandle, peId, cause: cause.code, remote });
    this.send(st, this.codec.registrationResponse(poolHandle, peId, cause));
  }

  private onDeregistration(st: AssociationState, poolHandle: PoolHandle, peId: number): void {
    if (!st.regBucket.take()) {
      this.counters.rateLimited++;
      this.violation({ kind: 'registration-rate', remote: st.association.remote });
      this.send(st, this.codec.deregistrationResponse(poolHandle, peId, { code: ErrorCauseCode.LACK_OF_RESOURCES, info: new Uint8Array(0) }));
      return;
    }
    const stored = this.handlespace.find(poolHandle, peId);
    const rec = stored ? this.records.get(stored) : undefined;
    if (rec && rec.assoc !== st) {
      this.counters.foreignPeRefused++;
      this.violation({ kind: 'foreign-pe', remote: st.association.remote, detail: `deregistration of ${hex(peId)}` });
      this.send(st, this.codec.deregistrationResponse(poolHandle, peId, { code: ErrorCauseCode.SECURITY_REJECTION, info: new Uint8Array(0) }));
      return;
    }
    if (rec) {
      this.counters.deregistrations++;
      this.removePe(rec, 'deregistration');
    }
    // Success also for unknown PEs (spec §12.3 step 2).
    this.send(st, this.codec.deregistrationResponse(poolHandle, peId));
  }

  // -------------------------------------------------------- handle resolution

  private onHandleResolution(st: AssociationState, poolHandle: PoolHandle, items: number | undefined): void {
    if (!st.hrBucket.take() || !st.host.hrBucket.take()) {
      this.counters.rateLimited++;
      this.violation({ kind: 'handle-resolution-rate', remote: st.association.remote });
      this.send(st, this.codec.handleResolutionError(poolHandle, { code: ErrorCauseCode.LACK_OF_RESOURCES, info: new Uint8Array(0) }));
      return;
    }
    this.counters.handleResolutions++;
    let n = items === undefined || items === 0 ? this.options.maxHresItems : items;
    if (n > MAX_MAX_HRES_ITEMS) n = MAX_MAX_HRES_ITEMS;
    const selected = this.handlespace.select(poolHandle, n);
    if (selected.length === 0) {
      this.counters.handleResolutionsUnknownPool++;
      this.logger.debug('handle-resolution-unknown-pool', { pool: handleText(poolHandle), remote: fmt(st.association.remote) });
      this.send(st, this.codec.handleResolutionError(poolHandle, { code: ErrorCauseCode.UNKNOWN_POOL_HANDLE, info: new Uint8Array(0) }));
      return;
    }
    this.send(st, this.codec.handleResolutionResponse(poolHandle, selected));
  }

  // --------------------------------------------------------------- keep-alive

  private scheduleIdle(rec: PeRecord, now: number): void {
    const o = this.options;
    const next = Math.min(now + jitteredDelay(o.keepAliveInterval, o.keepAliveJitter, o.random), rec.expiresAt);
    this.scheduler.scheduleAt(rec, next);
  }

  private onScheduled(rec: PeRecord): void {
    const now = this.clock.now();
    if (now >= rec.expiresAt) {
      this.counters.pesExpired++;
      this.logger.info('expired', { pool: handleText(rec.stored.poolHandle), pe: hex(rec.stored.peId) });
      this.removePe(rec, 'expired');
      return;
    }
    const st = rec.assoc;
    if (rec.kaState === KaState.Waiting) {
      // Woken early (timer resolution): keep waiting in the window queue.
      this.scheduler.scheduleAt(rec, rec.expiresAt);
      return;
    }
    if (rec.kaState === KaState.AwaitingAck) {
      this.counters.keepAliveTimeouts++;
      if (st.received === rec.kaRxMark && rec.kaRetries >= 1) {
        // Nothing at all came from the peer since the keep-alive: it is dead.
        // ABORT the association; that removes every PE registered over it.
        this.counters.associationsAbortedByKeepAlive++;
        this.logger.info('keep-alive-timeout', { pool: handleText(rec.stored.poolHandle), pe: hex(rec.stored.peId), remote: fmt(st.association.remote), action: 'abort-association', pes: st.pes.size });
        this.abortAssociation(st, 'keep-alive-timeout', 'keep-alive-timeout');
        return;
      }
      if (rec.kaRetries < 1) {
        // The ack is late or lost (or the peer is briefly stalled): try once more.
        rec.kaRetries++;
        this.counters.keepAliveRetries++;
        this.sendKeepAlive(rec, now);
        return;
      }
      this.logger.info('keep-alive-timeout', { pool: handleText(rec.stored.poolHandle), pe: hex(rec.stored.peId), remote: fmt(st.association.remote), action: 'remove-pe' });
      if (rec.euProbe) {
        // Reported unreachable and silent when asked: now it goes.
        this.counters.pesRemovedUnreachable++;
        this.removePe(rec, 'unreachable');
      } else {
        this.removePe(rec, 'keep-alive-timeout');
      }
      return;
    }
    // Idle: a keep-alive is due, unless the PE proved itself recently.
    const since = now - rec.confirmedAt;
    if (since < this.options.keepAliveInterval * (1 - this.options.keepAliveJitter)) {
      this.scheduler.scheduleAt(rec, Math.min(rec.confirmedAt + jitteredDelay(this.options.keepAliveInterval, this.options.keepAliveJitter, this.options.random), rec.expiresAt));
      return;
    }
    if (st.kaInFlight >= this.options.keepAliveWindow) {
      // Flow control: a peer that is slow to answer is not flooded; this
      // keep-alive waits until an earlier one is answered. Its registration
      // life still ends it (expiry entry kept in the scheduler).
      this.counters.keepAlivesDeferred++;
      rec.kaState = KaState.Waiting;
      st.kaWaiting.push(rec);
      if (rec.expiresAt !== Infinity) this.scheduler.scheduleAt(rec, rec.expiresAt);
      return;
    }
    this.sendKeepAlive(rec, now);
  }

  /** Leaves the awaiting-ack (or waiting) state: ack, re-registration, removal. */
  private clearAwaiting(rec: PeRecord): void {
    if (rec.kaState === KaState.AwaitingAck) {
      rec.kaState = KaState.Idle;
      const st = rec.assoc;
      st.kaInFlight--;
      if (st.kaHead < st.kaWaiting.length && !st.closed) this.pumpKeepAlives(st);
    } else if (rec.kaState === KaState.Waiting) {
      rec.kaState = KaState.Idle; // lazily dropped from the waiting queue
    }
  }

  /** Sends waiting keep-alives while the association's window has room. */
  private pumpKeepAlives(st: AssociationState): void {
    const q = st.kaWaiting;
    const now = this.clock.now();
    while (st.kaInFlight < this.options.keepAliveWindow && st.kaHead < q.length) {
      const rec = q[st.kaHead]!;
      q[st.kaHead++] = undefined as unknown as PeRecord;
      if (rec.kaState !== KaState.Waiting || rec.assoc !== st || this.records.get(rec.stored) !== rec) continue;
      this.sendKeepAlive(rec, now);
    }
    if (st.kaHead === q.length) {
      q.length = 0;
      st.kaHead = 0;
    } else if (st.kaHead > 1024 && st.kaHead * 2 > q.length) {
      q.splice(0, st.kaHead);
      st.kaHead = 0;
    }
  }

  /**
   * ENRP takeover hook (spec §12.10 step 3, §12.5 step 6): starts
   * supervising PEs this registrar now owns although they did not register
   * here. `association` was opened to their ASAP transport; ASAP is served on
   * it and each PE gets an Endpoint Keep-Alive with the H bit, so it adopts
   * this registrar as its home; from then on it is kept alive like any other.
   */
  /**
   * Opens an association to a PE's ASAP transport from this registrar's ASAP
   * endpoint (the SCTP port PEs know it by), for adopting PEs after a
   * takeover: the Endpoint Keep-Alive with the H bit, and the PE's later
   * registrations, then travel on the ASAP port as at the reference, not on
   * the ENRP port.
   *
   * @throws ClosedError when the registrar has no ASAP endpoint (not started or closed)
   */
  connectFromAsap(remote: TransportAddress, options: ConnectOptions = {}): Promise<Association> {
    const v6 = remote.address.includes(':');
    const endpoint = this.endpoints.find((e) => e.local.address.includes(':') === v6) ?? this.endpoints[0];
    if (endpoint === undefined || this.state !== 'running') return Promise.reject(new ClosedError('Registrar is not running'));
    return endpoint.connect(remote, options);
  }

  adopt(association: Association, pes: readonly PoolElement[]): void {
    const find = (): AssociationState | undefined => [...this.associations].find((s) => s.association === association);
    let st = find();
    if (st === undefined) {
      this.addAssociation(association);
      st = find();
      if (st === undefined) return;
    }
    const now = this.clock.now();
    for (const stored of pes) {
      if (st.closed) break;
      if (!stored.active || stored.homeRegistrarId !== this.id || this.records.has(stored)) continue;
      this.handlespace.setExpiry(stored, Infinity);
      const rec: PeRecord = { stored, assoc: st, kaState: KaState.Idle, kaRetries: 0, kaSentAt: 0, kaRxMark: 0, confirmedAt: now, expiresAt: now + stored.registrationLife, dueAt: 0, heapIndex: -1 };
      this.records.set(stored, rec);
      st.pes.add(rec);
      st.host.addPe(stored.pool);
      this.sendKeepAlive(rec, now, true);
    }
  }

  private sendKeepAlive(rec: PeRecord, now: number, home = false): void {
    const st = rec.assoc;
    if (rec.kaState !== KaState.AwaitingAck) {
      rec.kaState = KaState.AwaitingAck;
      st.kaInFlight++;
    }
    rec.kaSentAt = now;
    rec.kaRxMark = st.received;
    this.scheduler.scheduleAt(rec, Math.min(now + this.options.keepAliveTimeout, rec.expiresAt));
    this.counters.keepAlivesSent++;
    const bytes = this.codec.keepAlive(this.id, rec.stored.poolHandle, rec.stored.peId, home);
    const p = this.send(st, bytes);
    // The ack timeout runs from the moment SCTP took the message, so a long
    // write queue does not turn into false timeouts.
    if (p && st.association.bufferedAmount > 0) {
      const sentAt = rec.kaSentAt;
      p.then(() => {
        if (rec.kaState === KaState.AwaitingAck && rec.kaSentAt === sentAt && this.scheduler.has(rec)) {
          this.scheduler.scheduleAt(rec, Math.min(this.clock.now() + this.options.keepAliveTimeout, rec.expiresAt));
        }
      }, () => {});
    }
  }

  private onKeepAliveAck(st: AssociationState, poolHandle: PoolHandle, peId: number): void {
    const stored = this.handlespace.find(poolHandle, peId);
    const rec = stored ? this.records.get(stored) : undefined;
    if (!rec || rec.assoc !== st) {
      this.logger.debug('keep-alive-ack-unknown', { pool: handleText(poolHandle), pe: hex(peId), remote: fmt(st.association.remote) });
      return;
    }
    this.counters.keepAliveAcks++;
    const now = this.clock.now();
    rec.confirmedAt = now;
    this.proofOfLife(rec);
    if (rec.kaState === KaState.AwaitingAck) {
      this.clearAwaiting(rec);
      rec.kaRetries = 0;
      this.scheduleIdle(rec, now);
    }
  }

  // ------------------------------------------------------ endpoint unreachable

  private onEndpointUnreachable(st: AssociationState, poolHandle: PoolHandle, peId: number): void {
    if (!st.euBucket.take() || !st.host.euBucket.take()) {
      this.counters.rateLimited++;
      this.violation({ kind: 'failure-report-rate', remote: st.association.remote });
      this.replyError(st, { code: ErrorCauseCode.LACK_OF_RESOURCES, info: new Uint8Array(0) });
      return;
    }
    this.counters.failureReports++;
    const stored = this.handlespace.find(poolHandle, peId);
    const rec = stored ? this.records.get(stored) : undefined;
    if (!rec) return;
    // Reports count once per reporting host, and only until the PE answers
    // a keep-alive again (RFC 5355 §3.5: false reports must not remove a
    // healthy PE).
    const reporters = (rec.reporters ??= new Set());
    if (!reporters.has(st.host.key) && reporters.size < this.options.maxBadPeReports) reporters.add(st.host.key);
    const count = reporters.size;
    rec.stored.unreachableReports = count;
    this.logger.info('failure-report', { pool: handleText(poolHandle), pe: hex(peId), reports: count, remote: fmt(st.association.remote) });
    if (this.listenerCount('failure-report') > 0) this.emit('failure-report', { poolHandle, peId, reports: count, remote: st.association.remote });
    if (count >= this.options.maxBadPeReports && !rec.euProbe) {
      // Ask the PE itself before removing it: one that answers stays.
      rec.euProbe = true;
      this.counters.unreachableProbes++;
      if (rec.kaState !== KaState.AwaitingAck) this.sendKeepAlive(rec, this.clock.now());
    }
  }

  /** The PE answered (keep-alive ack or re-registration): failure reports start over. */
  private proofOfLife(rec: PeRecord): void {
    if (rec.euProbe) this.counters.unreachableProbesAnswered++;
    rec.euProbe = false;
    rec.reporters = undefined;
    rec.stored.unreachableReports = 0;
  }

  /** Probes the PE of a (possibly dead) owner association with a keep-alive unless one is outstanding. */
  private probeOwner(rec: PeRecord): void {
    if (rec.kaState !== KaState.AwaitingAck && !rec.assoc.closed) this.sendKeepAlive(rec, this.clock.now());
  }

  // ------------------------------------------------------- removal and closing

  /** The one place PEs leave the handlespace. */
  private removePe(rec: PeRecord, reason: RemovalReason): void {
    if (this.records.get(rec.stored) !== rec) return;
    this.clearAwaiting(rec);
    this.scheduler.cancel(rec);
    this.records.delete(rec.stored);
    rec.assoc.pes.delete(rec);
    rec.assoc.host.removePe(rec.stored.pool);
    this.handlespace.remove(rec.stored);
    if (reason !== 'registrar-closed' && reason !== 'association-closed' && this.logger.enabled('info')) {
      this.logger.info('removed', { pool: handleText(rec.stored.poolHandle), pe: hex(rec.stored.peId), reason });
    }
    if (this.listenerCount('change') > 0) this.commit({ action: 'del', poolHandle: rec.stored.poolHandle, pe: rec.stored.toParam(), reason });
  }

  /** Every local handlespace change ends here (the ENRP seam). */
  private commit(change: HandlespaceChange): void {
    this.emit('change', change);
  }

  /** Aborts an association; its PEs leave with `removal` (a PE reported unreachable with `unreachable` when that is `keep-alive-timeout`). */
  private abortAssociation(st: AssociationState, reason: string, removal: RemovalReason = 'association-closed'): void {
    st.removal = removal;
    try {
      st.association.abort(reason);
    } catch {
      // already gone
    }
    // Do not wait for the close event: clean up now.
    this.onAssociationClose(st, 'abort');
  }

  /** Marks an association closed and gives its host slot back (once). */
  private retire(st: AssociationState): void {
    if (st.closed) return;
    st.closed = true;
    this.associations.delete(st);
    this.hosts.release(st.host);
  }

  private onAssociationClose(st: AssociationState, reason: CloseReason): void {
    if (st.closed) return;
    this.retire(st);
    this.counters.associationsClosed++;
    const n = st.pes.size;
    for (const rec of [...st.pes]) {
      // Aborted for unanswered keep-alives: say so (and that pool users had reported it), not just "closed".
      const why: RemovalReason = st.removal === 'keep-alive-timeout' && rec.euProbe ? 'unreachable' : st.removal;
      if (why === 'unreachable') this.counters.pesRemovedUnreachable++;
      else if (why === 'association-closed') this.counters.pesRemovedAssociationClosed++;
      this.removePe(rec, why);
    }
    if (n > 0 || this.logger.enabled('debug')) {
      this.logger[n > 0 ? 'info' : 'debug']('association-closed', { remote: fmt(st.association.remote), reason, pesRemoved: n });
    }
  }

  private armIdleSweep(): void {
    const timeout = this.options.idleAssociationTimeout;
    if (timeout <= 0) return;
    const period = Math.max(1000, Math.min(30_000, timeout / 4));
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.state === 'closing' || this.state === 'closed') return;
      const now = this.clock.now();
      for (const st of [...this.associations]) {
        if (st.pes.size === 0 && now - st.lastReceived >= timeout) {
          this.counters.associationsIdleClosed++;
          this.logger.debug('association-idle', { remote: fmt(st.association.remote) });
          this.retire(st);
          this.counters.associationsClosed++;
          st.association.close().catch(() => st.association.abort('idle'));
        }
      }
      this.armIdleSweep();
    }, period);
  }

  // ----------------------------------------------------------------- helpers

  private send(st: AssociationState, bytes: Uint8Array): Promise<void> | undefined {
    if (st.closed || !st.association.open) return undefined;
    if (st.association.bufferedAmount + bytes.length > this.options.maxUnsentBytes) {
      // A peer that does not read its replies must not grow our memory without bound.
      this.counters.associationsAbortedUnsent++;
      this.violation({ kind: 'unsent-limit', remote: st.association.remote, detail: `${st.association.bufferedAmount} bytes unsent` });
      this.abortAssociation(st, 'peer does not read');
      return undefined;
    }
    try {
      // Every reply is freshly encoded and never touched again: no copy.
      const p = sendHandedOver(st.association, bytes, { ppid: PPID_ASAP });
      p.catch(() => {
        this.counters.sendFailures++;
      });
      return p;
    } catch {
      this.counters.sendFailures++;
      return undefined;
    }
  }

  private replyError(st: AssociationState, cause: ErrorCause): void {
    if (!st.errBucket.take()) {
      this.counters.errorRepliesSuppressed++;
      return;
    }
    this.counters.errorsSent++;
    this.send(st, this.codec.error(cause));
  }

  private violation(v: RegistrarViolation): void {
    // A flood of bad input must not become a flood of log lines.
    if (this.violationLog.take()) {
      this.logger.warn('violation', { kind: v.kind, remote: fmt(v.remote), detail: v.detail, suppressed: this.violationsSuppressed || undefined });
      this.violationsSuppressed = 0;
    } else {
      this.violationsSuppressed++;
    }
    if (this.listenerCount('violation') > 0) this.emit('violation', v);
  }

  private makeAddressFilter(listen: readonly TransportAddress[]): AddressFilter {
    const allowLoopback = listen.some((a) => isWildcardAddress(a.address) || addressScope(a.address) === 'loopback');
    return new AddressFilter({
      minScope: this.options.minAddressScope,
      allowLoopback,
      requireAssociationAddress: this.options.checkAssociationAddresses,
    });
  }

  /** SCTP transport parameters to put in announces. */
  private announceTransports(): TransportParam[] {
    const list = this.options.announceAddresses ?? this.boundAddresses;
    const byPort = new Map<number, string[]>();
    for (const a of list) {
      const addrs = isWildcardAddress(a.address) ? hostAddresses(a.address.includes(':')) : [a.address];
      byPort.set(a.port, [...(byPort.get(a.port) ?? []), ...addrs]);
    }
    return [...byPort].map(([port, addresses]) => ({ protocol: 'sctp', port, transportUse: 0, addresses: [...new Set(addresses)] }));
  }
}

/** Addresses of this host for announces when listening on a wildcard. */
function hostAddresses(v6: boolean): string[] {
  // Imported lazily to keep the module free of OS calls at import time.
  const nets = osNetworkInterfaces();
  const out: string[] = [];
  for (const list of Object.values(nets)) {
    for (const n of list ?? []) {
      if (n.internal) continue;
      if (n.family === 'IPv4' || (v6 && n.family === 'IPv6' && !n.address.startsWith('fe80'))) out.push(n.address);
    }
  }
  return out.length > 0 ? out : [v6 ? '::1' : '127.0.0.1'];
}

import { networkInterfaces as osNetworkInterfaces } from 'node:os';

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

function fmt(a: TransportAddress): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** Pool handle as text for logs: printable ASCII as is, else hex. */
function handleText(h: Uint8Array): string {
  for (let i = 0; i < h.length; i++) {
    const c = h[i]!;
    if (c < 0x20 || c > 0x7e) return '0x' + Buffer.from(h).toString('hex');
  }
  return Buffer.from(h).toString('latin1');
}
