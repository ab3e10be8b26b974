/**
 * The pool-user side of pingpong: sends `ping <seq>` at an interval, waits
 * for the matching `pong`, re-sends a request that stays unanswered (the PE
 * may have died with it), and checks that the counter continues without a
 * gap or a repeat — also across failovers.
 *
 * @module
 */
import { AbortError } from '../errors.js';
import { decodePong, encodePing, type Pong } from './pingpong.js';

/** What the client needs of a pool-user session; a `PoolSession` is one. */
export interface PingPongSession {
  send(data: string, options?: { signal?: AbortSignal }): Promise<void>;
  recv(options?: { signal?: AbortSignal }): Promise<{ data: Uint8Array } | null>;
}

/** Options of {@link runPingPong}. */
export interface PingPongClientOptions {
  /** Time between the starts of two requests, ms. Default 1000. */
  interval?: number;
  /** Requests to send; 0 = until aborted or the session closes. Default 0. */
  count?: number;
  /** A request unanswered for this long is sent again, ms. Default 1000. */
  replyTimeout?: number;
  /** Stops the loop (the promise then resolves with the summary so far). */
  signal?: AbortSignal;
  /** Called with every reply. */
  onReply?: (reply: PingPongReply) => void;
}

/** One answered request. */
export interface PingPongReply extends Pong {
  /** The request number. */
  seq: number;
  /** Time from the first transmission of the request to its reply, ms. */
  rttMs: number;
  /** Times the request was sent again because its reply was late. */
  resent: number;
  /** The counter the client expected (previous + 1; 1 at first). */
  expected: number;
  /** `counter === expected`. */
  continued: boolean;
}

/** Totals of a pingpong run. */
export interface PingPongSummary {
  /** Requests answered. */
  replies: number;
  /** Replies whose counter skipped ahead (state lost). */
  gaps: number;
  /** Replies whose counter did not advance (request counted twice is impossible; this is state rolled back). */
  repeats: number;
  /** Requests sent again after `replyTimeout`. */
  resends: number;
  /** The last counter received. */
  lastCounter: number;
  /** Why the loop ended. */
  end: 'count' | 'aborted' | 'closed';
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
 * What distinguishes one pingpong wire protocol from another for the loop of
 * {@link runPingLoop}: how request `seq` is encoded and sent, and which reply
 * answers it.
 * @internal
 */
export interface PingProtocol<S> {
  /** Sends request `seq` (also again when its reply is late). */
  send(session: S, request: Uint8Array | string, signal: AbortSignal | undefined): Promise<void>;
  /** The encoded request `seq`. */
  request(seq: number): Uint8Array | string;
  /** The reply to request `seq` in `data`, or undefined when `data` is something else. */
  match(data: Uint8Array, seq: number, session: S): Pong | undefined;
}

/**
 * The pool-user loop shared by the pingpong protocols: one request per
 * `interval`, the reply awaited (the request sent again after `replyTimeout`),
 * the counter checked for gaps and repeats.
 * @internal
 */
export async function runPingLoop<S extends { recv(options?: { signal?: AbortSignal }): Promise<{ data: Uint8Array } | null> }>(
  session: S,
  protocol: PingProtocol<S>,
  options: PingPongClientOptions,
): Promise<PingPongSummary> {
  const interval = options.interval ?? 1000;
  const count = options.count ?? 0;
  const replyTimeout = options.replyTimeout ?? 1000;
  const signal = options.signal;
  const summary: PingPongSummary = { replies: 0, gaps: 0, repeats: 0, resends: 0, lastCounter: 0, end: 'count' };
  for (let seq = 1; count === 0 || seq <= count; seq++) {
    if (signal?.aborted) return { ...summary, end: 'aborted' };
    const t0 = performance.now();
    const request = protocol.request(seq);
    try {
      await protocol.send(session, request, signal);
    } catch (err) {
      if (signal?.aborted) return { ...summary, end: 'aborted' };
      throw err;
    }
    let resent = 0;
    let pong: Pong | undefined;
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
        await protocol.send(session, request, signal).catch((e: unknown) => {
          if (!signal?.aborted) throw e;
        });
        continue;
      }
      if (m === null) return { ...summary, end: 'closed' };
      pong = protocol.match(m.data, seq, session);
    }
    const expected = summary.lastCounter + 1;
    const continued = pong.counter === expected;
    if (pong.counter > expected) summary.gaps++;
    else if (pong.counter < expected) summary.repeats++;
    summary.replies++;
    summary.lastCounter = pong.counter;
    options.onReply?.({ ...pong, seq, rttMs: performance.now() - t0, resent, expected, continued });
    if (count === 0 || seq < count) await sleep(interval - (performance.now() - t0), signal);
  }
  return summary;
}

/**
 * Runs the pingpong loop on `session` until `count` replies, an abort, or
 * the session's end. Rejects with the session's error when a send fails
 * (e.g. `ERR_RSP_NO_POOL_ELEMENT`).
 */
export function runPingPong(session: PingPongSession, options: PingPongClientOptions = {}): Promise<PingPongSummary> {
  return runPingLoop(
    session,
    {
      send: (s, request, signal) => s.send(request as string, signal ? { signal } : {}),
      request: encodePing,
      match: (data, seq) => {
        const p = decodePong(data);
        return p !== undefined && p.seq === seq ? p : undefined;
      },
    },
    options,
  );
}
