/**
 * Failure-detection, retransmission and window tuning of the repaired
 * `sctp@1.0.0` protocol machine, global defaults plus per-association and
 * per-endpoint overrides.
 *
 * The original package reads its timers from the process-wide
 * `defs.NET_SCTP` table (`sctp.defaults()`), copied into each association at
 * construction. The repairs read their values lazily from the tuning
 * resolved for each association: association options, then endpoint
 * options, then {@link DEFAULT_SCTP_TUNING}.
 *
 * @module
 */

/** Tuning of one association (all durations in milliseconds). */
export interface SctpTuning {
  /** Heartbeat interval on an idle path (RFC 4960 HB.interval). */
  heartbeatInterval: number;
  /** Initial retransmission timeout (RTO.Initial). */
  rtoInitial: number;
  /** Lower bound of the retransmission timeout (RTO.Min). */
  rtoMin: number;
  /** Upper bound of the retransmission timeout (RTO.Max). */
  rtoMax: number;
  /**
   * Consecutive unanswered retransmissions/heartbeats after which the
   * association is declared dead (Association.Max.Retrans, and the path
   * error threshold Path.Max.Retrans of the single path).
   */
  maxRetransmissions: number;
  /**
   * Consecutive unanswered retransmissions/heartbeats after which the peer's
   * path is marked inactive (Path.Max.Retrans; reported with
   * `'NETWORK STATUS CHANGE'`). With one path the association itself dies at
   * `maxRetransmissions`.
   */
  pathMaxRetransmissions: number;
  /** INIT / COOKIE-ECHO retransmissions before a connect fails (Max.Init.Retransmits). */
  maxInitRetransmissions: number;
  /** Receive window advertised to the peer, in bytes. */
  receiveWindow: number;
  /** Delayed-SACK timeout. */
  sackTimeout: number;
  /**
   * Least T3 (data retransmission) timeout towards a peer that has not shown
   * that it acknowledges promptly. Stacks other than this one delay SACKs
   * (sctplib, usrsctp and Linux by 200 ms, as RFC 4960 §6.2 allows), and a
   * retransmission timer below that delay retransmits every lone message.
   * Once the peer acknowledged a lone packet within half this time, T3 runs
   * at the RTO (`rtoMin` and up). Heartbeat timeouts are not affected
   * (HEARTBEAT ACK is never delayed), so failure detection stays fast.
   */
  sackDelayGuard: number;
  /** Overall guard of a graceful shutdown once SHUTDOWN was sent (T5-shutdown-guard). */
  shutdownGuard: number;
  /**
   * Largest SCTP packet (common header and chunks) sent. Default 1452 = 1500
   * (Ethernet MTU) - 40 (IPv6 header) - 8 (UDP encapsulation header), so no
   * IP fragmentation at MTU 1500 in either IP version.
   */
  maxPacketSize: number;
  /** Queued-but-untransmitted bytes above which `SEND` returns false. */
  sendHighWaterMark: number;
  /**
   * Largest message the receiver reassembles beyond its window: the next
   * in-order fragment is accepted even when the window is full, as long as
   * the buffered bytes stay below `receiveWindow + maxMessageSize`, so a
   * message larger than the window still completes (slowly).
   */
  maxMessageSize: number;
}

/**
 * Defaults, tuned for RSerPool on a LAN or one host: a silent peer is
 * declared dead at most `heartbeatInterval + (maxRetransmissions + 1) ×
 * rtoMax` = 950 ms after it was last heard (about 600 ms when the RTO sits
 * at `rtoMin`). Raise the RTO bounds for wide-area paths.
 */
export const DEFAULT_SCTP_TUNING: Readonly<SctpTuning> = Object.freeze({
  heartbeatInterval: 150,
  rtoInitial: 100,
  rtoMin: 50,
  rtoMax: 200,
  maxRetransmissions: 3,
  pathMaxRetransmissions: 2,
  maxInitRetransmissions: 8,
  receiveWindow: 4 * 1024 * 1024,
  sackTimeout: 20,
  sackDelayGuard: 250,
  shutdownGuard: 1_000,
  maxPacketSize: 1452,
  sendHighWaterMark: 256 * 1024,
  maxMessageSize: 16 * 1024 * 1024,
});

/** Partial tuning as accepted from callers. */
export type SctpTuningOptions = Partial<SctpTuning>;

let globalDefaults: SctpTuning = { ...DEFAULT_SCTP_TUNING };

/** Returns a copy of the current process-wide defaults. */
export function getSctpDefaults(): SctpTuning {
  return { ...globalDefaults };
}

/** Changes the process-wide defaults used when neither endpoint nor association overrides a value. */
export function setSctpDefaults(options: SctpTuningOptions): SctpTuning {
  globalDefaults = mergeTuning(globalDefaults, options);
  return { ...globalDefaults };
}

/** Restores {@link DEFAULT_SCTP_TUNING}. */
export function resetSctpDefaults(): void {
  globalDefaults = { ...DEFAULT_SCTP_TUNING };
}

function positive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** Merges validated options over a base; invalid values are ignored. */
export function mergeTuning(base: SctpTuning, options: SctpTuningOptions | undefined): SctpTuning {
  const out: SctpTuning = { ...base };
  if (!options) return out;
  for (const key of Object.keys(DEFAULT_SCTP_TUNING) as (keyof SctpTuning)[]) {
    const value = options[key];
    if (positive(value)) out[key] = value;
  }
  if (out.rtoMin > out.rtoMax) out.rtoMax = out.rtoMin;
  out.rtoInitial = Math.min(Math.max(out.rtoInitial, out.rtoMin), out.rtoMax);
  out.maxRetransmissions = Math.max(1, Math.floor(out.maxRetransmissions));
  out.pathMaxRetransmissions = Math.max(1, Math.floor(out.pathMaxRetransmissions));
  out.maxInitRetransmissions = Math.max(1, Math.floor(out.maxInitRetransmissions));
  out.receiveWindow = Math.max(1500, Math.floor(out.receiveWindow));
  out.maxPacketSize = Math.min(Math.max(576, Math.floor(out.maxPacketSize)), 65_535);
  // A delayed SACK must not outlast the peer's minimum RTO.
  out.sackTimeout = Math.min(out.sackTimeout, Math.max(1, Math.floor(out.rtoMin / 2)));
  return out;
}

/** Property names under which tuning is stored on sctp objects. */
export const TUNING_KEY = Symbol.for('rserpool.sctp.tuning');

interface Tunable {
  [TUNING_KEY]?: SctpTuning;
  endpoint?: Tunable;
}

/** Sets tuning on an sctp `Endpoint` for every association it creates afterwards. */
export function setEndpointTuning(endpoint: object, options: SctpTuningOptions): SctpTuning {
  const target = endpoint as Tunable;
  const tuning = mergeTuning(target[TUNING_KEY] ?? globalDefaults, options);
  target[TUNING_KEY] = tuning;
  (endpoint as { a_rwnd?: number }).a_rwnd = tuning.receiveWindow;
  return tuning;
}

/** Resolves the tuning of an sctp association (association, endpoint, global defaults). */
export function tuningOf(association: object): SctpTuning {
  const a = association as Tunable;
  return a[TUNING_KEY] ?? a.endpoint?.[TUNING_KEY] ?? globalDefaults;
}

/** Stores tuning on one association (merged over its endpoint's). */
export function storeAssociationTuning(association: object, options: SctpTuningOptions | undefined): SctpTuning {
  const a = association as Tunable;
  const tuning = mergeTuning(a.endpoint?.[TUNING_KEY] ?? globalDefaults, { ...(a[TUNING_KEY] ?? {}), ...(options ?? {}) });
  a[TUNING_KEY] = tuning;
  return tuning;
}
