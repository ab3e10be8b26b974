import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { Announcer } from '../../src/registrar/announcer.js';
import { createLogger } from '../../src/registrar/logger.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { decodeMessage } from '../../src/wire/messages.js';
import type { Endpoint } from '../../src/transport/types.js';
import { EventEmitter } from 'eventemitter3';

describe('Announcer', () => {
  it('sends every interval with jitter and survives send failures', async () => {
    const clock = new FakeClock();
    const sent: number[] = [];
    let fail = false;
    const lines: string[] = [];
    const results: boolean[] = [];
    const a = new Announcer({
      group: { address: '239.0.0.50', port: 3863 },
      interval: 1000,
      ttl: 1,
      loopback: true,
      clock,
      random: () => 0.5,
      logger: createLogger({ stream: { write: (l: string) => lines.push(l) } }),
      createSender: async () => ({
        send: async () => {
          if (fail) throw new Error('ENETUNREACH');
          sent.push(clock.now());
        },
        close: () => {},
      }),
      payload: () => new Uint8Array([1, 2, 3, 4]),
      onSent: (ok) => results.push(ok),
    });
    await a.start();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await Promise.resolve();
    }
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([0, 1000, 2000, 3000]);
    fail = true;
    clock.advance(1000);
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(results.filter((r) => !r)).toHaveLength(2);
    // Logged once per distinct error, not per attempt.
    expect(lines.filter((l) => l.includes('announce-failed'))).toHaveLength(1);
    await a.close();
    expect(clock.pending).toBe(0);
  });
});

describe('Registrar announces', () => {
  it('announce its id and SCTP transport', async () => {
    const datagrams: Uint8Array[] = [];
    const endpoint = Object.assign(new EventEmitter(), {
      local: { address: '127.0.0.1', port: 4567 },
      connect: () => Promise.reject(new Error('unused')),
      close: () => Promise.resolve(),
    }) as unknown as Endpoint;
    const r = new Registrar({
      asap: ['127.0.0.1:4567'],
      registrarId: 0xcafe,
      createEndpoint: async () => endpoint,
      createAnnounceSender: async () => ({ send: (d) => void datagrams.push(d), close: () => {} }),
    });
    await r.start();
    await r.close();
    expect(datagrams.length).toBeGreaterThanOrEqual(1);
    expect(decodeMessage(11, datagrams[0]!)).toMatchObject({
      type: 'server-announce',
      serverId: 0xcafe,
      transports: [{ protocol: 'sctp', port: 4567, addresses: ['127.0.0.1'] }],
    });
  });
});
