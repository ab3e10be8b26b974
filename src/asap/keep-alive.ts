/**
 * How a pool element answers an ASAP Endpoint Keep-Alive (spec §12.5): which
 * PEs to acknowledge, whether the sending registrar becomes the new home
 * registrar, and which server id to record. Pure logic, so it is unit-tested
 * on its own; the ASAP instance performs the decision.
 *
 * @module
 */

/** The parts of a received Endpoint Keep-Alive that matter to a PE. */
export interface KeepAliveInput {
  /** Server identifier of the sending registrar. */
  serverId: number;
  /** The H bit: "adopt me as your home registrar". */
  homeFlag: boolean;
  /** Pool handle of the keep-alive. */
  poolHandle: Uint8Array;
  /** PE identifier parameter (RSPLIB extension); absent in RFC-only keep-alives. */
  peId?: number;
}

/** A PE registered by this instance, as far as keep-alives are concerned. */
export interface KeepAliveTarget {
  poolHandle: Uint8Array;
  peId: number;
}

/** What to do about a keep-alive. */
export interface KeepAliveDecision<T extends KeepAliveTarget> {
  /** PEs to acknowledge (one Keep-Alive Ack each, on the association the keep-alive came in on). */
  ack: T[];
  /** True when the association the keep-alive came on must become the home registrar association. */
  adopt: boolean;
  /** Server id to record as the Home Registrar Identifier, when it changes. */
  newHomeId?: number;
}

/** Byte equality of two pool handles. */
export function samePoolHandle(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** How the decision finds this instance's PEs (indexed: keep-alives are frequent). */
export interface KeepAliveLookup<T extends KeepAliveTarget> {
  /** The PE with this id, if this instance registered it. */
  byId(peId: number): T | undefined;
  /** The PEs of this instance in a pool. */
  byPool(poolHandle: Uint8Array): Iterable<T>;
}

/**
 * Decides the reaction to a keep-alive (spec §12.5 steps 2–4):
 * - on the home association: acknowledge; record the server id when H=1 or
 *   when none is known yet;
 * - on another association (a registrar that connected to us): only H=1
 *   counts — that registrar becomes home, then the PEs are acknowledged; a
 *   keep-alive with H=0 there is ignored;
 * - with a PE id: acknowledge that PE if it is ours (unknown id: no ack);
 *   without one: acknowledge every PE of that pool.
 */
export function decideKeepAlive<T extends KeepAliveTarget>(
  ka: KeepAliveInput,
  ctx: { onHomeAssociation: boolean; homeRegistrarId: number; registrations: KeepAliveLookup<T> },
): KeepAliveDecision<T> {
  if (!ctx.onHomeAssociation && !ka.homeFlag) return { ack: [], adopt: false };
  const ack: T[] = [];
  if (ka.peId !== undefined) {
    const r = ctx.registrations.byId(ka.peId >>> 0);
    if (r && samePoolHandle(r.poolHandle, ka.poolHandle)) ack.push(r);
  } else {
    for (const r of ctx.registrations.byPool(ka.poolHandle)) ack.push(r);
  }
  const decision: KeepAliveDecision<T> = { ack, adopt: !ctx.onHomeAssociation && ka.homeFlag };
  if ((ka.homeFlag || ctx.homeRegistrarId === 0) && ka.serverId !== ctx.homeRegistrarId) decision.newHomeId = ka.serverId >>> 0;
  return decision;
}

/** A {@link KeepAliveLookup} over a plain list (for small sets and tests). */
export function listLookup<T extends KeepAliveTarget>(list: readonly T[]): KeepAliveLookup<T> {
  return {
    byId: (peId) => list.find((r) => r.peId === peId),
    byPool: (ph) => list.filter((r) => samePoolHandle(r.poolHandle, ph)),
  };
}
