import { describe, it, expect, beforeAll } from 'vitest';
import { installSctpRepairs } from '../../../src/transport/sctp-repairs/index.js';
import { MemoryNetwork, connectPair, collect, send, waitFor } from './harness.js';

beforeAll(() => installSctpRepairs());

describe('smoke', () => {
  it('connects and exchanges messages', async () => {
    const net = new MemoryNetwork();
    const p = await connectPair(net);
    const got = collect(p.b);
    for (let i = 0; i < 100; i++) await send(p.a, Buffer.from(`hello ${i}`));
    await waitFor(() => got.length === 100, 5000);
    expect(got[99]!.toString()).toBe('hello 99');
    p.close();
  });
});

describe('smoke 2', () => {
  it('5% loss 2000 messages', async () => {
    const net = new MemoryNetwork({ seed: 7 });
    const p = await connectPair(net);
    net.set({ loss: 0.05, reorder: 0.05, duplicate: 0.01 });
    const got = collect(p.b);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 2000; i++) sends.push(send(p.a, Buffer.from(`m${i}`.padEnd(200, 'x'))));
    await Promise.all(sends);
    await waitFor(() => got.length === 2000, 20000);
    for (let i = 0; i < 2000; i++) expect(got[i]!.toString().startsWith(`m${i}x`) || got[i]!.toString() === `m${i}`.padEnd(200, 'x')).toBe(true);
    p.close();
  });
  it('1 MiB', async () => {
    const net = new MemoryNetwork({ seed: 7 });
    const p = await connectPair(net);
    const got = collect(p.b);
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await send(p.a, big);
    await waitFor(() => got.length === 1, 20000);
    expect(got[0]!.equals(big)).toBe(true);
    p.close();
  });
  it('wrap', async () => {
    const net = new MemoryNetwork({ seed: 7 });
    const p = await connectPair(net, { assocOptions: { my_tag: 0xfffffff0 } });
    const got = collect(p.b);
    for (let i = 0; i < 100; i++) await send(p.a, Buffer.alloc(3000, i));
    await waitFor(() => got.length === 100, 20000);
    p.close();
  });
});
