/**
 * Joins a {@link Registrar} to an ENRP operation scope: opens the ENRP
 * endpoint (SCTP over UDP, port 9901 by default) and the presence multicast
 * channel, runs an {@link EnrpServer} on the registrar's handlespace, sends
 * every local change of an own PE to the peers, and hands PEs taken over
 * from a dead peer to {@link Registrar.adopt}.
 *
 * ```ts
 * const pr = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
 * await pr.start();
 * const enrp = await attachEnrp(pr, { listen: { address: '127.0.0.1', port: 9901 }, peers: [{ address: '127.0.0.1', port: 9902 }], multicast: false });
 * // ...
 * await enrp.close();
 * await pr.close();
 * ```
 *
 * @module
 */
import { endpointFactoryFor, type TransportOptions } from '../../transport/endpoint-factory.js';
import { systemClock, type Clock } from '../../clock.js';
import type { PoolElement } from '../../handlespace/pool-element.js';
import type { Association, Endpoint, TransportAddress } from '../../transport/types.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Registrar } from '../registrar.js';
import { EnrpServer } from './enrp-server.js';
import type { HandlespaceEntry } from './handlespace-view.js';
import { ENRP_PORT, type EnrpOptions } from './options.js';
import { addressKey } from './peer-link.js';
import { RegistrarHandlespace } from './registrar-handlespace.js';
import { SctpPeerLink, type PresenceChannel } from './sctp-peer-link.js';
import { resolveTransportAddress } from '../../transport/resolve-host.js';
import { peerIdentityOf, tlsEndpoint, type TlsOptions } from '../../transport/tls.js';
import type { Authorization } from '../authorization.js';

/** Options of {@link attachEnrp}: the protocol options plus where to listen and announce. */
export interface EnrpAttachOptions extends EnrpOptions {
  /**
   * ENRP endpoint to listen on (default: the registrar's first ASAP address
   * with port 9901, so a registrar bound to loopback does not expose ENRP
   * elsewhere; port 0 = ephemeral).
   */
  listen?: TransportAddress;
  /** Address advertised in Server Information (default: the listening address). */
  advertise?: TransportAddress;
  /** Presence multicast group, or `false` (default `239.0.0.51:9901`). */
  multicast?: TransportAddress | false;
  /** Local interface address for the multicast group (default: system choice). */
  multicastInterface?: string;
  /** Multicast TTL (default 30, as the reference). */
  multicastTtl?: number;
  /**
   * Transport of the ENRP endpoint: mode and tuning. Default: the
   * registrar's {@link Registrar.transport}.
   */
  transport?: TransportOptions;
  /** Creates the ENRP endpoint (default: a listening endpoint in the {@link EnrpAttachOptions.transport} mode). */
  createEndpoint?: (address: TransportAddress) => Promise<Endpoint>;
  /** Creates the multicast channel (default: `src/transport/multicast.ts`). */
  createMulticast?: (group: TransportAddress, options: { interface?: string; ttl: number }) => Promise<PresenceChannel>;
  /**
   * Mutual TLS on every ENRP association (and on the associations opened to
   * adopted PEs). Off by default.
   */
  tls?: TlsOptions;
  /** With TLS: only these certificate identities are accepted as peers (see `Authorization.mayBeRegistrar`). */
  authorization?: Authorization;
  /** Time-out in ms for opening an association to an adopted PE (default 3000). */
  adoptConnectTimeout?: number;
  /** Time source (default: the system clock). */
  clock?: Clock;
  /** Random source for jitter (default `Math.random`). */
  random?: () => number;
  /** Logger (default: silent). */
  logger?: Logger;
}

/** A running ENRP attachment. */
export interface EnrpAttachment {
  /** The protocol engine (peers, statistics, events). */
  readonly server: EnrpServer;
  /** The SCTP link (association statistics). */
  readonly link: SctpPeerLink;
  /** The ENRP endpoint. */
  readonly endpoint: Endpoint;
  /** The handlespace view (expiry of PEs learned from peers). */
  readonly handlespace: RegistrarHandlespace;
  /** Stops ENRP and closes its sockets (the registrar keeps running). */
  close(): Promise<void>;
}

function hex(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

/** The ENRP address a registrar listens on by default: its first ASAP address, port 9901. */
export function defaultEnrpListen(registrar: Registrar): TransportAddress {
  return { address: registrar.addresses[0]?.address ?? '0.0.0.0', port: ENRP_PORT };
}

/**
 * Starts ENRP for a started registrar.
 *
 * @throws when the ENRP endpoint cannot be opened (multicast failures are
 *   only logged: static peers keep working)
 */
export async function attachEnrp(registrar: Registrar, options: EnrpAttachOptions = {}): Promise<EnrpAttachment> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const listen = options.listen ?? defaultEnrpListen(registrar);
  const createEndpoint = options.createEndpoint ?? endpointFactoryFor(options.transport ?? registrar.transport);
  const plainEndpoint = await createEndpoint(await resolveTransportAddress(listen));
  const tls = options.tls;
  const auth = options.authorization;
  // Adopted PEs are reached from this endpoint too: a PE is no registrar, so the
  // registrar check applies only to associations that carry ENRP (checked on the first message).
  // One host is counted the same way as the registrar's per-host limits count it, unless told otherwise.
  const endpoint: Endpoint = tls !== undefined ? tlsEndpoint(plainEndpoint, { ipv6HostPrefix: registrar.ipv6HostPrefix, ...tls }) : plainEndpoint;
  let multicast: PresenceChannel | undefined;
  if (options.multicast !== false) {
    const group = options.multicast ?? { address: '239.0.0.51', port: ENRP_PORT };
    try {
      if (options.createMulticast) {
        multicast = await options.createMulticast(group, { ...(options.multicastInterface ? { interface: options.multicastInterface } : {}), ttl: options.multicastTtl ?? 30 });
      } else {
        const mod = await import('../../transport/multicast.js');
        multicast = await mod.createMulticastChannel({
          group: group.address,
          port: group.port,
          ttl: options.multicastTtl ?? 30,
          ...(options.multicastInterface ? { interface: options.multicastInterface } : {}),
        });
      }
    } catch (err) {
      logger.warn('enrp-multicast-unavailable', { error: err instanceof Error ? err.message : String(err) });
    }
  }
  const local = endpoint.local;
  const advertise = options.advertise ?? (local.address === '0.0.0.0' ? { address: '127.0.0.1', port: local.port } : local.address === '::' ? { address: '::1', port: local.port } : local);
  const link = new SctpPeerLink({
    serverId: registrar.id,
    endpoint,
    advertise,
    ...(auth !== undefined ? { admit: (a: Association) => { const id = peerIdentityOf(a); return id !== undefined && auth.mayBeRegistrar(id); } } : {}),
    ...(multicast ? { multicast } : {}),
    onError: (what, err) => logger.debug('enrp-link-error', { what, error: err instanceof Error ? err.message : String(err) }),
  });
  const hs = new RegistrarHandlespace(registrar.handlespace, clock);
  const adoptTimeout = options.adoptConnectTimeout ?? 3000;

  let server: EnrpServer;
  const giveUp = (pes: PoolElement[], why: string): void => {
    for (const pe of pes) {
      if (!pe.active || pe.homeRegistrarId !== registrar.id) continue;
      const param = pe.toParam();
      const handle = pe.poolHandle;
      registrar.handlespace.remove(pe);
      server.localChange('del', handle, param);
      logger.info('enrp-adopt-failed', { pe: hex(pe.peId), reason: why });
    }
  };
  const adopt = (entries: HandlespaceEntry[]): void => {
    const groups = new Map<string, { to: TransportAddress; pes: PoolElement[] }>();
    const unreachable: PoolElement[] = [];
    for (const e of entries) {
      const pe = registrar.handlespace.find(e.poolHandle, e.element.peId);
      if (pe === undefined) continue;
      const t = pe.asapTransport;
      const address = t?.addresses[0];
      if (t === undefined || address === undefined) {
        unreachable.push(pe);
        continue;
      }
      const to = { address, port: t.port };
      const k = addressKey(to);
      let g = groups.get(k);
      if (g === undefined) groups.set(k, (g = { to, pes: [] }));
      g.pes.push(pe);
    }
    giveUp(unreachable, 'no ASAP transport');
    for (const g of groups.values()) {
      registrar.connectFromAsap(g.to, { timeout: adoptTimeout }).then(
        (association) => {
          registrar.adopt(association, g.pes);
          logger.info('enrp-adopted', { remote: addressKey(g.to), pes: g.pes.length });
        },
        (err) => giveUp(g.pes, err instanceof Error ? err.message : String(err)),
      );
    }
  };

  server = new EnrpServer({ serverId: registrar.id, handlespace: hs, adopt }, link, { ...options, multicastDiscovery: multicast !== undefined && options.multicastDiscovery !== false }, clock, options.random);
  await server.access.resolveNames(options.peers ?? []);
  const onChange = (c: { action: 'add' | 'del'; poolHandle: Uint8Array; pe: import('../../wire/types.js').PoolElementParam; reason: string }): void => {
    if (c.reason !== 'registrar-closed') server.localChange(c.action, c.poolHandle, c.pe);
  };
  registrar.on('change', onChange);
  server.on('peer-up', (id, a) => logger.info('enrp-peer-up', { peer: hex(id), address: addressKey(a) }));
  server.on('peer-down', (id, reason) => logger.info('enrp-peer-down', { peer: hex(id), reason }));
  server.on('synchronized', (mentor, n) => logger.info('enrp-synchronized', { mentor: mentor === undefined ? 'none' : hex(mentor), pes: n }));
  server.on('mismatch', (id, theirs, ours) => logger.info('enrp-audit', { peer: hex(id), theirs: hex(theirs), ours: hex(ours) }));
  server.on('sync', (r) => logger.debug('enrp-sync', { peer: hex(r.peerId), kind: r.kind, complete: r.complete, received: r.received, purged: r.purged, responses: r.responses }));
  server.on('dead', (id) => logger.info('enrp-peer-dead', { peer: hex(id) }));
  server.on('takeover', (id, n) => logger.info('enrp-takeover', { target: hex(id), pes: n }));
  server.on('taken-over', (id, by, n) => logger.info('enrp-taken-over', { target: hex(id), by: hex(by), pes: n }));
  server.start();
  logger.info('enrp-started', { registrar: hex(registrar.id), enrp: addressKey(local), multicast: multicast ? 'on' : 'off', peers: (options.peers ?? []).map(addressKey).join(',') });

  let closing: Promise<void> | undefined;
  return {
    server,
    link,
    endpoint,
    handlespace: hs,
    close(): Promise<void> {
      closing ??= (async () => {
        registrar.off('change', onChange);
        hs.close();
        await server.stop();
        await endpoint.close().catch(() => undefined);
      })();
      return closing;
    },
  };
}
