/**
 * SCTP port ownership between raw-IP stacks of one network namespace.
 *
 * In raw-IP mode every process with a raw socket for protocol 132 receives a
 * copy of every SCTP packet that reaches the host (or network namespace), and
 * nothing in the kernel stops two processes from using the same SCTP port.
 * The original `sctp@1.0.0` transport hands out ephemeral ports sequentially
 * from 49152, so two processes on one host picked the same port and answered
 * each other's packets with ABORT.
 *
 * A raw stack therefore claims each SCTP port it uses by listening on an
 * abstract Unix socket named after the port. Abstract Unix socket names are
 * per network namespace and vanish when the process dies, so the claim is
 * exactly as wide as the set of processes that see the same packets, and a
 * killed process never leaves a stale claim. Other programs that use raw SCTP
 * without this convention are not covered; see docs/TRANSPORT.md.
 *
 * @module
 */
import { createServer, type Server } from 'node:net';
import { randomInt } from 'node:crypto';
import { RSerPoolError } from '../errors.js';

/** First and last port of the default ephemeral range (IANA dynamic ports). */
export const DEFAULT_EPHEMERAL_RANGE: readonly [number, number] = [49152, 65535];

/** Name of the abstract Unix socket that claims an SCTP port. */
export function claimName(port: number, prefix = 'rserpool-sctp-raw'): string {
  return `\0${prefix}:${port}`;
}

/** A held port claim; {@link PortClaim.release} gives the port back. */
export interface PortClaim {
  readonly port: number;
  release(): void;
}

/** Tries to claim one port; resolves `undefined` when another stack holds it. */
export function tryClaimPort(port: number, prefix?: string): Promise<PortClaim | undefined> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer();
    server.unref();
    const onError = (error: NodeJS.ErrnoException): void => {
      server.close();
      if (error.code === 'EADDRINUSE') resolve(undefined);
      else reject(new RSerPoolError('ERR_RSP_TRANSPORT', `cannot claim SCTP port ${port}: ${error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(claimName(port, prefix), () => {
      server.off('error', onError);
      let released = false;
      resolve({
        port,
        release() {
          if (released) return;
          released = true;
          server.close();
        },
      });
    });
  });
}

/** Options of {@link claimPort}. */
export interface ClaimPortOptions {
  /** Inclusive range of ephemeral ports; default {@link DEFAULT_EPHEMERAL_RANGE}. */
  ephemeralRange?: readonly [number, number];
  /** Ports this stack already uses (skipped without asking the kernel). */
  inUse?: ReadonlySet<number>;
  /** Prefix of the claim names (tests use their own to stay apart). */
  prefix?: string;
}

/**
 * Claims `port`, or a free ephemeral port when `port` is 0 or missing: random
 * picks first (so concurrent stacks rarely race for the same port), then a
 * bounded scan of the whole range. Rejects with code `ERR_RSP_TRANSPORT`
 * (message mentions `EADDRINUSE`) when the port is taken or the range is full.
 */
export async function claimPort(port: number | undefined, options: ClaimPortOptions = {}): Promise<PortClaim> {
  const inUse = options.inUse ?? new Set<number>();
  if (port !== undefined && port !== 0) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RSerPoolError('ERR_RSP_INVALID_ARGUMENT', `invalid SCTP port ${port}`);
    }
    const claim = inUse.has(port) ? undefined : await tryClaimPort(port, options.prefix);
    if (!claim) throw new RSerPoolError('ERR_RSP_TRANSPORT', `EADDRINUSE: SCTP port ${port} is in use by another raw stack`);
    return claim;
  }
  const [first, last] = options.ephemeralRange ?? DEFAULT_EPHEMERAL_RANGE;
  if (!(first >= 1 && last <= 65535 && first <= last)) {
    throw new RSerPoolError('ERR_RSP_INVALID_ARGUMENT', `invalid ephemeral port range ${first}-${last}`);
  }
  const size = last - first + 1;
  const randomTries = Math.min(32, size);
  for (let i = 0; i < randomTries; i++) {
    const candidate = first + randomInt(size);
    if (inUse.has(candidate)) continue;
    const claim = await tryClaimPort(candidate, options.prefix);
    if (claim) return claim;
  }
  const start = randomInt(size);
  for (let i = 0; i < size; i++) {
    const candidate = first + ((start + i) % size);
    if (inUse.has(candidate)) continue;
    const claim = await tryClaimPort(candidate, options.prefix);
    if (claim) return claim;
  }
  throw new RSerPoolError('ERR_RSP_TRANSPORT', `EADDRINUSE: no free SCTP port in ${first}-${last}`);
}
