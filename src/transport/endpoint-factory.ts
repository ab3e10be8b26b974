/**
 * One transport choice for every role: the registrar, ENRP, the ASAP
 * instance, sessions, pool-element sockets and the command-line tools open
 * their SCTP endpoints through {@link createTransportEndpoint}, so that a
 * single {@link TransportOptions} value (`{ mode, ...tuning }`) selects the
 * encapsulation and applies the same tuning in every mode:
 *
 * - `udp` (default): SCTP over UDP, UDP port = SCTP port (this library's
 *   own convention; unprivileged, one socket per endpoint);
 * - `udp-standard`: RFC 6951 as kernel SCTP, usrsctp and sctplib do it: one
 *   UDP port (9899) for all SCTP endpoints of the process;
 * - `raw`: SCTP directly over IP (protocol 132); root and the optional
 *   `raw-socket` addon.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { RawEndpointOptions } from './raw-endpoint.js';
import type { Endpoint, FailureDetectionOptions, TransportAddress } from './types.js';

/** The encapsulation of SCTP packets; see the module comment. */
export type TransportMode = 'udp' | 'udp-standard' | 'raw';

/** Every transport mode, in the order the command line lists them. */
export const TRANSPORT_MODES: readonly TransportMode[] = ['udp', 'udp-standard', 'raw'];

/**
 * The transport choice of a role: its mode plus tuning. Tuning that a mode
 * has no use for is ignored by it (e.g. `probeInterval` in raw mode).
 */
export interface TransportOptions extends FailureDetectionOptions {
  /** Encapsulation; default `'udp'`. */
  mode?: TransportMode;
  /** Local address of endpoints whose role does not fix one (sessions, PE sockets). */
  address?: string;
  /** SCTP streams offered in each direction; default 16. */
  streams?: number;
  /** Largest message accepted by `send()` and expected from peers; default 1 MiB. */
  maxMessageSize?: number;
  /** Write-queue size in bytes at which associations arm `drain`; default 1 MiB. */
  highWaterMark?: number;
  /** Receive window advertised to peers; default max(4 MiB, 2 × maxMessageSize). */
  receiveWindow?: number;
  /** Default connect timeout in ms; default 5000. */
  connectTimeout?: number;
  /** Time a graceful close of an association may take before it aborts, ms; default 3000. */
  closeTimeout?: number;
  /** Link MTU the packets are sized for (UDP modes); default 1500. */
  mtu?: number;
  /** UDP modes: outgoing associations on their own connected socket (ICMP reaches them); default true for `udp`, false for `udp-standard`. */
  ownSocket?: boolean;
  /** UDP modes with `ownSocket`: zero-length liveness probe interval, ms; default 40. */
  probeInterval?: number;
  /** UDP modes: requested socket buffer sizes in bytes; default 4 MiB. */
  socketBufferSize?: number;
  /** UDP modes: SO_REUSEADDR on the endpoint socket. */
  reuseAddr?: boolean;
  /** `udp-standard`: the local UDP port shared by every SCTP endpoint of the process; default 9899. */
  udpPort?: number;
  /** `udp-standard`: the UDP port of peers; default 9899. */
  remoteUdpPort?: number;
  /** `raw`: options of each endpoint's raw stack (buffers, MTU, ephemeral range). */
  stackOptions?: RawEndpointOptions['stackOptions'];
}

/** Where an endpoint listens: fixed by the role (registrar port, PE port, ephemeral). */
export interface EndpointPlacement {
  /** Local address; default: the transport's `address`, else the mode's default. */
  address?: string;
  /** SCTP port; 0 = ephemeral. */
  port?: number;
  /** Accept associations; default false. */
  listen?: boolean;
}

/** An endpoint of any mode (all of them can stop and start accepting). */
export interface TransportEndpoint extends Endpoint {
  /** Starts (or stops, with `false`) accepting associations. */
  listen(enable?: boolean): void;
}

/** Throws unless `mode` is one of {@link TRANSPORT_MODES}; returns it. */
export function checkTransportMode(mode: unknown, source = 'transport mode'): TransportMode {
  if (typeof mode === 'string' && (TRANSPORT_MODES as readonly string[]).includes(mode)) return mode as TransportMode;
  throw new InvalidArgumentError(`Invalid ${source} ${JSON.stringify(mode)}: expected one of ${TRANSPORT_MODES.join(', ')}`);
}

/**
 * Opens an SCTP endpoint in the transport's mode with its tuning applied.
 *
 * ```ts
 * const ep = await createTransportEndpoint({ mode: 'udp-standard', rtoMin: 200 }, { port: 0, listen: true });
 * ```
 */
export async function createTransportEndpoint(transport: TransportOptions | undefined, placement: EndpointPlacement = {}): Promise<TransportEndpoint> {
  const { mode: rawMode, address: defaultAddress, udpPort, remoteUdpPort, stackOptions, ...tuning } = transport ?? {};
  const mode = checkTransportMode(rawMode ?? 'udp');
  const address = placement.address ?? defaultAddress;
  const common = { ...tuning, port: placement.port ?? 0, listen: placement.listen ?? false };
  const at = address === undefined ? {} : { address };
  // Loaded on demand: importing the option types must not load the transports.
  if (mode === 'raw') {
    const { createRawEndpoint } = await import('./raw-endpoint.js');
    return createRawEndpoint({ ...common, ...at, ...(stackOptions ? { stackOptions } : {}) });
  }
  const { createUdpEndpoint } = await import('./udp-endpoint.js');
  switch (mode) {
    case 'udp-standard':
      return createUdpEndpoint({
        ...common,
        ...at,
        standard: true,
        ...(udpPort !== undefined ? { udpPort } : {}),
        ...(remoteUdpPort !== undefined ? { remoteUdpPort } : {}),
      });
    default:
      return createUdpEndpoint({ ...common, ...at });
  }
}

/**
 * An endpoint factory for roles that open endpoints by transport address
 * (registrar, ENRP), in the transport's mode.
 */
export function endpointFactoryFor(transport: TransportOptions | undefined, listen = true): (address: TransportAddress) => Promise<TransportEndpoint> {
  return (a) => createTransportEndpoint(transport, { address: a.address, port: a.port, listen });
}
