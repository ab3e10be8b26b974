/**
 * Large messages written faster than SCTP takes them fill every packet:
 * when the send path runs out of messages in the middle of a packet, it asks
 * the association for the next ones in its write queue instead of sending a
 * small tail of its own. Real SCTP over UDP on loopback (packets of ~64 KiB).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SctpTransportAssociation } from '../../src/transport/association.js';
import { closeAll, connectedPair, messages } from './udp-helpers.js';

afterEach(closeAll);

describe('packet filling across the write queue', () => {
  it('sends 16 messages of 64 KiB in as many packets as their bytes need, plus at most one', async () => {
    const { connecting: c, client: association, server } = await connectedPair();
    const client = association as SctpTransportAssociation;
    const size = 65_536;
    const count = 16;
    // Fragments of one message in a packet: 16-byte DATA header, payload padded to 4.
    const payloadPerPacket = (client.packetSize - 12 - 16) & ~3;
    // 1 MiB at once: four times what SCTP's own queue accepts, the rest waits in the association's.
    const got = messages(server, count);
    const before = c.stats.packetsSent;
    for (let i = 0; i < count; i++) client.write!(Buffer.alloc(size, i), { ppid: 9 });
    const received = await got;
    received.forEach((m, i) => expect(Buffer.from(m.data).equals(Buffer.alloc(size, i))).toBe(true));
    const minimum = Math.ceil((count * size) / payloadPerPacket);
    // (Each packet holds at most two fragments, so the headers never cost a packet of their own.)
    expect(c.stats.packetsSent - before).toBeLessThanOrEqual(minimum + 1);
  });
});
