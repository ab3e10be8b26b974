/** One key per remote host: IPv4 per address, IPv6 per /64 unless loopback or link-local. */
import { describe, expect, it } from 'vitest';
import { checkIpv6HostPrefix, hostKey } from '../../src/transport/host-key.js';

describe('hostKey', () => {
  it('keeps IPv4 per address and folds IPv4-mapped IPv6 into it', () => {
    expect(hostKey('192.0.2.7')).toBe('192.0.2.7');
    expect(hostKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(hostKey('::FFFF:192.0.2.7')).toBe('192.0.2.7');
    expect(hostKey('192.0.2.8')).not.toBe(hostKey('192.0.2.7'));
  });

  it('groups global IPv6 addresses by /64 (or the prefix given)', () => {
    const a = hostKey('2001:db8:1:2:aaaa::1');
    expect(a).toBe('2001:db8:1:2::/64');
    expect(hostKey('2001:DB8:1:2:ffff:ffff:ffff:ffff')).toBe(a);
    expect(hostKey('2001:db8:1:3::1')).not.toBe(a);
    expect(hostKey('2001:db8:1:2:aaaa::1', 48)).toBe('2001:db8:1::/48');
    expect(hostKey('2001:db8:1:2:aaaa::1', 60)).toBe('2001:db8:1::/60');
    expect(hostKey('2001:db8:1:1f:aaaa::1', 60)).toBe('2001:db8:1:10::/60');
    expect(hostKey('2001:db8::1', 128)).toBe('2001:db8::1');
    expect(hostKey('2001:db8::2', 128)).not.toBe(hostKey('2001:db8::1', 128));
  });

  it('keeps loopback and link-local IPv6 per address (every host of a link shares fe80::/64)', () => {
    expect(hostKey('::1')).toBe('::1');
    expect(hostKey('fe80::1')).toBe('fe80::1');
    expect(hostKey('fe80::2%eth0')).toBe('fe80::2');
    expect(hostKey('fe80::2')).not.toBe(hostKey('fe80::1'));
  });

  it('treats text that is no address as its own key and checks prefix lengths', () => {
    expect(hostKey('Some-Name')).toBe('some-name');
    expect(checkIpv6HostPrefix('p', 64)).toBe(64);
    for (const bad of [0, 129, 64.5, Number.NaN]) expect(() => checkIpv6HostPrefix('p', bad)).toThrow(/1 to 128/);
  });
});
