/**
 * A one-shot ENRP client that joins an operation scope as a temporary peer,
 * downloads the whole handlespace of one registrar (Handle Table Request
 * W=0, following the M bit) and its peer list, then leaves. Used by
 * `rsp hsdump`.
 *
 * @module
 */
import { systemClock, type Clock, type TimerHandle } from '../../clock.js';
import { RSerPoolError, TimeoutError } from '../../errors.js';
import { TransportError } from '../../transport/errors.js';
import type { TransportAddress } from '../../transport/types.js';
import type { ServerInfoParam } from '../../wire/types.js';
import type { HandleTableGroup } from './messages.js';
import { addressKey, type PeerLink } from './peer-link.js';

const formatTarget = (a: TransportAddress): string => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);

/** What {@link fetchHandleTable} returns. */
export interface HandleTableDump {
  /** Server id of the registrar asked. */
  serverId: number;
  /** Its peers (List Response). */
  peers: ServerInfoParam[];
  /** Pools with their PEs, in the order received (a pool may appear in several groups). */
  groups: HandleTableGroup[];
  /** Number of Handle Table Responses. */
  responses: number;
}

/** Options of {@link fetchHandleTable}. */
export interface FetchHandleTableOptions {
  /** Our (temporary) server id; default random. */
  serverId?: number;
  /** Give up after this many ms (default 10000). */
  timeout?: number;
  clock?: Clock;
}

/**
 * Downloads the handlespace of the registrar whose ENRP endpoint is `target`.
 *
 * @throws TimeoutError when the registrar does not answer in time
 * @throws TransportError (e.g. ConnectionRefusedError, HostNotFoundError) as soon as the
 *   registrar cannot be reached
 */
export function fetchHandleTable(link: PeerLink, target: TransportAddress, options: FetchHandleTableOptions = {}): Promise<HandleTableDump> {
  const clock = options.clock ?? systemClock;
  const ownId = options.serverId ?? 1 + Math.floor(Math.random() * 0xfffffffe);
  const timeout = options.timeout ?? 10_000;
  return new Promise((resolve, reject) => {
    let targetId = 0;
    let requested = false;
    let rejections = 0;
    let listDone = false;
    let tableDone = false;
    const dump: HandleTableDump = { serverId: 0, peers: [], groups: [], responses: 0 };
    const presence = (receiverId: number, replyRequired: boolean) => ({
      type: 'presence' as const,
      senderId: ownId,
      receiverId,
      replyRequired,
      checksum: 0xffff,
      serverInfo: { serverId: ownId, transport: { protocol: 'sctp' as const, port: link.local.port, transportUse: 0, addresses: [link.local.address] } },
    });
    let fallback: TimerHandle | undefined;
    const timer = clock.setTimeout(() => {
      stop();
      reject(new TimeoutError(`no complete answer from ${formatTarget(target)} within ${timeout} ms (a registrar answers only hosts it admits: its --peer hosts and --enrp-allow networks)`));
    }, timeout);
    const stop = (): void => {
      clock.clearTimeout(timer);
      if (fallback !== undefined) clock.clearTimeout(fallback);
    };
    const finish = (): void => {
      if (!listDone || !tableDone) return;
      stop();
      dump.serverId = targetId;
      resolve(dump);
    };
    const request = (): void => link.send(target, { type: 'handle-table-request', senderId: ownId, receiverId: targetId, ownChildrenOnly: false });
    link.setHandler({
      // The registrar cannot be reached (refused, unreachable, name not found) or went away:
      // say so now instead of when the timeout ends.
      down(peer, error) {
        if (addressKey(peer) !== addressKey(target) || (listDone && tableDone)) return;
        stop();
        const why = error instanceof Error ? error.message : 'association lost';
        reject(error instanceof RSerPoolError && !(error instanceof TimeoutError) ? error : new TransportError(`cannot reach the registrar at ${formatTarget(target)}: ${why}`, { cause: error }));
      },
      message(m) {
        if (m.senderId === 0 || m.senderId === ownId) return;
        if (targetId === 0) targetId = m.senderId;
        if (m.senderId !== targetId) return;
        switch (m.type) {
          case 'presence':
            if (m.replyRequired) link.send(target, presence(targetId, false));
            if (!requested) {
              requested = true;
              link.send(target, { type: 'list-request', senderId: ownId, receiverId: targetId });
              request();
            }
            break;
          case 'list-response':
            dump.peers = m.rejected ? [] : m.servers;
            listDone = true;
            finish();
            break;
          case 'handle-table-response':
            dump.responses++;
            if (m.rejected) {
              if (++rejections > 3) {
                stop();
                reject(new Error('the registrar rejected the handle table request'));
                return;
              }
              link.send(target, presence(targetId, true));
              request();
              return;
            }
            dump.groups.push(...m.groups);
            if (m.more) request();
            else {
              tableDone = true;
              finish();
            }
            break;
          case 'handle-table-request':
            // We hold nothing: an empty, final answer lets a registrar that picked us as mentor go on at once.
            link.send(target, { type: 'handle-table-response', senderId: ownId, receiverId: targetId, rejected: false, more: false, groups: [] });
            break;
          case 'list-request':
            link.send(target, { type: 'list-response', senderId: ownId, receiverId: targetId, rejected: false, servers: [] });
            break;
          case 'init-takeover':
            // A temporary peer has no objection: never hold up a takeover.
            link.send(target, { type: 'init-takeover-ack', senderId: ownId, receiverId: targetId, targetId: m.targetId });
            break;
          default:
            break;
        }
      },
    });
    // Ask as a reader first: List and Handle Table Requests without a Presence, which our
    // registrars answer without taking the client for a new peer (no peer-up/dead log lines,
    // no audit, not listed to other peers). A registrar that ignores requests from servers it
    // does not know gets a Presence after READER_FALLBACK_MS, as a temporary peer.
    requested = true;
    link.send(target, { type: 'list-request', senderId: ownId, receiverId: 0 });
    request();
    fallback = clock.setTimeout(() => {
      if (targetId !== 0) return;
      requested = false;
      link.send(target, presence(0, true));
    }, Math.min(READER_FALLBACK_MS, timeout / 2));
  });
}

/** How long a reader's requests may go unanswered before the client announces itself with a Presence. */
const READER_FALLBACK_MS = 1000;
