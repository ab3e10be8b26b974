/**
 * Options of the ASAP instance and of its operations, with their defaults
 * (spec §10.1; request and connect timeouts are shorter than the RFC's,
 * because registrars answer in milliseconds on LANs and loopback).
 *
 * @module
 */
import type { TransportOptions } from '../transport/endpoint-factory.js';
import type { Clock } from '../clock.js';
import type { Endpoint, FailureDetectionOptions, TransportAddress } from '../transport/types.js';
import type { TlsOptions } from '../transport/tls.js';
import type { PolicyName, TransportParam } from '../wire/types.js';
import type { PolicyOptions } from './policy-options.js';
import type { ServerHuntOptions } from './server-hunt.js';

/** Default ASAP announce group (spec §1). */
export const DEFAULT_ANNOUNCE_ADDRESS = '239.0.0.50:3863';

/** Creates the instance's SCTP endpoint (listening, so registrars can connect to a PE). */
export type EndpointFactory = (options: { address: string; port: number }) => Promise<Endpoint>;

/** A source of ASAP Server Announce datagrams (a UDP multicast channel). */
export interface AnnounceListener {
  /** Stops listening and releases the socket. */
  close(): void | Promise<void>;
}

/**
 * Opens an announce listener on `group` (`ADDR:PORT`); `onDatagram` gets
 * every datagram with its UDP source.
 */
export type AnnounceListenerFactory = (group: TransportAddress, onDatagram: (data: Uint8Array, source: TransportAddress) => void) => Promise<AnnounceListener>;

/** Options of an {@link AsapInstance}; every field is optional. */
export interface AsapInstanceOptions {
  /**
   * Static registrars, `HOST:PORT` strings (or one string separated by
   * commas/spaces). Default: the `RSP_REGISTRARS` environment variable; when
   * neither gives any, registrars are learned from announces only.
   */
  registrars?: string | ReadonlyArray<string | TransportAddress>;
  /**
   * Announce group to listen on (`ADDR:PORT`), or `false` for none. Default:
   * `239.0.0.50:3863` when no static registrar is configured, else `false`.
   */
  announce?: string | false;
  /** Local interface address used to join the announce group (default: the kernel's choice; `127.0.0.1` for loopback tests). */
  announceInterface?: string;
  /** Environment consulted for `RSP_REGISTRARS`; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Local address of the instance's SCTP endpoint. Default: `127.0.0.1`
   * (`::1`) when every static registrar is on loopback, else `0.0.0.0`
   * (`::` when every static registrar has an IPv6 address).
   */
  localAddress?: string;
  /**
   * Local SCTP (= UDP) port of the endpoint; registrars reach a PE there
   * after a takeover. Default 0 (ephemeral).
   */
  localPort?: number;
  /** Time to wait for a registrar's response, ms (RFC T1–T3: 15/30 s; RSPLIB 3 s). Default 2000. */
  requestTimeout?: number;
  /**
   * Attempts per request; after a timeout the registrar association is
   * dropped and a new server hunt starts before the next attempt
   * (RFC MAX-REQUEST-RETRANSMIT / MAX-REG-ATTEMPT). Default 2.
   */
  requestMaxTrials?: number;
  /**
   * Requests (registrations, resolutions…) outstanding at the registrar at
   * once; more wait locally, so a burst (e.g. 1,000 PEs registering) does
   * not turn into timeouts. Default 64.
   */
  maxOutstandingRequests?: number;
  /** Server hunt tuning (parallel attempts, connect timeout, trials, back-off). */
  hunt?: ServerHuntOptions;
  /** Lifetime of a registrar learned from announces, ms (RFC T7-ENRPoutdate). Default 5000. */
  announceTimeout?: number;
  /** How long handle-resolution results stay in the PU-side cache, ms. Default 5000; 0 disables the cache. */
  staleCacheValue?: number;
  /** Default re-registration interval of PEs, ms. Default 30000. */
  reregistrationInterval?: number;
  /** SCTP failure detection of registrar associations. */
  failureDetection?: FailureDetectionOptions;
  /** Time source; default the system clock. */
  clock?: Clock;
  /**
   * Transport of the instance's endpoint (registrar associations): mode
   * (`udp` default, `udp-standard`, `raw`) and tuning. Ignored with
   * {@link AsapInstanceOptions.endpointFactory}.
   */
  transport?: TransportOptions;
  /** Creates the SCTP endpoint; default: an endpoint in the {@link AsapInstanceOptions.transport} mode. */
  endpointFactory?: EndpointFactory;
  /** Opens the announce listener; default: the UDP multicast channel of `src/transport`. */
  announceListenerFactory?: AnnounceListenerFactory;
  /**
   * Mutual TLS on every association with registrars (off by default). A
   * registrar that opens an association to this instance (takeover) must
   * present a valid certificate too; `registrarNames` narrows which
   * identities count as registrars.
   */
  tls?: AsapTlsOptions;
}

/** TLS settings of an ASAP instance. */
export interface AsapTlsOptions extends TlsOptions {
  /**
   * Certificate identities (patterns, `*` = any run of characters) that may
   * act as registrars: serve this instance and adopt its PEs. Default: every
   * identity with a valid certificate.
   */
  registrarNames?: string[];
}

/** Resolved numeric defaults of {@link AsapInstanceOptions}. */
export const ASAP_INSTANCE_DEFAULTS = {
  requestTimeout: 2000,
  requestMaxTrials: 2,
  announceTimeout: 5000,
  staleCacheValue: 5000,
  reregistrationInterval: 30_000,
  maxOutstandingRequests: 64,
} as const;

/** Options of `register()`. */
export interface RegisterOptions {
  /**
   * Port of the PE's user transport (where pool users reach it). 0 or
   * absent: a free UDP/SCTP port is picked (see `Registration.port`). Basic
   * Mode does not open this port; the application serves on it.
   */
  port?: number;
  /**
   * Addresses of the user transport. Default: the local address of the
   * registrar association (loopback registrar → `127.0.0.1`; a wildcard
   * local address is replaced by this host's first non-internal address).
   */
  addresses?: string[];
  /** Transport protocol of the user transport. Default `'sctp'`. */
  protocol?: TransportParam['protocol'];
  /** Register "data plus control" (ASAP control channel on the data association). Default false. */
  controlChannel?: boolean;
  /** Selection policy with fractions 0..1, or a policy name. Default `'round-robin'`. */
  policy?: PolicyOptions | PolicyName;
  /** Fixed PE identifier (1..0xfffffffe); default random. */
  peId?: number;
  /** Re-registration interval, ms. Default: the instance's (30000). */
  reregistrationInterval?: number;
  /** Registration life sent to the registrar, ms. Default 3 × the interval. */
  registrationLife?: number;
  /** Cancels the initial registration. */
  signal?: AbortSignal;
}

/** Options of `resolve()`. */
export interface ResolveOptions {
  /**
   * Maximum number of PEs returned (in selection order, best first). Also
   * sent to the registrar as Handle Resolution Option when the cache is off
   * or `Infinity` is given (spec §8). Default: every PE the registrar
   * returned (registrar default: 3).
   */
  items?: number;
  /** `false` bypasses the PU-side cache (always asks the registrar, caches nothing). Default true. */
  cache?: boolean;
  /** Cache lifetime of the answer, ms. Default: the instance's `staleCacheValue`. */
  staleCacheValue?: number;
  signal?: AbortSignal;
}

/** A pool element as returned by `resolve()` — like a `getaddrinfo` result. */
export interface PoolElementInfo {
  /** PE identifier. */
  id: number;
  /** Transport protocol of the user transport. */
  protocol: TransportParam['protocol'];
  /** Where to reach the PE: one entry per address, all with the same port. */
  addresses: TransportAddress[];
  /** The user transport as registered (raw wire form). */
  transport: TransportParam;
  /** Policy information with fractions 0..1 (e.g. `load`). */
  policy: PolicyOptions;
  /** Home registrar of the PE. */
  homeRegistrarId: number;
  /** Registration life in ms (informational). */
  registrationLife: number;
}
