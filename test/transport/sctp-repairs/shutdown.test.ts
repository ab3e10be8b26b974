/**
 * Regression tests of close (shutdown.ts): graceful shutdown with data in
 * flight in either direction completes on both sides (the original left the
 * peer in SHUTDOWN-RECEIVED until a 300 s guard), repeated cycles leak no
 * association, destroy/abort are clean.
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { setupRepairs } from './mode.js';
import { setEndpointTuning } from '../../../src/transport/sctp-repairs/index.js';
import { MemoryNetwork, connectPair, createEndpoint, once, collect, send, waitFor, type Pair } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

beforeAll(setupRepairs);

let pair: Pair | undefined;
afterEach(() => {
  pair?.close();
  pair = undefined;
});

function closed(assoc: Loose, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`association still ${assoc.state}`)), timeoutMs);
    assoc.once('SHUTDOWN COMPLETE', () => {
      clearTimeout(timer);
      resolve('shutdown');
    });
    assoc.once('COMMUNICATION LOST', (reason: string) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

describe('graceful close', () => {
  it('SHUTDOWN with our data in flight at 5 % loss: everything delivered, both sides complete', async () => {
    const network = new MemoryNetwork({ seed: 77 });
    pair = await connectPair(network);
    network.set({ loss: 0.05 });
    const got = collect(pair.b);
    for (let i = 0; i < 500; i++) pair.a.SEND(Buffer.alloc(800, i & 0xff), { stream_id: 0, ppid: 1 }, () => {});
    const done = Promise.all([closed(pair.a), closed(pair.b)]);
    let callback = false;
    pair.a.SHUTDOWN(() => (callback = true));
    expect(await done).toEqual(['shutdown', 'shutdown']);
    expect(got).toHaveLength(500);
    await waitFor(() => callback, 1000, 'SHUTDOWN callback');
    expect(pair.server.associations).toHaveLength(0);
    expect(pair.client.associations).toHaveLength(0);
  });

  it('SHUTDOWN while the peer has unacknowledged data: the peer finishes and completes the shutdown', async () => {
    const network = new MemoryNetwork({ seed: 78 });
    // What is tested is the shutdown, not failure detection: with the default (fast) detection a
    // loaded test machine that stalls the event loop while 5 % of packets are lost could declare
    // the peer dead before the data is through, so both ends tolerate many retransmissions here.
    const tolerant = { maxRetransmissions: 30, pathMaxRetransmissions: 30, rtoMax: 1000 };
    pair = await connectPair(network, { onEndpoints: (server, client) => (setEndpointTuning(server, tolerant), setEndpointTuning(client, tolerant), undefined) });
    const got = collect(pair.a);
    network.set({ loss: 0.05 });
    for (let i = 0; i < 500; i++) pair.b.SEND(Buffer.alloc(800, i & 0xff), { stream_id: 0, ppid: 1 }, () => {});
    // Let the server put data on the wire, then the client closes.
    await waitFor(() => got.length > 0, 5000, 'first delivery');
    const done = Promise.all([closed(pair.a), closed(pair.b)]);
    pair.a.SHUTDOWN();
    expect(await done).toEqual(['shutdown', 'shutdown']);
    expect(got).toHaveLength(500);
  });

  it('a lost SHUTDOWN-ACK / SHUTDOWN-COMPLETE is recovered by T2', async () => {
    const network = new MemoryNetwork();
    pair = await connectPair(network);
    let dropped = 0;
    network.set({
      tap: (d) => {
        const t = d[12];
        if ((t === 8 || t === 14) && dropped < 2) {
          dropped++;
          return null;
        }
      },
    });
    const done = Promise.all([closed(pair.a), closed(pair.b)]);
    pair.a.SHUTDOWN();
    expect(await done).toEqual(['shutdown', 'shutdown']);
  });

  it('300 connect / send / close cycles leave no association behind', async () => {
    const network = new MemoryNetwork({ seed: 5, loss: 0.02 });
    const server = createEndpoint(network, '10.0.0.1', 5000);
    const client = createEndpoint(network, '10.0.0.2', 6000);
    server.on('association', (b: Loose) => {
      b.on('DATA ARRIVE', () => {
        while (b.RECEIVE());
      });
    });
    try {
      for (let i = 0; i < 300; i++) {
        const a = client.ASSOCIATE({ remoteAddress: '10.0.0.1', remotePort: 5000 });
        await once(a, 'COMMUNICATION UP', 10_000);
        for (let j = 0; j < 3; j++) a.SEND(Buffer.alloc(2000, j), { stream_id: 0, ppid: 1 }, () => {});
        await waitFor(() => server.associations.length === 1, 5000, 'server association');
        const b = server.associations[0];
        const done = Promise.all([closed(a), closed(b)]);
        a.SHUTDOWN();
        await done;
      }
      expect(server.associations).toHaveLength(0);
      expect(client.associations).toHaveLength(0);
      expect(Object.keys(server.associations_lookup)).toHaveLength(0);
      expect(Object.keys(client.associations_lookup)).toHaveLength(0);
    } finally {
      client.close();
      server.close();
    }
  }, 60_000);

  it('SHUTDOWN before the association is up calls back', async () => {
    const network = new MemoryNetwork({ blackhole: true });
    const client = createEndpoint(network, '10.0.0.2', 6000);
    try {
      const a = client.ASSOCIATE({ remoteAddress: '10.0.0.1', remotePort: 5000 });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('SHUTDOWN callback never called')), 2000);
        a.SHUTDOWN(() => {
          clearTimeout(t);
          resolve();
        });
      });
      expect(client.associations).toHaveLength(0);
    } finally {
      client.close();
    }
  });
});

describe('abort and destroy', () => {
  it('ABORT is seen by the peer with reason "abort"; pending writes fail', async () => {
    const network = new MemoryNetwork();
    pair = await connectPair(network);
    const lost = once<[string]>(pair.b, 'COMMUNICATION LOST', 2000);
    network.set({ blackhole: true });
    const writes: Array<Error | undefined> = [];
    for (let i = 0; i < 10; i++) pair.a.SEND(Buffer.alloc(100_000), { stream_id: 0, ppid: 1 }, (e?: Error) => writes.push(e));
    network.set({ blackhole: false });
    pair.a.ABORT('test');
    expect((await lost)[0]).toBe('abort');
    await waitFor(() => writes.length === 10, 1000, 'write callbacks');
    expect(writes.every((e) => e instanceof Error)).toBe(true);
    expect(pair.client.associations).toHaveLength(0);
    expect(pair.server.associations).toHaveLength(0);
  });

  it('destroying one association removes exactly that one from its endpoint (~splice bug)', async () => {
    const network = new MemoryNetwork();
    const server = createEndpoint(network, '10.0.0.1', 5000);
    const clients = [1, 2, 3].map((i) => createEndpoint(network, `10.0.1.${i}`, 6000));
    try {
      for (const c of clients) {
        const a = c.ASSOCIATE({ remoteAddress: '10.0.0.1', remotePort: 5000 });
        await once(a, 'COMMUNICATION UP', 5000);
      }
      await waitFor(() => server.associations.length === 3, 5000, 'three associations');
      const [first, middle, last] = server.associations;
      middle._destroy();
      expect(server.associations).toEqual([first, last]);
    } finally {
      for (const c of clients) c.close();
      server.close();
    }
  });

  it('closing an endpoint closes all its associations', async () => {
    const network = new MemoryNetwork();
    const server = createEndpoint(network, '10.0.0.1', 5000);
    const clients = [1, 2, 3, 4].map((i) => createEndpoint(network, `10.0.2.${i}`, 6000));
    try {
      for (const c of clients) {
        const a = c.ASSOCIATE({ remoteAddress: '10.0.0.1', remotePort: 5000 });
        await once(a, 'COMMUNICATION UP', 5000);
      }
      await waitFor(() => server.associations.length === 4, 5000, 'four associations');
      const list = [...server.associations];
      server.close();
      expect(list.every((x: Loose) => x.state === 'CLOSED')).toBe(true);
      expect(server.associations).toHaveLength(0);
    } finally {
      for (const c of clients) c.close();
    }
  });
});

describe('write during shutdown', () => {
  it('rejects new data after SHUTDOWN with an Error', async () => {
    pair = await connectPair(new MemoryNetwork());
    pair.a.SHUTDOWN();
    await expect(send(pair.a, Buffer.from('late'))).rejects.toBeInstanceOf(Error);
  });
});
