/**
 * The contract between a pool-element service (echo, pingpong…) and the
 * session it serves. Services are written against {@link ServiceSession},
 * a minimal, transport-independent view of one session, so they run on an
 * `AcceptedSession` of a pool-element socket as well as on an in-memory
 * pair in tests.
 *
 * @module
 */
import type { CookieKey } from '../session/cookie.js';

/** One message received on a session. */
export interface ServiceMessage {
  /** The payload. */
  data: Uint8Array;
  /** Payload protocol identifier, when the transport has one. */
  ppid?: number;
  /** SCTP stream, when the transport has one. */
  stream?: number;
}

/** Options of {@link ServiceSession.send}. */
export interface ServiceSendOptions {
  ppid?: number;
  stream?: number;
  signal?: AbortSignal;
}

/**
 * What a service needs of a session (the pool element's side). An
 * `AcceptedSession` satisfies it.
 */
export interface ServiceSession {
  /** Next data message; `null` once the peer closed the session. */
  recv(options?: { signal?: AbortSignal }): Promise<ServiceMessage | null>;
  /** Sends a data message to the pool user. */
  send(data: string | Uint8Array, options?: ServiceSendOptions): Promise<void>;
  /** Sends an ASAP Cookie (the pool user keeps the latest and echoes it after a failover). */
  sendCookie(cookie: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>;
  /** The cookie echoed by the pool user when the session arrived by failover; undefined otherwise. */
  readonly cookie: Uint8Array | undefined;
  /** Closes the session. */
  close(): Promise<void>;
}

/** Settings shared by the sessions a service handles. */
export interface ServiceContext {
  /**
   * Key for sealed cookies (`rsp.cookie.seal/open`). Services that keep
   * state in cookies seal it with this key and refuse echoed cookies that
   * do not open with it. Without a key, cookies are plain.
   */
  cookieKey?: CookieKey;
  /** A name for this pool element, shown in replies that name their sender (e.g. the PE id in hex). */
  name?: string;
  /** Receives one line per notable event (session resumed, cookie refused…). Default: silent. */
  log?: (line: string) => void;
  /** Ends every session being handled when aborted (the service closes it). */
  signal?: AbortSignal;
}

/** A pool-element service: handles one session until it ends. */
export interface Service {
  /** Name used by `rsp server --service`. */
  readonly name: string;
  /** One line for help texts. */
  readonly description: string;
  /**
   * Serves `session` until the pool user closes it or `context.signal`
   * aborts; closes the session before resolving. Rejects only on errors
   * of the service itself (a session that fails mid-way just ends).
   */
  handle(session: ServiceSession, context?: ServiceContext): Promise<void>;
}

/**
 * Runs `body` with a signal that aborts when `context.signal` does, then
 * closes the session (errors of a session that is already gone are ignored).
 * @internal
 */
export async function runSession(session: ServiceSession, context: ServiceContext, body: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const parent = context.signal;
  const onAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  try {
    await body(controller.signal);
  } catch (err) {
    if (!controller.signal.aborted && !isSessionGone(err)) throw err;
  } finally {
    parent?.removeEventListener('abort', onAbort);
    await session.close().catch(() => undefined);
  }
}

/** True for errors that only mean the session is closed or was aborted. */
export function isSessionGone(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return err.name === 'AbortError' || code === 'ERR_RSP_CLOSED' || code === 'ERR_RSP_ABORTED' || /closed|aborted/i.test(err.message);
}
