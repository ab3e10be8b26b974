import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WIRE_LIMITS,
  decodeMessage,
  encodeMessage,
  InvalidArgumentError,
  ProtocolError,
  poolHandleEquals,
  poolHandleFromBytes,
  poolHandleFromString,
  poolHandleKey,
  poolHandleToString,
  resolveWireLimits,
  RSPLIB_MAX_POOL_HANDLE_LENGTH,
  type PoolElementParam,
  type RSerPoolMessage,
} from '../../src/wire/index.js';
import { hex } from './vector-files.js';

const handle = poolHandleFromString('EchoPool');
const pe: PoolElementParam = {
  peId: 0x11223344,
  homeRegistrarId: 0,
  registrationLife: 300000,
  userTransport: { protocol: 'sctp', port: 7000, transportUse: 1, addresses: ['192.0.2.10', '2001:db8::10'] },
  policy: { type: 'round-robin' },
};
const registration: RSerPoolMessage = { protocol: 'asap', type: 'registration', poolHandle: handle, poolElement: pe };

function rejects(bytes: Uint8Array | number[], ppid = 11, limits?: Parameters<typeof decodeMessage>[2]): ProtocolError {
  try {
    decodeMessage(ppid, bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes), limits);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('decoded');
}

describe('encodeMessage', () => {
  it('encodes the spec §3 registration example byte for byte', () => {
    expect(hex(encodeMessage(registration))).toBe(
      '0100004c0009000c4563686f506f6f6c000a003c1122334400000000000493e0000400241b58000100010008c000020a0002001420010db80000000000000000000000100008000800000001',
    );
  });

  it('always sends the overall policy in a Handle Resolution Response (the first PE\'s when none given)', () => {
    const m: RSerPoolMessage = { protocol: 'asap', type: 'handle-resolution-response', poolHandle: handle, poolElements: [pe] };
    const back = decodeMessage(11, encodeMessage(m));
    expect(back.type === 'handle-resolution-response' && back.policy).toEqual({ type: 'round-robin' });
  });

  it('pads and counts the final padding in the message length', () => {
    const m: RSerPoolMessage = { protocol: 'asap', type: 'cookie', cookie: Uint8Array.of(1, 2, 3, 4, 5) };
    expect(hex(encodeMessage(m))).toBe('0b000010000d00090102030405000000');
  });

  it('refuses values that do not fit their fields with InvalidArgumentError', () => {
    const bad: unknown[] = [
      { ...registration, poolElement: { ...pe, userTransport: { ...pe.userTransport, port: 65536 } } },
      { ...registration, poolElement: { ...pe, userTransport: { ...pe.userTransport, port: -1 } } },
      { ...registration, poolElement: { ...pe, peId: 2 ** 32 } },
      { ...registration, poolElement: { ...pe, peId: 1.5 } },
      { ...registration, poolElement: { ...pe, registrationLife: 2 ** 31 } },
      { ...registration, poolElement: { ...pe, policy: { type: 'least-used', load: -1 } } },
      { ...registration, poolElement: { ...pe, policy: { type: 'least-used' } } },
      { ...registration, poolElement: { ...pe, policy: { type: 'plu-dpf' } } },
      { ...registration, poolElement: { ...pe, policy: { type: 'toString' } } },
      { ...registration, poolElement: { ...pe, userTransport: { ...pe.userTransport, addresses: [] } } },
      { ...registration, poolElement: { ...pe, userTransport: { ...pe.userTransport, addresses: ['999.1.1.1'] } } },
      { ...registration, poolElement: { ...pe, userTransport: { ...pe.userTransport, addresses: ['fe80::1%eth0'] } } },
      { ...registration, poolElement: { ...pe, userTransport: { protocol: 'quic', port: 1, addresses: ['192.0.2.1'] } } },
      { ...registration, poolHandle: new Uint8Array(0) },
      { ...registration, poolHandle: new Uint8Array(256) },
      { ...registration, poolHandle: 'EchoPool' },
      { protocol: 'asap', type: 'error', operationError: [{ code: 0x10000, info: new Uint8Array(0) }] },
      { protocol: 'asap', type: 'error', operationError: [{ code: 1, info: [1, 2] }] },
      { protocol: 'asap', type: 'cookie', cookie: new Uint8Array(70000) },
      { protocol: 'asap', type: 'nonsense' },
      { protocol: 'asap', type: '__proto__' },
      { protocol: 'sctp', type: 'registration' },
      { protocol: 'enrp', type: 'presence', senderServerId: -1, receiverServerId: 0, checksum: 0 },
      { protocol: 'enrp', type: 'presence', senderServerId: 1, receiverServerId: 0, checksum: 0x10000 },
      { protocol: 'enrp', type: 'handle-update', senderServerId: 1, receiverServerId: 2, action: 'update', poolHandle: handle, poolElement: pe },
      { protocol: 'enrp', type: 'handle-table-response', senderServerId: 1, receiverServerId: 2, pools: [{ poolHandle: handle, poolElements: [] }] },
      { protocol: 'asap', type: 'business-card', poolHandle: handle, poolElements: [] },
      null,
    ];
    for (const m of bad) expect(() => encodeMessage(m as RSerPoolMessage), JSON.stringify(m)?.slice(0, 200)).toThrow(InvalidArgumentError);
  });

  it('returns independent, exactly sized views (small ones share a slab, large ones do not)', () => {
    const a = encodeMessage(registration);
    const b = encodeMessage({ protocol: 'asap', type: 'cookie', cookie: Uint8Array.of(9, 9, 9) });
    const big = encodeMessage({ protocol: 'asap', type: 'cookie', cookie: new Uint8Array(5000).fill(7) });
    expect(a.byteLength).toBe(76);
    expect(b.byteLength).toBe(12);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(big.byteLength);
    expect(hex(a)).toBe(hex(encodeMessage(registration)));
    expect(hex(b)).toBe('0b00000c000d000709090900');
    expect(decodeMessage(11, big).type).toBe('cookie');
    // Encoding many messages keeps every earlier one intact.
    const all = Array.from({ length: 600 }, (_, i) => encodeMessage({ protocol: 'asap', type: 'cookie', cookie: Uint8Array.of(i & 255, i >> 8) }));
    all.forEach((m, i) => expect(decodeMessage(11, m)).toEqual({ protocol: 'asap', type: 'cookie', cookie: Uint8Array.of(i & 255, i >> 8) }));
  });

  it('applies the limits to what it encodes', () => {
    const long = { ...registration, poolHandle: new Uint8Array(40).fill(0x50) };
    expect(() => encodeMessage(long, { maxPoolHandleLength: RSPLIB_MAX_POOL_HANDLE_LENGTH })).toThrow(InvalidArgumentError);
    expect(encodeMessage(long).length).toBeGreaterThan(40);
    expect(() => encodeMessage(registration, { maxMessageSize: 64 })).toThrow(InvalidArgumentError);
  });
});

describe('decodeMessage', () => {
  const good = encodeMessage(registration);

  it('refuses broken headers and message lengths', () => {
    rejects([]);
    rejects([1, 0, 0]);
    rejects([1, 0, 0, 3]);
    rejects([1, 0, 0, 8, 0, 0, 0]); // length beyond the buffer
    rejects([...good, 0, 0, 0, 0]); // bytes after the padded end
    rejects(good, 13); // unknown PPID
    expect(rejects([0x0f, 0, 0, 4]).cause_code).toBe(0x0002); // unknown ASAP type: unrecognized message
    expect(rejects([0x0b, 0, 0, 4], 12).cause_code).toBe(0x0002); // unknown ENRP type
    rejects([0, 0, 0, 4]);
  });

  it('refuses messages with missing, extra or misplaced parameters', () => {
    rejects([5, 0, 0, 4]); // handle resolution without pool handle
    rejects([5, 0, 0, 16, 0, 9, 0, 4, 0, 0x0e, 0, 8, 0, 0, 0, 1]); // empty pool handle
    // pool handle followed by a PE identifier: not part of a handle resolution
    rejects([5, 0, 0, 20, 0, 9, 0, 5, 0x41, 0, 0, 0, 0, 0x0e, 0, 8, 0, 0, 0, 1]);
    // parameter length beyond the message
    rejects([5, 0, 0, 12, 0, 9, 0, 9, 0x41, 0, 0, 0]);
    // parameter length below 4
    rejects([5, 0, 0, 12, 0, 9, 0, 3, 0x41, 0, 0, 0]);
  });

  it('applies every limit', () => {
    const lim = (l: Partial<typeof DEFAULT_WIRE_LIMITS>) => rejects(good, 11, l);
    lim({ maxMessageSize: good.length - 1 });
    lim({ maxPoolHandleLength: 7 });
    lim({ maxNestingDepth: 2 });
    lim({ maxAddressesPerTransport: 1 });
    const hrr = encodeMessage({ protocol: 'asap', type: 'handle-resolution-response', poolHandle: handle, poolElements: [pe, pe, pe] });
    rejects(hrr, 11, { maxPoolElements: 2 });
    expect(decodeMessage(11, hrr, { maxPoolElements: 3 }).type).toBe('handle-resolution-response');
    const err = encodeMessage({ protocol: 'asap', type: 'error', operationError: [1, 2, 3].map((code) => ({ code, info: new Uint8Array(0) })) });
    rejects(err, 11, { maxErrorCauses: 2 });
    const announce = encodeMessage({ protocol: 'asap', type: 'server-announce', serverId: 1, transports: [pe.userTransport, pe.userTransport] });
    rejects(announce, 11, { maxServerEntries: 1 });
    const skip = Uint8Array.from([5, 0, 0, 24, 0, 9, 0, 5, 0x41, 0, 0, 0, 0x80, 0x42, 0, 4, 0x80, 0x43, 0, 4, 0x80, 0x44, 0, 4]);
    expect(decodeMessage(11, skip).unrecognizedParameters).toHaveLength(3);
    rejects(skip, 11, { maxUnrecognizedParameters: 2 });
  });

  it('refuses an unsupported selection policy type and a too short policy', () => {
    const bytes = encodeMessage(registration);
    const at = hex(bytes).indexOf('0008000800000001') / 2;
    const unsupported = bytes.slice();
    unsupported.set([0xb0, 0x00, 0x20, 0x04], at + 4); // PLU-DPF: no wire format
    rejects(unsupported);
    const lu = bytes.slice();
    lu.set([0x40, 0, 0, 1], at + 4); // least-used needs a load
    rejects(lu);
  });

  it('accepts a policy parameter longer than needed (extra bytes ignored)', () => {
    const m = { ...registration, poolElement: { ...pe, policy: { type: 'least-used-degradation' as const, load: 7, loadDegradation: 9 } } };
    const bytes = encodeMessage(m);
    const at = hex(bytes).indexOf('0008001040000002') / 2;
    bytes.set([0x40, 0, 0, 1], at + 4); // now least-used, with 4 extra bytes
    const back = decodeMessage(11, bytes);
    expect(back.type === 'registration' && back.poolElement.policy).toEqual({ type: 'least-used', load: 7 });
  });

  it('copies byte strings out of the input', () => {
    const bytes = encodeMessage(registration);
    const m = decodeMessage(11, bytes);
    bytes.fill(0);
    expect(m.type === 'registration' && poolHandleToString(m.poolHandle)).toBe('EchoPool');
  });

  it('accepts a Node Buffer and still returns copies as plain Uint8Arrays', () => {
    const buf = Buffer.from(encodeMessage(registration));
    const m = decodeMessage(11, buf);
    expect(m).toEqual(registration);
    buf.fill(0);
    expect(m.type === 'registration' && m.poolHandle.constructor).toBe(Uint8Array);
    expect(m.type === 'registration' && poolHandleToString(m.poolHandle)).toBe('EchoPool');
    expect(poolHandleFromBytes(Buffer.from('ab')).constructor).toBe(Uint8Array);
  });

  it('decodes from a view into a larger buffer', () => {
    const big = new Uint8Array(good.length + 10);
    big.set(good, 5);
    expect(decodeMessage(11, big.subarray(5, 5 + good.length))).toEqual(registration);
  });
});

describe('pool handles and limits', () => {
  it('converts pool handles', () => {
    expect(poolHandleToString(poolHandleFromString('EchoPool'))).toBe('EchoPool');
    expect(poolHandleEquals(poolHandleFromString('a'), Uint8Array.of(0x61))).toBe(true);
    expect(poolHandleEquals(poolHandleFromString('a'), Uint8Array.of(0x62))).toBe(false);
    expect(poolHandleKey(Uint8Array.of(0, 255))).toBe('\u0000\u00ff');
    const src = Uint8Array.of(1, 2);
    const copy = poolHandleFromBytes(src);
    src[0] = 9;
    expect(copy).toEqual(Uint8Array.of(1, 2));
    expect(() => poolHandleFromString('')).toThrow(InvalidArgumentError);
    expect(() => poolHandleFromString('x'.repeat(33), RSPLIB_MAX_POOL_HANDLE_LENGTH)).toThrow(InvalidArgumentError);
    expect(() => poolHandleFromBytes(new Uint8Array(256))).toThrow(InvalidArgumentError);
  });

  it('validates limits', () => {
    expect(resolveWireLimits()).toBe(DEFAULT_WIRE_LIMITS);
    const l = resolveWireLimits({ maxPoolHandleLength: 32 });
    expect(l.maxPoolHandleLength).toBe(32);
    expect(resolveWireLimits(l)).toBe(l);
    expect(() => resolveWireLimits({ maxPoolElements: 0 })).toThrow(InvalidArgumentError);
    expect(() => resolveWireLimits({ maxMessageSize: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => decodeMessage(11, new Uint8Array(4), { maxNestingDepth: -1 })).toThrow(InvalidArgumentError);
  });
});
