import type { PolicyInfo, PoolElementParam, TransportParam } from '../../src/wire/types.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function sctp(port = 7000, transportUse = 0, addresses = ['192.0.2.10']): TransportParam {
  return { protocol: 'sctp', port, transportUse, addresses };
}

export function pe(peId: number, policy: PolicyInfo, extra: Partial<PoolElementParam> = {}): PoolElementParam {
  return {
    peId,
    homeRegistrarId: 0,
    registrationLife: 30_000,
    userTransport: sctp(),
    policy,
    ...extra,
  };
}
