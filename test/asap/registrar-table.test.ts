import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { RegistrarTable, formatTransportAddress, parseRegistrarList, parseTransportAddress } from '../../src/asap/registrar-table.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('registrar addresses', () => {
  it('parses HOST:PORT, bare hosts, IPv6 forms and lists', () => {
    expect(parseTransportAddress('127.0.0.1:4000')).toEqual({ address: '127.0.0.1', port: 4000 });
    expect(parseTransportAddress('10.0.0.1')).toEqual({ address: '10.0.0.1', port: 3863 });
    expect(parseTransportAddress('localhost:1')).toEqual({ address: '127.0.0.1', port: 1 });
    expect(parseTransportAddress('[::1]:5000')).toEqual({ address: '::1', port: 5000 });
    expect(parseTransportAddress('::1')).toEqual({ address: '::1', port: 3863 });
    expect(parseRegistrarList('127.0.0.1:1, 127.0.0.1:2  127.0.0.1:3')).toHaveLength(3);
    expect(formatTransportAddress({ address: '::1', port: 7 })).toBe('[::1]:7');
    expect(() => parseTransportAddress('host:99999')).toThrow(InvalidArgumentError);
    expect(() => parseTransportAddress('host:abc')).toThrow(InvalidArgumentError);
    expect(() => parseTransportAddress(':1')).toThrow(InvalidArgumentError);
  });
});

describe('RegistrarTable', () => {
  it('keeps static entries and expires announced ones after announceTimeout', () => {
    const clock = new FakeClock();
    const t = new RegistrarTable({ clock, announceTimeout: 5000 });
    const added: string[] = [];
    const expired: string[] = [];
    t.on('added', (e) => added.push(formatTransportAddress(e.address)));
    t.on('expired', (e) => expired.push(formatTransportAddress(e.address)));
    t.addStatic({ address: '127.0.0.1', port: 1 });
    t.handleAnnounce(0x1234, [{ address: '127.0.0.1', port: 2 }]);
    expect(t.size).toBe(2);
    expect(t.list()[0]!.source).toBe('static');
    clock.advance(4000);
    t.handleAnnounce(0x1234, [{ address: '127.0.0.1', port: 2 }]); // refresh
    clock.advance(4000);
    expect(t.size).toBe(2);
    clock.advance(1001);
    expect(t.size).toBe(1);
    expect(added).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
    expect(expired).toEqual(['127.0.0.1:2']);
  });

  it('announces for a static entry only record the server id', () => {
    const clock = new FakeClock();
    const t = new RegistrarTable({ clock });
    t.addStatic({ address: '127.0.0.1', port: 1 });
    t.handleAnnounce(42, [{ address: '127.0.0.1', port: 1 }]);
    clock.advance(60_000);
    expect(t.list()).toMatchObject([{ serverId: 42, source: 'static' }]);
  });

  it('bounds the number of announced entries', () => {
    const t = new RegistrarTable({ clock: new FakeClock(), maxAnnounced: 3 });
    for (let i = 1; i <= 10; i++) t.handleAnnounce(i, [{ address: '127.0.0.1', port: i }]);
    expect(t.size).toBe(3);
  });

  it('picks distinct random candidates and honours exclusions', () => {
    const t = new RegistrarTable({ clock: new FakeClock() });
    for (let i = 1; i <= 5; i++) t.addStatic({ address: '127.0.0.1', port: i });
    const p = t.pick(3);
    expect(new Set(p.map((e) => e.address.port)).size).toBe(3);
    const q = t.pick(10, new Set(['127.0.0.1:1', '127.0.0.1:2']));
    expect(q.map((e) => e.address.port).sort()).toEqual([3, 4, 5]);
  });
});
