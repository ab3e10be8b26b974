/**
 * 20 % packet loss between a pool user and two healthy PEs does not empty
 * the pool (RFC 5355 §3.5, false Endpoint Unreachable). A registrar and two
 * echo PEs run in one network namespace, the pool user in another; nftables
 * drops every fifth packet between the pool user and the PEs' ports, both
 * ways (20 %, in a fixed pattern rather than at random, so the outcome does
 * not depend on luck; the pool user's traffic with the registrar is not
 * touched). The very first packet each way is among the dropped ones, so the
 * pool user's first connect attempt fails and it reports the PE. Over
 * several sessions every request is answered, the registrar has received
 * those reports, and both PEs are still registered: the reports were
 * harmless.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createNetnsPair, netnsUnavailableReason, type NetnsHost, type NetnsPair } from '../helpers/netns.js';

const PEER = 'test/integration/pool-netns-loss-peer.ts';
const PE_PORTS = [7101, 7102];
const SESSIONS = 5;
const REQUESTS = 6;
const reason = netnsUnavailableReason({ loss: true });
if (reason) console.log(`[skip] pool loss test: ${reason}`);

/** Drops every fifth UDP packet entering `host` from the link whose `field` port is a PE port; counted. */
function dropEveryFifth(host: NetnsHost, field: 'sport' | 'dport'): void {
  host.exec(
    ['nft', '-f', '-'],
    [
      'table inet rsp_pe_loss {',
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      `    iifname "veth0" udp ${field} { ${PE_PORTS.join(', ')} } numgen inc mod 5 0 counter drop`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
}

function dropped(host: NetnsHost): number {
  const match = /counter packets (\d+)/.exec(host.exec(['nft', 'list', 'table', 'inet', 'rsp_pe_loss']));
  return match ? Number(match[1]) : 0;
}

describe.skipIf(reason !== undefined)('20 % loss between a pool user and two healthy PEs', () => {
  let pair: NetnsPair | undefined;
  afterAll(() => pair?.destroy());

  it('loses no request and empties no pool, although the pool user reports PEs', { timeout: 30_000 }, async () => {
    pair = createNetnsPair('poolloss');
    const pool = pair.b.spawnNode(PEER, ['pool', JSON.stringify({ address: pair.b.ipv4, pePorts: PE_PORTS })], { stdin: true });
    const t0 = Date.now();
    const ready = (await pool.nextLine(20_000)) as { registrar: string; pes: number[] };
    expect(ready.pes).toHaveLength(2);
    dropEveryFifth(pair.b, 'dport'); // pool user -> PEs
    dropEveryFifth(pair.a, 'sport'); // PEs -> pool user

    console.log(`[pool loss] pool ready after ${Date.now() - t0} ms`);
    const pu = pair.a.spawnNode(PEER, ['pu', JSON.stringify({ address: pair.a.ipv4, registrar: ready.registrar, sessions: SESSIONS, requests: REQUESTS })]);
    const result = await pu.nextLine(20_000);
    const lost = { toPes: dropped(pair.b), toPu: dropped(pair.a) };
    pool.send('stats');
    const after = (await pool.nextLine(10_000)) as { stats: Record<string, number>; registered: number[] };
    console.log(`[pool loss] ${JSON.stringify(result)}; packets dropped ${JSON.stringify(lost)}; registrar ${JSON.stringify({ failureReports: after.stats.failureReports, unreachableProbes: after.stats.unreachableProbes, unreachableProbesAnswered: after.stats.unreachableProbesAnswered, pesRemovedUnreachable: after.stats.pesRemovedUnreachable })}`);

    expect(result).toMatchObject({ requests: SESSIONS * REQUESTS, answered: SESSIONS * REQUESTS, wrong: 0, error: null });
    expect(lost.toPes).toBeGreaterThan(0);
    expect(lost.toPu).toBeGreaterThan(0);
    // The pool user did report PEs (its first INIT was dropped) ...
    expect(after.stats.failureReports).toBeGreaterThanOrEqual(1);
    // ... and they removed nothing.
    expect(after.stats.pesRemovedUnreachable).toBe(0);
    expect(after.registered.sort()).toEqual([...ready.pes].sort());
    pool.send('exit');
  });
});
