import { describe, expect, it } from 'vitest';
import { AddressFilter, addressScope, normalizeAddress } from '../../src/registrar/address-filter.js';

describe('address scopes', () => {
  it('classifies IPv4 and IPv6 addresses', () => {
    expect(addressScope('0.0.0.0')).toBe('unspecified');
    expect(addressScope('127.0.0.1')).toBe('loopback');
    expect(addressScope('127.5.6.7')).toBe('loopback');
    expect(addressScope('169.254.1.1')).toBe('link-local');
    expect(addressScope('10.1.2.3')).toBe('site-local');
    expect(addressScope('172.16.0.1')).toBe('site-local');
    expect(addressScope('172.32.0.1')).toBe('global');
    expect(addressScope('192.168.1.1')).toBe('site-local');
    expect(addressScope('192.0.2.10')).toBe('global');
    expect(addressScope('239.0.0.50')).toBeUndefined();
    expect(addressScope('::')).toBe('unspecified');
    expect(addressScope('::1')).toBe('loopback');
    expect(addressScope('fe80::1')).toBe('link-local');
    expect(addressScope('fd00::1')).toBe('site-local');
    expect(addressScope('2001:db8::10')).toBe('global');
    expect(addressScope('ff02::1')).toBeUndefined();
    expect(addressScope('::ffff:127.0.0.1')).toBe('loopback');
    expect(addressScope('not an address')).toBeUndefined();
  });

  it('normalises addresses', () => {
    expect(normalizeAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeAddress('2001:0DB8:0:0:0:0:0:10')).toBe('2001:db8::10');
    expect(normalizeAddress('::1')).toBe('::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
  });
});

describe('AddressFilter', () => {
  it('keeps only association addresses of sufficient scope', () => {
    const f = new AddressFilter({ minScope: 'site-local' });
    const r = f.filter(['10.0.0.1', '192.0.2.1', '127.0.0.1', '10.0.0.2'], ['10.0.0.1', '192.0.2.1', '127.0.0.1']);
    expect(r.accepted).toEqual(['10.0.0.1', '192.0.2.1']);
    expect(r.rejected).toEqual([
      { address: '127.0.0.1', reason: 'scope' },
      { address: '10.0.0.2', reason: 'not-association-address' },
    ]);
  });

  it('allows loopback when told to (registrar listens on loopback)', () => {
    const f = new AddressFilter({ minScope: 'global', allowLoopback: true });
    expect(f.filter(['127.0.0.1', '10.0.0.1'], ['127.0.0.1', '10.0.0.1']).accepted).toEqual(['127.0.0.1']);
  });

  it('honours minimum scope global', () => {
    const f = new AddressFilter({ minScope: 'global' });
    expect(f.filter(['10.0.0.1', '192.0.2.1'], ['10.0.0.1', '192.0.2.1']).accepted).toEqual(['192.0.2.1']);
  });

  it('replaces a wildcard by the association addresses', () => {
    const f = new AddressFilter({ minScope: 'loopback' });
    expect(f.filter(['0.0.0.0'], ['127.0.0.1']).accepted).toEqual(['127.0.0.1']);
  });

  it('can skip the association check', () => {
    const f = new AddressFilter({ minScope: 'site-local', requireAssociationAddress: false });
    expect(f.filter(['10.9.9.9', 'bogus'], ['127.0.0.1'])).toEqual({ accepted: ['10.9.9.9'], rejected: [{ address: 'bogus', reason: 'invalid' }] });
  });

  it('matches IPv4-mapped association addresses', () => {
    const f = new AddressFilter({ minScope: 'loopback' });
    expect(f.filter(['127.0.0.1'], ['::ffff:127.0.0.1']).accepted).toEqual(['127.0.0.1']);
  });
});
