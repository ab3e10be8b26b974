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
  | 'ERR_RSP_HOST_NOT_FOUND'
  | 'ERR_RSP_NO_POOL_ELEMENT'
  | 'ERR_RSP_COOKIE_INVALID'
  | 'ERR_RSP_SECURITY'
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

/**
 * A handle resolution found no pool with the requested handle (the registrar
 * answered with Operation Error cause 0x0009 "Unknown pool handle").
 */
export class PoolNotFoundError extends RSerPoolError {
  /** The pool handle that was asked for, as text when printable. */
  readonly poolHandle: string;

  constructor(poolHandle: string, message = `Pool "${poolHandle}" not found`) {
    super('ERR_RSP_POOL_NOT_FOUND', message);
    this.poolHandle = poolHandle;
  }
}

/**
 * No registrar could be reached: the server hunt tried every known registrar
 * (static list, `RSP_REGISTRARS`, announces) within its time limits and none
 * answered. `attempts` lists what was tried and why it failed.
 */
export class NoRegistrarError extends RSerPoolError {
  /** One entry per failed connection attempt: `HOST:PORT` and the reason. */
  readonly attempts: ReadonlyArray<{ registrar: string; reason: string }>;

  constructor(message: string, attempts: ReadonlyArray<{ registrar: string; reason: string }> = [], options?: { cause?: unknown }) {
    super('ERR_RSP_NO_REGISTRAR', message, options);
    this.attempts = attempts;
  }
}

/**
 * A registrar refused a registration (Registration Response with the R bit).
 * `causeCode` is the Operation Error cause (RFC 5354 codes such as 0x0005
 * "Inconsistent pooling policy", or implementation-specific codes), and
 * `causeName` a readable name for it.
 */
export class RegistrationRefusedError extends RSerPoolError {
  /** 16-bit Operation Error cause code sent by the registrar; `undefined` when none was sent. */
  readonly causeCode: number | undefined;
  /** Readable name of {@link RegistrationRefusedError.causeCode}. */
  readonly causeName: string;

  constructor(causeCode: number | undefined, causeName: string, message?: string) {
    super('ERR_RSP_REGISTRATION_REFUSED', message ?? `Registration refused by the registrar: ${causeName}`);
    this.causeCode = causeCode;
    this.causeName = causeName;
  }
}
