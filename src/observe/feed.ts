/**
 * The live event feed of the web view: a bounded list of recent events
 * (registrations, removals with their reason, takeovers, failovers…) that
 * new browsers get at once and connected browsers get as they happen.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';

/** One event of the feed. */
export interface FeedEvent {
  /** Sequence number, from 1. */
  seq: number;
  /** Wall-clock time, ms since the epoch. */
  time: number;
  /** What happened: `registered`, `returned` (registered again after a removal), `removed`, `refused`, `failure-report`, `takeover`, `failover`, `peer-up`… */
  kind: string;
  /** One line for people. */
  text: string;
  /** Pool handle, when the event concerns one. */
  pool?: string;
  /** PE identifier (`0x` + 8 hex digits), when the event concerns one. */
  pe?: string;
  /**
   * `removed`: the PEs left in the pool, where its pool users fail over to
   * (at most {@link MAX_LISTED_PES}; `left` counts them all). Empty when no PE is left.
   */
  remaining?: string[];
  /** `removed`: how many PEs are left in the pool. */
  left?: number;
  /** `failure-report`: the transport address of the pool user that reported (`ADDR:PORT`). */
  reporter?: string;
}

/** Most PE ids a feed event lists (a removal from a pool of thousands stays one short line). */
export const MAX_LISTED_PES = 8;

/** Optional fields of a {@link FeedEvent} given to {@link EventFeed.push}. */
export type FeedEventExtra = Pick<FeedEvent, 'pool' | 'pe' | 'remaining' | 'left' | 'reporter'>;

/** Events of an {@link EventFeed}. */
export interface EventFeedEvents {
  event: (event: FeedEvent) => void;
}

/** A bounded feed of recent events. */
export class EventFeed extends EventEmitter<EventFeedEvents> {
  private readonly items: FeedEvent[] = [];
  private seq = 0;

  /** @param capacity - events kept for late subscribers (default 200) */
  constructor(private readonly capacity = 200) {
    super();
  }

  /** Adds an event and tells the subscribers. */
  push(kind: string, text: string, extra: FeedEventExtra = {}): FeedEvent {
    const e: FeedEvent = { seq: ++this.seq, time: Date.now(), kind, text, ...extra };
    this.items.push(e);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    this.emit('event', e);
    return e;
  }

  /** The events kept, oldest first. */
  recent(): FeedEvent[] {
    return [...this.items];
  }
}

export { hexId, poolHandleText } from '../wire/policy-text.js';
