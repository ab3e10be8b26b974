import { afterEach, describe, expect, it } from 'vitest';
import { RawStack, rawModeUnavailableReason } from '../../src/transport/raw-stack.js';
import { claimPort, tryClaimPort } from '../../src/transport/raw-port-claim.js';
import {
  digest,
  fitMtu,
  onMessage,
  openEndpoint,
  patternMessage,
  sendAll,
  whenUp,
  type SctpAssociation,
  type SctpEndpoint,
} from './raw-sctp-harness.js';

const reason = rawModeUnavailableReason();
if (reason) console.log(`[skip] raw-IP mode tests: ${reason}`);
const prefix = `rserpool-test-${process.pid}`;

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return predicate();
}

async function loopbackPair(
  address: string,
  options: { unsafeNoCopy?: boolean } = {},
): Promise<{ stack: RawStack; server: SctpEndpoint; association: SctpAssociation; received: Buffer[] }> {
  const stack = await RawStack.open({ ...options });
  cleanups.push(() => stack.close());
  const server = await openEndpoint(stack, 0);
  const client = await openEndpoint(stack, 0);
  cleanups.push(() => {
    client.close();
    server.close();
  });
  const received: Buffer[] = [];
  server.on('association', (a) => {
    fitMtu(stack, a);
    onMessage(a, (data) => received.push(data));
  });
  const association = client.ASSOCIATE({ remoteAddress: address, remotePort: server.localPort });
  fitMtu(stack, association);
  await whenUp(association);
  return { stack, server, association, received };
}

describe.skipIf(reason !== undefined)('raw-IP stack on loopback', () => {
  it('delivers messages larger than one packet intact (received packets are copied)', async () => {
    const { stack, association, received } = await loopbackPair('127.0.0.1');
    const messages = [1, 2, 3, 4, 5, 6].map((i) => patternMessage(i * 7000, i));
    await sendAll(association, messages);
    expect(await until(() => received.length === messages.length, 15_000)).toBe(true);
    expect(received.map(digest)).toEqual(messages.map(digest));
    expect(stack.stats.droppedBadChecksum).toBe(0);
  });

  it('shows the defect without the copy: slices of the reused receive buffer corrupt reassembled messages', async () => {
    const { association, received } = await loopbackPair('127.0.0.1', { unsafeNoCopy: true });
    const messages = [1, 2, 3].map((i) => patternMessage(20_000, i));
    await sendAll(association, messages);
    await until(() => received.length === messages.length, 5_000);
    const intact = received.filter((m, i) => digest(m) === digest(messages[i]!)).length;
    expect(intact).toBeLessThan(messages.length);
  });

  it('works over IPv6 loopback', async () => {
    const { association, received } = await loopbackPair('::1');
    const messages = [patternMessage(100, 1), patternMessage(9000, 2)];
    await sendAll(association, messages);
    expect(await until(() => received.length === 2, 15_000)).toBe(true);
    expect(received.map(digest)).toEqual(messages.map(digest));
  });

  it('ignores packets for ports it does not own instead of answering them', async () => {
    const stack = await RawStack.open();
    cleanups.push(() => stack.close());
    const client = await openEndpoint(stack, 0);
    cleanups.push(() => client.close());
    // A port claimed but bound to no stack: no process on this host answers for it.
    const hold = await claimPort(0);
    cleanups.push(() => hold.release());
    const unowned = hold.port;
    const association = client.ASSOCIATE({ remoteAddress: '127.0.0.1', remotePort: unowned });
    let lost = false;
    association.on('COMMUNICATION LOST', () => (lost = true));
    expect(await until(() => stack.stats.ignoredForeignPort > 0, 5_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(lost).toBe(false);
    association.ABORT();
  });

  it('drops packets with a bad CRC32c before SCTP sees them', async () => {
    const { stack, server } = await loopbackPair('127.0.0.1');
    const before = stack.stats.droppedBadChecksum;
    // A packet for the server's port with a wrong checksum, through a second raw stack.
    const other = await RawStack.open();
    cleanups.push(() => other.close());
    const claim = await other.claim(0);
    const fake = {
      localPort: claim.port,
      emit: () => true,
    };
    other.bind(fake, claim);
    const packet = {
      src_port: claim.port,
      dst_port: server.localPort,
      toBuffer(): Buffer {
        const b = Buffer.alloc(12 + 20);
        b.writeUInt16BE(claim.port, 0);
        b.writeUInt16BE(server.localPort, 2);
        b.writeUInt32LE(0xdeadbeef, 8);
        b.writeUInt8(1, 12); // INIT
        b.writeUInt16BE(20, 14);
        return b;
      },
    };
    (fake as unknown as { transport: { sendPacket: (s: undefined, d: string, p: typeof packet) => void } }).transport.sendPacket(undefined, '127.0.0.1', packet);
    expect(await until(() => stack.stats.droppedBadChecksum > before, 5_000)).toBe(true);
  });
});

describe.skipIf(process.platform !== 'linux')('raw-IP port claims', () => {
  it('gives two stacks distinct ephemeral ports and refuses a claimed port', async () => {
    const a = await claimPort(0, { prefix });
    const b = await claimPort(0, { prefix });
    cleanups.push(() => {
      a.release();
      b.release();
    });
    expect(a.port).not.toBe(b.port);
    expect(a.port).toBeGreaterThanOrEqual(49152);
    await expect(claimPort(a.port, { prefix })).rejects.toMatchObject({ code: 'ERR_RSP_TRANSPORT' });
    a.release();
    const again = await tryClaimPort(a.port, prefix);
    expect(again?.port).toBe(a.port);
    again?.release();
  });

  it('fails cleanly when the ephemeral range is exhausted', async () => {
    const only = await claimPort(0, { prefix, ephemeralRange: [40000, 40000] });
    cleanups.push(() => only.release());
    await expect(claimPort(0, { prefix, ephemeralRange: [40000, 40000] })).rejects.toThrow(/EADDRINUSE/);
  });
});
