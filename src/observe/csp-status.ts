/**
 * What each role says in its Component Status Protocol reports, in the
 * reference implementation's wording so a mixed deployment reads the same
 * in any monitor:
 *
 * - registrar: `<PEs>[<own PEs>] PEs in <n> Pool(s), <m> Peer(s)`; one
 *   association per ENRP peer (PPID 12, duration unknown); workload unknown;
 * - pool element: `<n> Session(s)`; its registrar association (PPID 11);
 *   workload = policy load for the load-based policies, else unknown;
 * - pool user: `<n> Session(s)` or the application's text for a single
 *   session; one association per live session (PE, PPID last used).
 *
 * @module
 */
import type { EnrpAttachment } from '../registrar/enrp/attach.js';
import type { Registrar } from '../registrar/registrar.js';
import type { TransportAddress } from '../transport/types.js';
import type { PolicyInfo } from '../wire/types.js';
import { cspComponentId, cspLocation, type CspAssociation, type CspStatus } from './csp.js';

/** IP protocol number of SCTP. */
const SCTP = 132;

/** The report of a registrar. */
export function registrarCspStatus(registrar: Registrar, enrp?: EnrpAttachment): CspStatus {
  const stats = registrar.stats;
  const peers = enrp?.server.peerList() ?? [];
  return {
    location: cspLocation(registrar.addresses),
    status: `${registrar.handlespace.size}[${stats.pes}] PEs in ${registrar.handlespace.poolCount} Pool(s), ${peers.length} Peer(s)`,
    associations: peers.map((p) => ({ receiverId: cspComponentId('registrar', p.id), protocolId: SCTP, ppid: 12 })),
  };
}

/** What {@link poolElementCspStatus} reads from a pool element. */
export interface CspPoolElement {
  readonly local: TransportAddress | undefined;
  readonly sessionCount: number;
  /** The registration: its policy (wire values) and home registrar. */
  readonly registration: { readonly policy: PolicyInfo; readonly homeRegistrarId: number } | undefined;
}

/** The report of a pool element. */
export function poolElementCspStatus(pe: CspPoolElement, since: number): CspStatus {
  const r = pe.registration;
  const load = r !== undefined && 'load' in r.policy ? (r.policy as { load: number }).load / 0xffffffff : undefined;
  const associations: CspAssociation[] = [];
  if (r !== undefined && r.homeRegistrarId !== 0) {
    associations.push({ receiverId: cspComponentId('registrar', r.homeRegistrarId), durationUs: BigInt(Math.round((performance.now() - since) * 1000)), protocolId: SCTP, ppid: 11 });
  }
  return {
    location: cspLocation(pe.local ? [pe.local] : []),
    status: r === undefined ? 'Looking for Registrar ...' : `${pe.sessionCount} Session(s)`,
    ...(load !== undefined ? { workload: load } : {}),
    associations,
  };
}

/** One live session of a pool user, for {@link poolUserCspStatus}. */
export interface CspUserSession {
  /** PE serving it now, if connected. */
  peId: number | undefined;
  /** `performance.now()` when it connected to that PE. */
  since: number;
  /** PPID last used to send (0 before any send). */
  ppid: number;
}

/** The report of a pool user. */
export function poolUserCspStatus(sessions: readonly CspUserSession[], text?: string): CspStatus {
  const now = performance.now();
  return {
    location: cspLocation([]),
    status: sessions.length === 1 && text !== undefined ? text : `${sessions.length} Session(s)`,
    associations: sessions
      .filter((s) => s.peId !== undefined)
      .map((s) => ({ receiverId: cspComponentId('pe', s.peId!), durationUs: BigInt(Math.max(0, Math.round((now - s.since) * 1000))), protocolId: SCTP, ppid: s.ppid })),
  };
}
