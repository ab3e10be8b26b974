/**
 * The accept loop of a pool element running a service: every incoming
 * session is handled concurrently until the acceptor closes.
 *
 * @module
 */
import type { Service, ServiceContext, ServiceSession } from './service.js';

/** A source of incoming sessions; a `PoolElementSocket` is one. */
export interface SessionAcceptor<S extends ServiceSession = ServiceSession> {
  /** Next incoming session; `null` once closed. */
  accept(options?: { signal?: AbortSignal }): Promise<S | null>;
}

/** Counters of {@link serve}. */
export interface ServeStats {
  /** Sessions accepted. */
  sessions: number;
  /** Sessions being handled now. */
  active: number;
  /** Sessions whose handler failed. */
  errors: number;
}

/** A running accept loop. */
export interface ServeHandle {
  readonly stats: ServeStats;
  /** Resolves once the acceptor closed and every session handler finished. */
  readonly done: Promise<void>;
}

/**
 * Handles every session `acceptor` yields with `service`, concurrently,
 * until the acceptor returns `null`. `onSession` sees each session first.
 */
export function serve<S extends ServiceSession>(
  acceptor: SessionAcceptor<S>,
  service: Service,
  context: ServiceContext = {},
  onSession?: (session: S) => void,
): ServeHandle {
  const stats: ServeStats = { sessions: 0, active: 0, errors: 0 };
  const running = new Set<Promise<void>>();
  const done = (async () => {
    for (;;) {
      const session = await acceptor.accept().catch(() => null);
      if (session === null) break;
      stats.sessions++;
      stats.active++;
      onSession?.(session);
      const p: Promise<void> = service
        .handle(session, context)
        .catch((err: unknown) => {
          stats.errors++;
          context.log?.(`${service.name} session failed: ${err instanceof Error ? err.message : String(err)}`);
        })
        .finally(() => {
          stats.active--;
          running.delete(p);
        });
      running.add(p);
    }
    await Promise.allSettled([...running]);
  })();
  return { stats, done };
}
