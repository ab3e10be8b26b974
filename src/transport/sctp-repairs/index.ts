/**
 * Run-time repairs of the npm `sctp@1.0.0` protocol machine.
 *
 * `sctp` stays a dependency pinned to 1.0.0 and is never copied or patched on
 * disk: {@link installSctpRepairs} replaces methods on the prototypes of its
 * CommonJS classes (`Association`, `Chunk`, `Packet`, `Reassembly`,
 * `SerialNumber`, `Endpoint`, `Socket`) and a few decode filters of its
 * `defs` table with replacements written here. Call it once before the first
 * sctp `Endpoint` or association exists (handlers are bound at construction);
 * it is idempotent. docs/TRANSPORT.md lists every override.
 *
 * Per-association tuning: {@link associate} (active side),
 * {@link tuneAssociation} inside the endpoint's `'association'` listener
 * (passive side), {@link setEndpointTuning} for every association of an
 * endpoint, {@link setSctpDefaults} process-wide.
 *
 * Events of a repaired sctp `Association` used by wrappers:
 * - `'COMMUNICATION UP'` — established;
 * - `'COMMUNICATION LOST' (reason, detail)` — gone; `reason` is `'timeout'`
 *   (failure detection, or INIT/COOKIE-ECHO retries exhausted: `detail` is an
 *   `Error` with `code: 'ETIMEDOUT'` and `phase: 'init' | 'cookie' |
 *   'established' | 'shutdown'`), `'abort'` (ABORT received or protocol
 *   violation; `detail` = error causes), `'unreachable'` (ICMP or
 *   {@link reportUnreachable}), `'restart'` (peer restarted) or `'local'`
 *   (endpoint closed);
 * - `'SHUTDOWN COMPLETE'` — graceful close finished;
 * - `'DATA ARRIVE' (stream)` then `RECEIVE()` → Buffer with `ppid`,
 *   `stream_id`, `unordered`.
 * After any of the closing events `association.closeReason` is set.
 *
 * @module
 */
import {
  DEFAULT_SCTP_TUNING,
  getSctpDefaults,
  setSctpDefaults,
  resetSctpDefaults,
  setEndpointTuning,
  tuningOf,
  type SctpTuning,
  type SctpTuningOptions,
} from './tuning.js';
import { defs, restoreOriginals, sctpRepairStats, resetSctpRepairStats } from './internals.js';
import { installChecksumRepair, verifySctpChecksum, sctpChecksum, fillSctpChecksum } from './checksum.js';
import { installSerialRepair } from './serial.js';
import { installTlvGuardRepair } from './tlv-guard.js';
import { installReassemblyRepair } from './reassembly.js';
import { installSendPathRepair } from './send-path.js';
import { installRetransmissionRepair } from './retransmission.js';
import { installFailureDetectionRepair } from './failure-detection.js';
import { reportUnreachable } from './lifecycle.js';
import { installCookieTimerRepair, TAG_GENERATOR } from './cookie-timer.js';
import { installShutdownRepair } from './shutdown.js';
import { setPendingTuning, tuneAssociationInternal } from './pending.js';
import { st } from './state.js';
import { setPathMtu, packetTooBig, pathMtuInfo, type PathMtuSetting } from './plpmtud.js';

export {
  DEFAULT_SCTP_TUNING,
  getSctpDefaults,
  setSctpDefaults,
  resetSctpDefaults,
  setEndpointTuning,
  tuningOf,
  sctpRepairStats,
  resetSctpRepairStats,
  verifySctpChecksum,
  sctpChecksum,
  fillSctpChecksum,
  reportUnreachable,
  TAG_GENERATOR,
  setPathMtu,
  packetTooBig,
  pathMtuInfo,
  type PathMtuSetting,
  type SctpTuning,
  type SctpTuningOptions,
};

/** Names of the repair areas, in installation order (one module each). */
export const REPAIR_AREAS = [
  'checksum',
  'serial',
  'tlv-guard',
  'reassembly',
  'send-path',
  'retransmission',
  'failure-detection',
  'cookie-timer',
  'shutdown',
] as const;
export type RepairArea = (typeof REPAIR_AREAS)[number];

const installers: Record<RepairArea, () => void> = {
  checksum: installChecksumRepair,
  serial: installSerialRepair,
  'tlv-guard': installTlvGuardRepair,
  reassembly: installReassemblyRepair,
  'send-path': installSendPathRepair,
  retransmission: installRetransmissionRepair,
  'failure-detection': installFailureDetectionRepair,
  'cookie-timer': installCookieTimerRepair,
  shutdown: installShutdownRepair,
};

const installed = new Set<RepairArea>();
/**
 * True while every repair area is installed: the receive fast path calls and
 * replicates the repaired handlers and asks on every packet, so this is a
 * plain variable instead of set lookups.
 */
export let repairsComplete = false;
let savedNetSctp: Record<string, unknown> | undefined;

/**
 * Installs the repairs (idempotent). Must run before any sctp endpoint or
 * association is created.
 *
 * `only` installs a subset; it is meant for tests that show one defect. The
 * areas `reassembly`, `send-path`, `retransmission`, `failure-detection`,
 * `cookie-timer` and `shutdown` form one protocol machine and are only
 * coherent together; `checksum`, `serial` and `tlv-guard` stand alone.
 */
export function installSctpRepairs(options: { only?: readonly RepairArea[] } = {}): void {
  const areas = options.only ?? REPAIR_AREAS;
  for (const area of REPAIR_AREAS) {
    if (!areas.includes(area) || installed.has(area)) continue;
    installers[area]();
    installed.add(area);
  }
  repairsComplete = REPAIR_AREAS.every((a) => installed.has(a));
  if (!savedNetSctp) {
    // Process-wide table still read by untouched code (cookie life, endpoint a_rwnd).
    savedNetSctp = { ...defs.NET_SCTP };
    defs.NET_SCTP.RWND = DEFAULT_SCTP_TUNING.receiveWindow;
  }
}

/**
 * Restores the original `sctp@1.0.0` behaviour. For tests that demonstrate
 * a defect; endpoints and associations created while repaired stay bound to
 * the repaired handlers.
 */
export function uninstallSctpRepairs(): void {
  restoreOriginals();
  installed.clear();
  repairsComplete = false;
  if (savedNetSctp) {
    Object.assign(defs.NET_SCTP, savedNetSctp);
    savedNetSctp = undefined;
  }
}

/** True when the area (or, without argument, every area) is installed. */
export function sctpRepairsInstalled(area?: RepairArea): boolean {
  if (area) return installed.has(area);
  return REPAIR_AREAS.every((a) => installed.has(a));
}

/**
 * Applies per-association tuning. For an active association use
 * {@link associate}; for a passive one call this synchronously inside the
 * endpoint's `'association'` listener (the handshake finishes right after).
 * Timers already running keep their current period until they fire.
 */
export function tuneAssociation(association: object, options: SctpTuningOptions | undefined): SctpTuning {
  tuneAssociationInternal(association, options);
  return tuningOf(association);
}

/** Minimal shape of sctp's `Endpoint` used here. */
export interface SctpEndpointLike {
  ASSOCIATE(options: Record<string, unknown>): unknown;
}

/**
 * Opens an active association on an sctp `Endpoint` (`Endpoint.ASSOCIATE`)
 * with per-association tuning applied before the INIT leaves. Returns
 * sctp's `Association` object.
 */
export function associate<T = unknown>(
  endpoint: SctpEndpointLike,
  options: { remoteAddress?: string; remotePort: number; MIS?: number; OS?: number } & Record<string, unknown>,
  tuning?: SctpTuningOptions,
): T {
  setPendingTuning(tuning ?? {});
  try {
    return endpoint.ASSOCIATE({ ...options }) as T;
  } finally {
    setPendingTuning(undefined);
  }
}

/** Live figures of a repaired association (diagnostics, tests). */
export interface SctpAssociationInfo {
  state: string;
  rto: number;
  /** The peer acknowledged three lone packets promptly and never one late (T3 no longer waits `sackDelayGuard`). */
  promptSack: boolean;
  /** T3 expirations so far: each retransmitted the outstanding data (spurious when the data had arrived). */
  t3Expirations: number;
  srtt: number;
  cwnd: number;
  flight: number;
  peerRwnd: number;
  outstanding: number;
  queuedBytes: number;
  queuedMessages: number;
  errorCount: number;
  pathErrorCount: number;
  pathActive: boolean;
  closeReason: string | undefined;
  /** Largest SCTP packet sent to the peer now (path MTU minus IP and encapsulation headers). */
  packetSize: number;
}

/** Returns live figures of a repaired sctp association. */
export function associationInfo(association: object): SctpAssociationInfo {
  const a = association as { state: string };
  const s = st(association);
  return {
    state: a.state,
    rto: s.rto,
    promptSack: s.promptSack,
    t3Expirations: s.t3Expirations,
    srtt: s.srtt,
    cwnd: s.cwnd,
    flight: s.flight,
    peerRwnd: s.peerRwnd,
    outstanding: s.outstanding.size,
    queuedBytes: s.pendingBytes,
    queuedMessages: s.pending.length,
    errorCount: s.errorCount,
    pathErrorCount: s.pathErrorCount,
    pathActive: s.pathActive,
    closeReason: s.closeReason,
    packetSize: s.packetSize,
  };
}
