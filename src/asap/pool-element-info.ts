/**
 * Conversion of wire Pool Element parameters to the application-facing
 * {@link PoolElementInfo} (what `resolve()` returns and business cards carry).
 *
 * @module
 */
import type { PoolElementParam } from '../wire/types.js';
import type { PoolElementInfo } from './asap-options.js';
import { policyToOptions } from './policy-options.js';

/** Converts a wire Pool Element parameter to the `resolve()` form. */
export function toPoolElementInfo(pe: PoolElementParam): PoolElementInfo {
  const t = pe.userTransport;
  return {
    id: pe.peId,
    protocol: t.protocol,
    addresses: t.addresses.map((address) => ({ address, port: t.port })),
    transport: t,
    policy: policyToOptions(pe.policy),
    homeRegistrarId: pe.homeRegistrarId,
    registrationLife: pe.registrationLife,
  };
}
