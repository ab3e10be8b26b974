/**
 * Mutual TLS over an SCTP association, in the spirit of RFC 3436 (TLS over
 * SCTP), for ENRP between registrars and ASAP between pool elements, pool
 * users and registrars (RFC 5355 §4: the RSerPool answer to forged
 * registrars and pool elements).
 *
 * Node's `tls` runs over any duplex stream; here the stream is stream 0 of
 * the association (PPID 0, ordered). Both sides present a certificate
 * signed by the configured CA; an optional `authorize` callback then
 * decides, by certificate identity, whether the peer may use the
 * association at all.
 *
 * Simplification against RFC 3436: one TLS connection per association
 * (not one per stream pair), and messages are framed inside it as
 * `[length u32][ppid u32][payload]`, so the association keeps its message
 * API ({@link TlsAssociation} implements {@link Association}) and the
 * protocols above do not change.
 *
 * A peer that speaks plain ASAP or ENRP to a TLS endpoint (for example the
 * reference implementation) fails the handshake and is aborted: TLS mode is
 * all or nothing per endpoint, and off by default.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { InvalidArgumentError, RSerPoolError } from '../errors.js';
import { checkIpv6HostPrefix, hostKey } from './host-key.js';
import type { Association, AssociationEvents, CloseReason, ConnectOptions, Endpoint, EndpointEvents, SendOptions, TransportAddress } from './types.js';

/** PPID of the TLS records on the association. */
export const TLS_PPID = 0;

/** Largest message carried inside TLS (bytes). */
const MAX_FRAME = 16 * 1024 * 1024;

/** Certificate material: PEM text or bytes. */
export type Pem = string | Buffer;

/** Who the peer is, from its verified certificate. */
export interface PeerIdentity {
  /** Subject common name (may be empty). */
  commonName: string;
  /** The common name plus every DNS, URI and IP subject alternative name. */
  names: string[];
  /** SHA-256 fingerprint of the certificate (colon-separated hex). */
  fingerprint256: string;
}

/** TLS settings of an endpoint (`tls: { cert, key, ca }` in the library options). */
export interface TlsOptions {
  /** This endpoint's certificate chain (PEM). */
  cert: Pem;
  /** Its private key (PEM). */
  key: Pem;
  /** The CA certificate(s) peers must be signed by (PEM). */
  ca: Pem | Pem[];
  /** Handshake time-out in ms (default 10,000). */
  handshakeTimeout?: number;
  /**
   * Most incoming handshakes that may be unfinished at once (default 256).
   * An association beyond it is aborted before any TLS work and counted in
   * {@link TlsEndpointStats.handshakesRefused}.
   */
  maxPendingHandshakes?: number;
  /** Most unfinished incoming handshakes from one remote host (default 16). */
  maxPendingHandshakesPerHost?: number;
  /**
   * IPv6 prefix length that counts as one remote host for
   * {@link TlsOptions.maxPendingHandshakesPerHost} (default 64; 128 = per
   * address). IPv4 counts per address.
   */
  ipv6HostPrefix?: number;
  /**
   * Decides whether a peer with this verified identity may use an
   * association; `role` says which side we are. Default: every peer with a
   * valid certificate.
   */
  authorize?: (identity: PeerIdentity, role: 'client' | 'server') => boolean;
}

/** Counters of a {@link TlsEndpoint}. */
export interface TlsEndpointStats {
  /** Handshakes completed (both directions). */
  handshakes: number;
  /** Handshakes that failed (bad or missing certificate, time-out, peer gone). */
  handshakeFailures: number;
  /** Peers with a valid certificate that `authorize` refused. */
  unauthorized: number;
  /** Incoming associations aborted because too many handshakes were unfinished (in total or from their host). */
  handshakesRefused: number;
}

/** Default of {@link TlsOptions.maxPendingHandshakes}. */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 256;
/** Default of {@link TlsOptions.maxPendingHandshakesPerHost}. */
export const DEFAULT_MAX_PENDING_HANDSHAKES_PER_HOST = 16;


/** The association as a byte stream (stream 0, PPID {@link TLS_PPID}). */
class AssociationStream extends Duplex {
  constructor(private readonly association: Association) {
    super();
    association.on('message', (data, info) => {
      if (info.ppid !== TLS_PPID) {
        // Plain ASAP/ENRP (or anything else) where TLS is required.
        association.abort('TLS required');
        this.destroy(new RSerPoolError('ERR_RSP_PROTOCOL', `non-TLS message (PPID ${info.ppid}) on a TLS association`));
        return;
      }
      this.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    });
    association.on('close', () => {
      this.push(null);
      this.destroy();
    });
  }

  override _read(): void {
    // data is pushed as it arrives
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    if (!this.association.open) {
      cb(new RSerPoolError('ERR_RSP_TRANSPORT', 'association closed'));
      return;
    }
    this.association.send(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), { ppid: TLS_PPID }).then(() => cb(), (err: Error) => cb(err));
  }

  override _final(cb: (error?: Error | null) => void): void {
    cb();
  }
}

function identityOf(cert: X509Certificate): PeerIdentity {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '';
  const names = cn ? [cn] : [];
  for (const part of (cert.subjectAltName ?? '').split(',')) {
    const m = /^\s*(DNS|URI|IP Address):(.+)$/.exec(part);
    if (m && !names.includes(m[2]!.trim())) names.push(m[2]!.trim());
  }
  return { commonName: cn, names, fingerprint256: cert.fingerprint256 };
}

/**
 * An {@link Association} whose messages travel inside a mutually
 * authenticated TLS connection over another association.
 */
export class TlsAssociation extends EventEmitter<AssociationEvents> implements Association {
  readonly local: TransportAddress;
  readonly remote: TransportAddress;
  /** The peer's verified identity. */
  readonly peerIdentity: PeerIdentity;
  /** Remote addresses of the underlying association (multi-homing), when it lists them. */
  readonly remoteAddresses: readonly string[] | undefined;
  private closed = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** @internal Created by {@link secureAssociation}. */
  constructor(
    private readonly inner: Association,
    private readonly socket: tls.TLSSocket,
    identity: PeerIdentity,
  ) {
    super();
    this.local = inner.local;
    this.remote = inner.remote;
    this.peerIdentity = identity;
    this.remoteAddresses = (inner as { remoteAddresses?: readonly string[] }).remoteAddresses;
    // Start reading once the creator had a chance to add its 'message' listener.
    setImmediate(() => socket.on('data', (chunk: Buffer) => this.onData(chunk)));
    socket.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
      this.finish('abort');
    });
    socket.on('close', () => this.finish(inner.open ? 'abort' : 'shutdown'));
    inner.on('close', (reason) => this.finish(reason));
    inner.on('drain', () => this.emit('drain'));
  }

  get open(): boolean {
    return !this.closed && this.inner.open;
  }

  get bufferedAmount(): number {
    return this.inner.bufferedAmount + this.socket.writableLength;
  }

  send(data: Uint8Array, options: SendOptions): Promise<void> {
    if (!this.open) return Promise.reject(new RSerPoolError('ERR_RSP_CLOSED', 'Association closed'));
    const header = Buffer.alloc(8);
    header.writeUInt32BE(data.byteLength, 0);
    header.writeUInt32BE(options.ppid >>> 0, 4);
    return new Promise<void>((resolve, reject) => {
      this.socket.write(Buffer.concat([header, data]), (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.end();
    await this.inner.close().catch(() => undefined);
    this.finish('local');
  }

  abort(reason?: string): void {
    if (this.inner.open) this.inner.abort(reason);
    this.socket.destroy();
    this.finish('local');
  }

  private onData(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= 8) {
      const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      this.pending = [buf];
      const length = buf.readUInt32BE(0);
      if (length > MAX_FRAME) {
        this.abort('oversized TLS frame');
        return;
      }
      if (buf.length < 8 + length) return;
      const ppid = buf.readUInt32BE(4);
      const payload = new Uint8Array(buf.subarray(8, 8 + length));
      const rest = buf.subarray(8 + length);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
      this.emit('message', payload, { ppid, stream: 0, unordered: false });
      if (this.closed) return;
    }
  }

  private finish(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed) this.socket.destroy();
    this.emit('close', reason);
  }
}

/**
 * Why the peer's certificate is not acceptable, or undefined when it is.
 * A client socket checks the chain itself (`authorized`); a server socket
 * created outside a `tls.Server` does not, so its OpenSSL verification
 * result is read directly, with a direct-issuer check as fallback.
 */
function verifyPeer(socket: tls.TLSSocket, peer: X509Certificate | undefined, role: 'client' | 'server', ca: Pem | Pem[]): string | undefined {
  if (peer === undefined) return 'no certificate';
  if (role === 'client') return socket.authorized ? undefined : String(socket.authorizationError ?? 'not authorised');
  const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  if (typeof handle?.verifyError === 'function') {
    const err = handle.verifyError();
    return err ? ((err as { code?: string }).code ?? err.message) : undefined;
  }
  const now = Date.now();
  if (Date.parse(peer.validFrom) > now || Date.parse(peer.validTo) < now) return 'certificate not valid now';
  for (const pem of Array.isArray(ca) ? ca : [ca]) {
    const issuer = new X509Certificate(pem);
    if (peer.checkIssued(issuer) && peer.verify(issuer.publicKey)) return undefined;
  }
  return 'not signed by the configured CA';
}

/**
 * Runs the TLS handshake over `association` (as client or server) and
 * returns the secured association; aborts it and rejects when the peer's
 * certificate is missing, invalid or not authorised.
 */
export function secureAssociation(association: Association, role: 'client' | 'server', options: TlsOptions): Promise<TlsAssociation> {
  const stream = new AssociationStream(association);
  const common = { cert: options.cert, key: options.key, ca: options.ca, minVersion: 'TLSv1.2' as const };
  const socket =
    role === 'client'
      ? tls.connect({ ...common, socket: stream, rejectUnauthorized: true, checkServerIdentity: () => undefined })
      : new tls.TLSSocket(stream, { ...common, isServer: true, requestCert: true, rejectUnauthorized: true });
  return new Promise<TlsAssociation>((resolve, reject) => {
    let done = false;
    const fail = (err: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (association.open) association.abort('TLS handshake failed');
      reject(err instanceof RSerPoolError ? err : new RSerPoolError('ERR_RSP_SECURITY', `TLS: ${err.message}`, { cause: err }));
    };
    const timer = setTimeout(() => fail(new RSerPoolError('ERR_RSP_SECURITY', 'TLS handshake timed out')), options.handshakeTimeout ?? 10_000);
    timer.unref?.();
    socket.once('error', fail);
    association.once('close', () => fail(new RSerPoolError('ERR_RSP_TRANSPORT', 'association closed during the TLS handshake')));
    socket.once(role === 'client' ? 'secureConnect' : 'secure', () => {
      if (done) return;
      const peer = socket.getPeerX509Certificate();
      const problem = verifyPeer(socket, peer, role, options.ca);
      if (problem !== undefined) {
        fail(new RSerPoolError('ERR_RSP_SECURITY', `TLS peer certificate refused: ${problem}`));
        return;
      }
      const identity = identityOf(peer!);
      if (options.authorize !== undefined && !options.authorize(identity, role)) {
        fail(new RSerPoolError('ERR_RSP_SECURITY', `TLS peer "${identity.commonName}" is not authorised here`));
        return;
      }
      done = true;
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(new TlsAssociation(association, socket, identity));
    });
  });
}

/**
 * An {@link Endpoint} whose associations are all TLS-secured: outgoing ones
 * as client, incoming ones as server (announced only after a successful
 * handshake).
 */
export class TlsEndpoint extends EventEmitter<EndpointEvents> implements Endpoint {
  /** Counters. */
  readonly stats: TlsEndpointStats = { handshakes: 0, handshakeFailures: 0, unauthorized: 0, handshakesRefused: 0 };
  /** Unfinished incoming handshakes, in total and by remote host. */
  private pending = 0;
  private readonly pendingByHost = new Map<string, number>();

  constructor(
    private readonly inner: Endpoint,
    private readonly options: TlsOptions,
  ) {
    super();
    for (const key of ['maxPendingHandshakes', 'maxPendingHandshakesPerHost'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw new InvalidArgumentError(`tls.${key} must be a positive integer, got ${String(v)}`);
    }
    if (options.ipv6HostPrefix !== undefined) checkIpv6HostPrefix('tls.ipv6HostPrefix', options.ipv6HostPrefix);
    inner.on('association', (a) => this.onIncoming(a));
    inner.on('error', (e) => this.emit('error', e));
    inner.on('close', () => this.emit('close'));
  }

  get local(): TransportAddress {
    return this.inner.local;
  }

  async connect(remote: TransportAddress, options?: ConnectOptions): Promise<Association> {
    const a = await this.inner.connect(remote, options);
    return this.handshake(a, 'client');
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Number of incoming handshakes not finished yet. */
  get pendingHandshakes(): number {
    return this.pending;
  }

  /**
   * Starts the server side of the handshake unless too many are unfinished
   * (in total or from the association's host): a stranger opening
   * associations it never completes ties up at most its share.
   */
  private onIncoming(a: Association): void {
    const host = hostKey(a.remote.address, this.options.ipv6HostPrefix);
    const fromHost = this.pendingByHost.get(host) ?? 0;
    if (this.pending >= (this.options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES) || fromHost >= (this.options.maxPendingHandshakesPerHost ?? DEFAULT_MAX_PENDING_HANDSHAKES_PER_HOST)) {
      this.stats.handshakesRefused++;
      a.abort('too many unfinished TLS handshakes');
      return;
    }
    this.pending++;
    this.pendingByHost.set(host, fromHost + 1);
    const done = (): void => {
      this.pending--;
      const left = (this.pendingByHost.get(host) ?? 1) - 1;
      if (left > 0) this.pendingByHost.set(host, left);
      else this.pendingByHost.delete(host);
    };
    this.handshake(a, 'server').then(
      (t) => {
        done();
        this.emit('association', t);
      },
      (err: Error) => {
        done();
        if (this.listenerCount('error') > 0) this.emit('error', err);
      },
    );
  }

  private async handshake(a: Association, role: 'client' | 'server'): Promise<TlsAssociation> {
    try {
      const t = await secureAssociation(a, role, this.options);
      this.stats.handshakes++;
      return t;
    } catch (err) {
      if (err instanceof RSerPoolError && /not authorised here/.test(err.message)) this.stats.unauthorized++;
      else this.stats.handshakeFailures++;
      throw err;
    }
  }
}

/** Wraps `endpoint` so every association is mutually authenticated with TLS. */
export function tlsEndpoint(endpoint: Endpoint, options: TlsOptions): TlsEndpoint {
  return new TlsEndpoint(endpoint, options);
}

/**
 * True when one of the identity's names matches one of `patterns` (whole
 * names, case-insensitive; `*` stands for any run of characters).
 */
export function identityMatches(identity: PeerIdentity, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    const re = new RegExp('^' + p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 'i');
    return identity.names.some((n) => re.test(n));
  });
}

/** The verified TLS identity of an association's peer, if it is a TLS association. */
export function peerIdentityOf(association: Association): PeerIdentity | undefined {
  return association instanceof TlsAssociation ? association.peerIdentity : undefined;
}
