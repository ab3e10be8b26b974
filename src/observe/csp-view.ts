/**
 * What the web view shows of the components reporting to a CSP monitor,
 * and the feed events derived from their reports (a component appears,
 * stops or falls silent; a pool user's session moves to another PE).
 *
 * @module
 */
import { cspIdText, type CspComponent, type CspMonitor, type CspReport } from './csp.js';
import { EventFeed } from './feed.js';

/** PPIDs named in the view. */
const PPID_NAMES: Record<number, string> = { 0: 'data', 11: 'ASAP', 12: 'ENRP', 32: 'Fractal', 33: 'PingPong', 34: 'CalcApp', 35: 'Scripting' };

/** A component as the web view shows it. */
export interface ComponentView {
  id: string;
  kind: string;
  location: string;
  status: string;
  final: boolean;
  /** 0..1, or null when unknown. */
  workload: number | null;
  associations: { receiver: string; ppid: number; ppidName: string; durationMs: number | null }[];
  /** Time since its last report, ms. */
  lastReportMs: number;
  /** Its uptime as it reports it, ms. */
  uptimeMs: number;
  source: string;
}

const KIND = { registrar: 'registrar', pe: 'pool element', pu: 'pool user' } as const;

/** Converts the monitor's table for the web view. */
export function componentViews(list: readonly CspComponent[], now = performance.now()): ComponentView[] {
  return list.map((c) => ({
    id: cspIdText(c.id),
    kind: c.group ? KIND[c.group] : 'unknown',
    location: c.last.location,
    status: c.last.status,
    final: c.last.final,
    workload: c.last.workload ?? null,
    associations: c.last.associations.map((a) => ({
      receiver: cspIdText(a.receiverId),
      ppid: a.ppid,
      ppidName: PPID_NAMES[a.ppid] ?? `PPID ${a.ppid}`,
      durationMs: a.durationUs === undefined ? null : Number(a.durationUs / 1000n),
    })),
    lastReportMs: Math.max(0, Math.round(now - c.lastSeen)),
    uptimeMs: Number(c.last.timestampUs / 1000n),
    source: `${c.source.address}:${c.source.port}`,
  }));
}

/** Data-session peers of a report (associations that are not ASAP/ENRP). */
function sessionPeers(r: CspReport): bigint[] {
  return r.associations.filter((a) => a.ppid !== 11 && a.ppid !== 12).map((a) => a.receiverId);
}

/** Feeds `feed` with what the monitor's reports tell; returns a function that detaches. */
export function feedFromMonitor(monitor: CspMonitor, feed: EventFeed): () => void {
  const onReport = (c: CspComponent, previous: CspReport | undefined): void => {
    const id = cspIdText(c.id);
    const kind = c.group ? KIND[c.group] : 'component';
    if (previous === undefined) {
      if (!c.last.final) feed.push('component-up', `${kind} ${id} reports: ${c.last.status} (${c.last.location})`);
      return;
    }
    if (c.last.final && !previous.final) {
      feed.push('component-stopped', `${kind} ${id} stopped (final report)`);
      return;
    }
    if (c.group === 'pu') {
      const before = sessionPeers(previous);
      const after = new Set(sessionPeers(c.last));
      const lost = before.filter((p) => !after.has(p));
      const gained = [...after].filter((p) => !before.includes(p));
      if (lost.length > 0 && gained.length > 0) feed.push('failover', `pool user ${id}: session moved from ${lost.map(cspIdText).join(', ')} to ${gained.map(cspIdText).join(', ')}`);
    }
  };
  const onGone = (c: CspComponent, why: 'final' | 'silent'): void => {
    if (why === 'silent') feed.push('component-lost', `${c.group ? KIND[c.group] : 'component'} ${cspIdText(c.id)} stopped reporting`);
  };
  monitor.on('report', onReport);
  monitor.on('gone', onGone);
  return () => {
    monitor.off('report', onReport);
    monitor.off('gone', onGone);
  };
}
