/**
 * A one-shot ENRP client that joins an operation scope as a temporary peer,
 * downloads the whole handlespace of one registrar (Handle Table Request
 * W=0, following the M bit) and its peer list, then leaves. Used by
 * `rsp hsdump`.
 *
 * @module
 */
import { systemClock, type Clock } from '../../clock.js';
import { TimeoutError } from '../../errors.js';
import type { TransportAddress } from '../../transport/types.js';
import type { ServerInfoParam } from '../../wire/types.js';
import type { HandleTableGroup } from './messages.js';
import type { PeerLink } from './peer-link.js';

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
    const timer = clock.setTimeout(() => reject(new TimeoutError(`no complete answer from ${target.address}:${target.port} within ${timeout} ms`)), timeout);
    const finish = (): void => {
      if (!listDone || !tableDone) return;
      clock.clearTimeout(timer);
      dump.serverId = targetId;
      resolve(dump);
    };
    const request = (): void => link.send(target, { type: 'handle-table-request', senderId: ownId, receiverId: targetId, ownChildrenOnly: false });
    link.setHandler({
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
                clock.clearTimeout(timer);
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
    link.send(target, presence(0, true));
  });
}
