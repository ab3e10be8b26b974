/**
 * Packetization Layer Path MTU Discovery (RFC 8899 §6.2 for SCTP) for the
 * repaired machine: per association, the packet size in use
 * (`state.packetSize`) starts at a size the path is known to carry and is
 * raised by probes — a HEARTBEAT padded with a PAD chunk (RFC 4820) to the
 * probed size. A HEARTBEAT-ACK for it confirms the size; a probe that is not
 * answered within the probe timeout (or an ICMP "packet too big" reported by
 * the socket, see {@link packetTooBig}) ends the search at the last
 * confirmed size. Probes are not congestion-controlled data and their loss
 * counts no error (RFC 8899 §3).
 *
 * The search climbs a ladder of common link MTUs one step at a time and
 * stops at the first failure. A binary search would go wrong over UDP from
 * Node: sockets cannot set `IP_MTU_DISCOVER`, so once an ICMP "packet too
 * big" has lowered the kernel's cached path MTU, larger datagrams are
 * fragmented by the kernel and a probe above the real MTU would still be
 * answered. After a failure, and when the search reached its ceiling, a new
 * search starts after `raiseInterval` (RFC 8899 PMTU_RAISE_TIMER, 600 s).
 *
 * The original package has a fixed `PMTU` field and never probes.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Loose } from './internals.js';
import { st, sendRaw, clearTimer, now } from './state.js';

/** Link MTUs the search climbs (IP packet sizes). */
const LADDER = [1500, 2000, 3000, 4000, 6000, 9000, 16_384, 32_768, 65_535];
/** Heartbeat-info marker of a probe ("PLPM"). */
const PROBE_MAGIC = 0x504c504d;
/** Smallest probe timeout (ms); RFC 8899 suggests 15 s for PROBE_TIMER, far longer than our RTOs. */
const MIN_PROBE_TIMEOUT = 250;
/** PMTU_RAISE_TIMER (ms). */
export const DEFAULT_RAISE_INTERVAL = 600_000;

/** Search state of one association. */
export interface PmtuSearch {
  /** IP + encapsulation header bytes in front of each SCTP packet. */
  overhead: number;
  /** Packet size the search starts from (confirmed by the handshake's assumptions). */
  base: number;
  /** Largest packet size to probe for. */
  ceiling: number;
  /** Probe in flight. */
  probe: { size: number; nonce: number; at: number } | undefined;
  timer: NodeJS.Timeout | undefined;
  /** True once the search ended (ceiling reached or a probe failed). */
  done: boolean;
  raiseInterval: number;
  /** Probes sent / confirmed / failed (for tests and diagnostics). */
  sent: number;
  confirmed: number;
  failed: number;
}

/** Options of {@link setPathMtu}. */
export interface PathMtuSetting {
  /** Packet size (SCTP common header + chunks) to use now. */
  packetSize: number;
  /** Largest packet size to probe for; omitted or ≤ `packetSize` = no probing. */
  ceiling?: number;
  /** IP + encapsulation header bytes per packet (to convert link MTUs); default 28. */
  overhead?: number;
  /** Interval after which a finished search restarts (ms); default 600 s. */
  raiseInterval?: number;
}

/**
 * Sets the packet size of an association and, with a ceiling above it, the
 * range PLPMTUD may probe. The search starts when the association is
 * established ({@link startPmtuSearch}) or at once if it already is.
 */
export function setPathMtu(a: Loose, setting: PathMtuSetting): void {
  const s = st(a);
  const size = Math.max(256, Math.floor(setting.packetSize));
  s.packetSize = size;
  s.pathMtuSet = true;
  a.PMTU = size + 20; // the package counts a 20-byte IP header in its own field
  stopPmtuSearch(a);
  const ceiling = Math.floor(setting.ceiling ?? size);
  if (ceiling <= size) {
    s.pmtu = undefined;
    return;
  }
  s.pmtu = {
    overhead: setting.overhead ?? 28,
    base: size,
    ceiling,
    probe: undefined,
    timer: undefined,
    done: false,
    raiseInterval: setting.raiseInterval ?? DEFAULT_RAISE_INTERVAL,
    sent: 0,
    confirmed: 0,
    failed: 0,
  };
  if (a.state === 'ESTABLISHED') schedulePmtuSearch(a);
}

/**
 * Starts the search soon (after the packets of the current event, so that a
 * probe never overtakes the COOKIE ACK).
 */
export function schedulePmtuSearch(a: Loose): void {
  const p = st(a).pmtu;
  if (!p || p.probe || p.timer) return;
  p.timer = setTimeout(startPmtuSearch, 0, a);
  p.timer.unref?.();
}

/** Starts (or restarts) the search if the association has one configured. */
export function startPmtuSearch(a: Loose): void {
  const s = st(a);
  const p = s.pmtu;
  if (!p) return;
  p.timer = clearTimer(p.timer);
  if (s.closed || p.probe) return;
  p.done = false;
  sendNextProbe(a);
}

/** Stops probe and raise timers (association closing). */
export function stopPmtuSearch(a: Loose): void {
  const p = st(a).pmtu;
  if (!p) return;
  p.timer = clearTimer(p.timer);
  p.probe = undefined;
}

function nextSize(p: PmtuSearch, current: number): number | undefined {
  for (const link of LADDER) {
    const size = (link - p.overhead) & ~3;
    if (size > current) return Math.min(size, p.ceiling);
  }
  return current < p.ceiling ? p.ceiling : undefined;
}

function sendNextProbe(a: Loose): void {
  const s = st(a);
  const p = s.pmtu!;
  const size = nextSize(p, s.packetSize);
  if (size === undefined || size <= s.packetSize) {
    finish(a);
    return;
  }
  const info = randomBytes(12);
  info.writeUInt32BE(PROBE_MAGIC, 0);
  info.writeUInt32BE(size, 8);
  const nonce = info.readUInt32BE(4);
  // HEARTBEAT (type 4) with one Heartbeat Info parameter (type 1), then PAD (type 0x84).
  const hb = Buffer.alloc(4 + 4 + info.length);
  hb[0] = 4;
  hb.writeUInt16BE(hb.length, 2);
  hb.writeUInt16BE(1, 4);
  hb.writeUInt16BE(4 + info.length, 6);
  info.copy(hb, 8);
  const padLength = size - 12 - hb.length;
  const pad = Buffer.alloc(padLength);
  pad[0] = 0x84;
  pad.writeUInt16BE(padLength, 2);
  p.probe = { size, nonce, at: now() };
  p.sent++;
  sendRaw(a, [hb, pad]);
  p.timer = setTimeout(probeTimeout, Math.max(MIN_PROBE_TIMEOUT, 3 * s.rto), a);
  p.timer.unref?.();
}

function probeTimeout(a: Loose): void {
  const s = st(a);
  const p = s.pmtu;
  if (!p || s.closed) return;
  p.timer = undefined;
  if (!p.probe) return;
  p.probe = undefined;
  p.failed++;
  finish(a);
}

function finish(a: Loose): void {
  const s = st(a);
  const p = s.pmtu;
  if (!p || s.closed) return;
  p.done = true;
  p.probe = undefined;
  p.timer = clearTimer(p.timer);
  if (s.packetSize < p.ceiling) {
    p.timer = setTimeout(startPmtuSearch, p.raiseInterval, a);
    p.timer.unref?.();
  }
}

/**
 * Handles a HEARTBEAT-ACK if it answers a PMTU probe; returns false for an
 * ordinary heartbeat (failure detection handles it then).
 */
export function onProbeAck(a: Loose, info: Buffer): boolean {
  if (info.length !== 12 || info.readUInt32BE(0) !== PROBE_MAGIC) return false;
  const s = st(a);
  const p = s.pmtu;
  if (!p || !p.probe || s.closed) return true;
  if (info.readUInt32BE(4) !== p.probe.nonce || info.readUInt32BE(8) !== p.probe.size) return true;
  s.packetSize = p.probe.size;
  a.PMTU = s.packetSize + 20;
  p.confirmed++;
  p.probe = undefined;
  p.timer = clearTimer(p.timer);
  sendNextProbe(a);
  return true;
}

/**
 * The socket reported "message too long" (ICMP fragmentation needed /
 * packet too big on a connected socket): a probe in flight failed; without
 * one, the path shrank, so the packet size falls back to the search's base
 * and the search starts again.
 */
export function packetTooBig(a: Loose): void {
  const s = st(a);
  const p = s.pmtu;
  if (!p || s.closed) return;
  if (p.probe) {
    p.failed++;
    finish(a);
    return;
  }
  if (s.packetSize > p.base) {
    s.packetSize = p.base;
    a.PMTU = p.base + 20;
    finish(a);
  }
}

/** Figures of the PMTU search of an association (for diagnostics and tests). */
export function pathMtuInfo(a: Loose): { packetSize: number; ceiling: number; searching: boolean; probes: number; confirmed: number; failed: number } {
  const s = st(a);
  const p = s.pmtu;
  return {
    packetSize: s.packetSize,
    ceiling: p?.ceiling ?? s.packetSize,
    searching: !!p && !p.done,
    probes: p?.sent ?? 0,
    confirmed: p?.confirmed ?? 0,
    failed: p?.failed ?? 0,
  };
}
