/**
 * The answering side of Handle Table Requests (spec §12.9): fills responses
 * with {pool handle, PEs…} groups up to a number of elements and a message
 * size, sets the M bit while entries remain, and keeps the continuation
 * position per requesting peer.
 *
 * The first request of a download takes a snapshot of the keys to send;
 * each PE is looked up again when its response is built, so a PE removed or
 * changed meanwhile is sent in its current state or not at all (peers also
 * receive Handle Updates for those changes, in order, on the same link).
 *
 * @module
 */
import type { Clock } from '../../clock.js';
import type { PoolElementParam, PoolHandle } from '../../wire/types.js';
import type { EnrpHandlespace, HandlespaceEntry } from './handlespace-view.js';
import type { HandleTableGroup } from './messages.js';
import { ENRP_HEADER_SIZE, poolElementParamSize, poolHandleParamSize } from './message-size.js';

interface Continuation {
  keys: { poolHandle: PoolHandle; peId: number }[];
  next: number;
  lastUsed: number;
}

/** Limits of one response. */
export interface ResponderLimits {
  maxElementsPerResponse: number;
  maxResponseBytes: number;
  continuationTimeout: number;
}

/** Contents of one Handle Table Response. */
export interface ResponseBody {
  more: boolean;
  groups: HandleTableGroup[];
  /** Number of PEs in `groups`. */
  count: number;
}

function sameHandle(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Builds Handle Table Responses with per-peer continuation. */
export class HandleTableResponder {
  private readonly continuations = new Map<string, Continuation>();

  constructor(
    private readonly handlespace: EnrpHandlespace,
    private readonly ownId: number,
    private readonly clock: Clock,
    private readonly limits: ResponderLimits,
  ) {}

  /** Number of downloads in progress. */
  get pending(): number {
    return this.continuations.size;
  }

  /** Forgets the continuation of one peer (when it is removed). */
  forget(peerId: number): void {
    this.continuations.delete(`${peerId}/0`);
    this.continuations.delete(`${peerId}/1`);
  }

  /** Answers one request of `peerId`; W=1 (`ownChildrenOnly`) sends only PEs this server owns. */
  respond(peerId: number, ownChildrenOnly: boolean): ResponseBody {
    const now = this.clock.now();
    for (const [k, c] of this.continuations) if (now - c.lastUsed > this.limits.continuationTimeout) this.continuations.delete(k);
    const key = `${peerId}/${ownChildrenOnly ? 1 : 0}`;
    let cont = this.continuations.get(key);
    if (cont === undefined) {
      const snapshot: HandlespaceEntry[] = ownChildrenOnly ? this.handlespace.ownedBy(this.ownId) : this.handlespace.all();
      cont = { keys: snapshot.map((e) => ({ poolHandle: e.poolHandle, peId: e.element.peId })), next: 0, lastUsed: now };
      this.continuations.set(key, cont);
    }
    cont.lastUsed = now;
    const groups: HandleTableGroup[] = [];
    let size = ENRP_HEADER_SIZE;
    let count = 0;
    let group: HandleTableGroup | undefined;
    while (cont.next < cont.keys.length && count < this.limits.maxElementsPerResponse) {
      const k = cont.keys[cont.next]!;
      const element: PoolElementParam | undefined = this.handlespace.get(k.poolHandle, k.peId);
      if (element === undefined || (ownChildrenOnly && element.homeRegistrarId !== this.ownId)) {
        cont.next++;
        continue;
      }
      const newGroup = group === undefined || !sameHandle(group.poolHandle, k.poolHandle);
      const add = poolElementParamSize(element) + (newGroup ? poolHandleParamSize(k.poolHandle) : 0);
      if (count > 0 && size + add > this.limits.maxResponseBytes) break;
      if (newGroup) {
        group = { poolHandle: k.poolHandle, elements: [] };
        groups.push(group);
      }
      group!.elements.push(element);
      size += add;
      count++;
      cont.next++;
    }
    const more = cont.next < cont.keys.length;
    if (!more) this.continuations.delete(key);
    return { more, groups, count };
  }
}
