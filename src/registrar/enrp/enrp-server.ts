/**
 * The ENRP server of a registrar (RFC 5353): keeps the handlespace of an
 * operation scope identical across registrars.
 *
 * - Peers come from a static list and from Presence messages (multicast or
 *   unicast) and List Responses.
 * - Startup: the first peer heard becomes the mentor; its whole handle table
 *   is downloaded (W=0, M-bit continuation). Without a mentor within
 *   `mentorDiscoveryTimeout` the server serves alone.
 * - Every local change of an own PE is sent to every peer as Handle Update.
 * - Presence heartbeats carry the ownership checksum; a mismatch starts an
 *   audit (W=1 download of the peer's own PEs, stale ones purged).
 * - A peer unheard for `maxTimeLastHeard` is probed with Presence R=1; silent
 *   for `maxTimeNoResponse` more, it is taken over (see `takeover.ts`) if it
 *   owns PEs, otherwise dropped.
 *
 * The server is protocol logic only: it talks through a {@link PeerLink}
 * and an {@link EnrpHandlespace}, on an injectable {@link Clock}.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import type { Clock, TimerHandle } from '../../clock.js';
import type { TransportAddress } from '../../transport/types.js';
import type { PoolElementParam, PoolHandle, ServerInfoParam } from '../../wire/types.js';
import { EnrpAccess } from './access.js';
import { entryKey, type EnrpHandlespace, type HandlespaceEntry } from './handlespace-view.js';
import { HandleTableResponder } from './handle-table-responder.js';
import { HandleTableSync, type SyncResult } from './handle-table-sync.js';
import type { PeerHandleTableRequest, PeerListRequest, PeerMessage, PeerPresence, PeerTakeoverMessage } from './messages.js';
import { resolveEnrpOptions, type EnrpOptions, type ResolvedEnrpOptions } from './options.js';
import { addressKey, type PeerLink, type PeerLinkOrigin } from './peer-link.js';
import { PeerTable, type Peer, type PeerSummary } from './peer-table.js';
import { TakeoverTable } from './takeover.js';

/** What the ENRP server needs from its registrar. */
export interface EnrpHost {
  /** This registrar's (= ENRP server's) identifier. */
  readonly serverId: number;
  /** The shared handlespace. */
  readonly handlespace: EnrpHandlespace;
  /**
   * PEs that became ours by a takeover: the registrar sends each an
   * Endpoint Keep-Alive with the H bit (over a new association to its ASAP
   * transport) and supervises it from now on.
   */
  adopt(entries: HandlespaceEntry[]): void;
}

/** Events of an {@link EnrpServer}. */
export interface EnrpServerEvents {
  /** A peer became known. */
  'peer-up': (peerId: number, address: TransportAddress) => void;
  /** A peer was removed (taken over, dropped or abandoned). */
  'peer-down': (peerId: number, reason: 'takeover' | 'taken-over-by-other' | 'dead' | 'abandoned' | 'stopped') => void;
  /** Startup ended: the mentor's table arrived, or no mentor was found. */
  synchronized: (mentorId: number | undefined, entries: number) => void;
  /** A handle-table download (full or audit) ended. */
  sync: (result: SyncResult) => void;
  /** A peer's checksum did not match; an audit starts. */
  mismatch: (peerId: number, theirs: number, ours: number) => void;
  /** A peer is declared dead (probe unanswered). */
  dead: (peerId: number) => void;
  /** This server took over `targetId`'s PEs. */
  takeover: (targetId: number, entries: number) => void;
  /** Another server took over `targetId`. */
  'taken-over': (targetId: number, takerId: number, entries: number) => void;
}

/** Counters of an {@link EnrpServer}. */
export interface EnrpStats {
  sent: number;
  received: number;
  updatesSent: number;
  updatesReceived: number;
  audits: number;
  purged: number;
  takeovers: number;
  handleTableResponses: number;
  /** Messages dropped because their sender's host is not admitted (RFC 5355). */
  refusedHosts: number;
  /** Presence from new server ids ignored because the peer table (or the sender's address) is full. */
  refusedPeers: number;
  /** Handle Update or handle-table entries refused: the PE is homed at another live registrar. */
  refusedUpdates: number;
  /** Takeover Server messages ignored because their target is alive. */
  refusedTakeovers: number;
}

/** Server ids accepted per peer transport address (one, plus one after a restart with a new id). */
const MAX_IDS_PER_ADDRESS = 2;

/** Where the server's own ENRP endpoint is advertised. */
function serverInfoOf(id: number, local: TransportAddress): ServerInfoParam {
  return { serverId: id, transport: { protocol: 'sctp', port: local.port, transportUse: 0, addresses: [local.address] } };
}

/** Init Takeover rounds before a takeover without unanimous acknowledgement is abandoned. */
const MAX_TAKEOVER_ATTEMPTS = 3;
/** Readers downloading at the same time (each holds a snapshot of the handlespace keys). */
const MAX_READERS = 8;
/** A reader silent this long is forgotten, with its download position. */
const READER_TIMEOUT_MS = 30_000;

function isLoopback(a: string): boolean {
  return a.startsWith('127.') || a === '::1';
}

function isWildcard(a: string): boolean {
  return a === '0.0.0.0' || a === '::' || a === '';
}

/** An ENRP server. Create, then {@link EnrpServer.start}. */
export class EnrpServer extends EventEmitter<EnrpServerEvents> {
  /** Resolved options. */
  readonly options: ResolvedEnrpOptions;
  /** Counters. */
  readonly stats: EnrpStats = { sent: 0, received: 0, updatesSent: 0, updatesReceived: 0, audits: 0, purged: 0, takeovers: 0, handleTableResponses: 0, refusedHosts: 0, refusedPeers: 0, refusedUpdates: 0, refusedTakeovers: 0 };
  /** The admission rule (static peers, allow list, multicast discovery). */
  readonly access: EnrpAccess;

  private readonly peers = new PeerTable();
  private readonly responder: HandleTableResponder;
  private readonly sync: HandleTableSync;
  private readonly takeovers: TakeoverTable;
  private readonly id: number;
  private heartbeatTimer: TimerHandle | undefined;
  private mentorTimer: TimerHandle | undefined;
  private state: 'idle' | 'startup' | 'serving' | 'stopped' = 'idle';
  private mentorId: number | undefined;
  private readonly syncWaiters: (() => void)[] = [];
  /** Init Takeovers for targets we still heard, answered once our own probe fails or `takeoverAckDelay` passed. */
  private readonly pendingAcks = new Map<number, Set<number>>();
  /** Readers (servers that asked without a Presence, like `rsp hsdump`): id -> last request time. */
  private readonly readers = new Map<number, number>();

  constructor(
    private readonly host: EnrpHost,
    private readonly link: PeerLink,
    options: EnrpOptions,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {
    super();
    this.options = resolveEnrpOptions(options);
    this.id = host.serverId;
    const o = this.options;
    this.access = new EnrpAccess({ peers: o.peers, allow: o.allow, multicast: o.multicastDiscovery, maxDiscovered: o.maxPeers * 4 });
    this.responder = new HandleTableResponder(host.handlespace, this.id, clock, o);
    this.sync = new HandleTableSync(host.handlespace, this.id, clock, o.requestTimeout, {
      request: (peerId, w) => this.sendToId(peerId, { type: 'handle-table-request', senderId: this.id, receiverId: peerId, ownChildrenOnly: w }),
      done: (r) => this.syncDone(r),
      accept: (peerId, handle, element) => this.mayApply(peerId, handle, element, false),
    });
    this.takeovers = new TakeoverTable(Math.max(o.takeoverExpiry * 3, o.maxTimeLastHeard + o.maxTimeNoResponse));
    link.setHandler({ message: (m, origin) => this.receive(m, origin), down: (a) => this.linkDown(a) });
  }

  /** This server's identifier. */
  get serverId(): number {
    return this.id;
  }

  /** True once startup has ended. */
  get synchronized(): boolean {
    return this.state === 'serving';
  }

  /** The known peers, sorted by id. */
  peerList(): PeerSummary[] {
    return this.peers.list();
  }

  /** Resolves when startup has ended. */
  whenSynchronized(): Promise<void> {
    if (this.state === 'serving' || this.state === 'stopped') return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Starts presence, mentor discovery and liveness supervision. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'startup';
    this.presenceRound(true);
    this.scheduleHeartbeat();
    this.mentorTimer = this.clock.setTimeout(() => {
      this.mentorTimer = undefined;
      if (this.state === 'startup' && this.mentorId === undefined) this.endStartup(undefined);
    }, this.options.mentorDiscoveryTimeout);
  }

  /** Stops every timer and closes the link. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.clock.clearTimeout(this.heartbeatTimer);
    this.clock.clearTimeout(this.mentorTimer);
    this.sync.close();
    for (const p of this.takeovers.running.values()) this.clock.clearTimeout(p.timer);
    this.takeovers.running.clear();
    for (const p of this.peers.values()) this.clock.clearTimeout(p.timer);
    for (const w of this.syncWaiters.splice(0)) w();
    await this.link.close();
  }

  /**
   * Reports a change of the local handlespace (the registrar's `change`
   * seam). Only PEs this server owns are propagated (spec §12.11).
   */
  localChange(action: 'add' | 'del', poolHandle: PoolHandle, element: PoolElementParam): void {
    if (this.state === 'stopped' || element.homeRegistrarId !== this.id) return;
    for (const p of this.peers.values()) {
      this.stats.updatesSent++;
      this.send(p, { type: 'handle-update', senderId: this.id, receiverId: p.id, action, takeoverSuggested: false, poolHandle, element });
    }
  }

  // ------------------------------------------------------------------ sending

  private send(p: Peer, m: PeerMessage): void {
    this.stats.sent++;
    this.link.send(p.address, m);
  }

  private sendToId(peerId: number, m: PeerMessage): void {
    const p = this.peers.get(peerId);
    if (p !== undefined) this.send(p, m);
  }

  private presence(receiverId: number, replyRequired: boolean): PeerPresence {
    return {
      type: 'presence',
      senderId: this.id,
      receiverId,
      replyRequired,
      checksum: this.host.handlespace.ownershipChecksum(this.id),
      serverInfo: serverInfoOf(this.id, this.link.local),
    };
  }

  /** One heartbeat: Presence to every peer, unidentified static peers (R=1) and the multicast group. */
  private presenceRound(initial: boolean): void {
    for (const p of this.peers.values()) this.send(p, this.presence(p.id, false));
    for (const a of this.options.peers) {
      if (!this.peers.hasAddress(a)) {
        this.stats.sent++;
        this.link.send(a, this.presence(0, true));
      }
    }
    this.link.multicast(this.presence(0, initial));
  }

  private scheduleHeartbeat(): void {
    const o = this.options;
    const delay = o.heartbeatInterval * (1 + o.jitter * (2 * this.random() - 1));
    this.heartbeatTimer = this.clock.setTimeout(() => {
      this.heartbeatTimer = undefined;
      if (this.state === 'stopped') return;
      this.presenceRound(false);
      this.scheduleHeartbeat();
    }, delay);
  }

  // ---------------------------------------------------------------- liveness

  private armLiveness(p: Peer): void {
    this.clock.clearTimeout(p.timer);
    const due = p.lastHeard + this.options.maxTimeLastHeard - this.clock.now();
    p.timer = this.clock.setTimeout(() => this.livenessCheck(p), Math.max(0, due));
  }

  private livenessCheck(p: Peer): void {
    p.timer = undefined;
    if (this.peers.get(p.id) !== p || this.state === 'stopped') return;
    const silent = this.clock.now() - p.lastHeard;
    if (silent < this.options.maxTimeLastHeard) {
      this.armLiveness(p);
      return;
    }
    // Probe: Presence with R=1, then wait MAX-TIME-NO-RESPONSE.
    p.probing = true;
    this.send(p, this.presence(p.id, true));
    p.timer = this.clock.setTimeout(() => this.peerDead(p), this.options.maxTimeNoResponse);
  }

  private heard(p: Peer): void {
    p.lastHeard = this.clock.now();
    if (p.probing) {
      p.probing = false;
      this.armLiveness(p);
    } else if (p.timer === undefined) {
      this.armLiveness(p);
    }
    const t = this.takeovers.running.get(p.id);
    if (t !== undefined) this.cancelTakeover(p.id);
    this.takeovers.forget(p.id);
    this.pendingAcks.delete(p.id);
  }

  /** A non-local loss of the association to a peer: probe it now instead of waiting. */
  private linkDown(address: TransportAddress): void {
    const k = addressKey(address);
    for (const p of this.peers.values()) {
      if (addressKey(p.address) === k && !p.probing) {
        p.lastHeard = Math.min(p.lastHeard, this.clock.now() - this.options.maxTimeLastHeard);
        this.clock.clearTimeout(p.timer);
        this.livenessCheck(p);
      }
    }
  }

  private reachable(p: Peer): boolean {
    return !p.probing && this.clock.now() - p.lastHeard < this.options.maxTimeLastHeard;
  }

  private peerDead(p: Peer): void {
    p.timer = undefined;
    if (this.peers.get(p.id) !== p || this.state === 'stopped') return;
    this.emit('dead', p.id);
    const waiting = this.pendingAcks.get(p.id);
    if (waiting !== undefined) {
      this.pendingAcks.delete(p.id);
      for (const taker of [...waiting].sort((x, y) => y - x)) this.ack(p.id, taker);
    }
    const decided = this.takeovers.decision(p.id, this.clock.now());
    if (this.host.handlespace.ownedCount(p.id) > 0 && decided === undefined) {
      this.startTakeover(p.id);
    } else if (decided === undefined || decided.completed) {
      this.removePeer(p.id, 'dead');
    } else {
      // Another server is taking it over; give it the expiry time.
      p.timer = this.clock.setTimeout(() => this.peerDead(p), this.options.takeoverExpiry);
    }
  }

  private removePeer(id: number, reason: Parameters<EnrpServerEvents['peer-down']>[1]): void {
    const p = this.peers.remove(id);
    if (p === undefined) return;
    this.clock.clearTimeout(p.timer);
    this.sync.cancel(id);
    this.responder.forget(id);
    if (this.mentorId === id && this.state === 'startup') this.endStartup(undefined);
    this.emit('peer-down', id, reason);
  }

  // ---------------------------------------------------------------- takeover

  private startTakeover(targetId: number, attempt = 1): void {
    const now = this.clock.now();
    const outstanding: number[] = [];
    for (const q of this.peers.values()) if (q.id !== targetId && this.reachable(q)) outstanding.push(q.id);
    const proc = this.takeovers.start(targetId, outstanding, now, attempt);
    this.takeovers.record(targetId, this.id, now, false);
    // The target gets one too: if it is alive after all, it answers with Presence.
    for (const q of this.peers.values()) this.send(q, { type: 'init-takeover', senderId: this.id, receiverId: q.id, targetId });
    if (proc.outstanding.size === 0) {
      this.completeTakeover(targetId);
      return;
    }
    proc.timer = this.clock.setTimeout(() => this.takeoverExpired(targetId), this.options.takeoverExpiry);
  }

  private takeoverExpired(targetId: number): void {
    const proc = this.takeovers.running.get(targetId);
    if (proc === undefined) return;
    proc.timer = undefined;
    for (const id of [...proc.outstanding]) {
      const q = this.peers.get(id);
      if (q === undefined || !this.reachable(q)) proc.outstanding.delete(id);
    }
    if (proc.outstanding.size === 0) {
      this.completeTakeover(targetId);
    } else if (proc.attempt < MAX_TAKEOVER_ATTEMPTS && this.peers.get(targetId) !== undefined) {
      // Somebody we still hear did not agree (yet): ask again, waiting only for peers reachable now.
      this.takeovers.end(targetId);
      this.startTakeover(targetId, proc.attempt + 1);
    } else {
      this.takeovers.end(targetId);
      this.takeovers.forget(targetId);
      this.removePeer(targetId, 'abandoned');
    }
  }

  private cancelTakeover(targetId: number): void {
    const proc = this.takeovers.end(targetId);
    if (proc !== undefined) this.clock.clearTimeout(proc.timer);
  }

  private completeTakeover(targetId: number): void {
    const proc = this.takeovers.end(targetId);
    if (proc !== undefined) this.clock.clearTimeout(proc.timer);
    this.takeovers.record(targetId, this.id, this.clock.now(), true);
    for (const q of this.peers.values()) {
      if (q.id !== targetId) this.send(q, { type: 'takeover-server', senderId: this.id, receiverId: q.id, targetId });
    }
    const entries = this.host.handlespace.transferOwnership(targetId, this.id);
    this.stats.takeovers++;
    this.removePeer(targetId, 'takeover');
    this.emit('takeover', targetId, entries.length);
    if (entries.length > 0) this.host.adopt(entries);
  }

  private ack(targetId: number, takerId: number): void {
    this.takeovers.record(targetId, takerId, this.clock.now(), false);
    this.sendToId(takerId, { type: 'init-takeover-ack', senderId: this.id, receiverId: takerId, targetId });
  }

  /**
   * Acknowledges a held Init Takeover `takeoverAckDelay` after it arrived
   * unless the target answered meanwhile (which cleared the held ack): a live
   * target answers a probe within a round trip, and the taker's expiry
   * (5 s at the reference) must not run out while we probe.
   */
  private ackUnlessHeard(targetId: number, takerId: number): void {
    this.clock.setTimeout(() => {
      if (this.state === 'stopped') return;
      const waiting = this.pendingAcks.get(targetId);
      if (waiting === undefined || !waiting.delete(takerId)) return;
      if (waiting.size === 0) this.pendingAcks.delete(targetId);
      this.ack(targetId, takerId);
    }, this.options.takeoverAckDelay);
  }

  private onTakeoverMessage(from: Peer, m: PeerTakeoverMessage): void {
    const now = this.clock.now();
    const target = m.targetId;
    if (m.type === 'init-takeover') {
      if (target === this.id) {
        // We are alive: tell everybody.
        for (const q of this.peers.values()) this.send(q, this.presence(q.id, false));
        return;
      }
      const decided = this.takeovers.decision(target, now);
      if (decided !== undefined && decided.completed && decided.takerId === this.id) {
        this.send(from, { type: 'takeover-server', senderId: this.id, receiverId: from.id, targetId: target });
        return;
      }
      if (this.takeovers.running.has(target)) {
        if (from.id < this.id) {
          this.cancelTakeover(target);
        } else {
          return; // we win; it will acknowledge ours
        }
      } else {
        const t = this.peers.get(target);
        if (t !== undefined && (this.reachable(t) || t.probing)) {
          // We still hear the target (or are probing it): check it ourselves before agreeing.
          let waiting = this.pendingAcks.get(target);
          if (waiting === undefined) this.pendingAcks.set(target, (waiting = new Set()));
          waiting.add(from.id);
          if (!t.probing) {
            this.clock.clearTimeout(t.timer);
            t.lastHeard = Math.min(t.lastHeard, now - this.options.maxTimeLastHeard);
            this.livenessCheck(t);
          }
          this.ackUnlessHeard(target, from.id);
          return;
        }
      }
      this.ack(target, from.id);
    } else if (m.type === 'init-takeover-ack') {
      const proc = this.takeovers.running.get(target);
      if (proc === undefined) return;
      proc.outstanding.delete(from.id);
      if (proc.outstanding.size === 0) this.completeTakeover(target);
    } else {
      const t = this.peers.get(target);
      if (target !== this.id && t !== undefined && this.reachable(t)) {
        // A registrar we still hear is not taken over: its PEs stay where they are (RFC 5355 §3.3).
        this.stats.refusedTakeovers++;
        return;
      }
      this.cancelTakeover(target);
      this.takeovers.record(target, from.id, now, true);
      const entries = target === this.id ? [] : this.host.handlespace.transferOwnership(target, from.id);
      if (target !== this.id) this.removePeer(target, 'taken-over-by-other');
      this.emit('taken-over', target, from.id, entries.length);
    }
  }

  // --------------------------------------------------------------- receiving

  private peerAddress(m: PeerMessage, origin: PeerLinkOrigin): TransportAddress {
    if (!origin.multicast) return origin.from;
    if (m.type === 'presence' && m.serverInfo.transport.addresses.length > 0) {
      const a = m.serverInfo.transport.addresses[0]!;
      const useSource = isWildcard(a) || (isLoopback(a) && !isLoopback(origin.from.address));
      return { address: useSource ? origin.from.address : a, port: m.serverInfo.transport.port };
    }
    return origin.from;
  }

  private learn(id: number, address: TransportAddress): Peer {
    const { peer, added } = this.peers.add(id, address, this.clock.now());
    if (added) {
      this.armLiveness(peer);
      this.emit('peer-up', id, address);
      this.send(peer, this.presence(id, true));
      if (this.state === 'startup' && this.mentorId === undefined) this.chooseMentor(peer);
    }
    return peer;
  }

  private receive(m: PeerMessage, origin: PeerLinkOrigin): void {
    if (this.state === 'stopped' || this.state === 'idle') return;
    if (m.senderId === this.id || m.senderId === 0) return;
    if (m.receiverId !== 0 && m.receiverId !== this.id) return;
    if (!this.access.admits(origin)) {
      this.stats.refusedHosts++;
      return;
    }
    this.stats.received++;
    const known = this.peers.get(m.senderId);
    let p = known;
    if (p === undefined) {
      // A reader (rsp hsdump) asks without being a peer: answer it, do not learn it.
      if (!origin.multicast && (m.type === 'handle-table-request' || m.type === 'list-request')) {
        this.answerReader(m, origin.from);
        return;
      }
      const address = this.peerAddress(m, origin);
      if (!this.roomFor(address)) {
        this.stats.refusedPeers++;
        return;
      }
      if (origin.multicast) this.access.discovered(address.address);
      p = this.learn(m.senderId, address);
    }
    if (!origin.multicast && known !== undefined && addressKey(known.address) !== addressKey(origin.from)) {
      known.address = origin.from;
    }
    this.heard(p);
    switch (m.type) {
      case 'presence':
        p.serverInfo = m.serverInfo;
        if (m.replyRequired && known !== undefined) this.send(p, this.presence(p.id, false));
        if (!origin.multicast) this.audit(p, m.checksum);
        break;
      case 'handle-table-request': {
        const body = this.responder.respond(p.id, m.ownChildrenOnly);
        this.stats.handleTableResponses++;
        this.send(p, { type: 'handle-table-response', senderId: this.id, receiverId: p.id, rejected: false, more: body.more, groups: body.groups });
        break;
      }
      case 'handle-table-response':
        this.sync.response(p.id, m);
        break;
      case 'handle-update':
        this.stats.updatesReceived++;
        this.applyUpdate(p, m.action, m.poolHandle, m.element);
        break;
      case 'list-request': {
        const servers: ServerInfoParam[] = [];
        for (const q of this.peers.values()) {
          // The address we reach it at (learnt from its associations) rather than what it advertises.
          if (q.id !== p.id) servers.push(serverInfoOf(q.id, q.address));
        }
        this.send(p, { type: 'list-response', senderId: this.id, receiverId: p.id, rejected: false, servers });
        break;
      }
      case 'list-response':
        if (!m.rejected) {
          for (const s of m.servers) {
            if (s.serverId === 0 || s.serverId === this.id || this.peers.get(s.serverId) !== undefined) continue;
            if (this.takeovers.decision(s.serverId, this.clock.now())?.completed) continue;
            const a = s.transport.addresses[0];
            if (a === undefined || isWildcard(a)) continue;
            // Only registrars this server would admit anyway (a peer cannot introduce strangers).
            const address = { address: a, port: s.transport.port };
            if (!this.access.admitsHost(a) || !this.roomFor(address)) continue;
            this.learn(s.serverId, address);
          }
        }
        break;
      case 'init-takeover':
      case 'init-takeover-ack':
      case 'takeover-server':
        this.onTakeoverMessage(p, m);
        break;
      case 'error':
        break;
    }
  }

  /**
   * A request from a server that never sent a Presence: a reader such as
   * `rsp hsdump`, not a peer. It gets its answer without being added to the
   * peer table, so it is not audited, listed to other peers or declared
   * dead later. At most {@link MAX_READERS} readers download at a time;
   * others are answered with the R (rejected) bit.
   */
  private answerReader(m: PeerHandleTableRequest | PeerListRequest, from: TransportAddress): void {
    const now = this.clock.now();
    for (const [id, seen] of this.readers) {
      if (now - seen > READER_TIMEOUT_MS) {
        this.readers.delete(id);
        this.responder.forget(id);
      }
    }
    const rejected = !this.readers.has(m.senderId) && this.readers.size >= MAX_READERS;
    if (!rejected) this.readers.set(m.senderId, now);
    this.stats.sent++;
    if (m.type === 'list-request') {
      const servers = rejected ? [] : [...this.peers.values()].map((q) => serverInfoOf(q.id, q.address));
      this.link.send(from, { type: 'list-response', senderId: this.id, receiverId: m.senderId, rejected, servers });
      return;
    }
    const body = rejected ? { more: false, groups: [] } : this.responder.respond(m.senderId, m.ownChildrenOnly);
    if (!rejected) this.stats.handleTableResponses++;
    if (!body.more) this.readers.delete(m.senderId);
    this.link.send(from, { type: 'handle-table-response', senderId: this.id, receiverId: m.senderId, rejected, more: body.more, groups: body.groups });
  }

  private applyUpdate(from: Peer, action: 'add' | 'del', handle: PoolHandle, element: PoolElementParam): void {
    const hs = this.host.handlespace;
    if (action === 'add') {
      if (!this.mayApply(from.id, handle, element, true)) {
        this.stats.refusedUpdates++;
        return;
      }
      hs.applyPeer(handle, element);
    } else {
      // Only the owner deletes: a late DEL from a former home must not remove a PE that moved on,
      // and nobody deletes a PE homed here or at another live registrar.
      const cur = hs.get(handle, element.peId);
      if (cur === undefined) return;
      if (cur.homeRegistrarId === this.id || !this.speaksFor(from.id, cur.homeRegistrarId)) {
        this.stats.refusedUpdates++;
        return;
      }
      hs.remove(handle, element.peId);
    }
    this.sync.settled(from.id, entryKey(handle, element.peId));
  }

  /**
   * May `fromId` store `element` in our handlespace? Never a PE claimed to be
   * ours; with `ownOnly` (Handle Update) only a PE homed at the sender; and
   * an existing entry only when the sender speaks for its current home.
   */
  private mayApply(fromId: number, handle: PoolHandle, element: PoolElementParam, ownOnly: boolean): boolean {
    if (element.homeRegistrarId === this.id) return false;
    if (ownOnly && element.homeRegistrarId !== fromId) return false;
    const cur = this.host.handlespace.get(handle, element.peId);
    if (cur === undefined) return true;
    if (cur.homeRegistrarId === this.id) return false;
    return cur.homeRegistrarId === element.homeRegistrarId || this.speaksFor(fromId, cur.homeRegistrarId);
  }

  /**
   * True when `fromId` may change PEs homed at `homeId`: it is that home, it
   * completed a takeover of it, or the home is no live peer of ours (gone,
   * being probed, or unknown) so nobody else speaks for its PEs.
   */
  private speaksFor(fromId: number, homeId: number): boolean {
    if (homeId === fromId) return true;
    if (homeId === this.id) return false;
    const d = this.takeovers.decision(homeId, this.clock.now());
    if (d !== undefined && d.completed) return d.takerId === fromId;
    const home = this.peers.get(homeId);
    return home === undefined || !this.reachable(home);
  }

  /** True when the peer table has room for one more id at `address`. */
  private roomFor(address: TransportAddress): boolean {
    if (this.peers.size >= this.options.maxPeers) return false;
    const k = addressKey(address);
    let n = 0;
    for (const q of this.peers.values()) if (addressKey(q.address) === k && ++n >= MAX_IDS_PER_ADDRESS) return false;
    return true;
  }

  private audit(p: Peer, theirs: number): void {
    p.lastChecksum = theirs;
    if (this.state !== 'serving' || this.sync.running(p.id)) return;
    const ours = this.host.handlespace.ownershipChecksum(p.id);
    if (ours === theirs) return;
    this.stats.audits++;
    this.emit('mismatch', p.id, theirs, ours);
    this.sync.start(p.id, 'audit');
  }

  // ----------------------------------------------------------------- startup

  private chooseMentor(p: Peer): void {
    this.mentorId = p.id;
    this.clock.clearTimeout(this.mentorTimer);
    this.mentorTimer = undefined;
    this.send(p, { type: 'list-request', senderId: this.id, receiverId: p.id });
    this.sync.start(p.id, 'full');
  }

  private syncDone(r: SyncResult): void {
    this.stats.purged += r.purged;
    this.emit('sync', r);
    if (r.kind === 'full' && this.state === 'startup' && r.peerId === this.mentorId) this.endStartup(r.peerId);
  }

  private endStartup(mentorId: number | undefined): void {
    if (this.state !== 'startup') return;
    this.state = 'serving';
    this.clock.clearTimeout(this.mentorTimer);
    this.mentorTimer = undefined;
    this.emit('synchronized', mentorId, this.host.handlespace.all().length);
    for (const w of this.syncWaiters.splice(0)) w();
    // Audit everybody we already know now that we serve.
    for (const p of this.peers.values()) if (p.lastChecksum !== undefined) this.audit(p, p.lastChecksum);
  }
}
