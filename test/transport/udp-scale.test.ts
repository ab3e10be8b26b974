import { afterEach, describe, expect, it } from 'vitest';
import type { Association } from '../../src/transport/types.js';
import { closeAll, closed, endpoint, messages, until } from './udp-helpers.js';

afterEach(closeAll);

function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

describe('UDP encapsulation endpoint at scale', () => {
  it('serves 200+ concurrent associations on one UDP port', async () => {
    // Relaxed failure detection: the test machine may stall for hundreds of milliseconds.
    const relaxed = { heartbeatInterval: 1000, rtoInitial: 1000, rtoMin: 200, rtoMax: 2000, maxRetransmissions: 8 };
    const server = await endpoint({ listen: true, ...relaxed });
    const accepted: Association[] = [];
    server.on('association', (a) => {
      accepted.push(a);
      a.on('message', (data, info) => void a.send(data, info).catch(() => {}));
    });
    const clients = await Promise.all([endpoint(relaxed), endpoint(relaxed), endpoint(relaxed)]);
    const n = 210;
    const assocs = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        // Own connected sockets: each association has its own UDP source port, all of them
        // arrive on the server's single UDP port.
        clients[i % 2]!.connect(server.local, { timeout: 20_000 }),
      ),
    );
    await until(() => accepted.length === n, 20_000, `${n} accepted`);
    expect(server.associationCount).toBe(n);
    expect(server.stats.badChecksum + server.stats.malformed + server.stats.protocolExceptions).toBe(0);
    const results = await Promise.all(
      assocs.map(async (a, i) => {
        const got = messages(a, 1, 20_000);
        await a.send(Buffer.from(`#${i}`), { ppid: 1000 + i, stream: i % 4 });
        const [m] = await got;
        return Buffer.from(m!.data).toString() === `#${i}` && m!.info.ppid === 1000 + i && m!.info.stream === i % 4;
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    // One more without an own socket, sharing the client endpoint's port.
    const shared = await clients[2]!.connect(server.local, { ownSocket: false });
    await until(() => accepted.length === n + 1, 10_000, 'shared-socket association');
    const sharedGot = messages(shared, 1);
    await shared.send(Buffer.from('shared'), { ppid: 5 });
    expect(Buffer.from((await sharedGot)[0]!.data).toString()).toBe('shared');
    assocs.push(shared);
    await Promise.all(assocs.map((a) => a.close()));
    await until(() => server.associationCount === 0, 10_000, 'server side closed');
    expect(clients[2]!.associationCount).toBe(0);
  }, 60_000);

  it('leaves no sockets or timers behind', async () => {
    // Warm up module-level state first.
    {
      const s = await endpoint({ listen: true });
      const c = await endpoint();
      const a = await c.connect(s.local);
      await a.close();
      await closeAll();
    }
    await new Promise((r) => setTimeout(r, 50));
    const before = resources();
    const server = await endpoint({ listen: true });
    const client = await endpoint();
    const pairs: Association[] = [];
    server.on('association', (a) => pairs.push(a));
    const a1 = await client.connect(server.local);
    const a2 = await client.connect(server.local, { ownSocket: false });
    const got = messages(pairs.length ? pairs[0]! : await new Promise<Association>((r) => server.once('association', r)), 1).catch(() => []);
    await a1.send(Buffer.from('x'), { ppid: 1 });
    await got;
    const c2 = closed(a2);
    a2.abort();
    await c2;
    await a1.close();
    await until(() => server.associationCount === 0, 5000, 'server side closed');
    await closeAll();
    await new Promise((r) => setTimeout(r, 100));
    const after = resources();
    expect(after['UDPWrap'] ?? 0).toBe(before['UDPWrap'] ?? 0);
    expect(after['Timeout'] ?? 0).toBeLessThanOrEqual(before['Timeout'] ?? 0);
    expect(after['Immediate'] ?? 0).toBeLessThanOrEqual(before['Immediate'] ?? 0);
  });
});
