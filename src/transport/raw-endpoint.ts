/**
 * SCTP directly over IP (raw-IP mode): an {@link Endpoint} for peers that run
 * kernel SCTP (or another raw stack), root only.
 *
 * The endpoint is one sctp `Endpoint` (one SCTP port) bound to a
 * {@link RawStack}, with the same message-oriented associations as the UDP
 * encapsulation endpoint. The stack routes packets to the endpoint by
 * destination port; the sctp endpoint finds the association by the peer's
 * IP address and port. An endpoint opens its own stack unless one is passed
 * in (several endpoints of one process may share a stack).
 *
 * Rule for sharing a host (or network namespace) between several raw stacks
 * and programs: every process's raw socket sees every SCTP packet, so each
 * SCTP port belongs to exactly one stack (claimed per namespace), and a stack
 * ignores — never answers — packets for ports it does not own. The kernel's
 * own SCTP must not be active in the same namespace (it would answer
 * packets for our ports with ABORT); see docs/TRANSPORT.md.
 *
 * @module
 */
import { checkRemote, positiveInt, tuningFrom } from './endpoint-options.js';
import { needsLookup, resolveTransportAddress } from './resolve-host.js';
import net from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { AbortError, ClosedError, InvalidArgumentError, TimeoutError } from '../errors.js';
import { DEFAULT_CLOSE_TIMEOUT, DEFAULT_HIGH_WATER_MARK, DEFAULT_MAX_MESSAGE_SIZE, SctpTransportAssociation } from './association.js';
import { TransportError } from './errors.js';
import { ChunkType, buildPacket, controlChunk } from './sctp-packet.js';
import { RawStack, type RawStackOptions } from './raw-stack.js';
import { SctpEndpointClass, type SctpAssociation, type SctpEndpoint } from './sctp-lib.js';
import {
  associate,
  installSctpRepairs,
  setEndpointTuning,
  setPathMtu,
  tuneAssociation,
  type SctpTuningOptions,
} from './sctp-repairs/index.js';
import type { Association, ConnectOptions, Endpoint, EndpointEvents, FailureDetectionOptions, TransportAddress } from './types.js';

/** Default connect timeout in raw-IP mode (ms). */
export const DEFAULT_RAW_CONNECT_TIMEOUT = 5000;
/** Default number of SCTP streams offered in each direction. */
export const DEFAULT_RAW_STREAMS = 16;

/** Options of {@link createRawEndpoint}. */
export interface RawEndpointOptions extends FailureDetectionOptions {
  /**
   * Local IPv4 or IPv6 address; packets to other local addresses are not
   * delivered to this endpoint. Default: any address (IPv4 and IPv6), and the
   * kernel picks the source address of sent packets.
   */
  address?: string;
  /** SCTP port; 0 (default) picks a random free ephemeral port. */
  port?: number;
  /** Accept associations (emit `association`); default false (connect only). */
  listen?: boolean;
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
  /** Time a graceful `close()` of an association may take before it aborts, ms; default 3000. */
  closeTimeout?: number;
  /** Stack to bind to; default: a stack of its own, closed with the endpoint. */
  stack?: RawStack;
  /** Options of the endpoint's own stack (ignored with `stack`): buffers, MTU, ephemeral range. */
  stackOptions?: RawStackOptions;
}

/** The INIT handler of sctp's `Endpoint` (called by its `onPacket`). */
interface InitHook {
  onInit(chunk: { initiate_tag?: number }, source: string, destination: string, header: { src_port: number }): unknown;
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  // IPv4 peers of an IPv6-capable stack may be written as ::ffff:a.b.c.d.
  const strip = (x: string): string => x.toLowerCase().replace(/^::ffff:/, '');
  return strip(a) === strip(b);
}



/** An SCTP endpoint on one port of a raw-IP stack. Create it with {@link createRawEndpoint}. */
export class RawEndpoint extends EventEmitter<EndpointEvents> implements Endpoint {
  readonly local: TransportAddress;
  /** The raw stack this endpoint is bound to (its counters are in `stack.stats`). */
  readonly stack: RawStack;

  private readonly sctpEndpoint: SctpEndpoint;
  private readonly ownsStack: boolean;
  private readonly associations = new Set<SctpTransportAssociation>();
  private readonly settings: {
    maxMessageSize: number;
    highWaterMark: number;
    closeTimeout: number;
    connectTimeout: number;
    streams: number;
  };
  private readonly tuning: SctpTuningOptions;
  private listening: boolean;
  private closed = false;
  private closing: Promise<void> | undefined;

  /** @internal Use {@link createRawEndpoint}. */
  constructor(stack: RawStack, ownsStack: boolean, sctpEndpoint: SctpEndpoint, options: RawEndpointOptions, settings: RawEndpoint['settings'], tuning: SctpTuningOptions) {
    super();
    this.stack = stack;
    this.ownsStack = ownsStack;
    this.sctpEndpoint = sctpEndpoint;
    this.settings = settings;
    this.tuning = tuning;
    this.listening = options.listen ?? false;
    this.local = { address: options.address ?? '0.0.0.0', port: sctpEndpoint.localPort };
    sctpEndpoint.on('association', (sctp: SctpAssociation) => this.adoptPassive(sctp));
    // An INIT to an endpoint that does not listen is answered with ABORT (RFC 4960 §5.1,
    // T bit clear, the INIT's initiate tag): an instance property, the prototype stays sctp's.
    const endpoint = sctpEndpoint as unknown as InitHook;
    const originalOnInit = endpoint.onInit;
    endpoint.onInit = (chunk, source, destination, header) => {
      if (this.isListening) return originalOnInit.call(sctpEndpoint, chunk, source, destination, header);
      const initiateTag = Number(chunk.initiate_tag) >>> 0;
      if (initiateTag === 0) return undefined;
      const abort = buildPacket(sctpEndpoint.localPort, header.src_port, initiateTag, [controlChunk(ChunkType.ABORT, 0)]);
      sctpEndpoint.transport.sendPacket(undefined, source, { src_port: sctpEndpoint.localPort, dst_port: header.src_port, v_tag: initiateTag, toBuffer: () => abort } as never);
      return undefined;
    };
  }

  /** True while the endpoint accepts new associations. */
  get isListening(): boolean {
    return this.listening && !this.closed;
  }

  /** Starts (or stops, with `false`) accepting associations. */
  listen(enable = true): void {
    this.listening = enable;
  }

  /** Number of associations that are open (connecting, established or closing). */
  get associationCount(): number {
    return this.associations.size;
  }

  connect(remote: TransportAddress, options: ConnectOptions = {}): Promise<Association> {
    return this.connectAssociation(remote, options);
  }

  /** Like {@link connect}, typed with the concrete association class. */
  async connectAssociation(remote: TransportAddress, options: ConnectOptions = {}): Promise<SctpTransportAssociation> {
    if (this.closed) throw new ClosedError('Endpoint is closed');
    // A host name is looked up here, the one place every connection passes (registrars, ENRP peers, hsdump).
    if (needsLookup(remote)) remote = await resolveTransportAddress(remote);
    const { address, port } = checkRemote(remote);
    const timeout = positiveInt(options.timeout, 'timeout', this.settings.connectTimeout, 1);
    // SCTP allows one association between two endpoints (RFC 4960 §1.4): a second INIT
    // from the same port would look like a restart to the peer. Open another endpoint
    // (another port, same stack) for a second association to the same peer.
    for (const existing of this.associations) {
      if (existing.open && existing.remote.port === port && net.isIP(existing.remote.address) !== 0 && sameAddress(existing.remote.address, address)) {
        throw new TransportError(`EISCONN: this endpoint already has an association with ${address}:${port}`);
      }
    }
    const signal = options.signal;
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    let sctp: SctpAssociation;
    try {
      sctp = associate<SctpAssociation>(
        this.sctpEndpoint,
        { remoteAddress: address, remotePort: port, MIS: this.settings.streams, OS: this.settings.streams },
        { ...this.tuning, ...tuningFrom(options), ...({ maxPacketSize: this.stack.sctpMtuFor(address) } as SctpTuningOptions) },
      );
    } catch (error) {
      throw new TransportError(`Cannot start association: ${(error as Error).message}`, { cause: error });
    }
    const association = this.wrap(sctp, { address, port });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          association.terminate('timeout', new TimeoutError(`Connection to ${address}:${port} timed out after ${timeout} ms`), true);
        }, timeout);
        if (signal) {
          onAbort = () => association.terminate('local', new AbortError(undefined, { cause: signal.reason }), true);
          signal.addEventListener('abort', onAbort, { once: true });
        }
        association.whenEstablished().then(resolve, reject);
      });
    } finally {
      if (timer) clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
    return association;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      for (const association of [...this.associations]) association.terminate('local', undefined, true);
      // Let the ABORTs leave before the port is released.
      await new Promise((resolve) => setImmediate(resolve));
      await this.stack.flush();
      try {
        this.sctpEndpoint._destroy();
      } catch {
        /* already destroyed */
      }
      this.sctpEndpoint.removeAllListeners();
      this.stack.unbind(this.local.port);
      if (this.ownsStack) this.stack.close();
      this.emit('close');
    })();
    return this.closing;
  }

  private adoptPassive(sctp: SctpAssociation): void {
    if (this.closed || !this.listening) {
      queueMicrotask(() => {
        try {
          sctp.ABORT();
        } catch {
          /* ignore */
        }
      });
      return;
    }
    const remote = { address: sctp.remoteAddress ?? '', port: sctp.remotePort };
    tuneAssociation(sctp, { ...this.tuning, ...({ maxPacketSize: this.stack.sctpMtuFor(remote.address) } as SctpTuningOptions) });
    const association = this.wrap(sctp, remote);
    sctp.once('COMMUNICATION UP', () => {
      if (!this.closed && association.open) this.emit('association', association);
    });
  }

  private wrap(sctp: SctpAssociation, remote: TransportAddress): SctpTransportAssociation {
    setPathMtu(sctp, this.stack.pathSetting(remote.address));
    const association = new SctpTransportAssociation(sctp, {
      local: this.local,
      remote,
      maxMessageSize: this.settings.maxMessageSize,
      highWaterMark: this.settings.highWaterMark,
      closeTimeout: this.settings.closeTimeout,
      onRelease: () => {
        this.associations.delete(association);
      },
    });
    this.associations.add(association);
    return association;
  }
}

/**
 * Opens a raw-IP SCTP endpoint (root only; needs the optional dependency
 * `raw-socket`). Rejects with a `TransportError` (`ERR_RSP_TRANSPORT`) when
 * raw-IP mode is unavailable or the port is taken by another stack.
 *
 * ```ts
 * const server = await createRawEndpoint({ port: 3863, listen: true });
 * server.on('association', (a) => a.on('message', (data, info) => a.send(data, info)));
 * ```
 */
export async function createRawEndpoint(options: RawEndpointOptions = {}): Promise<RawEndpoint> {
  installSctpRepairs();
  if (options.address !== undefined && net.isIP(options.address) === 0) throw new InvalidArgumentError(`Invalid local address ${options.address}`);
  const port = positiveInt(options.port, 'port', 0, 0, 0xffff);
  const maxMessageSize = positiveInt(options.maxMessageSize, 'maxMessageSize', DEFAULT_MAX_MESSAGE_SIZE, 1, 64 * 1024 * 1024);
  const settings = {
    maxMessageSize,
    highWaterMark: positiveInt(options.highWaterMark, 'highWaterMark', DEFAULT_HIGH_WATER_MARK, 1),
    closeTimeout: positiveInt(options.closeTimeout, 'closeTimeout', DEFAULT_CLOSE_TIMEOUT, 1),
    connectTimeout: positiveInt(options.connectTimeout, 'connectTimeout', DEFAULT_RAW_CONNECT_TIMEOUT, 1),
    streams: positiveInt(options.streams, 'streams', DEFAULT_RAW_STREAMS, 1, 0xffff),
  };
  const receiveWindow = positiveInt(options.receiveWindow, 'receiveWindow', Math.max(4 * 1024 * 1024, 2 * maxMessageSize), 1500);
  const ownsStack = options.stack === undefined;
  let stack: RawStack;
  try {
    stack = options.stack ?? (await RawStack.open(options.stackOptions));
  } catch (error) {
    throw error instanceof TransportError ? error : new TransportError((error as Error).message, { cause: error });
  }
  try {
    const claim = await stack.claim(port);
    // Passive associations use the endpoint's packet size: IPv6-safe unless bound to IPv4.
    const ipv4Only = options.address !== undefined && net.isIPv4(options.address) && options.address !== '0.0.0.0';
    const maxPacketSize = ipv4Only ? stack.sctpMtu4 : stack.sctpMtu6;
    const tuning: SctpTuningOptions = { ...tuningFrom(options), receiveWindow };
    (tuning as Record<string, unknown>)['maxPacketSize'] = maxPacketSize;
    const sctpEndpoint = new SctpEndpointClass({
      localPort: claim.port,
      // sctp puts these into INIT as IPv4 address parameters and uses the first as source.
      localAddress: options.address !== undefined && net.isIPv4(options.address) && options.address !== '0.0.0.0' ? [options.address] : undefined,
      MIS: settings.streams,
      OS: settings.streams,
      a_rwnd: receiveWindow,
    });
    sctpEndpoint._cookieInterval?.unref?.();
    setEndpointTuning(sctpEndpoint, tuning);
    stack.bind(sctpEndpoint as unknown as Parameters<RawStack['bind']>[0], claim);
    return new RawEndpoint(stack, ownsStack, sctpEndpoint, options, settings, tuning);
  } catch (error) {
    if (ownsStack) stack.close();
    throw error instanceof TransportError ? error : new TransportError((error as Error).message, { cause: error });
  }
}
