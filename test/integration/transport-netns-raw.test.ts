/**
 * Raw-IP mode between network namespaces: each namespace has its own raw
 * stack ("one stack per namespace"), and two processes of one namespace
 * share it through port claims.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rawModeUnavailableReason } from '../../src/transport/raw-stack.js';
import { createNetnsPair, netnsUnavailableReason, type NetnsPair } from '../helpers/netns.js';

const HARNESS = 'test/transport/raw-sctp-harness.ts';
const reason = rawModeUnavailableReason() ?? netnsUnavailableReason();
if (reason) console.log(`[skip] raw-IP namespace tests: ${reason}`);

describe.skipIf(reason !== undefined)('raw-IP mode between namespaces', () => {
  let pair: NetnsPair | undefined;
  afterAll(() => pair?.destroy());

  it('two client processes on one host use distinct ports and both get multi-packet messages intact', async () => {
    pair = createNetnsPair('rawpair');
    const server = pair.b.spawnNode(HARNESS, ['echo-server', JSON.stringify({ port: 5000, durationMs: 60_000 })]);
    expect(await server.nextLine(30_000)).toEqual({ listening: 5000 });
    const config = { remoteAddress: pair.b.ipv4, remotePort: 5000, messages: 30, size: 6000, durationMs: 60_000, stepped: true };
    // Explicit steps, so that every client's raw stack is open during every sibling's transfer:
    // all three associate and wait; then all transfer; each waits, its stack still open, until
    // every client has all its echoes; only then do they report their counters and exit.
    const clients = [0, 1, 2].map(() => pair!.a.spawnNode(HARNESS, ['client', JSON.stringify(config)], { stdin: true }));
    for (const up of await Promise.all(clients.map((c) => c.nextLine(60_000)))) expect(up).toMatchObject({ up: true });
    for (const c of clients) c.send('go');
    for (const echoed of await Promise.all(clients.map((c) => c.nextLine(90_000)))) expect(echoed).toEqual({ echoed: true });
    for (const c of clients) c.send('finish');
    const results = await Promise.all(clients.map((c) => c.nextLine(30_000)));
    for (const result of results) {
      expect(result).toMatchObject({ intact: 30, corrupt: 0, aborted: 0 });
      expect(result['timedOut']).toBeUndefined();
    }
    const ports = new Set(results.map((r) => r['localPort']));
    expect(ports.size).toBe(3);
    // Every client process saw its siblings' packets and left them alone.
    for (const result of results) {
      expect((result['stats'] as { ignoredForeignPort: number }).ignoredForeignPort).toBeGreaterThan(0);
    }
  }, 120_000);

  it('original package: two processes of one namespace both get port 49152 (the collision the claims prevent)', async () => {
    pair ??= createNetnsPair('rawpair');
    const children = [0, 1].map(() => pair!.a.spawnNode(HARNESS, ['original-port']));
    const ports = await Promise.all(children.map((c) => c.nextLine(30_000)));
    expect(ports).toEqual([{ port: 49152 }, { port: 49152 }]);
  }, 60_000);

  it('carries a 200 KB message across the veth link (many packets) over IPv6 as well', async () => {
    pair ??= createNetnsPair('rawpair');
    const server = pair.b.spawnNode(HARNESS, ['echo-server', JSON.stringify({ port: 5001, durationMs: 60_000 })]);
    expect(await server.nextLine(30_000)).toEqual({ listening: 5001 });
    for (const remoteAddress of [pair.b.ipv4, pair.b.ipv6]) {
      const client = pair.a.spawnNode(HARNESS, [
        'client',
        JSON.stringify({ remoteAddress, remotePort: 5001, messages: 3, size: 200_000, durationMs: 60_000 }),
      ]);
      expect(await client.nextLine(90_000)).toMatchObject({ intact: 3, corrupt: 0, aborted: 0 });
    }
  }, 120_000);
});
