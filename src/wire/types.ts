/**
 * Domain types of the RSerPool wire format (RFC 5352/5353/5354/5356) that are
 * shared by the codec, the handlespace and the ASAP instance.
 *
 * Values are kept exactly as they travel on the wire: loads, degradations and
 * DPF factors are unsigned 32-bit fixed-point fractions (0 = 0 %,
 * 0xffffffff = 100 %), so decoding and re-encoding is byte-exact. The
 * user-facing API converts fractions where convenient (see
 * {@link loadFromFraction}).
 *
 * @module
 */

/** A pool handle: an opaque byte string, compared by bytes. */
export type PoolHandle = Uint8Array;

/** Names of the pool member selection policies with a wire encoding (spec §6). */
export type PolicyName =
  | 'round-robin'
  | 'weighted-round-robin'
  | 'random'
  | 'weighted-random'
  | 'priority'
  | 'least-used'
  | 'least-used-degradation'
  | 'priority-least-used'
  | 'randomized-least-used'
  | 'randomized-priority-least-used'
  | 'randomized-least-used-degradation'
  | 'priority-least-used-degradation'
  | 'randomized-priority-least-used-degradation'
  | 'weighted-random-dpf'
  | 'least-used-dpf'
  | 'least-used-degradation-dpf';

/** Wire policy type code of each {@link PolicyName} (spec §6). */
export const POLICY_TYPE_CODES: Readonly<Record<PolicyName, number>> = {
  'round-robin': 0x00000001,
  'weighted-round-robin': 0x00000002,
  random: 0x00000003,
  'weighted-random': 0x00000004,
  priority: 0x00000005,
  'least-used': 0x40000001,
  'least-used-degradation': 0x40000002,
  'priority-least-used': 0x40000003,
  'randomized-least-used': 0x40000004,
  'randomized-priority-least-used': 0xb0001001,
  'randomized-least-used-degradation': 0xb0001002,
  'priority-least-used-degradation': 0xb0001003,
  'randomized-priority-least-used-degradation': 0xb0001004,
  'weighted-random-dpf': 0xb0002001,
  'least-used-dpf': 0xb0002002,
  'least-used-degradation-dpf': 0xb0002003,
};

/**
 * Pool member selection policy parameter (spec §6). All numeric fields are
 * unsigned 32-bit integers as on the wire. `load`, `loadDegradation`,
 * `loadDpf` and `weightDpf` are fractions scaled to 0..0xffffffff; `weight`
 * and `priority` are plain integers; `distance` is in milliseconds.
 */
export type PolicyInfo =
  | { type: 'round-robin' }
  | { type: 'weighted-round-robin'; weight: number }
  | { type: 'random' }
  | { type: 'weighted-random'; weight: number }
  | { type: 'priority'; priority: number }
  | { type: 'least-used'; load: number }
  | { type: 'least-used-degradation'; load: number; loadDegradation: number }
  | { type: 'priority-least-used'; load: number; loadDegradation: number }
  | { type: 'randomized-least-used'; load: number }
  | { type: 'randomized-priority-least-used'; load: number; loadDegradation: number }
  | { type: 'randomized-least-used-degradation'; load: number; loadDegradation: number }
  | { type: 'priority-least-used-degradation'; load: number; loadDegradation: number }
  | { type: 'randomized-priority-least-used-degradation'; load: number; loadDegradation: number }
  | { type: 'weighted-random-dpf'; weight: number; weightDpf: number; distance: number }
  | { type: 'least-used-dpf'; load: number; loadDpf: number; distance: number }
  | { type: 'least-used-degradation-dpf'; load: number; loadDegradation: number; loadDpf: number; distance: number };

/** Largest value of a 32-bit fixed-point fraction (100 %). */
export const FRACTION_ONE = 0xffffffff;

/** Converts a fraction in [0, 1] to the 32-bit wire value (clamped). */
export function loadFromFraction(fraction: number): number {
  if (!(fraction > 0)) return 0;
  if (fraction >= 1) return FRACTION_ONE;
  return Math.round(fraction * FRACTION_ONE) >>> 0;
}

/** Converts a 32-bit wire fraction to a number in [0, 1]. */
export function loadToFraction(value: number): number {
  return (value >>> 0) / FRACTION_ONE;
}

/** An IP address as text: dotted IPv4 (`192.0.2.1`) or IPv6 (`2001:db8::1`). */
export type IpAddress = string;

/** Transport use field of SCTP/TCP transport parameters (spec §5.3). */
export type TransportUse = 'data-only' | 'data-plus-control';

/**
 * A transport parameter (spec §5.3): where a PE, PU or registrar can be reached.
 * SCTP may list several addresses (multi-homing); the others exactly one.
 * `transportUse` is the raw 16-bit field for SCTP/TCP (0 = data only,
 * 1 = data plus control); UDP, UDP-Lite and DCCP carry a reserved field instead.
 */
export type TransportParam =
  | { protocol: 'sctp'; port: number; transportUse: number; addresses: IpAddress[] }
  | { protocol: 'tcp'; port: number; transportUse: number; addresses: IpAddress[] }
  | { protocol: 'udp'; port: number; addresses: IpAddress[] }
  | { protocol: 'udp-lite'; port: number; addresses: IpAddress[] }
  | { protocol: 'dccp'; port: number; serviceCode: number; addresses: IpAddress[] };

/** The Pool Element parameter (spec §5.4). */
export interface PoolElementParam {
  /** PE identifier, 1..0xfffffffe (0 means undefined). */
  peId: number;
  /** Home registrar (ENRP server) identifier; 0 when unknown. */
  homeRegistrarId: number;
  /** Registration life in milliseconds (signed 32-bit on the wire). */
  registrationLife: number;
  /** Where pool users reach this PE. */
  userTransport: TransportParam;
  /** Selection policy and its per-PE values. */
  policy: PolicyInfo;
  /** The PE's ASAP transport (its registrar association); absent in registrations. */
  asapTransport?: TransportParam;
}

/** The Server Information parameter (spec §5.5). */
export interface ServerInfoParam {
  serverId: number;
  /** SCTP transport of the server's ENRP endpoint. */
  transport: TransportParam;
}

/** One error cause inside an Operation Error parameter (spec §7). */
export interface ErrorCause {
  /** 16-bit cause code; unknown codes are kept as they are. */
  code: number;
  /** Cause information bytes (without padding); empty when there is none. */
  info: Uint8Array;
}

/** Operation Error cause codes of RFC 5354 (spec §7). */
export const ErrorCauseCode = {
  UNSPECIFIED: 0x0000,
  UNRECOGNIZED_PARAMETER: 0x0001,
  UNRECOGNIZED_MESSAGE: 0x0002,
  INVALID_VALUES: 0x0003,
  NON_UNIQUE_PE_ID: 0x0004,
  INCONSISTENT_POLICY: 0x0005,
  LACK_OF_RESOURCES: 0x0006,
  INCONSISTENT_TRANSPORT: 0x0007,
  INCONSISTENT_DATA_CONTROL: 0x0008,
  UNKNOWN_POOL_HANDLE: 0x0009,
  SECURITY_REJECTION: 0x000a,
} as const;
