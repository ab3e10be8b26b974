/**
 * Packet sizing per destination over UDP encapsulation on this host:
 * loopback destinations use the loopback interface's MTU (not a 1,500-byte
 * link), the `mtu` option overrides it, the largest MTU (UDP payload limit
 * 65,507 / 65,527 bytes) no longer stalls (DATA padding made a full packet
 * one datagram too big), and messages of every size up to 1 MiB arrive
 * intact at every MTU. Namespace links with other MTUs and a path that only
 * discovery finds: test/integration/transport-netns-pmtu.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { clearPathMtuCache, pathMtuTo, sctpPacketSizeForUdp } from '../../src/transport/path-mtu.js';
import type { SctpTransportAssociation } from '../../src/transport/association.js';
import type { UdpEndpointOptions } from '../../src/transport/udp-endpoint.js';
import { closeAll, endpoint, messages, nextAssociation } from './udp-helpers.js';

afterEach(closeAll);

function loopbackMtu(): number {
  const lo = Object.entries(os.networkInterfaces()).find(([, l]) => l?.some((i) => i.internal))?.[0] ?? 'lo';
  try {
    return Number(readFileSync(`/sys/class/net/${lo}/mtu`, 'utf8').trim());
  } catch {
    return 16_384;
  }
}

async function pair(options: UdpEndpointOptions = {}) {
  const server = await endpoint({ ...options, listen: true });
  const client = await endpoint(options);
  const accepted = nextAssociation(server);
  const a = (await client.connect(server.local)) as SctpTransportAssociation;
  const b = (await accepted) as SctpTransportAssociation;
  let largest = 0;
  const sock = (server as unknown as { socket: dgram.Socket }).socket;
  sock.prependListener('message', (m: Buffer) => {
    largest = Math.max(largest, m.length);
  });
  return { a, b, largest: () => largest };
}

function pattern(length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('path MTU per destination', () => {
  it('knows loopback, own addresses, on-link and routed destinations', () => {
    clearPathMtuCache();
    const lo = loopbackMtu();
    expect(pathMtuTo('127.0.0.1')).toMatchObject({ kind: 'loopback', mtu: lo, ceiling: lo });
    expect(pathMtuTo('::1')).toMatchObject({ kind: 'loopback', mtu: lo });
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4');
    if (external) {
      // An own address goes through loopback; a neighbour on the same /24 or wider subnet is on-link.
      expect(pathMtuTo(external.address).kind).toBe('loopback');
      const prefix = Number(external.cidr!.split('/')[1]);
      if (prefix <= 24) {
        const parts = external.address.split('.');
        parts[3] = parts[3] === '200' ? '201' : '200';
        expect(pathMtuTo(parts.join('.'))).toMatchObject({ kind: 'link' });
      }
    }
    const routed = pathMtuTo('198.51.100.7');
    if (routed.kind === 'routed') {
      expect(routed.mtu).toBeLessThanOrEqual(1500);
      expect(routed.ceiling).toBeGreaterThanOrEqual(routed.mtu);
    }
    expect(sctpPacketSizeForUdp(65_535, 4)).toBeLessThanOrEqual(65_507);
    expect(sctpPacketSizeForUdp(65_535, 6)).toBeLessThanOrEqual(65_527);
    expect(sctpPacketSizeForUdp(1500, 6)).toBe(1452);
  });

  it.each([
    ['127.0.0.1', 20],
    ['::1', 40],
  ])('sizes packets to the loopback MTU without any option (%s)', async (address, ipHeader) => {
    const { a, b, largest } = await pair({ address });
    const expected = sctpPacketSizeForUdp(loopbackMtu(), ipHeader === 20 ? 4 : 6);
    expect(a.packetSize).toBe(expected);
    expect(b.packetSize).toBe(expected);
    const got = messages(b, 1);
    const data = randomBytes(1024 * 1024);
    await a.send(data, { ppid: 1 });
    expect(Buffer.from((await got)[0]!.data).equals(data)).toBe(true);
    expect(largest()).toBeGreaterThan(1500);
    expect(largest()).toBeLessThanOrEqual(expected);
  });

  it.each([
    ['127.0.0.1'],
    ['::1'],
  ])('moves 64 KiB messages at the largest MTU, mtu: 65535 (regression: stalled at 0 MB/s) (%s)', async (address) => {
    const { a, b, largest } = await pair({ address, mtu: 65_535 });
    const count = 40;
    const got = messages(b, count, 20_000);
    const sent = Array.from({ length: count }, (_, i) => pattern(65_536, i + 1));
    for (const m of sent) void a.send(m, { ppid: 2 });
    const received = await got;
    received.forEach((r, i) => expect(Buffer.from(r.data).equals(sent[i]!)).toBe(true));
    expect(largest()).toBeGreaterThan(60_000);
    expect(largest()).toBeLessThanOrEqual(address === '::1' ? 65_527 : 65_507);
  });

  it.each([[576], [1500], [9000], [65_535], [undefined]])('delivers messages of every size class up to 1 MiB intact at mtu %s', async (mtu) => {
    const { a, b } = await pair(mtu === undefined ? {} : { mtu });
    const p = a.packetSize - 12 - 16; // payload of one full DATA chunk, before padding
    const sizes = new Set<number>([1, 2, 3, 4, 5, 99, 1023, 1024, 1025]);
    for (const base of [p & ~3, p, 2 * (p & ~3), 3 * (p & ~3), 65_535, 65_536, 100_000, 1024 * 1024]) {
      for (const d of [-4, -1, 0, 1, 4]) if (base + d > 0 && base + d <= 1024 * 1024) sizes.add(base + d);
    }
    const list = [...sizes];
    const got = messages(b, list.length, 30_000);
    const sent = list.map((n, i) => pattern(n, i + 7));
    for (const m of sent) void a.send(m, { ppid: 3 });
    const received = await got;
    received.forEach((r, i) => {
      expect(r.data.length).toBe(sent[i]!.length);
      expect(Buffer.from(r.data).equals(sent[i]!)).toBe(true);
    });
  });
});
