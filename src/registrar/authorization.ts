/**
 * The authorisation file of a TLS deployment (RFC 5355 §4): which
 * certificate identities may act as registrars (ENRP peers) and which may
 * register pool elements into which pools.
 *
 * ```json
 * {
 *   "registrars": ["registrar-*.example.net"],
 *   "pools": {
 *     "EchoPool": ["pe-echo-*"],
 *     "*": ["pool-admin"]
 *   }
 * }
 * ```
 * An identity is a certificate's subject common name or one of its subject
 * alternative names; patterns match whole names, `*` standing for any run
 * of characters. The pool `"*"` applies to every pool. Pool users need no
 * entry: any certificate signed by the CA may resolve.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import { identityMatches, type PeerIdentity } from '../transport/tls.js';

/** The parsed file. */
export interface AuthorizationRules {
  /** Identities that may be ENRP peers (registrars). */
  registrars: string[];
  /** Per pool handle (text), identities that may register PEs; `"*"` for every pool. */
  pools: Record<string, string[]>;
}

function strings(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) throw new InvalidArgumentError(`authorisation: ${where} must be a list of non-empty strings`);
  return v as string[];
}

/** Decides, by certificate identity, who may be a registrar and who may register where. */
export class Authorization {
  constructor(readonly rules: AuthorizationRules) {}

  /**
   * Parses the JSON text of an authorisation file.
   *
   * @throws InvalidArgumentError when it is not valid
   */
  static parse(text: string): Authorization {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new InvalidArgumentError(`authorisation file is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError('authorisation file must hold an object');
    const o = raw as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'registrars' && k !== 'pools') throw new InvalidArgumentError(`authorisation: unknown key "${k}"`);
    const pools: Record<string, string[]> = {};
    if (o.pools !== undefined) {
      if (o.pools === null || typeof o.pools !== 'object' || Array.isArray(o.pools)) throw new InvalidArgumentError('authorisation: "pools" must be an object');
      for (const [k, v] of Object.entries(o.pools as Record<string, unknown>)) pools[k] = strings(v, `pools["${k}"]`);
    }
    return new Authorization({ registrars: o.registrars === undefined ? [] : strings(o.registrars, '"registrars"'), pools });
  }

  /** Reads and parses an authorisation file. */
  static load(path: string): Authorization {
    return Authorization.parse(readFileSync(path, 'utf8'));
  }

  /** May this peer be an ENRP peer (registrar)? */
  mayBeRegistrar(identity: PeerIdentity): boolean {
    return identityMatches(identity, this.rules.registrars);
  }

  /** May this peer register PEs into the pool `poolHandle`? */
  mayRegister(identity: PeerIdentity, poolHandle: Uint8Array): boolean {
    const pool = Buffer.from(poolHandle).toString('utf8');
    const own = Object.prototype.hasOwnProperty.call(this.rules.pools, pool) ? this.rules.pools[pool]! : [];
    return identityMatches(identity, [...own, ...(this.rules.pools['*'] ?? [])]);
  }
}
