/**
 * Error classes shared by every layer. Each error carries a stable string `code`
 * (Node.js style), so callers can branch on `err.code` instead of on messages.
 *
 * @module
 */

/** Stable error codes used by {@link RSerPoolError} and its subclasses. */
export type RSerPoolErrorCode =
  | 'ERR_RSP_PROTOCOL'
  | 'ERR_RSP_INVALID_ARGUMENT'
  | 'ERR_RSP_LIMIT'
  | 'ERR_RSP_POOL_NOT_FOUND'
  | 'ERR_RSP_NO_REGISTRAR'
  | 'ERR_RSP_REGISTRATION_REFUSED'
  | 'ERR_RSP_POLICY_MISMATCH'
  | 'ERR_RSP_TIMEOUT'
  | 'ERR_RSP_ABORTED'
  | 'ERR_RSP_CLOSED'
  | 'ERR_RSP_TRANSPORT'
  | 'ERR_RSP_CONNECTION_REFUSED'
  | 'ERR_RSP_NO_POOL_ELEMENT'
  | 'ERR_RSP_COOKIE_INVALID'
  | (string & {});

/** Base class of every error this library throws or emits. */
export class RSerPoolError extends Error {
  /** Stable, machine-readable error code, e.g. `ERR_RSP_PROTOCOL`. */
  readonly code: RSerPoolErrorCode;

  constructor(code: RSerPoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Malformed or unacceptable input on the wire (bad lengths, unknown mandatory
 * parameters, limits exceeded while decoding). Decoders raise only this error
 * for bad input — never `RangeError` or `TypeError`.
 */
export class ProtocolError extends RSerPoolError {
  /**
   * RFC 5354 Operation Error cause code that best describes the problem, when
   * one applies (e.g. 0x0001 unrecognized parameter, 0x0003 invalid values).
   */
  readonly cause_code: number | undefined;
  /** Byte offset in the input where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor(message: string, details: { causeCode?: number; offset?: number; cause?: unknown } = {}) {
    super('ERR_RSP_PROTOCOL', message, details.cause === undefined ? undefined : { cause: details.cause });
    this.cause_code = details.causeCode;
    this.offset = details.offset;
  }
}

/** A caller passed an invalid argument (bad address, out-of-range value...). */
export class InvalidArgumentError extends RSerPoolError {
  constructor(message: string) {
    super('ERR_RSP_INVALID_ARGUMENT', message);
  }
}

/** An operation did not complete within its time limit. */
export class TimeoutError extends RSerPoolError {
  constructor(message: string) {
    super('ERR_RSP_TIMEOUT', message);
  }
}

/** An operation was cancelled through its `AbortSignal`. */
export class AbortError extends RSerPoolError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('ERR_RSP_ABORTED', message, options);
  }
}

/** The object (association, session, instance) is closed. */
export class ClosedError extends RSerPoolError {
  constructor(message = 'Closed') {
    super('ERR_RSP_CLOSED', message);
  }
}
