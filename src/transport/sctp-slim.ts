/**
 * Per-instance memory diet for associations of the npm `sctp` protocol
 * machine, applied by the endpoints right after an association is created.
 * Behaviour is unchanged:
 *
 * - The `Association` constructor registers fourteen `this.onX.bind(this)`
 *   listeners (`data`, `sack`, `init`...). Each bound function carries its
 *   own property store (about 300 bytes). They are swapped for one shared
 *   dispatcher per event that calls the current method on the emitter
 *   (`EventEmitter` calls listeners with `this` set to the emitter), so
 *   prototype repairs still apply.
 * - The constructor also creates four `debug` loggers per association
 *   (about 1.2 KiB each). When none of them is enabled (the `DEBUG`
 *   environment variable does not select `sctp:assoc`), they are replaced by
 *   one shared set of no-op loggers.
 *
 * @module
 * @internal
 */
import type { SctpAssociation } from './sctp-lib.js';

/** Event name → method name, as the sctp `Association` constructor wires them. */
const HANDLERS: ReadonlyArray<readonly [string, string]> = [
  ['data', 'onData'],
  ['sack', 'onSack'],
  ['init', 'onInit'],
  ['init_ack', 'onInitAck'],
  ['heartbeat', 'onHeartbeat'],
  ['heartbeat_ack', 'onHeartbeatAck'],
  ['cookie_echo', 'onCookieEcho'],
  ['cookie_ack', 'onCookieAck'],
  ['shutdown', 'onShutdown'],
  ['shutdown_ack', 'onShutdownAck'],
  ['shutdown_complete', 'onShutdownComplete'],
  ['error', 'onError'],
  ['abort', 'onAbort'],
  ['icmp', 'onICMP'],
];

type Method = (...args: unknown[]) => unknown;

/**
 * Dispatchers of the two events of nearly every packet, written out: a named
 * method call stays a cheap property load, where the generic dispatcher's
 * `this[method]` is one shared, megamorphic keyed load for all events.
 */
const DATA_DISPATCHER = function dispatchData(this: Record<string, Method>, chunk: unknown, source: unknown): unknown {
  return this['onData']!(chunk, source);
};
const SACK_DISPATCHER = function dispatchSack(this: Record<string, Method>, chunk: unknown, source: unknown): unknown {
  return this['onSack']!(chunk, source);
};

const DISPATCHERS = new Map<string, Method>(
  HANDLERS.map(([event, method]) => [
    event,
    event === 'data'
      ? DATA_DISPATCHER
      : event === 'sack'
        ? SACK_DISPATCHER
        : function dispatch(this: Record<string, Method>, ...args: unknown[]): unknown {
            return this[method]!(...args);
          },
  ]),
);

/**
 * True when the association's only listener of `'data'` and of `'sack'` is
 * the slim dispatcher, so a caller may invoke `onData` / `onSack` directly
 * instead of emitting the events (same effect, without the emitter's work).
 */
export function dispatchesDirectly(association: SctpAssociation): boolean {
  const events = (association as unknown as { _events?: Record<string, unknown> })._events;
  return events?.['data'] === DATA_DISPATCHER && events['sack'] === SACK_DISPATCHER;
}

const noop = (): void => {};
const QUIET_LOGGER = Object.freeze(Object.assign(noop, { enabled: false }));
const QUIET_DEBUGGER = Object.freeze({ warn: QUIET_LOGGER, info: QUIET_LOGGER, debug: QUIET_LOGGER, trace: QUIET_LOGGER });

/** Replaces the `debug` loggers of an sctp object by shared no-ops when none is enabled. */
export function quietLoggers(target: object): void {
  const holder = target as { debugger?: Record<string, { enabled?: boolean } | undefined> };
  const debuggers = holder.debugger;
  if (debuggers && debuggers !== QUIET_DEBUGGER && !Object.values(debuggers).some((d) => d?.enabled === true)) {
    (holder as { debugger: unknown }).debugger = QUIET_DEBUGGER;
  }
}

/** Applies the diet to one association (call before adding other listeners). */
export function slimAssociation(association: SctpAssociation): void {
  // Node keeps a lone listener as the function itself in `_events[event]`; replacing it in
  // place (instead of removeListener + on) keeps `_events` out of dictionary mode.
  const events = (association as unknown as { _events?: Record<string, unknown> })._events;
  for (const [event] of HANDLERS) {
    const only = events?.[event];
    if (typeof only !== 'function' || !only.name.startsWith('bound ')) continue;
    events![event] = DISPATCHERS.get(event)!;
  }
  quietLoggers(association);
}
