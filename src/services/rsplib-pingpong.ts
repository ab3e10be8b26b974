/**
 * PingPong as the reference implementation (RSPLIB) speaks it on the wire,
 * so that its `pingpongclient` can use our PEs and our `rsp pingpong` its
 * PEs; Wireshark's `pingpongprotocol` dissector decodes it.
 *
 * Messages (PPID 33, stream 0, big-endian, `Length` counts the whole message):
 * - Ping, PU → PE: Type 0x01, Flags 0, Length 12 + n, MessageNo (u64), Data (n bytes);
 * - Pong, PE → PU: Type 0x02, Flags 0, Length 20 + n, MessageNo (copied),
 *   ReplyNo (u64), Data (the Ping's Data).
 *
 * The PE numbers its replies per session from 1. After each Pong it sends an
 * ASAP Cookie of 16 bytes, the ASCII id `<PP-TD1>` and the ReplyNo the next
 * Pong will carry (reply first, then cookie). A pool user that fails over
 * echoes the latest cookie and the new PE continues the numbering. A message
 * that is not a valid Ping, or an echoed cookie that is not a PingPong
 * cookie, ends the session. With a `cookieKey` the state is sealed instead
 * (our extension; pool users that only echo cookies do not notice).
 *
 * Source of these facts: the reference's protocol as described in
 * docs/INTEROP.md (test/fixtures/rsplib-services.md).
 *
 * @module
 */
import { AbortError } from '../errors.js';
import { CookieError, open, seal } from '../session/cookie.js';
import { runSession, type Service, type ServiceContext, type ServiceSession } from './service.js';
import type { PingPongClientOptions, PingPongReply, PingPongSummary } from './pingpong-client.js';

/** PPID of the PingPong protocol (IANA; Wireshark `pingpongprotocol`). */
export const PINGPONG_PPID = 33;
/** Message type of a Ping. */
export const PING_TYPE = 0x01;
/** Message type of a Pong. */
export const PONG_TYPE = 0x02;
/** Id at the start of a PingPong cookie: ASCII `<PP-TD1>`. */
export const PINGPONG_COOKIE_ID = '<PP-TD1>';
/** Length of a PingPong cookie. */
export const PINGPONG_COOKIE_LENGTH = 16;

const PING_HEADER = 12;
const PONG_HEADER = 20;
const MAX_LENGTH = 0xffff;

/** A decoded Ping. */
export interface RsplibPing {
  messageNo: bigint;
  data: Uint8Array;
}

/** A decoded Pong. */
export interface RsplibPong {
  messageNo: bigint;
  replyNo: bigint;
  data: Uint8Array;
}

/** Encodes a Ping; `data` at most 65,523 bytes. */
export function encodeRsplibPing(messageNo: bigint, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const length = PING_HEADER + data.length;
  if (length > MAX_LENGTH) throw new RangeError(`Ping data too long: ${data.length} bytes`);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = PING_TYPE;
  view.setUint16(2, length);
  view.setBigUint64(4, BigInt.asUintN(64, messageNo));
  out.set(data, PING_HEADER);
  return out;
}

/** Decodes a Ping; undefined unless Type is 0x01 and 12 ≤ Length ≤ the bytes received. */
export function decodeRsplibPing(message: Uint8Array): RsplibPing | undefined {
  if (message.length < PING_HEADER || message[0] !== PING_TYPE) return undefined;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const length = view.getUint16(2);
  if (length < PING_HEADER || length > message.length) return undefined;
  return { messageNo: view.getBigUint64(4), data: new Uint8Array(message.subarray(PING_HEADER, length)) };
}

/** Encodes a Pong. */
export function encodeRsplibPong(pong: RsplibPong): Uint8Array {
  const length = PONG_HEADER + pong.data.length;
  if (length > MAX_LENGTH) throw new RangeError(`Pong data too long: ${pong.data.length} bytes`);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = PONG_TYPE;
  view.setUint16(2, length);
  view.setBigUint64(4, BigInt.asUintN(64, pong.messageNo));
  view.setBigUint64(12, BigInt.asUintN(64, pong.replyNo));
  out.set(pong.data, PONG_HEADER);
  return out;
}

/** Decodes a Pong; undefined unless Type is 0x02 and 20 ≤ Length ≤ the bytes received. */
export function decodeRsplibPong(message: Uint8Array): RsplibPong | undefined {
  if (message.length < PONG_HEADER || message[0] !== PONG_TYPE) return undefined;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const length = view.getUint16(2);
  if (length < PONG_HEADER || length > message.length) return undefined;
  return { messageNo: view.getBigUint64(4), replyNo: view.getBigUint64(12), data: new Uint8Array(message.subarray(PONG_HEADER, length)) };
}

/** The 16-byte PingPong cookie: `<PP-TD1>` and the next ReplyNo. */
export function encodeRsplibPingPongCookie(nextReplyNo: bigint): Uint8Array {
  const out = new Uint8Array(PINGPONG_COOKIE_LENGTH);
  out.set(new TextEncoder().encode(PINGPONG_COOKIE_ID), 0);
  new DataView(out.buffer).setBigUint64(8, BigInt.asUintN(64, nextReplyNo));
  return out;
}

/**
 * Decodes a PingPong cookie (exactly 16 bytes starting with `<PP-TD1>`).
 *
 * @throws CookieError otherwise
 */
export function decodeRsplibPingPongCookie(cookie: Uint8Array): bigint {
  if (cookie.length !== PINGPONG_COOKIE_LENGTH || new TextDecoder().decode(cookie.subarray(0, 8)) !== PINGPONG_COOKIE_ID) {
    throw new CookieError('malformed', `not a PingPong cookie (${cookie.length} bytes; expected 16 starting with ${PINGPONG_COOKIE_ID})`);
  }
  return new DataView(cookie.buffer, cookie.byteOffset, cookie.byteLength).getBigUint64(8);
}

function nextReplyFromEcho(cookie: Uint8Array, key: ServiceContext['cookieKey']): bigint {
  if (key === undefined) return decodeRsplibPingPongCookie(cookie);
  const state = open(cookie, key) as { next?: unknown } | null;
  if (state === null || typeof state !== 'object' || typeof state.next !== 'string' || !/^\d{1,20}$/.test(state.next)) {
    throw new CookieError('malformed', 'not a PingPong state');
  }
  return BigInt(state.next);
}

function cookieFor(next: bigint, key: ServiceContext['cookieKey']): Uint8Array {
  return key === undefined ? encodeRsplibPingPongCookie(next) : seal({ next: next.toString() }, key);
}

/** PingPong PE, wire compatible with the reference; see the module comment. */
export const rsplibPingPongService: Service = {
  name: 'pingpong',
  description: "answers the reference's binary Ping with a numbered Pong, then a cookie holding the next number (PPID 33)",
  handle(session: ServiceSession, context: ServiceContext = {}): Promise<void> {
    let replyNo = 1n;
    if (session.cookie !== undefined) {
      try {
        replyNo = nextReplyFromEcho(session.cookie, context.cookieKey);
        context.log?.(`session resumed from cookie at reply ${replyNo}`);
      } catch (err) {
        context.log?.(`echoed cookie refused: ${err instanceof Error ? err.message : String(err)}`);
        return session.close().catch(() => undefined);
      }
    }
    return runSession(session, context, async (signal) => {
      for (let m = await session.recv({ signal }); m !== null; m = await session.recv({ signal })) {
        const ping = decodeRsplibPing(m.data);
        if (!ping) {
          context.log?.(`not a Ping (${m.data.length} bytes, type ${m.data[0] ?? '-'}): closing the session`);
          return;
        }
        await session.send(encodeRsplibPong({ messageNo: ping.messageNo, replyNo, data: ping.data }), { ppid: PINGPONG_PPID, signal });
        replyNo++;
        await session.sendCookie(cookieFor(replyNo, context.cookieKey), { signal });
      }
    });
  },
};

/** What the PingPong pool user needs of a session; a `PoolSession` is one. */
export interface RsplibPingPongSession {
  send(data: Uint8Array, options?: { ppid?: number; signal?: AbortSignal }): Promise<void>;
  recv(options?: { signal?: AbortSignal }): Promise<{ data: Uint8Array } | null>;
  /** The PE currently serving (named in replies). */
  readonly poolElement?: { id: number } | undefined;
}

function hexId(id: number | undefined): string | undefined {
  return id === undefined ? undefined : '0x' + id.toString(16).padStart(8, '0');
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * The PingPong pool user: Ping with MessageNo 1, 2, 3… at an interval (Data
 * `Nachricht: N, Zeitstempel: µs` as the reference's client sends), waits for
 * the Pong with the same MessageNo (sends the Ping again when it is late) and
 * checks that ReplyNo continues without gap or repeat, also across failovers.
 * The reply's `counter` is the ReplyNo, `seq` the MessageNo, `pe` the serving PE.
 */
export async function runRsplibPingPong(session: RsplibPingPongSession, options: PingPongClientOptions = {}): Promise<PingPongSummary> {
  const interval = options.interval ?? 1000;
  const count = options.count ?? 0;
  const replyTimeout = options.replyTimeout ?? 1000;
  const signal = options.signal;
  const summary: PingPongSummary = { replies: 0, gaps: 0, repeats: 0, resends: 0, lastCounter: 0, end: 'count' };
  const encoder = new TextEncoder();
  const sendOptions = { ppid: PINGPONG_PPID, ...(signal ? { signal } : {}) };
  for (let seq = 1; count === 0 || seq <= count; seq++) {
    if (signal?.aborted) return { ...summary, end: 'aborted' };
    const t0 = performance.now();
    const stamp = BigInt(Math.round((performance.timeOrigin + t0) * 1000));
    const request = encodeRsplibPing(BigInt(seq), encoder.encode(`Nachricht: ${seq}, Zeitstempel: ${stamp}`));
    try {
      await session.send(request, sendOptions);
    } catch (err) {
      if (signal?.aborted) return { ...summary, end: 'aborted' };
      throw err;
    }
    let resent = 0;
    let pong: RsplibPong | undefined;
    while (pong === undefined) {
      const timeout = AbortSignal.timeout(replyTimeout);
      const wait = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let m: { data: Uint8Array } | null;
      try {
        m = await session.recv({ signal: wait });
      } catch (err) {
        if (signal?.aborted) return { ...summary, end: 'aborted' };
        if (!timeout.aborted && !(err instanceof AbortError) && (err as Error).name !== 'AbortError') throw err;
        resent++;
        summary.resends++;
        await session.send(request, sendOptions).catch((e: unknown) => {
          if (!signal?.aborted) throw e;
        });
        continue;
      }
      if (m === null) return { ...summary, end: 'closed' };
      const p = decodeRsplibPong(m.data);
      if (p !== undefined && p.messageNo === BigInt(seq)) pong = p;
    }
    const counter = Number(pong.replyNo);
    const expected = summary.lastCounter + 1;
    const continued = counter === expected;
    if (counter > expected) summary.gaps++;
    else if (counter < expected) summary.repeats++;
    summary.replies++;
    summary.lastCounter = counter;
    const pe = hexId(session.poolElement?.id);
    const reply: PingPongReply = { counter, seq, ...(pe !== undefined ? { pe } : {}), rttMs: performance.now() - t0, resent, expected, continued };
    options.onReply?.(reply);
    if (count === 0 || seq < count) await sleep(interval - (performance.now() - t0), signal);
  }
  return summary;
}
