import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { UdpEndpointOptions } from '../../src/transport/udp-endpoint.js';
import { ClosedError, InvalidArgumentError } from '../../src/errors.js';
import { ConnectionRefusedError, MessageTooLargeError } from '../../src/transport/errors.js';
import {
  chunk,
  closeAll,
  closed,
  endpoint,
  initChunk,
  messages,
  nextAssociation,
  probeSocket,
  sctpPacket,
  until,
} from './udp-helpers.js';

afterEach(closeAll);

describe('UDP encapsulation endpoint: basics', () => {
  it('binds UDP and SCTP to the same ephemeral port', async () => {
    const e = await endpoint();
    expect(e.local.address).toBe('127.0.0.1');
    expect(e.local.port).toBeGreaterThan(0);
    expect(e.sctpEndpoint.localPort).toBe(e.local.port);
  });

  it('connects, exchanges messages and preserves PPID, stream and unordered flag', async () => {
    const server = await endpoint({ listen: true });
    const client = await endpoint();
    const accepted = nextAssociation(server);
    const a = await client.connect(server.local);
    const b = await accepted;
    expect(a.remote).toEqual(server.local);
    expect(b.remote).toEqual({ address: '127.0.0.1', port: client.local.port });

    const got = messages(b, 4);
    await a.send(Buffer.from('zero'), { ppid: 11 });
    await a.send(Buffer.from('one'), { ppid: 12, stream: 1 });
    await a.send(Buffer.from('two'), { ppid: 0xfffffffe, stream: 7, unordered: true });
    await a.send(new Uint8Array([1, 2, 3]), { ppid: 4242, stream: 15 });
    const m = await got;
    const byText = new Map(m.map((x) => [Buffer.from(x.data).toString('latin1'), x.info]));
    expect(byText.get('zero')).toEqual({ ppid: 11, stream: 0, unordered: false });
    expect(byText.get('one')).toEqual({ ppid: 12, stream: 1, unordered: false });
    expect(byText.get('two')).toEqual({ ppid: 0xfffffffe, stream: 7, unordered: true });
    expect(byText.get('\x01\x02\x03')).toEqual({ ppid: 4242, stream: 15, unordered: false });

    const back = messages(a, 1);
    await b.send(Buffer.from('reply'), { ppid: 99, stream: 2 });
    const [r] = await back;
    expect(Buffer.from(r!.data).toString()).toBe('reply');
    expect(r!.info).toEqual({ ppid: 99, stream: 2, unordered: false });
  });

  it('keeps order within a stream for many messages', async () => {
    const server = await endpoint({ listen: true });
    const client = await endpoint();
    const accepted = nextAssociation(server);
    const a = await client.connect(server.local);
    const b = await accepted;
    const n = 500;
    const got = messages(b, n);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const buf = Buffer.alloc(100 + (i % 900));
      buf.writeUInt32BE(i, 0);
      sends.push(a.send(buf, { ppid: 1, stream: i % 3 }));
    }
    await Promise.all(sends);
    const m = await got;
    for (const s of [0, 1, 2]) {
      const seq = m.filter((x) => x.info.stream === s).map((x) => Buffer.from(x.data).readUInt32BE(0));
      expect(seq).toEqual([...seq].sort((x, y) => x - y));
    }
    expect(m.length).toBe(n);
  });

  it('carries 1 MiB messages intact in both directions', async () => {
    const server = await endpoint({ listen: true });
    const client = await endpoint();
    const accepted = nextAssociation(server);
    const a = await client.connect(server.local);
    const b = await accepted;
    b.on('message', (data, info) => void b.send(data, info).catch(() => {}));
    const big = randomBytes(1024 * 1024);
    const got = messages(a, 2, 20_000);
    await a.send(big, { ppid: 77 });
    await a.send(big.subarray(0, 300_000), { ppid: 78, stream: 1 });
    const [x, y] = await got;
    expect(x!.info.ppid).toBe(77);
    expect(Buffer.compare(Buffer.from(x!.data), big)).toBe(0);
    expect(y!.info).toEqual({ ppid: 78, stream: 1, unordered: false });
    expect(Buffer.compare(Buffer.from(y!.data), big.subarray(0, 300_000))).toBe(0);
  });

  it('works over IPv6 (::1), with and without own sockets', async () => {
    const server = await endpoint({ address: '::1', listen: true });
    const client = await endpoint({ address: '::1' });
    expect(server.local.address).toBe('::1');
    for (const ownSocket of [true, false]) {
      const accepted = nextAssociation(server);
      const a = await client.connect(server.local, { ownSocket });
      const b = await accepted;
      expect(b.remote).toEqual({ address: '::1', port: client.local.port });
      const got = messages(b, 1);
      await a.send(randomBytes(5000), { ppid: 6, stream: 1 });
      expect((await got)[0]!.data.length).toBe(5000);
      const bClosed = closed(b);
      await a.close();
      expect((await bClosed).reason).toBe('shutdown');
    }
    await expect(client.connect({ address: '127.0.0.1', port: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses a second association between the same endpoints without own sockets', async () => {
    const server = await endpoint({ listen: true });
    const client = await endpoint();
    const first = await client.connect(server.local, { ownSocket: false });
    await expect(client.connect(server.local, { ownSocket: false })).rejects.toMatchObject({ code: 'ERR_RSP_TRANSPORT' });
    const second = await client.connect(server.local); // own socket: a different UDP port
    expect(first.open && second.open).toBe(true);
    expect(server.associationCount).toBe(2);
  });

  it('rejects bad sends with stable errors', async () => {
    const server = await endpoint({ listen: true, maxMessageSize: 4096 });
    const client = await endpoint({ maxMessageSize: 4096 });
    const a = await client.connect(server.local);
    await expect(a.send(Buffer.alloc(4097), { ppid: 1 })).rejects.toBeInstanceOf(MessageTooLargeError);
    await expect(a.send(Buffer.alloc(4097), { ppid: 1 })).rejects.toMatchObject({ code: 'ERR_RSP_LIMIT' });
    await expect(a.send(Buffer.alloc(0), { ppid: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(a.send(Buffer.alloc(1), { ppid: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(a.send(Buffer.alloc(1), { ppid: 1, stream: 999 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const controller = new AbortController();
    controller.abort();
    await expect(a.send(Buffer.alloc(1), { ppid: 1, signal: controller.signal })).rejects.toMatchObject({ code: 'ERR_RSP_ABORTED' });
    await a.close();
    await expect(a.send(Buffer.alloc(1), { ppid: 1 })).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('UDP encapsulation endpoint: close reasons', () => {
  it('graceful close is seen as shutdown on both sides', async () => {
    const server = await endpoint({ listen: true });
    const client = await endpoint();
    const accepted = nextAssociation(server);
    const a = await client.connect(server.local);
    const b = await accepted;
    const got = messages(b, 1);
    const bClosed = closed(b);
    const aClosed = closed(a);
    void a.send(Buffer.from('last words'), { ppid: 1 });
    await a.close();
    expect((await got)[0]!.info.ppid).toBe(1);
    expect((await aClosed).reason).toBe('shutdown');
    expect((await bClosed).reason).toBe('shutdown');
    expect(a.open).toBe(false);
    expect(server.associationCount).toBe(0);
    expect(client.associationCount).toBe(0);
  });

  it('abort is seen as abort on both sides', async () => {
    const server = await endpoint({ listen: true });
    const client = await endpoint();
    const accepted = nextAssociation(server);
    const a = await client.connect(server.local);
    const b = await accepted;
    const aClosed = closed(a);
    const bClosed = closed(b);
    b.abort('bye');
    expect((await bClosed).reason).toBe('abort');
    expect((await aClosed).reason).toBe('abort');
  });

  it('closing an endpoint closes its associations locally and aborts the peers', async () => {
    const server = await endpoint({ listen: true });
    const client = await endpoint();
    const accepted = nextAssociation(server);
    const a = await client.connect(server.local);
    const b = await accepted;
    const aClosed = closed(a);
    const bClosed = closed(b);
    await server.close();
    expect((await bClosed).reason).toBe('local');
    expect((await aClosed).reason).toBe('abort');
  });

  it('connect to a port nobody listens on fails fast with refused', async () => {
    const probe = await probeSocket();
    const deadPort = probe.port;
    await probe.close();
    const client = await endpoint();
    const t0 = performance.now();
    const error = await client.connect({ address: '127.0.0.1', port: deadPort }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionRefusedError);
    expect((error as ConnectionRefusedError).reason).toBe('refused');
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(client.associationCount).toBe(0);
  });

  it('connect to an endpoint that does not listen is refused by ABORT (also without own socket)', async () => {
    const server = await endpoint({ listen: false });
    const client = await endpoint();
    for (const ownSocket of [true, false]) {
      const error = await client.connect(server.local, { ownSocket }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionRefusedError);
    }
    expect(server.stats.abortsSent).toBe(2);
  });

  it('connect timeout and AbortSignal', async () => {
    // A UDP socket that swallows everything: INITs are never answered.
    const sink = await probeSocket();
    const client = await endpoint();
    const t0 = performance.now();
    await expect(client.connect({ address: '127.0.0.1', port: sink.port }, { timeout: 300 })).rejects.toMatchObject({
      code: 'ERR_RSP_TIMEOUT',
    });
    expect(performance.now() - t0).toBeLessThan(2000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(client.connect({ address: '127.0.0.1', port: sink.port }, { signal: controller.signal })).rejects.toMatchObject({
      code: 'ERR_RSP_ABORTED',
    });
    expect(client.associationCount).toBe(0);
    await sink.close();
  });
});

describe('UDP encapsulation endpoint: packet validation', () => {
  it('drops garbage and bad checksums, counts them and offers non-SCTP datagrams', async () => {
    const server = await endpoint({ listen: true });
    const probe = await probeSocket();
    const datagrams: Uint8Array[] = [];
    server.on('datagram', (d) => datagrams.push(d));
    const send = (b: Buffer): void => void probe.socket.send(b, server.local.port, '127.0.0.1');
    send(Buffer.from('hi'));
    send(randomBytes(200));
    const good = sctpPacket(probe.port, server.local.port, 0, [initChunk(0x1234)]);
    const bad = Buffer.from(good);
    bad[20] ^= 0xff;
    send(bad);
    // Valid checksum but a chunk length running past the end.
    const broken = sctpPacket(probe.port, server.local.port, 0, [initChunk(0x1234)]);
    broken.writeUInt16BE(200, 14);
    broken.writeUInt32LE(0, 8);
    const { crc32c } = await import('@node-rs/crc32');
    broken.writeUInt32LE(crc32c(broken), 8);
    send(broken);
    await until(() => server.stats.datagramsReceived >= 4, 3000, 'datagrams');
    expect(server.stats.nonSctp).toBe(1);
    expect(server.stats.badChecksum).toBe(2);
    expect(server.stats.malformed).toBe(1);
    expect(server.stats.initsAnswered).toBe(0);
    expect(datagrams.length).toBe(3);
    expect(server.associationCount).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(probe.received.length).toBe(0);
    await probe.close();
  });

  it('answers an out-of-the-blue packet with a stateless ABORT (T bit, tag reflected)', async () => {
    const server = await endpoint({ listen: true });
    const probe = await probeSocket();
    // A HEARTBEAT for an association that does not exist.
    const hb = sctpPacket(probe.port, server.local.port, 0xdeadbeef, [chunk(4, 0, Buffer.from([0, 1, 0, 8, 1, 2, 3, 4]))]);
    probe.socket.send(hb, server.local.port, '127.0.0.1');
    const reply = await probe.next();
    expect(reply.readUInt16BE(0)).toBe(server.local.port);
    expect(reply.readUInt16BE(2)).toBe(probe.port);
    expect(reply.readUInt32BE(4)).toBe(0xdeadbeef);
    expect(reply[12]).toBe(6); // ABORT
    expect(reply[13]! & 1).toBe(1); // T bit
    const { crc32c } = await import('@node-rs/crc32');
    const check = Buffer.from(reply);
    const sum = check.readUInt32LE(8);
    check.writeUInt32LE(0, 8);
    expect(crc32c(check)).toBe(sum);
    expect(server.stats.outOfTheBlue).toBe(1);
    expect(server.stats.abortsSent).toBe(1);

    // An ABORT is never answered.
    probe.socket.send(sctpPacket(probe.port, server.local.port, 0x1, [chunk(6, 1)]), server.local.port, '127.0.0.1');
    // A lone INIT is answered with INIT ACK carrying a cookie, and creates no state.
    probe.socket.send(sctpPacket(probe.port, server.local.port, 0, [initChunk(0xabcdef)]), server.local.port, '127.0.0.1');
    const initAck = await probe.next();
    expect(initAck[12]).toBe(2);
    expect(initAck.readUInt32BE(4)).toBe(0xabcdef);
    expect(server.associationCount).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(probe.received.length).toBe(0);
    await probe.close();
  });

  it.each([
    ['127.0.0.1', 20],
    ['::1', 40],
  ])('keeps packets within a 1500-byte MTU including IP and UDP headers with mtu: 1500 (%s)', async (address, ipHeader) => {
    const server = await endpoint({ address, listen: true, mtu: 1500 });
    const client = await endpoint({ address, mtu: 1500 });
    const accepted = nextAssociation(server);
    const a = await client.connect(server.local, { ownSocket: false });
    const b = await accepted;
    let max = 0;
    const sock = (server as unknown as { socket: import('node:dgram').Socket }).socket;
    sock.prependListener('message', (m: Buffer) => {
      max = Math.max(max, m.length);
    });
    const got = messages(b, 1);
    await a.send(randomBytes(100_000), { ppid: 1 });
    await got;
    expect(max).toBeGreaterThan(1000);
    expect(max).toBeLessThanOrEqual(1500 - ipHeader - 8);
  });
});

/** The first non-internal IPv4 address of this host (not on the loopback network), if any. */
function hostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === 'IPv4' && !entry.internal && !entry.address.startsWith('127.')) return entry.address;
  }
  return undefined;
}

/**
 * An association over `address` whose client sends from its endpoint socket, plus a forged
 * copy of the client's first DATA packet: next TSN and SSN, other payload, and the CRC32c of
 * the original left in place (so it is wrong).
 */
async function forgedData(address: string, serverOptions: UdpEndpointOptions = {}) {
  const server = await endpoint({ address, listen: true, ...serverOptions });
  const client = await endpoint({ address });
  const captured: Buffer[] = [];
  const serverSocket = (server as unknown as { socket: dgram.Socket }).socket;
  serverSocket.prependListener('message', (m: Buffer) => {
    if (m.length > 28 && m[12] === 0) captured.push(Buffer.from(m));
  });
  const accepted = nextAssociation(server);
  const a = await client.connect(server.local, { ownSocket: false });
  const b = await accepted;
  const first = messages(b, 1);
  await a.send(Buffer.from('real'), { ppid: 5 });
  await first;
  await until(() => captured.length > 0, 3000, 'captured DATA');
  const forged = Buffer.from(captured[0]!);
  forged.writeUInt32BE((forged.readUInt32BE(16) + 1) >>> 0, 16); // TSN
  forged.writeUInt16BE((forged.readUInt16BE(22) + 1) & 0xffff, 22); // SSN
  forged.write('FAKE', 28);
  const clientSocket = (client as unknown as { socket: dgram.Socket }).socket;
  const inject = (): void => void clientSocket.send(forged, server.local.port, address);
  return { server, a, b, inject };
}

/** The forged packet is dropped and counted; the association then carries the next real message. */
async function expectForgeryDropped(f: Awaited<ReturnType<typeof forgedData>>): Promise<void> {
  const received: string[] = [];
  f.b.on('message', (d) => received.push(Buffer.from(d).toString()));
  f.inject();
  await until(() => f.server.stats.badChecksum === 1, 3000, 'bad checksum counted');
  await f.a.send(Buffer.from('after'), { ppid: 5 });
  await until(() => received.length === 1, 3000, 'next message');
  expect(received).toEqual(['after']);
}

describe('UDP encapsulation endpoint: CRC32c on loopback and elsewhere', () => {
  it('skips the CRC32c of DATA/SACK packets from a loopback address by default', async () => {
    const { server, b, inject } = await forgedData('127.0.0.1');
    const got = messages(b, 1);
    inject();
    const [m] = await got;
    // Accepted unchecked: the kernel's loopback never corrupts, and this is what skipping means.
    expect(Buffer.from(m!.data).toString()).toBe('FAKE');
    expect(server.stats.badChecksum).toBe(0);
  });

  it('verifies loopback DATA with verifyLoopbackChecksums: true', async () => {
    await expectForgeryDropped(await forgedData('127.0.0.1', { verifyLoopbackChecksums: true }));
  });

  const address = hostAddress();
  it.skipIf(address === undefined)('drops a corrupted DATA packet that does not come from a loopback address', async () => {
    await expectForgeryDropped(await forgedData(address!));
  });
});
