/**
 * Loss: 5 % random drop (nftables, both directions) between two network
 * namespaces. 20 MiB arrive intact in bounded time and 100 of 100
 * association setups succeed, over UDP encapsulation and over raw IP.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rawModeUnavailableReason } from '../../src/transport/raw-stack.js';
import { createNetnsPair, netnsUnavailableReason, type NetnsPair } from '../helpers/netns.js';

const PEER = 'test/integration/transport-netns-peer.ts';
const LOSS_PERCENT = 5;
const netnsReason = netnsUnavailableReason({ loss: true });
if (netnsReason) console.log(`[skip] namespace loss tests: ${netnsReason}`);
const rawReason = rawModeUnavailableReason();
if (!netnsReason && rawReason) console.log(`[skip] raw-IP loss tests: ${rawReason}`);

const modes = [
  { mode: 'udp' as const, skip: netnsReason },
  { mode: 'raw' as const, skip: netnsReason ?? rawReason },
];

for (const { mode, skip } of modes) {
  describe.skipIf(skip !== undefined)(`${LOSS_PERCENT} % loss between namespaces over ${mode}`, () => {
    let pair: NetnsPair | undefined;
    afterAll(() => pair?.destroy());

    async function server(port: number): Promise<NetnsPair> {
      pair ??= createNetnsPair(`loss${mode}`, { lossPercent: LOSS_PERCENT });
      const child = pair.b.spawnNode(PEER, ['server', JSON.stringify({ mode, port, timeoutMs: 600_000 })]);
      expect(await child.nextLine(60_000)).toEqual({ listening: port });
      return pair;
    }

    it('delivers 20 MiB intact in bounded time', async () => {
      const p = await server(7001);
      const client = p.a.spawnNode(PEER, ['bulk', JSON.stringify({ mode, remote: p.b.ipv4, remotePort: 7001, bytes: 20 * 1024 * 1024, size: 64 * 1024 })]);
      const result = await client.nextLine(400_000);
      console.log(`[loss ${mode}] 20 MiB: ${JSON.stringify(result)}, dropped ${p.dropped()} packets`);
      expect(result).toMatchObject({ bytes: 20 * 1024 * 1024, intact: true });
      expect(p.dropped()).toBeGreaterThan(0);
    }, 420_000);

    it('completes 100 of 100 association setups', async () => {
      const p = await server(7002);
      const client = p.a.spawnNode(PEER, ['setups', JSON.stringify({ mode, remote: p.b.ipv4, remotePort: 7002, count: 100 })]);
      const result = await client.nextLine(400_000);
      console.log(`[loss ${mode}] setups: ${JSON.stringify(result)}`);
      expect(result).toMatchObject({ ok: 100, failed: 0 });
    }, 420_000);
  });
}
