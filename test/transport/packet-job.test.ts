/**
 * Flushes deferred to the end of a received packet (packet-job.ts): unit
 * rules, and over real SCTP on loopback that replies written by a `message`
 * listener still leave bundled, in one packet per request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { beginPacket, endPacket, flushAfterPacket } from '../../src/transport/packet-job.js';
import { closeAll, endpoint, messages, nextAssociation } from './udp-helpers.js';

afterEach(closeAll);

describe('packet job', () => {
  it('defers nothing outside a packet', () => {
    expect(flushAfterPacket(() => {})).toBe(false);
  });

  it('runs the flushes asked for during a packet once, in order, when the outermost packet ends', () => {
    const ran: string[] = [];
    beginPacket();
    expect(flushAfterPacket(() => ran.push('a'))).toBe(true);
    beginPacket();
    expect(flushAfterPacket(() => ran.push('b'))).toBe(true);
    endPacket();
    expect(ran).toEqual([]);
    endPacket();
    expect(ran).toEqual(['a', 'b']);
    beginPacket();
    endPacket();
    expect(ran).toEqual(['a', 'b']);
  });

  it('lets a flush that runs at the end ask for another one outside the packet (not deferred, not lost)', () => {
    let inner: boolean | undefined;
    beginPacket();
    flushAfterPacket(() => {
      inner = flushAfterPacket(() => {});
    });
    endPacket();
    expect(inner).toBe(false);
  });

  it('sends the replies a message listener writes after the packet, bundled with the SACK into one packet', async () => {
    const s = await endpoint({ address: '127.0.0.1', port: 0, listen: true });
    const c = await endpoint({ address: '127.0.0.1', port: 0 });
    const accepted = nextAssociation(s);
    const client = await c.connect(s.local);
    const server = await accepted;
    server.on('message', (data) => {
      for (let i = 0; i < 3; i++) server.write!(Buffer.concat([Buffer.from(data), Buffer.from([i])]), { ppid: 7 });
    });
    const requests = 20;
    for (let r = 0; r < requests; r++) {
      const got = messages(client, 3);
      const before = s.stats.packetsSent;
      await client.send(Buffer.from([r]), { ppid: 7 });
      const replies = await got;
      expect(replies.map(({ data }) => [...data])).toEqual([0, 1, 2].map((i) => [r, i]));
      // The three replies and the acknowledgement of the request: one packet.
      expect(s.stats.packetsSent - before).toBe(1);
    }
  });
});
