/**
 * Options of the {@link Registrar} with their defaults (spec §10).
 *
 * Every option is optional; {@link resolveRegistrarOptions} fills in the
 * defaults listed in {@link REGISTRAR_DEFAULTS} and validates the values.
 *
 * @module
 */
import { checkTransportMode, type TransportOptions } from '../transport/endpoint-factory.js';
import { checkIpv6HostPrefix, DEFAULT_IPV6_HOST_PREFIX } from '../transport/host-key.js';
import { randomInt } from 'node:crypto';
import type { Clock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import type { Endpoint, FailureDetectionOptions, TransportAddress } from '../transport/types.js';
import type { Logger } from './logger.js';
import type { MinAddressScope } from './address-filter.js';
import type { RateLimit } from './rate-limiter.js';
import type { TlsOptions } from '../transport/tls.js';
import type { Authorization } from './authorization.js';

/** Default ASAP port (SCTP, and UDP for announces). */
export const ASAP_PORT = 3863;

/** Hard cap of handle-resolution items per response (spec §8). */
export const MAX_MAX_HRES_ITEMS = 128;

/**
 * Creates the SCTP endpoint the registrar listens on. The default creates a
 * UDP-encapsulation endpoint (`src/transport/udp-endpoint.ts`) bound to
 * `address`.
 */
export type EndpointFactory = (address: TransportAddress) => Promise<Endpoint>;

/** A UDP multicast sender used for Server Announces. */
export interface AnnounceSender {
  /** Sends one datagram to the announce group. */
  send(data: Uint8Array): Promise<void> | void;
  /** Releases the socket. */
  close(): Promise<void> | void;
}

/** Creates the {@link AnnounceSender} for a group address. */
export type AnnounceSenderFactory = (group: TransportAddress, options: { ttl: number; interface?: string; loopback: boolean }) => Promise<AnnounceSender>;

/** Options of the {@link Registrar}. All are optional. */
export interface RegistrarOptions {
  /**
   * ASAP endpoints to listen on, as `{ address, port }` or `'ADDR:PORT'`
   * (`'[v6]:PORT'` for IPv6). Port 0 picks an ephemeral port (see
   * `Registrar.addresses` after `start()`). Default `0.0.0.0:3863`.
   */
  asap?: (TransportAddress | string)[];
  /**
   * Registrar (server) identifier, a non-zero 32-bit value. Default: random
   * in 1..0xffffffff.
   */
  registrarId?: number;
  /**
   * UDP group for ASAP Server Announces, or `false` for none.
   * Default `239.0.0.50:3863`.
   */
  announce?: TransportAddress | string | false;
  /** Announce period in ms (default 1000, jittered ±12.5 %). */
  announceInterval?: number;
  /** Multicast TTL of announces (default 30). */
  announceTtl?: number;
  /** Local interface address for multicast announces (default: the system's choice). */
  announceInterface?: string;
  /** Deliver announces to listeners on this host too (multicast loopback, default true). */
  announceLoopback?: boolean;
  /**
   * Transport addresses to advertise in announces (SCTP transport parameter).
   * Default: the listening addresses, with wildcard addresses replaced by
   * `127.0.0.1` only when nothing better is known.
   */
  announceAddresses?: (TransportAddress | string)[];

  /** Endpoint keep-alive transmission interval in ms (default 5000). */
  keepAliveInterval?: number;
  /** Time in ms to wait for a Keep-Alive Ack (default 5000). */
  keepAliveTimeout?: number;
  /** Relative jitter of the keep-alive interval (default 0.125 = ±12.5 %). */
  keepAliveJitter?: number;
  /** Keep-alives handled per scheduler wake-up before yielding to I/O (default 1000). */
  keepAliveBatchSize?: number;
  /**
   * Most unanswered keep-alives per association (default 256); further due
   * keep-alives wait, so a slow peer with many PEs is not flooded into
   * false timeouts.
   */
  keepAliveWindow?: number;
  /**
   * Most keep-alive events (sends, ack timeouts, expiries) handled per
   * second (default 25000; 0 = unlimited). Below it every PE is checked every
   * interval (100,000 PEs at the default 5 s interval are 20,000 per second);
   * with more PEs than that the interval stretches instead of overloading
   * the registrar, its transport and its peers (a dead association is still
   * found within about one timeout, because any unanswered keep-alive on it
   * aborts it).
   */
  maxKeepAliveRate?: number;

  /** Endpoint Unreachable reports after which a PE is removed (MAX-BAD-PE-REPORT, default 3). */
  maxBadPeReports?: number;
  /** PEs per handle resolution response when the request does not say (default 3, cap 128). */
  maxHresItems?: number;
  /** Most PEs whose selection state advances per resolution (0 = the policy's default). */
  maxIncrement?: number;

  /** Narrowest accepted scope of registered addresses (default `site-local`). */
  minAddressScope?: MinAddressScope;
  /**
   * Keep only user-transport addresses that are remote addresses of the
   * registering association (default true; RFC 5355).
   */
  checkAssociationAddresses?: boolean;

  /** Longest accepted pool handle in bytes (default 32, as the reference). */
  maxPoolHandleLength?: number;
  /** Most PEs registered over one association (default 65536). */
  maxPesPerAssociation?: number;
  /** Most PEs in the handlespace (default 1,000,000). */
  maxPes?: number;
  /** Most pools in the handlespace (default 100,000). */
  maxPools?: number;
  /** Most concurrent ASAP associations; extra ones are aborted (default 10,000). */
  maxAssociations?: number;
  /** Largest accepted ASAP message in bytes (default 16384); larger ones are refused. */
  maxMessageSize?: number;
  /**
   * Most concurrent ASAP associations from one remote host (default: half of
   * `maxAssociations`, so one host cannot lock out the others).
   */
  maxAssociationsPerHost?: number;
  /** Most pools one remote host may have PEs in (default: half of `maxPools`). */
  maxPoolsPerHost?: number;
  /**
   * IPv6 prefix length that counts as one remote host for every per-host
   * limit, the distinct reporters of failure reports and the TLS handshake cap
   * (default 64: a host usually owns its /64; 128 = per address). IPv4 counts
   * per address; loopback and link-local IPv6 per address.
   */
  ipv6HostPrefix?: number;
  /** Handle resolutions per remote host over all its associations (default 5000/s, burst 10,000). */
  hostHandleResolutionRate?: RateLimit;
  /** Endpoint Unreachable reports per remote host over all its associations (default 100/s, burst 200). */
  hostFailureReportRate?: RateLimit;
  /**
   * Most bytes waiting to be sent on one association; a peer that does not
   * read its replies beyond that is aborted (default 2 MiB).
   */
  maxUnsentBytes?: number;
  /**
   * Mutual TLS on every ASAP association (off by default, so the reference
   * implementation interoperates). Peers without a certificate signed by
   * `ca` are refused.
   */
  tls?: TlsOptions;
  /**
   * With TLS: which certificate identities may register into which pools
   * (see `Authorization`). Without it any valid certificate may register.
   */
  authorization?: Authorization;
  /** Handle resolutions per association (default 1000/s, burst 2000). `{ rate: 0 }` disables. */
  handleResolutionRate?: RateLimit;
  /** Endpoint Unreachable reports per association (default 100/s, burst 200). */
  failureReportRate?: RateLimit;
  /** Registrations/deregistrations per association (default 10,000/s, burst 70,000). */
  registrationRate?: RateLimit;
  /** ASAP_ERROR replies per association (default 10/s, burst 20); beyond it bad input is only counted. */
  errorReplyRate?: RateLimit;
  /** Close associations that carry no PE and were idle this long, in ms (default 300,000; 0 = never). */
  idleAssociationTimeout?: number;

  /**
   * SCTP failure detection of the registrar's associations (used by the
   * default endpoint factory). Default: tolerant values (heartbeat 1 s, RTO
   * 100 ms..1 s, 8 retransmissions: about 10 s of silence) because PE
   * liveness is judged by keep-alives, and a registrar that is briefly busy
   * must not declare thousands of healthy associations dead.
   */
  failureDetection?: FailureDetectionOptions;

  /**
   * Transport of the ASAP endpoints (and, unless ENRP is given its own, of
   * ENRP): mode (`udp` default, `udp-standard`, `raw`) and tuning, which
   * overrides {@link RegistrarOptions.failureDetection}.
   */
  transport?: TransportOptions;

  /** Time source (default: the system clock). */
  clock?: Clock;
  /** Uniform random source in [0, 1) for jitter (default `Math.random`). */
  random?: () => number;
  /** Logger (default: silent). */
  logger?: Logger;
  /** Creates listening endpoints (default: UDP-encapsulated SCTP). */
  createEndpoint?: EndpointFactory;
  /** Creates the announce sender (default: UDP multicast from `src/transport/`). */
  createAnnounceSender?: AnnounceSenderFactory;
}

/** {@link RegistrarOptions} with every default filled in. */
export interface ResolvedRegistrarOptions
  extends Required<Omit<RegistrarOptions, 'failureDetection' | 'transport' | 'asap' | 'announce' | 'announceInterface' | 'announceAddresses' | 'clock' | 'logger' | 'createEndpoint' | 'createAnnounceSender' | 'handleResolutionRate' | 'failureReportRate' | 'registrationRate' | 'errorReplyRate' | 'hostHandleResolutionRate' | 'hostFailureReportRate' | 'tls' | 'authorization'>> {
  tls: TlsOptions | undefined;
  authorization: Authorization | undefined;
  hostHandleResolutionRate: RateLimit;
  hostFailureReportRate: RateLimit;
  asap: TransportAddress[];
  announce: TransportAddress | false;
  failureDetection: FailureDetectionOptions;
  transport: TransportOptions;
  announceInterface: string | undefined;
  announceAddresses: TransportAddress[] | undefined;
  handleResolutionRate: RateLimit;
  failureReportRate: RateLimit;
  registrationRate: RateLimit;
  errorReplyRate: RateLimit;
}

/** Default values of every numeric and flag option (spec §10). */
export const REGISTRAR_DEFAULTS = {
  asap: '0.0.0.0:3863',
  announce: '239.0.0.50:3863',
  announceInterval: 1000,
  announceTtl: 30,
  announceLoopback: true,
  keepAliveInterval: 5000,
  keepAliveTimeout: 5000,
  keepAliveJitter: 0.125,
  keepAliveBatchSize: 1000,
  keepAliveWindow: 256,
  maxKeepAliveRate: 25_000,
  maxBadPeReports: 3,
  maxHresItems: 3,
  maxIncrement: 0,
  minAddressScope: 'site-local' as MinAddressScope,
  checkAssociationAddresses: true,
  maxPoolHandleLength: 32,
  maxPesPerAssociation: 65536,
  maxPes: 1_000_000,
  maxPools: 100_000,
  maxAssociations: 10_000,
  maxMessageSize: 16384,
  handleResolutionRate: { rate: 1000, burst: 2000 } as RateLimit,
  failureReportRate: { rate: 100, burst: 200 } as RateLimit,
  registrationRate: { rate: 10_000, burst: 70_000 } as RateLimit,
  errorReplyRate: { rate: 10, burst: 20 } as RateLimit,
  hostHandleResolutionRate: { rate: 5000, burst: 10_000 } as RateLimit,
  hostFailureReportRate: { rate: 100, burst: 200 } as RateLimit,
  maxUnsentBytes: 2 * 1024 * 1024,
  idleAssociationTimeout: 300_000,
  failureDetection: { heartbeatInterval: 1000, rtoMin: 100, rtoMax: 1000, maxRetransmissions: 8 } as FailureDetectionOptions,
} as const;

/**
 * Parses `'ADDR:PORT'`, `'[V6]:PORT'` or `'PORT'`-less `'ADDR'` (then
 * `defaultPort`) into a transport address.
 *
 * @throws InvalidArgumentError on malformed text
 */
export function parseTransportAddress(text: string, defaultPort = ASAP_PORT): TransportAddress {
  const s = text.trim();
  let address: string;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    address = v6[1]!;
    port = v6[2];
  } else if ((s.match(/:/g) ?? []).length > 1) {
    address = s; // bare IPv6 without port
  } else {
    const i = s.lastIndexOf(':');
    address = i >= 0 ? s.slice(0, i) : s;
    port = i >= 0 ? s.slice(i + 1) : undefined;
  }
  const p = port === undefined ? defaultPort : Number(port);
  if (address === '' || !/^\d+$/.test(String(p)) || p < 0 || p > 65535) {
    throw new InvalidArgumentError(`Invalid transport address "${text}" (expected ADDR:PORT)`);
  }
  return { address, port: p };
}

/** Formats a transport address as `ADDR:PORT` (`[V6]:PORT` for IPv6). */
export function formatTransportAddress(a: TransportAddress): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

function toAddress(a: TransportAddress | string): TransportAddress {
  return typeof a === 'string' ? parseTransportAddress(a) : { address: a.address, port: a.port };
}

function positive(name: string, v: number, allowZero = false): number {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new InvalidArgumentError(`Registrar option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number (got ${v})`);
  }
  return v;
}

function integer(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(`Registrar option ${name} must be an integer in ${min}..${max} (got ${v})`);
  }
  return v;
}

function rate(name: string, v: RateLimit): RateLimit {
  if (v === null || typeof v !== 'object' || !(v.rate >= 0) || (v.burst !== undefined && !(v.burst >= 1))) {
    throw new InvalidArgumentError(`Registrar option ${name} must be { rate >= 0, burst >= 1 }`);
  }
  return { rate: v.rate, burst: v.burst ?? Math.max(1, v.rate) };
}

/** A random registrar identifier in 1..0xffffffff. */
export function randomRegistrarId(): number {
  return randomInt(1, 0x100000000);
}

/**
 * Fills in defaults and validates.
 *
 * @throws InvalidArgumentError for an invalid value
 */
export function resolveRegistrarOptions(o: RegistrarOptions = {}): ResolvedRegistrarOptions {
  const d = REGISTRAR_DEFAULTS;
  const asap = (o.asap && o.asap.length > 0 ? o.asap : [d.asap]).map(toAddress);
  const announce = o.announce === false ? false : toAddress(o.announce ?? d.announce);
  const registrarId = o.registrarId ?? randomRegistrarId();
  integer('registrarId', registrarId, 1, 0xffffffff);
  const minAddressScope = o.minAddressScope ?? d.minAddressScope;
  if (!['loopback', 'link-local', 'site-local', 'global'].includes(minAddressScope)) {
    throw new InvalidArgumentError(`Registrar option minAddressScope must be loopback, link-local, site-local or global (got ${String(minAddressScope)})`);
  }
  const jitter = o.keepAliveJitter ?? d.keepAliveJitter;
  const maxAssociations = integer('maxAssociations', o.maxAssociations ?? d.maxAssociations, 1);
  const maxPools = integer('maxPools', o.maxPools ?? d.maxPools, 1);
  if (!(jitter >= 0 && jitter < 1)) throw new InvalidArgumentError(`Registrar option keepAliveJitter must be in [0, 1) (got ${jitter})`);
  return {
    asap,
    registrarId,
    announce,
    announceInterval: positive('announceInterval', o.announceInterval ?? d.announceInterval),
    announceTtl: integer('announceTtl', o.announceTtl ?? d.announceTtl, 0, 255),
    announceInterface: o.announceInterface,
    announceLoopback: o.announceLoopback ?? d.announceLoopback,
    announceAddresses: o.announceAddresses?.map(toAddress),
    keepAliveInterval: positive('keepAliveInterval', o.keepAliveInterval ?? d.keepAliveInterval),
    keepAliveTimeout: positive('keepAliveTimeout', o.keepAliveTimeout ?? d.keepAliveTimeout),
    keepAliveJitter: jitter,
    keepAliveBatchSize: integer('keepAliveBatchSize', o.keepAliveBatchSize ?? d.keepAliveBatchSize, 1),
    keepAliveWindow: integer('keepAliveWindow', o.keepAliveWindow ?? d.keepAliveWindow, 1),
    maxKeepAliveRate: positive('maxKeepAliveRate', o.maxKeepAliveRate ?? d.maxKeepAliveRate, true),
    maxBadPeReports: integer('maxBadPeReports', o.maxBadPeReports ?? d.maxBadPeReports, 1),
    maxHresItems: integer('maxHresItems', o.maxHresItems ?? d.maxHresItems, 1, MAX_MAX_HRES_ITEMS),
    maxIncrement: integer('maxIncrement', o.maxIncrement ?? d.maxIncrement, 0),
    minAddressScope,
    checkAssociationAddresses: o.checkAssociationAddresses ?? d.checkAssociationAddresses,
    maxPoolHandleLength: integer('maxPoolHandleLength', o.maxPoolHandleLength ?? d.maxPoolHandleLength, 1, 65000),
    maxPesPerAssociation: integer('maxPesPerAssociation', o.maxPesPerAssociation ?? d.maxPesPerAssociation, 1),
    maxPes: integer('maxPes', o.maxPes ?? d.maxPes, 1),
    maxPools,
    maxAssociations,
    maxAssociationsPerHost: integer('maxAssociationsPerHost', o.maxAssociationsPerHost ?? Math.max(1, Math.floor(maxAssociations / 2)), 1),
    maxPoolsPerHost: integer('maxPoolsPerHost', o.maxPoolsPerHost ?? Math.max(1, Math.floor(maxPools / 2)), 1),
    ipv6HostPrefix: checkIpv6HostPrefix('ipv6HostPrefix', o.ipv6HostPrefix ?? DEFAULT_IPV6_HOST_PREFIX),
    hostHandleResolutionRate: rate('hostHandleResolutionRate', o.hostHandleResolutionRate ?? d.hostHandleResolutionRate),
    hostFailureReportRate: rate('hostFailureReportRate', o.hostFailureReportRate ?? d.hostFailureReportRate),
    maxUnsentBytes: integer('maxUnsentBytes', o.maxUnsentBytes ?? d.maxUnsentBytes, 1024),
    tls: o.tls,
    authorization: o.authorization,
    maxMessageSize: integer('maxMessageSize', o.maxMessageSize ?? d.maxMessageSize, 64),
    handleResolutionRate: rate('handleResolutionRate', o.handleResolutionRate ?? d.handleResolutionRate),
    failureReportRate: rate('failureReportRate', o.failureReportRate ?? d.failureReportRate),
    registrationRate: rate('registrationRate', o.registrationRate ?? d.registrationRate),
    errorReplyRate: rate('errorReplyRate', o.errorReplyRate ?? d.errorReplyRate),
    idleAssociationTimeout: positive('idleAssociationTimeout', o.idleAssociationTimeout ?? d.idleAssociationTimeout, true),
    failureDetection: { ...d.failureDetection, ...o.failureDetection },
    transport: { ...d.failureDetection, ...o.failureDetection, ...o.transport, mode: checkTransportMode(o.transport?.mode ?? 'udp') },
    random: o.random ?? Math.random,
  };
}
