/**
 * Regression tests of association setup (cookie-timer.ts): COOKIE-ECHO
 * retransmission (association.js ~627–660), reported INIT/COOKIE-ECHO
 * exhaustion (~868), 100 setups at 5 % loss, and the serial-number wrap in
 * both directions (serial.js, reassembly.js).
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { setupRepairs, REPAIRED } from './mode.js';
import { associate, TAG_GENERATOR } from '../../../src/transport/sctp-repairs/index.js';
import { MemoryNetwork, connectPair, createEndpoint, once, collect, send, waitFor, chunkTypes, type Pair } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

beforeAll(setupRepairs);

let pair: Pair | undefined;
afterEach(() => {
  pair?.close();
  pair = undefined;
});

const COOKIE_ECHO = 10;
const COOKIE_ACK = 11;

function dropFirst(type: number, count = 1): (d: Buffer) => Buffer | null | void {
  let dropped = 0;
  return (d) => {
    if (dropped < count && chunkTypes(d)[0] === type) {
      dropped++;
      return null;
    }
  };
}

describe('setup', () => {
  it('a lost COOKIE-ECHO is retransmitted and the setup completes', async () => {
    const network = new MemoryNetwork();
    network.set({ tap: dropFirst(COOKIE_ECHO, 2) });
    pair = await connectPair(network, { timeoutMs: 4000 });
    expect(pair.a.state).toBe('ESTABLISHED');
  });

  it('a lost COOKIE-ACK: the retransmitted COOKIE-ECHO is answered again, no half-open association', async () => {
    const network = new MemoryNetwork();
    network.set({ tap: dropFirst(COOKIE_ACK, 1) });
    pair = await connectPair(network, { timeoutMs: 4000 });
    expect(pair.a.state).toBe('ESTABLISHED');
    expect(pair.b.state).toBe('ESTABLISHED');
    expect(pair.server.associations).toHaveLength(1);
  });

  it('exhausted INIT retransmissions are reported as a connect failure', async () => {
    const network = new MemoryNetwork({ blackhole: true });
    const client = createEndpoint(network, '10.0.0.2', 6000);
    try {
      const tuning = { rtoInitial: 10, rtoMin: 10, rtoMax: 20, maxInitRetransmissions: 3 };
      const a = REPAIRED ? associate<Loose>(client, { remoteAddress: '10.0.0.1', remotePort: 5000 }, tuning) : client.ASSOCIATE({ remoteAddress: '10.0.0.1', remotePort: 5000 });
      const [reason, error] = await once<[string, Loose]>(a, 'COMMUNICATION LOST', 3000);
      expect(reason).toBe('timeout');
      expect(error.code).toBe('ETIMEDOUT');
      expect(error.phase).toBe('init');
      expect(client.associations).toHaveLength(0);
    } finally {
      client.close();
    }
  });

  it('exhausted COOKIE-ECHO retransmissions are reported as a connect failure', async () => {
    const network = new MemoryNetwork();
    network.set({ tap: (d) => (chunkTypes(d)[0] === COOKIE_ECHO ? null : undefined) });
    const server = createEndpoint(network, '10.0.0.1', 5000);
    const client = createEndpoint(network, '10.0.0.2', 6000);
    try {
      const tuning = { rtoInitial: 10, rtoMin: 10, rtoMax: 20, maxInitRetransmissions: 3 };
      const a = REPAIRED ? associate<Loose>(client, { remoteAddress: '10.0.0.1', remotePort: 5000 }, tuning) : client.ASSOCIATE({ remoteAddress: '10.0.0.1', remotePort: 5000 });
      const [reason, error] = await once<[string, Loose]>(a, 'COMMUNICATION LOST', 3000);
      expect(reason).toBe('timeout');
      expect(error.phase).toBe('cookie');
    } finally {
      client.close();
      server.close();
    }
  });

  it('100 of 100 setups succeed at 5 % loss, none half-open', async () => {
    const network = new MemoryNetwork({ seed: 2024, loss: 0.05, reorder: 0.02 });
    const server = createEndpoint(network, '10.0.0.1', 5000);
    const clients = Array.from({ length: 100 }, (_, i) => createEndpoint(network, `10.1.${i >> 8}.${i & 0xff}`, 6000));
    try {
      const ups = clients.map((client) => {
        const a = client.ASSOCIATE({ remoteAddress: '10.0.0.1', remotePort: 5000 });
        return Promise.race([
          once(a, 'COMMUNICATION UP', 20_000).then(() => 'up'),
          once(a, 'COMMUNICATION LOST', 20_000).then(() => 'lost'),
        ]);
      });
      const results = await Promise.all(ups);
      expect(results.filter((r) => r === 'up')).toHaveLength(100);
      await waitFor(() => server.associations.length === 100 && server.associations.every((x: Loose) => x.state === 'ESTABLISHED'), 10_000, 'server side established');
    } finally {
      for (const c of clients) c.close();
      server.close();
    }
  }, 60_000);
});

describe('serial-number wrap (2^32)', () => {
  it('transfers in both directions with initial TSNs just below 2^32, at 2 % loss', async () => {
    const network = new MemoryNetwork({ seed: 9 });
    pair = await connectPair(network, {
      assocOptions: { my_tag: 0xffffff80 },
      onEndpoints: (server) => {
        server[TAG_GENERATOR] = () => 0xffffff90;
      },
    });
    network.set({ loss: 0.02 });
    const atServer = collect(pair.b);
    const atClient = collect(pair.a);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      sends.push(send(pair.a, Buffer.alloc(1500 + i, i & 0xff)));
      sends.push(send(pair.b, Buffer.alloc(900 + i, (i + 1) & 0xff)));
    }
    await Promise.all(sends);
    await waitFor(() => atServer.length === 300 && atClient.length === 300, 20_000, 'wrap transfer');
    atServer.forEach((m, i) => expect(m.length).toBe(1500 + i));
    atClient.forEach((m, i) => expect(m.length).toBe(900 + i));
  });
});
