/**
 * Errors of the transport layer. All are {@link RSerPoolError} subclasses
 * with stable codes; the association's close reason travels with them.
 *
 * @module
 */
import { RSerPoolError } from '../errors.js';
import type { CloseReason } from './types.js';

/**
 * A transport failure: socket errors, an association lost while an
 * operation was pending. `code` is `ERR_RSP_TRANSPORT`; `reason` tells how
 * the association ended, when it did.
 */
export class TransportError extends RSerPoolError {
  /** Close reason of the association, when the error comes from its end. */
  readonly reason: CloseReason | undefined;

  constructor(message: string, options: { reason?: CloseReason; cause?: unknown; code?: string } = {}) {
    super(options.code ?? 'ERR_RSP_TRANSPORT', message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options.reason;
  }
}

/**
 * A connection attempt failed because the peer refused it: an ABORT in
 * answer to the INIT, or ICMP port unreachable (nobody listens on that UDP
 * port). `code` is `ERR_RSP_CONNECTION_REFUSED`.
 */
export class ConnectionRefusedError extends TransportError {
  constructor(message: string, options: { reason?: CloseReason; cause?: unknown } = {}) {
    super(message, { ...options, code: 'ERR_RSP_CONNECTION_REFUSED' });
  }
}

/** A message exceeds the association's message-size cap. `code` is `ERR_RSP_LIMIT`. */
export class MessageTooLargeError extends RSerPoolError {
  /** Size of the rejected message in bytes. */
  readonly size: number;
  /** The cap in bytes. */
  readonly limit: number;

  constructor(size: number, limit: number) {
    super('ERR_RSP_LIMIT', `Message of ${size} bytes exceeds the limit of ${limit} bytes`);
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A host name given as an address could not be resolved (DNS `ENOTFOUND`,
 * `EAI_AGAIN`, or no address of the family the endpoint uses). Retrying the
 * same name at once does not help, so callers fail fast on it. `code` is
 * `ERR_RSP_HOST_NOT_FOUND`; `cause` is the resolver's error.
 */
export class HostNotFoundError extends TransportError {
  /** The name that did not resolve. */
  readonly host: string;

  constructor(host: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: 'ERR_RSP_HOST_NOT_FOUND' });
    this.host = host;
  }
}
