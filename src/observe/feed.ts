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
  /** What happened: `registered`, `removed`, `refused`, `failure-report`, `takeover`, `failover`, `peer-up`… */
  kind: string;
  /** One line for people. */
  text: string;
  /** Pool handle, when the event concerns one. */
  pool?: string;
  /** PE identifier (`0x` + 8 hex digits), when the event concerns one. */
  pe?: string;
}

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
  push(kind: string, text: string, extra: { pool?: string; pe?: string } = {}): FeedEvent {
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
