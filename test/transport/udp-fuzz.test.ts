/**
 * Hostile datagrams through the whole receive path of a UDP endpoint (checksum, framing, demux,
 * out-of-the-blue handling, the repaired protocol machine): mutated copies of real packets with
 * a correct CRC32c, including ones carrying the live association's verification tag. The
 * endpoint must neither throw nor stop serving associations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { crc32c } from '@node-rs/crc32';
import { closeAll, endpoint, messages, nextAssociation, until } from './udp-helpers.js';

afterEach(closeAll);

/** Small deterministic PRNG (xorshift32) so failures can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function mutate(packet: Buffer, random: () => number): Buffer {
  let p = Buffer.from(packet);
  const kind = Math.floor(random() * 6);
  if (kind === 0) {
    // flip a few bytes after the common header
    for (let i = 0; i < 1 + Math.floor(random() * 4); i++) {
      const at = 12 + Math.floor(random() * Math.max(1, p.length - 12));
      if (at < p.length) p[at] = Math.floor(random() * 256);
    }
  } else if (kind === 1) {
    // truncate
    p = p.subarray(0, 12 + Math.floor(random() * Math.max(1, p.length - 12)));
  } else if (kind === 2) {
    // random chunk length
    if (p.length >= 16) p.writeUInt16BE(Math.floor(random() * 0x10000), 14);
  } else if (kind === 3) {
    // random chunk type and flags
    if (p.length >= 14) {
      p[12] = Math.floor(random() * 256);
      p[13] = Math.floor(random() * 256);
    }
  } else if (kind === 4) {
    // append garbage
    const extra = Buffer.alloc(Math.floor(random() * 64));
    for (let i = 0; i < extra.length; i++) extra[i] = Math.floor(random() * 256);
    p = Buffer.concat([p, extra]);
  } else {
    // zero a parameter length inside the first chunk
    if (p.length >= 36) p.writeUInt16BE(0, 34);
  }
  if (p.length >= 12) {
    p.writeUInt32LE(0, 8);
    p.writeUInt32LE(crc32c(p), 8);
  }
  return p;
}

describe('UDP endpoint under hostile datagrams', () => {
  it('survives mutated packets (handshake and in-association, valid CRC) and keeps serving', async () => {
    const server = await endpoint({ listen: true, heartbeatInterval: 1000, rtoMin: 200, rtoMax: 2000, maxRetransmissions: 8 });
    const client = await endpoint({ heartbeatInterval: 1000, rtoMin: 200, rtoMax: 2000, maxRetransmissions: 8 });

    // Capture real packets the client sends (INIT, COOKIE ECHO, DATA, SACK...).
    const captured: Buffer[] = [];
    const serverSocket = (server as unknown as { socket: dgram.Socket }).socket;
    serverSocket.prependListener('message', (m: Buffer) => {
      if (captured.length < 64) captured.push(Buffer.from(m));
    });
    const accepted = nextAssociation(server);
    const a = await client.connect(server.local, { ownSocket: false });
    const b = await accepted;
    const got = messages(b, 3);
    await a.send(Buffer.from('one'), { ppid: 1 });
    await a.send(Buffer.alloc(3000, 7), { ppid: 2, stream: 1 });
    await a.send(Buffer.from('three'), { ppid: 3, unordered: true });
    await got;
    expect(captured.length).toBeGreaterThan(3);

    // Fire mutated copies from the client's own address and port, so they hit the live link.
    const clientSocket = (client as unknown as { socket: dgram.Socket }).socket;
    const random = rng(0x5eed);
    const total = 6000;
    for (let i = 0; i < total; i++) {
      const base = captured[Math.floor(random() * captured.length)]!;
      clientSocket.send(mutate(base, random), server.local.port, '127.0.0.1');
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
    }
    await until(() => server.stats.datagramsReceived >= total * 0.5, 10_000, 'fuzz datagrams');
    await new Promise((r) => setTimeout(r, 200));
    expect(server.stats.protocolExceptions).toBe(0);
    // Every stage saw some of them: framing errors, out-of-the-blue, and the live association.
    expect(server.stats.malformed).toBeGreaterThan(0);
    expect(server.stats.outOfTheBlue).toBeGreaterThan(0);
    expect(server.stats.packetsReceived).toBeGreaterThan(100);

    // The endpoint still accepts and carries new associations.
    const fresh = await endpoint();
    const accepted2 = nextAssociation(server);
    const c = await fresh.connect(server.local);
    const d = await accepted2;
    const got2 = messages(d, 1);
    await c.send(Buffer.from('still alive'), { ppid: 9 });
    expect(Buffer.from((await got2)[0]!.data).toString()).toBe('still alive');
  }, 30_000);
});
