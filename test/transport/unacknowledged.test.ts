/**
 * Per-message acknowledgement of the association: `unacknowledged()` lists
 * exactly the messages whose last TSN the peer's cumulative TSN ack does not
 * cover (transmitted ones first, then the ones never transmitted), in send
 * order, with their tags, also after the association closed. Real SCTP over
 * UDP on loopback; the peer's silence is produced by muting its protocol
 * machine (it still receives and delivers, but sends nothing: no SACK).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Association } from '../../src/transport/types.js';
import { copyForSend, sendPoolBytes } from '../../src/transport/slab.js';
import { closeAll, closed, connectedPair, endpoint, messages, nextAssociation, until } from './udp-helpers.js';

afterEach(closeAll);

const PPID = 51;

const pair = connectedPair;

/** Stops the peer's protocol machine from sending anything (no SACK, no HEARTBEAT-ACK), or (`false`) lets it again. */
function mute(a: Association, silent = true): void {
  (a as unknown as { sctp: { mute: boolean } }).sctp.mute = silent;
}

describe('Association.unacknowledged()', () => {
  it('is empty once the peer acknowledged every message', async () => {
    const { client, server } = await pair();
    const got = messages(server, 20);
    for (let i = 0; i < 20; i++) await client.send(Buffer.from(`m${i}`), { ppid: PPID, tag: i });
    await got;
    await until(() => client.unacknowledged!().length === 0, 5000, 'all acknowledged');
    expect(client.unacknowledged!()).toEqual([]);
  });

  it('lists transmitted messages the peer did not acknowledge, then untransmitted ones, in order and after close', async () => {
    const { client, server } = await pair();
    // Acknowledged before the peer goes silent: never listed.
    await client.send(Buffer.from('before'), { ppid: PPID, tag: 'before' });
    await messages(server, 1);
    await until(() => client.unacknowledged!().length === 0, 5000, 'first message acknowledged');

    mute(server);
    const received = messages(server, 3);
    const sends: Array<Promise<void>> = [];
    // 40 × 1000 bytes is far more than the initial congestion window: some stay untransmitted.
    for (let i = 0; i < 40; i++) sends.push(client.send(Buffer.alloc(1000, i), { ppid: PPID, stream: 1, tag: i }).catch(() => undefined));
    // The peer's SCTP received (and delivered) the first ones but its SACKs never arrive.
    await received;
    const list = client.unacknowledged!();
    expect(list.map((m) => m.tag)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const transmitted = list.filter((m) => m.transmitted).length;
    expect(transmitted).toBeGreaterThanOrEqual(3);
    expect(transmitted).toBeLessThan(40);
    // Transmitted ones come first.
    expect(list.slice(0, transmitted).every((m) => m.transmitted)).toBe(true);
    expect(list[5]).toMatchObject({ ppid: PPID, stream: 1, unordered: false });
    expect(Buffer.from(list[5]!.data).equals(Buffer.alloc(1000, 5))).toBe(true);

    const end = closed(client, 10_000);
    client.abort();
    await end;
    await Promise.all(sends);
    const after = client.unacknowledged!();
    expect(after.map((m) => m.tag)).toEqual(list.map((m) => m.tag));
    expect(after.filter((m) => m.transmitted).length).toBeGreaterThanOrEqual(transmitted);
  });

  it('keeps what a silent peer never acknowledged when failure detection closes the association', async () => {
    const s = await endpoint({ address: '127.0.0.1', port: 0, listen: true });
    const c = await endpoint({ address: '127.0.0.1', port: 0 });
    const accepted = nextAssociation(s);
    const client = await c.connect(s.local, { heartbeatInterval: 30, rtoMin: 20, rtoMax: 40, rtoInitial: 20, maxRetransmissions: 2 });
    const server = await accepted;
    mute(server);
    await client.send(Buffer.from('lost?'), { ppid: PPID, tag: 'x' });
    const { reason } = await closed(client, 10_000);
    expect(reason).toBe('timeout');
    expect(client.unacknowledged!()).toMatchObject([{ tag: 'x', transmitted: true }]);
  });

  it('sendHandedOver() keeps the given buffer itself until acknowledged; send() keeps a copy', async () => {
    const { client, server } = await pair();
    mute(server);
    const handed = Buffer.alloc(500, 1);
    const given = Buffer.alloc(500, 2);
    const received = messages(server, 2);
    await client.sendHandedOver!(handed, { ppid: PPID, tag: 'handed' });
    await client.send(given, { ppid: PPID, tag: 'copied' });
    const got = await received;
    expect(got.map((m) => Buffer.from(m.data).equals(Buffer.alloc(500, 1)) || Buffer.from(m.data).equals(Buffer.alloc(500, 2)))).toEqual([true, true]);
    const list = client.unacknowledged!();
    expect(list.map((m) => m.tag)).toEqual(['handed', 'copied']);
    expect(list[0]!.data).toBe(handed);
    expect(list[1]!.data).not.toBe(given);
    expect(Buffer.from(list[1]!.data).equals(given)).toBe(true);
  });

  it('large messages arrive intact while their buffers are recycled, and the ones listed keep their bytes', async () => {
    const { client, server } = await pair();
    // 300 messages of 64 KiB, each with its own content: the association's copies are given back
    // for reuse as the peer acknowledges them, so a buffer reused too early would show here.
    const count = 300;
    const content = (i: number): Buffer => Buffer.alloc(65_536, i & 0xff).fill((i * 7) & 0xff, 0, 4);
    const got = messages(server, count);
    for (let i = 0; i < count; i++) {
      client.write!(content(i), { ppid: PPID, tag: i });
      if (i % 16 === 15) await until(() => client.bufferedAmount < 1024 * 1024, 10_000, 'queue drained');
    }
    const received = await got;
    received.forEach((m, i) => expect(Buffer.from(m.data).equals(content(i)), `message ${i}`).toBe(true));
    await until(() => client.unacknowledged!().length === 0, 10_000, 'all acknowledged');

    // Now the peer stops acknowledging: what unacknowledged() lists is the caller's from then on,
    // and stays intact however many messages come after it.
    mute(server);
    const listedReceived = messages(server, 2);
    client.write!(content(1000), { ppid: PPID, tag: 'a' });
    client.write!(content(1001), { ppid: PPID, tag: 'b' });
    await listedReceived;
    const listed = client.unacknowledged!();
    expect(listed.map((m) => m.tag)).toEqual(['a', 'b']);
    mute(server, false);
    const more = messages(server, 50);
    for (let i = 0; i < 50; i++) client.write!(content(2000 + i), { ppid: PPID });
    await more;
    // Empty the process's pool, so that the buffers given back next (when the acknowledgement is
    // noticed) are certain to be there for the copies after it.
    while (sendPoolBytes() > 0) copyForSend(Buffer.alloc(65_536));
    await until(() => client.unacknowledged!().length === 0, 10_000, 'all acknowledged');
    // Had the listed ones gone back to the pool, these copies (taken at once, more than the pool
    // holds) would overwrite them.
    const last = messages(server, 80);
    for (let i = 0; i < 80; i++) client.write!(content(3000 + i), { ppid: PPID });
    await last;
    expect(Buffer.from(listed[0]!.data).equals(content(1000))).toBe(true);
    expect(Buffer.from(listed[1]!.data).equals(content(1001))).toBe(true);
  });

  it('sendHandedOver() checks its input like send()', async () => {
    const { client } = await pair();
    await expect(client.sendHandedOver!(new Uint8Array(0), { ppid: PPID })).rejects.toThrow(/empty/);
    await expect(client.sendHandedOver!(Buffer.from('x'), { ppid: -1 })).rejects.toThrow(/PPID/);
    const view = new Uint8Array(new ArrayBuffer(16), 4, 8).fill(7);
    await client.sendHandedOver!(view, { ppid: PPID, tag: 'view' });
    await until(() => client.unacknowledged!().length === 0, 5000, 'acknowledged');
  });

  it('lists messages still queued in SCTP as never transmitted when the association is aborted', async () => {
    const { client, server } = await pair();
    mute(server);
    const sends: Array<Promise<void>> = [];
    // Handed to SCTP in one synchronous run: none has been transmitted when the abort comes.
    for (let i = 0; i < 5; i++) sends.push(client.send(Buffer.alloc(100, i), { ppid: PPID, tag: i }).catch(() => undefined));
    const end = closed(client, 10_000);
    client.abort();
    await end;
    await Promise.all(sends);
    expect(client.unacknowledged!().map((m) => [m.tag, m.transmitted])).toEqual([0, 1, 2, 3, 4].map((i) => [i, false]));
  });
});
