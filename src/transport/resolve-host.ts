/**
 * Host names wherever an address is accepted: a name is looked up with the
 * system resolver (`dns.lookup`, so /etc/hosts applies) just before it is
 * used, and a failure is reported at once with the resolver's reason.
 *
 * @module
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { HostNotFoundError } from './errors.js';
import type { TransportAddress } from './types.js';

/**
 * The IP address for `host`: an IP literal unchanged, a name looked up.
 * With `family`, only addresses of that family qualify (an IPv4 endpoint
 * cannot reach `::1`); without, IPv4 is preferred.
 *
 * @throws HostNotFoundError when the name does not resolve (to that family)
 */
export async function resolveHost(host: string, family?: 4 | 6): Promise<string> {
  if (net.isIP(host) !== 0) return host;
  if (!HOST_NAME.test(host)) throw new HostNotFoundError(host, `Invalid host name "${host}"`);
  let found: Array<{ address: string; family: number }>;
  try {
    found = await lookup(host, { all: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new HostNotFoundError(host, `Cannot resolve host "${host}": ${reason}`, { cause: err });
  }
  const wanted = family ?? (found.some((a) => a.family === 4) ? 4 : 6);
  const match = found.find((a) => a.family === wanted);
  if (!match) {
    throw new HostNotFoundError(host, `Host "${host}" has no IPv${wanted} address (it resolves to ${found.map((a) => a.address).join(', ') || 'nothing'})`);
  }
  return match.address;
}

/** {@link resolveHost} on the address of a transport address (the same object when it is an IP literal). */
export async function resolveTransportAddress(remote: TransportAddress, family?: 4 | 6): Promise<TransportAddress> {
  if (!needsLookup(remote)) return remote;
  return { ...remote, address: await resolveHost(remote.address, family) };
}

/** Letters, digits, '-', '_' and dots, at most 253 characters: something worth asking the resolver about. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/;

/** True when `remote.address` is a host name to look up (not an IP literal, not garbage). */
export function needsLookup(remote: TransportAddress | undefined): remote is TransportAddress {
  const a = remote?.address;
  return typeof a === 'string' && net.isIP(a) === 0 && HOST_NAME.test(a);
}
