/**
 * What the web view and `/api/handlespace` show of a registrar: a JSON
 * snapshot of pools, PEs, the registrars of the cluster, and an event feed
 * fed by the registrar's and its ENRP server's events.
 *
 * @module
 */
import type { HandleTableDump } from '../registrar/enrp/handle-table-client.js';
import type { EnrpAttachment } from '../registrar/enrp/attach.js';
import type { HandlespaceChange, Registrar, RemovalReason } from '../registrar/registrar.js';
import type { PolicyInfo } from '../wire/types.js';
import { EventFeed, MAX_LISTED_PES } from './feed.js';
import { formatTransportAddress } from '../registrar/options.js';
import { FRACTION_FIELDS, hexId, poolHandleText, transportParamText as transportText } from '../wire/policy-text.js';

/** A PE as the web view shows it. */
export interface PoolElementView {
  id: string;
  /** Policy name. */
  policy: string;
  /** Policy values; fractions as numbers 0..1. */
  policyValues: Record<string, number>;
  /** Load 0..1 for the load-based policies, else null. */
  load: number | null;
  home: string;
  /** True when this registrar is the PE's home. */
  own: boolean;
  /** User transport, e.g. `sctp:127.0.0.1:40000`. */
  transport: string;
  addresses: string[];
  port: number;
  /** ASAP transport (the association it registered over), when known. */
  asap: string | null;
  /** Time since the registrar first saw it, ms. */
  ageMs: number;
}

/** A registrar of the cluster as the web view shows it. */
export interface RegistrarPeerView {
  id: string;
  /** ENRP address. */
  address: string;
  /** `self`, `up` (heard recently) or `probing` (silent, asked to answer). */
  state: 'self' | 'up' | 'probing';
  /** Time since it was last heard, ms (0 for self). */
  lastHeardMs: number;
  /** PEs in the handlespace whose home it is. */
  pes: number;
}

/** The snapshot the web view renders. */
export interface RegistrarSnapshot {
  role: 'registrar';
  id: string;
  asap: string[];
  enrp: string | null;
  synchronized: boolean;
  uptimeMs: number;
  /** Pools by name; `size` counts every PE, `elements` lists at most the view's limit in total. */
  pools: { pool: string; policy: string; size: number; elements: PoolElementView[] }[];
  /** PEs left out of `elements` because of the limit. */
  omitted: number;
  registrars: RegistrarPeerView[];
  stats: Record<string, number>;
}

function policyValues(p: PolicyInfo): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(p)) if (k !== 'type' && typeof v === 'number') out[k] = FRACTION_FIELDS.has(k) ? v / 0xffffffff : v;
  return out;
}

/** Options of {@link RegistrarView}. */
export interface RegistrarViewOptions {
  enrp?: EnrpAttachment;
  /** The clock the registrar runs on (default `performance.now`). */
  now?: () => number;
  /** Feed to fill (default: a new one). */
  feed?: EventFeed;
  /** Most PEs listed in a snapshot (default 2000); the rest are only counted, so a large handlespace stays cheap to show. */
  maxElements?: number;
  /** Most removed PEs remembered to show a later registration as `returned` (default 10000). */
  rememberRemoved?: number;
}

const REMOVAL_TEXT: Record<RemovalReason, string> = {
  deregistration: 'deregistered',
  'keep-alive-timeout': 'keep-alive unanswered',
  unreachable: 'reported unreachable by pool users',
  'association-closed': 'its ASAP association closed',
  expired: 'registration life expired',
  'registrar-closed': 'registrar closed',
};

/**
 * Observes a registrar (and its ENRP attachment): snapshots for the web
 * view, the handlespace as `rsp hsdump` downloads it, and an event feed.
 */
export class RegistrarView {
  /** The live event feed. */
  readonly feed: EventFeed;
  private readonly now: () => number;
  private readonly started: number;
  private readonly detach: (() => void)[] = [];
  /** Recently removed PEs (`PE@pool`) with the reason, oldest first. */
  private readonly removed = new Map<string, RemovalReason>();
  private readonly maxRemembered: number;

  constructor(
    private readonly registrar: Registrar,
    private readonly options: RegistrarViewOptions = {},
  ) {
    this.feed = options.feed ?? new EventFeed();
    this.now = options.now ?? (() => performance.now());
    this.maxRemembered = options.rememberRemoved ?? 10_000;
    this.started = this.now();
    const feed = this.feed;
    // Listeners are typed at each call; the emitters are eventemitter3 instances.
    type Listener = (...args: never[]) => void;
    const on = <F extends Listener>(emitter: object, event: string, f: F): void => {
      const e = emitter as { on(n: string, f: F): unknown; off(n: string, f: F): unknown };
      e.on(event, f);
      this.detach.push(() => e.off(event, f));
    };
    on(registrar, 'change', (c: HandlespaceChange) => {
      const pool = poolHandleText(c.poolHandle);
      const pe = hexId(c.pe.peId);
      const key = `${pe}@${pool}`;
      if (c.action === 'add' && c.reason === 'registration') {
        const before = this.removed.get(key);
        if (before === undefined) feed.push('registered', `PE ${pe} registered in ${pool} at ${transportText(c.pe.userTransport)} (${c.pe.policy.type})`, { pool, pe });
        else {
          this.removed.delete(key);
          feed.push('returned', `PE ${pe} returned to ${pool} at ${transportText(c.pe.userTransport)} (${c.pe.policy.type}), removed before: ${REMOVAL_TEXT[before]}`, { pool, pe });
        }
      } else if (c.action === 'del' && c.reason !== 'registrar-closed') {
        const reason = c.reason as RemovalReason;
        this.rememberRemoval(key, reason);
        const { remaining, left } = this.remainingIn(c.poolHandle);
        const next = left === 0 ? `no PE left in ${pool}` : `failover to ${remaining.join(', ')}${left > remaining.length ? ` and ${left - remaining.length} more` : ''}`;
        feed.push('removed', `PE ${pe} removed from ${pool}: ${REMOVAL_TEXT[reason] ?? c.reason}; ${next}`, { pool, pe, remaining, left });
      }
    });
    on(registrar, 'refused', (r: { poolHandle: Uint8Array; peId: number; cause: number; remote: { address: string; port: number } }) =>
      feed.push('refused', `registration of PE ${hexId(r.peId)} in ${poolHandleText(r.poolHandle)} from ${r.remote.address}:${r.remote.port} refused (cause 0x${r.cause.toString(16).padStart(4, '0')})`, { pool: poolHandleText(r.poolHandle), pe: hexId(r.peId) }),
    );
    on(registrar, 'failure-report', (r: { poolHandle: Uint8Array; peId: number; reports: number; remote: { address: string; port: number } }) => {
      const reporter = formatTransportAddress(r.remote);
      feed.push('failure-report', `pool user ${reporter} reported PE ${hexId(r.peId)} of ${poolHandleText(r.poolHandle)} unreachable (report ${r.reports}): its sessions fail over`, { pool: poolHandleText(r.poolHandle), pe: hexId(r.peId), reporter });
    });
    const enrp = options.enrp;
    if (enrp !== undefined) {
      const s = enrp.server;
      on(s, 'peer-up', (id: number, a: { address: string; port: number }) => feed.push('peer-up', `registrar ${hexId(id)} joined (ENRP ${a.address}:${a.port})`));
      on(s, 'peer-down', (id: number, reason: string) => feed.push('peer-down', `registrar ${hexId(id)} left: ${reason}`));
      on(s, 'dead', (id: number) => feed.push('peer-dead', `registrar ${hexId(id)} does not answer: declared dead`));
      on(s, 'takeover', (id: number, n: number) => feed.push('takeover', `took over ${n} PE${n === 1 ? '' : 's'} of dead registrar ${hexId(id)}`));
      on(s, 'taken-over', (id: number, by: number, n: number) => feed.push('takeover', `registrar ${hexId(by)} took over ${n} PE${n === 1 ? '' : 's'} of ${hexId(id)}`));
      on(s, 'synchronized', (mentor: number | undefined, n: number) => feed.push('synchronized', mentor === undefined ? 'no peer found: serving with an empty handlespace' : `handlespace (${n} PEs) downloaded from ${hexId(mentor)}`));
    }
  }

  /** Remembers why a PE left, so that its next registration shows as `returned` (bounded: oldest forgotten first). */
  private rememberRemoval(key: string, reason: RemovalReason): void {
    this.removed.delete(key);
    this.removed.set(key, reason);
    if (this.removed.size > this.maxRemembered) this.removed.delete(this.removed.keys().next().value!);
  }

  /** The PEs left in a pool (at most {@link MAX_LISTED_PES} ids) and their number. */
  private remainingIn(poolHandle: Uint8Array): { remaining: string[]; left: number } {
    const pool = this.registrar.handlespace.getPool(poolHandle);
    if (pool === undefined) return { remaining: [], left: 0 };
    const remaining: string[] = [];
    for (const pe of pool.elements()) {
      if (remaining.length >= MAX_LISTED_PES) break;
      remaining.push(hexId(pe.peId));
    }
    return { remaining, left: pool.size };
  }

  /** Stops listening to the registrar. */
  close(): void {
    for (const d of this.detach.splice(0)) d();
  }

  /** True once the registrar serves and, with ENRP, startup synchronisation ended. */
  get ready(): boolean {
    return this.registrar.running && (this.options.enrp === undefined || this.options.enrp.server.synchronized);
  }

  /** The snapshot the web view renders. */
  snapshot(): RegistrarSnapshot {
    const r = this.registrar;
    const now = this.now();
    const homeCount = new Map<number, number>();
    const pools: RegistrarSnapshot['pools'] = [];
    let budget = this.options.maxElements ?? 2000;
    let omitted = 0;
    const sorted = [...r.handlespace.pools()].map((pool) => ({ pool, name: poolHandleText(pool.handle) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { pool, name } of sorted) {
      const elements: PoolElementView[] = [];
      for (const pe of pool.elements()) {
        homeCount.set(pe.homeRegistrarId, (homeCount.get(pe.homeRegistrarId) ?? 0) + 1);
        if (budget <= 0) {
          omitted++;
          continue;
        }
        budget--;
        const values = policyValues(pe.policy);
        elements.push({
          id: hexId(pe.peId),
          policy: pe.policy.type,
          policyValues: values,
          load: values['load'] ?? null,
          home: hexId(pe.homeRegistrarId),
          own: pe.homeRegistrarId === r.id,
          transport: transportText(pe.userTransport),
          addresses: [...pe.userTransport.addresses],
          port: pe.userTransport.port,
          asap: pe.asapTransport ? transportText(pe.asapTransport) : null,
          ageMs: Math.max(0, Math.round(now - pe.registeredAt)),
        });
      }
      elements.sort((a, b) => a.id.localeCompare(b.id));
      pools.push({ pool: name, policy: pool.policyName, size: pool.size, elements });
    }
    const enrp = this.options.enrp;
    const registrars: RegistrarPeerView[] = [
      { id: hexId(r.id), address: enrp ? `${enrp.endpoint.local.address}:${enrp.endpoint.local.port}` : '-', state: 'self', lastHeardMs: 0, pes: homeCount.get(r.id) ?? 0 },
    ];
    for (const p of enrp?.server.peerList() ?? []) {
      registrars.push({ id: hexId(p.id), address: `${p.address.address}:${p.address.port}`, state: p.probing ? 'probing' : 'up', lastHeardMs: Math.max(0, Math.round(now - p.lastHeard)), pes: homeCount.get(p.id) ?? 0 });
    }
    return {
      role: 'registrar',
      id: hexId(r.id),
      asap: r.addresses.map((a) => `${a.address}:${a.port}`),
      enrp: enrp ? `${enrp.endpoint.local.address}:${enrp.endpoint.local.port}` : null,
      synchronized: this.ready,
      uptimeMs: Math.round(now - this.started),
      pools,
      omitted,
      registrars,
      stats: { ...r.stats },
    };
  }

  /**
   * The handlespace in the form `rsp hsdump` downloads over ENRP: this
   * registrar's id, its ENRP peers, every PE grouped by pool.
   */
  handleTable(): HandleTableDump {
    const r = this.registrar;
    const groups: HandleTableDump['groups'] = [];
    for (const pool of r.handlespace.pools()) groups.push({ poolHandle: pool.handle, elements: [...pool.elements()].map((pe) => pe.toParam()) });
    const peers = (this.options.enrp?.server.peerList() ?? []).map((p) => ({ serverId: p.id, transport: { protocol: 'sctp' as const, port: p.address.port, transportUse: 0, addresses: [p.address.address] } }));
    return { serverId: r.id, peers, groups, responses: 0 };
  }
}
