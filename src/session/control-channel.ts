/**
 * The ASAP control channel of a session (spec §12.13): ASAP messages with
 * PPID 11 on the data association. Encodes and decodes Cookie, Cookie Echo
 * and Business Card, and converts business-card pool elements to and from
 * the `PoolElementInfo` form that `resolve()` returns.
 *
 * @module
 */
import { toPoolElementInfo } from '../asap/pool-element-info.js';
import { poolHandleText, toPoolHandle, type PoolHandleInput } from '../asap/asap-instance.js';
import type { PoolElementInfo } from '../asap/asap-options.js';
import { policyFromOptions } from '../asap/policy-options.js';
import { InvalidArgumentError } from '../errors.js';
import type { AsapMessage } from '../wire/asap-messages.js';
import { decodeMessage, encodeMessage } from '../wire/messages.js';
import type { PoolElementParam } from '../wire/types.js';
import { ASAP_PPID } from './session-options.js';

/** A received business card: the sender's pool handle and its preferred failover PEs. */
export interface BusinessCard {
  /** Pool handle of the sender, as text (UTF-8). */
  poolHandle: string;
  /** Pool handle bytes. */
  poolHandleBytes: Uint8Array;
  /** Preferred pool elements for a failover, best first. */
  poolElements: PoolElementInfo[];
}

/** A business card to send: a pool handle and at least one pool element (as `resolve()` returns them, or wire parameters). */
export interface BusinessCardInput {
  poolHandle: PoolHandleInput;
  poolElements: ReadonlyArray<PoolElementInfo | PoolElementParam>;
}

/** A control message received on a session. */
export type ControlMessage =
  | { type: 'cookie'; cookie: Uint8Array }
  | { type: 'cookie-echo'; cookie: Uint8Array }
  | { type: 'business-card'; card: BusinessCard }
  | { type: 'other'; message: AsapMessage };

/** Encodes an ASAP Cookie (PE → PU). The cookie bytes are sent as given. */
export function encodeCookie(cookie: Uint8Array): Uint8Array {
  checkCookie(cookie);
  return encodeMessage({ protocol: 'asap', type: 'cookie', cookie });
}

/** Encodes an ASAP Cookie Echo (PU → new PE). */
export function encodeCookieEcho(cookie: Uint8Array): Uint8Array {
  checkCookie(cookie);
  return encodeMessage({ protocol: 'asap', type: 'cookie-echo', cookie });
}

/** Encodes an ASAP Business Card. */
export function encodeBusinessCard(card: BusinessCardInput): Uint8Array {
  if (!card || !Array.isArray(card.poolElements) || card.poolElements.length === 0) {
    throw new InvalidArgumentError('a business card needs at least one pool element');
  }
  return encodeMessage({
    protocol: 'asap',
    type: 'business-card',
    poolHandle: toPoolHandle(card.poolHandle),
    poolElements: card.poolElements.map(toParam),
  });
}

/**
 * Decodes a PPID-11 message received on a session. Throws `ProtocolError`
 * for malformed bytes.
 */
export function decodeControl(bytes: Uint8Array): ControlMessage {
  const m = decodeMessage(ASAP_PPID, bytes);
  if (m.protocol !== 'asap') return { type: 'other', message: m as unknown as AsapMessage };
  switch (m.type) {
    case 'cookie':
      return { type: 'cookie', cookie: m.cookie };
    case 'cookie-echo':
      return { type: 'cookie-echo', cookie: m.cookie };
    case 'business-card':
      return {
        type: 'business-card',
        card: { poolHandle: poolHandleText(m.poolHandle), poolHandleBytes: m.poolHandle, poolElements: m.poolElements.map(toPoolElementInfo) },
      };
    default:
      return { type: 'other', message: m };
  }
}


/** Converts a `resolve()` pool element (or a wire parameter) to a wire Pool Element parameter. */
export function toParam(pe: PoolElementInfo | PoolElementParam): PoolElementParam {
  if ('peId' in pe) return pe;
  return {
    peId: pe.id,
    homeRegistrarId: pe.homeRegistrarId,
    registrationLife: pe.registrationLife,
    userTransport: pe.transport,
    policy: policyFromOptions(pe.policy),
  };
}

function checkCookie(cookie: Uint8Array): void {
  if (!(cookie instanceof Uint8Array) || cookie.byteLength === 0) throw new InvalidArgumentError('a cookie must be a non-empty Uint8Array');
}
