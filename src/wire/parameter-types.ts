/**
 * Parameter type codes of RFC 5354 (spec §5.1) and the action bits that tell
 * a receiver what to do with a type it does not know (spec §2.2).
 *
 * @module
 */

/** 16-bit parameter type codes as sent on the wire. */
export const ParameterType = {
  IPV4_ADDRESS: 0x0001,
  IPV6_ADDRESS: 0x0002,
  DCCP_TRANSPORT: 0x0003,
  SCTP_TRANSPORT: 0x0004,
  TCP_TRANSPORT: 0x0005,
  UDP_TRANSPORT: 0x0006,
  UDP_LITE_TRANSPORT: 0x0007,
  POOL_MEMBER_SELECTION_POLICY: 0x0008,
  POOL_HANDLE: 0x0009,
  POOL_ELEMENT: 0x000a,
  SERVER_INFORMATION: 0x000b,
  OPERATION_ERROR: 0x000c,
  COOKIE: 0x000d,
  PE_IDENTIFIER: 0x000e,
  PE_CHECKSUM: 0x000f,
  /** Handle Resolution Option (reference-implementation extension), sent with the skip bit set. */
  HANDLE_RESOLUTION_OPTION: 0x803f,
} as const;

/**
 * What a receiver does with a parameter type it does not recognise: the two
 * most significant bits of the type (spec §2.2).
 */
export type UnknownParameterAction =
  /** 00: stop processing, discard silently. */
  | 'stop'
  /** 01: stop processing and report "Unrecognized parameter". */
  | 'stop-and-report'
  /** 10: skip the parameter and continue. */
  | 'skip'
  /** 11: skip the parameter, continue and report it. */
  | 'skip-and-report';

const ACTIONS: readonly UnknownParameterAction[] = ['stop', 'stop-and-report', 'skip', 'skip-and-report'];

/** The action bits of a parameter type, by name. */
export function unknownParameterAction(type: number): UnknownParameterAction {
  return ACTIONS[(type >>> 14) & 3]!;
}

/** True for the parameter types this codec understands. */
export function isKnownParameterType(type: number): boolean {
  return (type >= 0x0001 && type <= 0x000f) || type === ParameterType.HANDLE_RESOLUTION_OPTION;
}

/** True for the transport parameter types (DCCP, SCTP, TCP, UDP, UDP-Lite). */
export function isTransportParameterType(type: number): boolean {
  return type >= 0x0003 && type <= 0x0007;
}
