/**
 * The ENRP options of `rsp registrar` and the code that starts ENRP from
 * them, kept here so the registrar command only needs two calls:
 * {@link addEnrpOptions} and {@link startEnrpFromCli}.
 *
 * With an IPC channel the process sends `{ event: 'enrp', id, address }` once
 * ENRP runs and answers `{ cmd: 'enrp-stats' }` with `{ event: 'enrp-stats',
 * stats, link, associations, peers, synchronized }`.
 *
 * @module
 */
import { InvalidArgumentError as CommanderArgumentError, type Command } from 'commander';
import type { TransportAddress } from '../../transport/types.js';
import type { Logger } from '../logger.js';
import type { Registrar } from '../registrar.js';
import { addNetwork } from './access.js';
import { BlockList } from 'node:net';
import { attachEnrp, defaultEnrpListen, type EnrpAttachment, type EnrpAttachOptions } from './attach.js';
import { ENRP_DEFAULTS, ENRP_MULTICAST_GROUP, ENRP_PORT } from './options.js';
import { addressKey } from './peer-link.js';

/** Parsed ENRP options of `rsp registrar` (commander camel-case names). */
export interface EnrpCliOptions {
  enrp?: TransportAddress | false;
  peer?: TransportAddress[];
  enrpMulticast?: TransportAddress | false;
  enrpMulticastInterface?: string;
  enrpAdvertise?: TransportAddress;
  peerHeartbeatInterval: number;
  peerMaxTimeLastHeard: number;
  peerMaxTimeNoResponse: number;
  takeoverExpiry: number;
  mentorDiscoveryTimeout: number;
  maxHtElements: number;
  maxHtBytes: number;
  enrpAllow?: string[];
  enrpMaxPeers: number;
  /** `--announce off` also switches presence multicast off. */
  announce?: TransportAddress | false;
}

function address(text: string): TransportAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new CommanderArgumentError(`expected ADDR:PORT, got "${text}"`);
  return { address: m[1]!, port };
}

function addressOrOff(text: string): TransportAddress | false {
  return text === 'off' ? false : address(text);
}

function collect(text: string, previous: TransportAddress[] | undefined): TransportAddress[] {
  return [...(previous ?? []), address(text)];
}

function network(text: string, previous: string[] | undefined): string[] {
  try {
    addNetwork(new BlockList(), text);
  } catch (err) {
    throw new CommanderArgumentError(err instanceof Error ? err.message : String(err));
  }
  return [...(previous ?? []), text];
}

function integer(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new CommanderArgumentError(`expected a non-negative integer, got "${text}"`);
  return n;
}

/** Adds the ENRP options (with their defaults in `--help`) to the `registrar` command. */
export function addEnrpOptions(cmd: Command): void {
  const d = ENRP_DEFAULTS;
  cmd
    .option('--enrp <addr:port|off>', `ENRP endpoint (SCTP over UDP, PPID 12; port 0 = ephemeral), or "off" (default: the first --asap address with port ${ENRP_PORT}; when not given and the port is taken, the registrar runs without ENRP)`, addressOrOff)
    .option('--peer <addr:port>', 'ENRP endpoint of a peer registrar, repeatable', collect)
    .option('--enrp-multicast <addr:port|off>', `UDP multicast group for ENRP Presence, or "off" (default: ${ENRP_MULTICAST_GROUP}, off with --announce off)`, addressOrOff)
    .option('--enrp-multicast-interface <addr>', 'local interface address for ENRP multicast (default: system choice)')
    .option('--enrp-allow <net>', 'admit ENRP peers from this network (ADDR/PREFIX, an address, or "any"), repeatable; besides --peer hosts and multicast discovery nobody is admitted', network)
    .option('--enrp-max-peers <n>', 'most peers in the ENRP peer table', integer, d.maxPeers)
    .option('--enrp-advertise <addr:port>', 'ENRP address to advertise to peers (default: the --enrp address, 127.0.0.1 for a wildcard)', address)
    .option('--peer-heartbeat-interval <ms>', 'Presence period (PEER-HEARTBEAT-CYCLE, jittered ±12.5 %)', integer, d.heartbeatInterval)
    .option('--peer-max-time-last-heard <ms>', 'silence after which a peer is probed (MAX-TIME-LAST-HEARD)', integer, d.maxTimeLastHeard)
    .option('--peer-max-time-no-response <ms>', 'unanswered probe after which a peer is dead and taken over (MAX-TIME-NO-RESPONSE)', integer, d.maxTimeNoResponse)
    .option('--takeover-expiry <ms>', 'wait this long for takeover acknowledgements', integer, d.takeoverExpiry)
    .option('--mentor-discovery-timeout <ms>', 'wait this long at start for a peer to download the handlespace from', integer, d.mentorDiscoveryTimeout)
    .option('--max-ht-elements <n>', 'most PEs per Handle Table Response', integer, d.maxElementsPerResponse)
    .option('--max-ht-bytes <bytes>', 'largest Handle Table Response', integer, d.maxResponseBytes);
}

/**
 * Starts ENRP for a registrar from parsed command-line options; returns
 * undefined when ENRP is off (or, with the default address, when port 9901
 * is taken — logged as a warning).
 *
 * @throws when an explicitly given ENRP address cannot be opened
 */
export async function startEnrpFromCli(registrar: Registrar, opts: EnrpCliOptions, logger: Logger, extra: Partial<EnrpAttachOptions> = {}): Promise<EnrpAttachment | undefined> {
  if (opts.enrp === false) return undefined;
  const explicit = opts.enrp !== undefined;
  const listen = opts.enrp ?? defaultEnrpListen(registrar);
  const multicast = opts.enrpMulticast !== undefined ? opts.enrpMulticast : opts.announce === false ? false : address(ENRP_MULTICAST_GROUP);
  try {
    const enrp = await attachEnrp(registrar, {
      listen,
      multicast,
      ...(opts.enrpMulticastInterface ? { multicastInterface: opts.enrpMulticastInterface } : {}),
      ...(opts.enrpAdvertise ? { advertise: opts.enrpAdvertise } : {}),
      peers: opts.peer ?? [],
      allow: opts.enrpAllow ?? [],
      maxPeers: opts.enrpMaxPeers,
      heartbeatInterval: opts.peerHeartbeatInterval,
      maxTimeLastHeard: opts.peerMaxTimeLastHeard,
      maxTimeNoResponse: opts.peerMaxTimeNoResponse,
      takeoverExpiry: opts.takeoverExpiry,
      mentorDiscoveryTimeout: opts.mentorDiscoveryTimeout,
      maxElementsPerResponse: opts.maxHtElements,
      maxResponseBytes: opts.maxHtBytes,
      ...extra,
      logger,
    });
    if (process.send) {
      process.send({ event: 'enrp', id: registrar.id, address: enrp.endpoint.local, key: addressKey(enrp.endpoint.local) });
      // `{ cmd: 'enrp-stats' }` over IPC answers with the ENRP counters and peers (tests, benchmarks).
      const onIpc = (msg: unknown): void => {
        if (msg !== null && typeof msg === 'object' && (msg as { cmd?: unknown }).cmd === 'enrp-stats') {
          process.send?.({ event: 'enrp-stats', stats: { ...enrp.server.stats }, link: { ...enrp.link.stats }, associations: enrp.link.associationCount, peers: enrp.server.peerList(), synchronized: enrp.server.synchronized });
        }
      };
      process.on('message', onIpc);
      const close = enrp.close.bind(enrp);
      enrp.close = async () => {
        process.off('message', onIpc);
        await close();
      };
    }
    return enrp;
  } catch (err) {
    if (explicit) throw err;
    logger.warn('enrp-unavailable', { enrp: addressKey(listen), error: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}
