/**
 * MessageQueue (received messages of sessions, incoming sessions of a
 * pool-element socket): order, waiting consumers, abort, end, and the
 * iterator that `for await` over a session uses.
 */
import { describe, expect, it } from 'vitest';
import { AbortError } from '../../src/errors.js';
import { MessageQueue } from '../../src/session/message-queue.js';

describe('MessageQueue', () => {
  it('hands items out in order, to waiting consumers first', async () => {
    const q = new MessageQueue<number>();
    const waiting = [q.shift(), q.shift()];
    q.push(1);
    q.push(2);
    q.push(3);
    expect(await Promise.all(waiting)).toEqual([1, 2]);
    expect(q.length).toBe(1);
    expect(await q.shift()).toBe(3);
    // Many items: the ring grows and keeps the order.
    for (let i = 0; i < 1000; i++) q.push(i);
    const out: number[] = [];
    for (let i = 0; i < 1000; i++) out.push((await q.shift())!);
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('rejects a consumer whose signal aborts, and the next item goes to the next consumer', async () => {
    const q = new MessageQueue<string>();
    const controller = new AbortController();
    const first = q.shift(controller.signal);
    const second = q.shift();
    controller.abort();
    await expect(first).rejects.toBeInstanceOf(AbortError);
    q.push('a');
    expect(await second).toBe('a');
    await expect(q.shift(AbortSignal.abort())).rejects.toBeInstanceOf(AbortError);
  });

  it('ends: waiting consumers get null, queued items are still taken, later pushes are ignored', async () => {
    const q = new MessageQueue<number>();
    const waiting = q.shift();
    q.end();
    expect(await waiting).toBeNull();
    const r = new MessageQueue<number>();
    r.push(7);
    r.end();
    r.push(8);
    expect(await r.shift()).toBe(7);
    expect(await r.shift()).toBeNull();
  });

  it('ends with an error: consumers are rejected after the queued items; discard drops them', async () => {
    const q = new MessageQueue<number>();
    q.push(1);
    q.end(new Error('gone'));
    expect(await q.shift()).toBe(1);
    await expect(q.shift()).rejects.toThrow('gone');
    const d = new MessageQueue<number>();
    d.push(1);
    d.end(new Error('gone'), true);
    await expect(d.shift()).rejects.toThrow('gone');
  });

  it('iterates with for await: queued and later items, done when ended', async () => {
    const q = new MessageQueue<number>();
    q.push(1);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const n of q.iterate()) seen.push(n);
    })();
    await new Promise((r) => setImmediate(r));
    q.push(2);
    q.push(3);
    q.end();
    await loop;
    expect(seen).toEqual([1, 2, 3]);
  });

  it('iteration throws the error the queue ended with', async () => {
    const q = new MessageQueue<number>();
    q.push(1);
    q.end(new Error('failed'));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of q.iterate()) seen.push(n);
      })(),
    ).rejects.toThrow('failed');
    expect(seen).toEqual([1]);
  });

  it('leaving a for await early ends that iterator only: the queue keeps its items for recv()', async () => {
    const q = new MessageQueue<number>();
    for (let i = 0; i < 3; i++) q.push(i);
    const it = q.iterate();
    for await (const n of it) if (n === 0) break;
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(await q.shift()).toBe(1);
    const again: number[] = [];
    q.end();
    for await (const n of q.iterate()) again.push(n);
    expect(again).toEqual([2]);
  });
});
