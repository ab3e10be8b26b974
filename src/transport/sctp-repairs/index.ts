/**
 * Run-time repairs of the npm `sctp@1.0.0` protocol machine.
 *
 * `sctp` stays a dependency pinned to 1.0.0 and is never copied or patched on
 * disk: {@link installSctpRepairs} replaces methods on the prototypes of its
 * CommonJS classes (`Association`, `Chunk`, `Packet`, `Reassembly`, serial
 * numbers, `Endpoint`, `Socket`) with replacements written here. Call it once
 * before the first association exists; it is idempotent. See
 * docs/TRANSPORT.md for the table of overrides.
 *
 * @module
 */
import {
  DEFAULT_SCTP_TUNING,
  getSctpDefaults,
  setSctpDefaults,
  resetSctpDefaults,
  setEndpointTuning,
  storeAssociationTuning,
  tuningOf,
  type SctpTuning,
  type SctpTuningOptions,
} from './tuning.js';

export {
  DEFAULT_SCTP_TUNING,
  getSctpDefaults,
  setSctpDefaults,
  resetSctpDefaults,
  setEndpointTuning,
  tuningOf,
  type SctpTuning,
  type SctpTuningOptions,
};

/** Names of the repair areas, in installation order. */
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
  'window',
] as const;
export type RepairArea = (typeof REPAIR_AREAS)[number];

const installed = new Set<RepairArea>();

/** Installers of each area; filled as the repair modules land. */
const installers: Partial<Record<RepairArea, () => void>> = {};

/**
 * Installs every repair (idempotent). Must run before any sctp association
 * is created. `only` restricts installation to some areas (tests use it to
 * show that a defect exists without its repair).
 */
export function installSctpRepairs(options: { only?: readonly RepairArea[] } = {}): void {
  const areas = options.only ?? REPAIR_AREAS;
  for (const area of areas) {
    if (installed.has(area)) continue;
    const install = installers[area];
    if (install) {
      install();
      installed.add(area);
    }
  }
}

/** True when the area (or, without argument, every area) is installed. */
export function sctpRepairsInstalled(area?: RepairArea): boolean {
  if (area) return installed.has(area);
  return REPAIR_AREAS.every((a) => installed.has(a) || installers[a] === undefined);
}

/**
 * Applies per-association tuning. For an active association call it through
 * {@link associate}; for a passive one call it synchronously inside the
 * endpoint's `'association'` listener (before the handshake finishes).
 */
export function tuneAssociation(association: object, options: SctpTuningOptions | undefined): SctpTuning {
  return storeAssociationTuning(association, options);
}

/** Minimal shape of sctp's `Endpoint` used here. */
export interface SctpEndpointLike {
  ASSOCIATE(options: Record<string, unknown>): unknown;
}

/**
 * Opens an active association on an sctp `Endpoint` with per-association
 * tuning (`Endpoint.ASSOCIATE` plus tuning applied before the INIT leaves).
 * Returns sctp's `Association` object.
 */
export function associate<T = unknown>(
  endpoint: SctpEndpointLike,
  options: { remoteAddress?: string; remotePort: number; MIS?: number; OS?: number } & Record<string, unknown>,
  tuning?: SctpTuningOptions,
): T {
  pendingTuning = tuning ?? {};
  try {
    const merged = { ...options };
    const rwnd = tuning?.receiveWindow ?? tuningOfEndpoint(endpoint).receiveWindow;
    if (merged['a_rwnd'] === undefined) merged['a_rwnd'] = rwnd;
    return endpoint.ASSOCIATE(merged) as T;
  } finally {
    pendingTuning = undefined;
  }
}

function tuningOfEndpoint(endpoint: object): SctpTuning {
  return tuningOf({ endpoint });
}

/** Tuning handed from {@link associate} to the repaired `Association.init`. */
let pendingTuning: SctpTuningOptions | undefined;

/** @internal Used by the repaired `init()` to pick up {@link associate}'s tuning. */
export function takePendingTuning(): SctpTuningOptions | undefined {
  const t = pendingTuning;
  pendingTuning = undefined;
  return t;
}

/** @internal Registers the installer of one repair area. */
export function registerRepair(area: RepairArea, install: () => void): void {
  installers[area] = install;
}
