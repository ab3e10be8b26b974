import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  InvalidArgumentError,
  peIdParameterBytes,
  policyParameterBytes,
  poolElementParameterBytes,
  poolHandleFromString,
  poolHandleParameterBytes,
  transportParameterBytes,
  type PoolElementParam,
} from '../../src/wire/index.js';
import { hex } from './vector-files.js';

const pe: PoolElementParam = {
  peId: 0x11223344,
  homeRegistrarId: 0,
  registrationLife: 300000,
  userTransport: { protocol: 'sctp', port: 7000, transportUse: 1, addresses: ['192.0.2.10', '2001:db8::10'] },
  policy: { type: 'round-robin' },
};

describe('single parameters as cause information', () => {
  it('are the bytes the message encoder writes', () => {
    const poolHandle = poolHandleFromString('CalcAppPool');
    const msg = hex(encodeMessage({ protocol: 'asap', type: 'registration', poolHandle, poolElement: pe }));
    expect(hex(poolHandleParameterBytes(poolHandle))).toBe('0009000f43616c63417070506f6f6c00');
    expect(msg).toContain(hex(poolHandleParameterBytes(poolHandle)));
    expect(msg).toContain(hex(poolElementParameterBytes(pe)));
    expect(msg).toContain(hex(transportParameterBytes(pe.userTransport)));
    expect(hex(policyParameterBytes(pe.policy))).toBe('0008000800000001');
    expect(hex(peIdParameterBytes(0x11223344))).toBe('000e000811223344');
  });

  it('make causes that decode with the parameter as information', () => {
    const info = policyParameterBytes({ type: 'least-used', load: 0x40000000 });
    const m = decodeMessage(11, encodeMessage({ protocol: 'asap', type: 'error', operationError: [{ code: 5, info }] }));
    expect(m.type === 'error' && hex(m.operationError[0]!.info)).toBe('0008000c4000000140000000');
  });

  it('validate their input', () => {
    expect(() => peIdParameterBytes(-1)).toThrow(InvalidArgumentError);
    expect(() => poolHandleParameterBytes(new Uint8Array(300))).toThrow(InvalidArgumentError);
    expect(poolHandleParameterBytes(new Uint8Array(300), { maxPoolHandleLength: 65000 })).toHaveLength(304);
    expect(() => transportParameterBytes({ protocol: 'udp', port: 1, addresses: ['x'] })).toThrow(InvalidArgumentError);
  });
});
