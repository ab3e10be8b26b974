/**
 * The requesting side of handle-table downloads (spec §12.8–§12.9):
 * - `full` (W=0): the startup download from the mentor peer;
 * - `audit` (W=1): resynchronisation of one peer's own PEs after a Presence
 *   checksum mismatch. Every local entry owned by that peer is marked first;
 *   entries the peer re-sends are unmarked; whatever is still marked after
 *   the final response (M=0) is purged.
 *
 * One download per peer at a time; a request without an answer is sent
 * again once after `requestTimeout`, then the download is abandoned.
 *
 * @module
 */
import type { Clock, TimerHandle } from '../../clock.js';
import { entryKey, type EnrpHandlespace } from './handlespace-view.js';
import type { PeerHandleTableResponse } from './messages.js';

/** Kind of a download. */
export type SyncKind = 'full' | 'audit';

/** How a download ended. */
export interface SyncResult {
  peerId: number;
  kind: SyncKind;
  /** True when the final response (M=0) arrived. */
  complete: boolean;
  /** PEs received and applied. */
  received: number;
  /** Local entries purged by an audit. */
  purged: number;
  /** Responses received. */
  responses: number;
}

interface Session {
  kind: SyncKind;
  marked: Set<string> | undefined;
  received: number;
  responses: number;
  retried: boolean;
  timer: TimerHandle | undefined;
}

/** Callbacks of {@link HandleTableSync}. */
export interface HandleTableSyncHooks {
  /** Sends a Handle Table Request to `peerId` (W = `ownChildrenOnly`). */
  request(peerId: number, ownChildrenOnly: boolean): void;
  /** A download ended (complete or abandoned). */
  done(result: SyncResult): void;
  /** May this entry from `peerId` be stored (default: yes)? Refused entries are skipped. */
  accept?(peerId: number, poolHandle: Uint8Array, element: import('../../wire/types.js').PoolElementParam): boolean;
}

/** Runs handle-table downloads from peers. */
export class HandleTableSync {
  private readonly sessions = new Map<number, Session>();

  constructor(
    private readonly handlespace: EnrpHandlespace,
    private readonly ownId: number,
    private readonly clock: Clock,
    private readonly requestTimeout: number,
    private readonly hooks: HandleTableSyncHooks,
  ) {}

  /** True while a download from `peerId` runs. */
  running(peerId: number): boolean {
    return this.sessions.has(peerId);
  }

  /** Starts a download from `peerId`; returns false when one is already running. */
  start(peerId: number, kind: SyncKind): boolean {
    if (this.sessions.has(peerId)) return false;
    let marked: Set<string> | undefined;
    if (kind === 'audit') {
      marked = new Set();
      for (const e of this.handlespace.ownedBy(peerId)) marked.add(entryKey(e.poolHandle, e.element.peId));
    }
    const s: Session = { kind, marked, received: 0, responses: 0, retried: false, timer: undefined };
    this.sessions.set(peerId, s);
    this.send(peerId, s);
    return true;
  }

  /** Abandons the download from `peerId`, if any (peer removed). */
  cancel(peerId: number): void {
    const s = this.sessions.get(peerId);
    if (s === undefined) return;
    this.clock.clearTimeout(s.timer);
    this.sessions.delete(peerId);
  }

  /** Abandons every download. */
  close(): void {
    for (const id of [...this.sessions.keys()]) this.cancel(id);
  }

  /** Handles a response from `peerId`; unsolicited responses are ignored. */
  response(peerId: number, msg: PeerHandleTableResponse): void {
    const s = this.sessions.get(peerId);
    if (s === undefined) return;
    this.clock.clearTimeout(s.timer);
    s.timer = undefined;
    s.responses++;
    if (msg.rejected) {
      this.finish(peerId, s, false);
      return;
    }
    for (const g of msg.groups) {
      for (const element of g.elements) {
        if (element.homeRegistrarId === this.ownId) continue;
        if (s.kind === 'audit' && element.homeRegistrarId !== peerId) continue;
        if (this.hooks.accept !== undefined && !this.hooks.accept(peerId, g.poolHandle, element)) {
          s.marked?.delete(entryKey(g.poolHandle, element.peId));
          continue;
        }
        if (this.handlespace.applyPeer(g.poolHandle, element)) s.received++;
        s.marked?.delete(entryKey(g.poolHandle, element.peId));
      }
    }
    if (msg.more) {
      s.retried = false;
      this.send(peerId, s);
    } else {
      this.finish(peerId, s, true);
    }
  }

  /** An ADD or DEL from `peerId` during an audit settles that entry. */
  settled(peerId: number, key: string): void {
    this.sessions.get(peerId)?.marked?.delete(key);
  }

  private send(peerId: number, s: Session): void {
    s.timer = this.clock.setTimeout(() => {
      s.timer = undefined;
      if (s.retried) {
        this.finish(peerId, s, false);
      } else {
        s.retried = true;
        this.send(peerId, s);
      }
    }, this.requestTimeout);
    this.hooks.request(peerId, s.kind === 'audit');
  }

  private finish(peerId: number, s: Session, complete: boolean): void {
    this.sessions.delete(peerId);
    let purged = 0;
    if (complete && s.marked !== undefined) {
      for (const key of s.marked) {
        const slash = key.indexOf('/');
        const handle = Uint8Array.from(Buffer.from(key.slice(0, slash), 'hex'));
        const peId = Number(key.slice(slash + 1));
        const cur = this.handlespace.get(handle, peId);
        if (cur !== undefined && cur.homeRegistrarId === peerId && this.handlespace.remove(handle, peId)) purged++;
      }
    }
    this.hooks.done({ peerId, kind: s.kind, complete, received: s.received, purged, responses: s.responses });
  }
}
