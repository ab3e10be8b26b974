/**
 * Per-host limits count an IPv6 /64 as one host (a machine picks addresses
 * from its /64 at will), IPv4 and loopback/link-local IPv6 per address.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { HostTable, type HostLimitOptions } from '../../src/registrar/host-limits.js';
import { resolveRegistrarOptions } from '../../src/registrar/options.js';

const limits = (ipv6HostPrefix: number): HostLimitOptions => ({
  maxAssociationsPerHost: 2,
  maxPoolsPerHost: 10,
  hostHandleResolutionRate: { rate: 100, burst: 100 },
  hostFailureReportRate: { rate: 100, burst: 100 },
  ipv6HostPrefix,
});

describe('HostTable', () => {
  it('lets one /64 hold only its share, whatever addresses it uses', () => {
    const t = new HostTable(limits(64), new FakeClock());
    const a = t.acquire('2001:db8:5:6::1');
    const b = t.acquire('2001:db8:5:6:dead:beef:0:2');
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(t.acquire('2001:db8:5:6:ffff::3')).toBeUndefined();
    // Another /64 and an IPv4 host are not affected.
    expect(t.acquire('2001:db8:5:7::1')).toBeDefined();
    expect(t.acquire('192.0.2.1')).toBeDefined();
    expect(t.acquire('192.0.2.2')).toBeDefined();
    expect(t.size).toBe(4);
    // A slot given back is free again for any address of that /64.
    t.release(a!);
    expect(t.acquire('2001:db8:5:6::99')).toBe(b);
  });

  it('counts per address with prefix 128, and link-local addresses always per address', () => {
    const t = new HostTable(limits(128), new FakeClock());
    for (const addr of ['2001:db8::1', '2001:db8::2', '2001:db8::3']) expect(t.acquire(addr)).toBeDefined();
    expect(t.size).toBe(3);
    const u = new HostTable(limits(64), new FakeClock());
    for (const addr of ['fe80::1', 'fe80::1', 'fe80::2', 'fe80::2']) expect(u.acquire(addr)).toBeDefined();
    expect(u.acquire('fe80::1')).toBeUndefined();
  });

  it('the registrar option defaults to 64 and refuses lengths outside 1..128', () => {
    expect(resolveRegistrarOptions({}).ipv6HostPrefix).toBe(64);
    expect(resolveRegistrarOptions({ ipv6HostPrefix: 48 }).ipv6HostPrefix).toBe(48);
    expect(() => resolveRegistrarOptions({ ipv6HostPrefix: 0 })).toThrow(/1 to 128/);
    expect(() => resolveRegistrarOptions({ ipv6HostPrefix: 129 })).toThrow(/1 to 128/);
  });
});
