/**
 * Path MTU per destination between network namespaces over UDP
 * encapsulation: a peer on a veth link with MTU 1500 gets 1,472-byte SCTP
 * packets, one on a 9000 link 8,972-byte packets (the interface's MTU, no
 * probing), and a peer two hops away behind a 4000-byte link in the middle
 * (which neither end sees on its own interface) is found by path MTU
 * discovery: the packet size climbs above 1,472 and stays within 4,000
 * bytes of IP, and a 1 MiB message is echoed intact. Loopback: see
 * test/transport/path-mtu.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createNetnsChain, createNetnsPair, netnsUnavailableReason, type NetnsChain, type NetnsPair } from '../helpers/netns.js';

const PEER = 'test/integration/transport-netns-peer.ts';
const reason = netnsUnavailableReason();
if (reason) console.log(`[skip] namespace path MTU tests: ${reason}`);

describe.skipIf(reason !== undefined)('path MTU between namespaces (UDP encapsulation)', () => {
  const pairs: NetnsPair[] = [];
  let chain: NetnsChain | undefined;
  afterAll(() => {
    for (const p of pairs) p.destroy();
    chain?.destroy();
  });

  it.each([[1500], [9000]])('uses the link MTU %i towards a peer on the same link', async (mtu) => {
    const pair = createNetnsPair('pmtu', { mtu });
    pairs.push(pair);
    const server = pair.b.spawnNode(PEER, ['server', JSON.stringify({ mode: 'udp', port: 7101, timeoutMs: 120_000 })]);
    expect(await server.nextLine(60_000)).toEqual({ listening: 7101 });
    const client = pair.a.spawnNode(PEER, ['pmtu', JSON.stringify({ mode: 'udp', remote: pair.b.ipv4, remotePort: 7101 })]);
    const result = await client.nextLine(90_000);
    expect(result).toMatchObject({ packetSize: mtu - 28, probes: 0, intact: true });
  }, 120_000);

  it('finds a lower MTU in the middle of the path by probing', async () => {
    chain = createNetnsChain('pmtuc', { mtuA: 9000, mtuC: 4000 });
    const server = chain.c.spawnNode(PEER, ['server', JSON.stringify({ mode: 'udp', port: 7102, timeoutMs: 120_000 })]);
    expect(await server.nextLine(60_000)).toEqual({ listening: 7102 });
    const client = chain.a.spawnNode(PEER, ['pmtu', JSON.stringify({ mode: 'udp', remote: chain.c.ipv4, remotePort: 7102 })]);
    const result = await client.nextLine(90_000);
    console.log(`[pmtu] a -(9000)- r -(4000)- c: ${JSON.stringify(result)}`);
    expect(result['intact']).toBe(true);
    expect(result['probes']).toBeGreaterThan(0);
    expect(result['packetSize']).toBeGreaterThan(1472);
    expect(result['packetSize']).toBeLessThanOrEqual(4000 - 28);
  }, 120_000);
});
