/**
 * Takeover bookkeeping (spec §12.10): the processes this server runs for
 * dead peers, the acknowledgements still outstanding, and the decisions
 * taken by other servers.
 *
 * Rules beyond the reference implementation:
 * - acknowledgements are awaited only from peers that are *reachable* when
 *   the takeover starts; with no such peer the takeover completes at once
 *   (the reference waits forever with two registrars);
 * - when the expiry timer fires, peers that became unreachable meanwhile
 *   are no longer waited for; if some reachable peer still did not answer,
 *   the Init Takeover round is repeated (at most 3 rounds) before giving up;
 * - a server that acknowledged another's takeover, or saw it completed,
 *   does not start its own for the same target for a while; and it answers
 *   an Init Takeover for a target it already took over with Takeover Server.
 * Two servers taking over the same target at once: the smaller server id
 * wins (the larger one acknowledges and cancels its own process).
 *
 * @module
 */
import type { TimerHandle } from '../../clock.js';

/** One running takeover. */
export interface TakeoverProcess {
  readonly targetId: number;
  /** Peers whose acknowledgement is still awaited. */
  readonly outstanding: Set<number>;
  readonly startedAt: number;
  /** 1 for the first round of Init Takeovers, 2 for the second, ... */
  readonly attempt: number;
  /** @internal expiry timer */
  timer: TimerHandle | undefined;
}

/** Record of a takeover decided (by us or another server). */
export interface TakeoverRecord {
  /** Server that took (or is taking) the target over. */
  takerId: number;
  /** Clock time of the record. */
  at: number;
  /** True once Takeover Server was sent or received. */
  completed: boolean;
}

/** Running takeovers and recent decisions. */
export class TakeoverTable {
  /** Processes this server runs, by target id. */
  readonly running = new Map<number, TakeoverProcess>();
  private readonly decided = new Map<number, TakeoverRecord>();

  constructor(private readonly memory: number) {}

  /** Starts a process; the caller sends the Init Takeovers. */
  start(targetId: number, outstanding: Iterable<number>, now: number, attempt = 1): TakeoverProcess {
    const p: TakeoverProcess = { targetId, outstanding: new Set(outstanding), startedAt: now, attempt, timer: undefined };
    this.running.set(targetId, p);
    return p;
  }

  /** Ends a process (completed or cancelled); returns it. */
  end(targetId: number): TakeoverProcess | undefined {
    const p = this.running.get(targetId);
    this.running.delete(targetId);
    return p;
  }

  /** Remembers who takes `targetId` over. */
  record(targetId: number, takerId: number, now: number, completed: boolean): void {
    this.decided.set(targetId, { takerId, at: now, completed });
  }

  /** The recent decision about `targetId`, if any (older ones are forgotten). */
  decision(targetId: number, now: number): TakeoverRecord | undefined {
    const r = this.decided.get(targetId);
    if (r === undefined) return undefined;
    if (now - r.at > this.memory) {
      this.decided.delete(targetId);
      return undefined;
    }
    return r;
  }

  /** Forgets a decision (the target is alive again). */
  forget(targetId: number): void {
    this.decided.delete(targetId);
  }
}
