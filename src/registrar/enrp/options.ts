/**
 * Options of the ENRP server with their defaults.
 *
 * The timer defaults are chosen so that a registrar killed without warning
 * is declared dead within about 5 s (heartbeat 1 s, MAX-TIME-LAST-HEARD 3.5 s,
 * MAX-TIME-NO-RESPONSE 1.5 s) and taken over within a few round trips after
 * that: well under the 10 s the reference needs with three registrars.
 *
 * @module
 */
import { InvalidArgumentError } from '../../errors.js';
import type { TransportAddress } from '../../transport/types.js';

/** Default ENRP SCTP port (and UDP port of the presence multicast group). */
export const ENRP_PORT = 9901;
/** SCTP payload protocol identifier of ENRP. */
export const ENRP_PPID = 12;
/** Default ENRP presence multicast group. */
export const ENRP_MULTICAST_GROUP = '239.0.0.51:9901';

/** Tunable options of the ENRP server. All are optional. */
export interface EnrpOptions {
  /** Static peers (ENRP transport addresses) to contact at start. */
  peers?: TransportAddress[];
  /** Presence heartbeat period in ms (PEER-HEARTBEAT-CYCLE; default 1000, jittered ±12.5 %). */
  heartbeatInterval?: number;
  /** A peer unheard this long (ms) is probed with a Presence R=1 (MAX-TIME-LAST-HEARD; default 3500). */
  maxTimeLastHeard?: number;
  /** A probed peer that stays silent this long (ms) is declared dead (MAX-TIME-NO-RESPONSE; default 1500). */
  maxTimeNoResponse?: number;
  /** A takeover still waiting for acknowledgements after this long (ms) is decided (default 3000). */
  takeoverExpiry?: number;
  /**
   * An Init Takeover for a peer we still hear is acknowledged after at most
   * this long (ms) unless the target answers our own probe first (default 250).
   * The reference abandons a takeover after 5 s; probing for the full
   * MAX-TIME-NO-RESPONSE before acknowledging could miss that window.
   */
  takeoverAckDelay?: number;
  /** Wait this long (ms) at start for a mentor before serving alone (default 2000). */
  mentorDiscoveryTimeout?: number;
  /** A handle-table request unanswered this long (ms) is retried once, then abandoned (default 5000). */
  requestTimeout?: number;
  /** Most PEs per Handle Table Response (default 512; the reference uses 128). */
  maxElementsPerResponse?: number;
  /** Largest Handle Table Response in bytes (default 64000; the reference uses 1400). */
  maxResponseBytes?: number;
  /** An unfinished handle-table continuation is forgotten after this long idle (ms; default 30000). */
  continuationTimeout?: number;
  /** Relative jitter of the heartbeat (default 0.125). */
  jitter?: number;
  /**
   * Networks (`ADDR/PREFIX`, a single address, or `any`) whose hosts may talk
   * ENRP to this server besides the hosts of {@link EnrpOptions.peers} and
   * registrars discovered by multicast (default none; RFC 5355).
   */
  allow?: string[];
  /** Accept registrars discovered by multicast Presence (default true; no effect without multicast). */
  multicastDiscovery?: boolean;
  /** Most peers in the peer table; Presence from further server ids is ignored (default 64). */
  maxPeers?: number;
}

/** {@link EnrpOptions} with every default filled in. */
export type ResolvedEnrpOptions = Required<EnrpOptions>;

/** Default values of {@link EnrpOptions}. */
export const ENRP_DEFAULTS: Readonly<Omit<ResolvedEnrpOptions, 'peers' | 'allow'>> = {
  heartbeatInterval: 1000,
  maxTimeLastHeard: 3500,
  maxTimeNoResponse: 1500,
  takeoverExpiry: 3000,
  takeoverAckDelay: 250,
  mentorDiscoveryTimeout: 2000,
  requestTimeout: 5000,
  maxElementsPerResponse: 512,
  maxResponseBytes: 64000,
  continuationTimeout: 30000,
  jitter: 0.125,
  multicastDiscovery: true,
  maxPeers: 64,
};

function positive(name: string, v: number, min = 1): number {
  if (!Number.isFinite(v) || v < min) throw new InvalidArgumentError(`ENRP option ${name} must be a number ≥ ${min}, got ${String(v)}`);
  return v;
}

/** Fills in defaults and validates. @throws InvalidArgumentError on a bad value. */
export function resolveEnrpOptions(options: EnrpOptions = {}): ResolvedEnrpOptions {
  const o = { ...ENRP_DEFAULTS, peers: [] as TransportAddress[], allow: [] as string[] };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  positive('heartbeatInterval', o.heartbeatInterval, 10);
  positive('maxTimeLastHeard', o.maxTimeLastHeard, 10);
  positive('maxTimeNoResponse', o.maxTimeNoResponse, 10);
  positive('takeoverExpiry', o.takeoverExpiry, 10);
  positive('takeoverAckDelay', o.takeoverAckDelay, 0);
  positive('mentorDiscoveryTimeout', o.mentorDiscoveryTimeout, 0);
  positive('requestTimeout', o.requestTimeout, 10);
  positive('maxElementsPerResponse', o.maxElementsPerResponse, 1);
  positive('maxResponseBytes', o.maxResponseBytes, 512);
  positive('continuationTimeout', o.continuationTimeout, 100);
  positive('maxPeers', o.maxPeers, 1);
  if (!(o.jitter >= 0 && o.jitter < 1)) throw new InvalidArgumentError(`ENRP option jitter must be in [0, 1), got ${String(o.jitter)}`);
  return o;
}
