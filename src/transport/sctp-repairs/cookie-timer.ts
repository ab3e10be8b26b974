/**
 * Repair: association setup — INIT and COOKIE-ECHO retransmission timers,
 * reported setup failure, safe cookie handling, receive window.
 *
 * Replaces, on `Association.prototype` of `sctp/lib/association.js`:
 * `init`, `onInitAck`, `onCookieAck`, `onCookieEcho`, `onInit`,
 * `acceptRemote`, `_updatePeer` and `_up`; on `Endpoint.prototype`
 * (`sctp/lib/endpoint.js`): `onInit`.
 *
 * - Original: COOKIE-ECHO was sent once with no T1-cookie timer, so a lost
 *   COOKIE-ECHO or COOKIE-ACK hung the setup forever (13 of 100 setups at
 *   5 % loss), sometimes half-open. Now COOKIE-ECHO is retransmitted by T1
 *   with exponential backoff (RFC 4960 5.1 C); a retransmitted COOKIE-ECHO
 *   that reaches an established peer is answered with COOKIE-ACK again.
 * - Original: when INIT retries were exhausted nothing was reported (and the
 *   INIT timer used the unset `this.RTO`). Now INIT and COOKIE-ECHO are
 *   retried `maxInitRetransmissions` times from `rtoInitial` (doubling, capped
 *   at `rtoMax`), then the association is destroyed and emits
 *   `'COMMUNICATION LOST'` `('timeout', Error{code: 'ETIMEDOUT', phase:
 *   'init' | 'cookie'})` — the connect failure.
 * - The INIT / INIT-ACK exchange gives the first RTT sample (Karn's rule).
 * - Original: `onCookieEcho` for an existing association dereferenced an
 *   undefined cookie validation result (TypeError from one packet); case D
 *   in COOKIE-ECHOED never reported COMMUNICATION UP. Now invalid cookies are
 *   dropped, B/D (re)send COOKIE-ACK and complete the setup, C is ignored,
 *   and A (peer restart) ends the old association with `('restart')` and
 *   lets the endpoint set up a new one from the cookie.
 * - Original: the advertised receive window came from the endpoint or the
 *   socket's `readableHighWaterMark` (16 KiB for `connect()` on Node 20).
 *   Now INIT and INIT-ACK advertise `receiveWindow` (default 4 MiB) and the
 *   reassembly buffer is sized to it.
 * - Original `_updatePeer` added every IPv4 address listed in the peer's INIT
 *   or INIT-ACK to the endpoint's lookup table (routing entries from
 *   unauthenticated input); the repaired machine uses one path and ignores
 *   them.
 * - Endpoint `onInit`: validates the INIT, answers with INIT-ACK carrying the
 *   window and `min(OS, peer MIS)` outbound streams; a malformed INIT whose
 *   cookie cannot be built is dropped instead of throwing.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { AssociationClass, ChunkClass, EndpointClass, override, type Loose } from './internals.js';
import { st, now, sendRaw, clearTimer, refreshTuning } from './state.js';
import { tuningOf } from './tuning.js';
import { takePendingTuning, tuneAssociationInternal } from './pending.js';
import { updateRto } from './retransmission.js';
import { startHeartbeat } from './failure-detection.js';
import { scheduleFlush } from './scheduler.js';
import { declareDead, destroyAssociation, lossError } from './lifecycle.js';
import { schedulePmtuSearch } from './plpmtud.js';

/** Test hook: an endpoint may set this to a function returning its next verification tag. */
export const TAG_GENERATOR = Symbol.for('rserpool.sctp.tagGenerator');

function randomTag(): number {
  for (;;) {
    const t = randomBytes(4).readUInt32BE(0);
    if (t !== 0) return t;
  }
}

function applyWindow(a: Loose): void {
  const s = st(a);
  a.a_rwnd = s.tuning.receiveWindow;
  if (a.reassembly) {
    if (typeof a.reassembly.setCapacity === 'function') a.reassembly.setCapacity(s.tuning.receiveWindow, s.tuning.maxMessageSize);
    else a.reassembly.rwnd = s.tuning.receiveWindow;
  }
}

function armT1(a: Loose): void {
  const s = st(a);
  s.t1 = clearTimer(s.t1);
  s.t1 = setTimeout(expireT1, s.rto, a);
}

function expireT1(a: Loose): void {
  const s = st(a);
  s.t1 = undefined;
  if (s.closed) return;
  if (a.state !== 'COOKIE-WAIT' && a.state !== 'COOKIE-ECHOED') return;
  s.t1Count++;
  if (s.t1Count > s.tuning.maxInitRetransmissions) {
    declareDead(a, a.state === 'COOKIE-WAIT' ? 'INIT unanswered' : 'COOKIE-ECHO unanswered');
    return;
  }
  s.rto = Math.min(s.rto * 2, s.tuning.rtoMax);
  if (a.state === 'COOKIE-WAIT' && s.initBuffer) sendRaw(a, [s.initBuffer], 0);
  else if (a.state === 'COOKIE-ECHOED' && s.cookieBuffer) sendRaw(a, [s.cookieBuffer]);
  armT1(a);
}

function init(this: Loose): void {
  const pending = takePendingTuning();
  if (pending) tuneAssociationInternal(this, pending);
  const s = st(this);
  refreshTuning(this);
  applyWindow(this);
  const params: Loose = {
    initiate_tag: this.my_tag,
    a_rwnd: s.tuning.receiveWindow,
    outbound_streams: this.OS,
    inbound_streams: this.MIS,
    initial_tsn: s.nextTsn,
  };
  if (this.endpoint?.localAddress) params.ipv4_address = this.endpoint.localAddress;
  const initBuffer: Buffer = new ChunkClass('init', params).toBuffer();
  s.initBuffer = initBuffer;
  this.state = 'COOKIE-WAIT';
  s.t1Count = 0;
  s.initSentAt = now();
  sendRaw(this, [initBuffer], 0);
  armT1(this);
}

function onInitAck(this: Loose, chunk: Loose): void {
  const s = st(this);
  if (s.closed || this.state !== 'COOKIE-WAIT' || !chunk) return;
  const cookie = chunk.state_cookie;
  if (!Buffer.isBuffer(cookie) || cookie.length === 0) return;
  if (!chunk.initiate_tag || typeof chunk.initial_tsn !== 'number' || !chunk.outbound_streams) return;
  if (!chunk.inbound_streams) {
    // Receiver of an INIT ACK with MIS 0 SHOULD destroy the association.
    s.t1 = clearTimer(s.t1);
    this.peer_tag = chunk.initiate_tag >>> 0;
    sendRaw(this, [new ChunkClass('abort', { error_causes: [{ cause: 'INVALID_MANDATORY_PARAMETER' }] }).toBuffer()]);
    s.closeReason = 'abort';
    this.closeReason = 'abort';
    const error = lossError('abort', 'peer offered no inbound streams', 'init');
    destroyAssociation(this, error);
    this.emit('COMMUNICATION LOST', 'abort', []);
    return;
  }
  s.t1 = clearTimer(s.t1);
  if (s.t1Count === 0 && s.initSentAt) updateRto(this, now() - s.initSentAt);
  this._updatePeer(chunk);
  const cookieBuffer: Buffer = new ChunkClass('cookie_echo', { cookie: Buffer.from(cookie) }).toBuffer();
  s.cookieBuffer = cookieBuffer;
  this.state = 'COOKIE-ECHOED';
  s.t1Count = 0;
  sendRaw(this, [cookieBuffer]);
  armT1(this);
}

function up(a: Loose): void {
  const s = st(a);
  if (s.closed) return;
  s.t1 = clearTimer(s.t1);
  s.initBuffer = undefined;
  s.cookieBuffer = undefined;
  s.errorCount = 0;
  s.pathErrorCount = 0;
  s.lastReceived = now();
  a.state = 'ESTABLISHED';
  startHeartbeat(a);
  schedulePmtuSearch(a);
  a.emit('COMMUNICATION UP');
  if (s.pending.length > 0) scheduleFlush(a);
}

function onCookieAck(this: Loose): void {
  if (st(this).closed) return;
  if (this.state === 'COOKIE-ECHOED') up(this);
}

function onCookieEcho(this: Loose, chunk: Loose, src: string, header: Loose): void {
  const s = st(this);
  const endpoint = this.endpoint;
  if (s.closed || !endpoint || !chunk || !Buffer.isBuffer(chunk.cookie) || !header) return;
  const cookieData = endpoint.validateCookie(chunk.cookie, header);
  if (!cookieData || !Buffer.isBuffer(cookieData.initChunk)) return;
  const initChunk = ChunkClass.fromBuffer(cookieData.initChunk);
  if (!initChunk || initChunk.error || initChunk.chunkType !== 'init') return;
  const sameLocal = this.my_tag === cookieData.my_tag;
  const samePeer = this.peer_tag === initChunk.initiate_tag;
  if (sameLocal) {
    // Cases B and D (RFC 4960 5.2.4).
    if (!samePeer || this.peer_tag === undefined) {
      this.peer_tag = initChunk.initiate_tag;
      if (!this.reassembly?.peer_c_tsn) this._updatePeer(initChunk);
    }
    sendRaw(this, [new ChunkClass('cookie_ack', {}).toBuffer()]);
    if (this.state === 'COOKIE-ECHOED' || this.state === 'COOKIE-WAIT') up(this);
    return;
  }
  if (samePeer) return; // Case C: a late cookie.
  // Case A: the peer restarted.
  if (this.state === 'SHUTDOWN-ACK-SENT') {
    sendRaw(this, [new ChunkClass('shutdown_ack', {}).toBuffer()]);
    return;
  }
  s.closeReason = 'restart';
  this.closeReason = 'restart';
  const error = lossError('restart', 'peer restarted', 'established');
  destroyAssociation(this, error);
  this.emit('COMMUNICATION LOST', 'restart', error);
  endpoint.onCookieEcho(chunk, src, undefined, header);
}

function associationOnInit(this: Loose, chunk: Loose, src: string, header: Loose): void {
  const s = st(this);
  if (s.closed || !chunk || !header) return;
  // An INIT for an established association (peer restart, RFC 4960 5.2.2):
  // answer statelessly; the new cookie then takes case A above.
  if (this.state === 'ESTABLISHED' && this.endpoint) this.endpoint.onInit(chunk, src, undefined, header);
}

function acceptRemote(this: Loose, chunk: Loose): void {
  if (!chunk) throw new Error('peer init chunk not provided');
  const s = st(this);
  refreshTuning(this);
  applyWindow(this);
  this._updatePeer(chunk);
  sendRaw(this, [new ChunkClass('cookie_ack', {}).toBuffer()]);
  if (!s.closed) up(this);
}

function updatePeer(this: Loose, chunk: Loose): void {
  const s = st(this);
  this.OS = Math.max(1, Math.min(this.OS || 1, chunk.inbound_streams || 1));
  this.peer_tag = chunk.initiate_tag >>> 0;
  s.peerRwnd = (chunk.a_rwnd >>> 0) || 1500;
  this.peer_rwnd = s.peerRwnd;
  s.ssthresh = Math.max(s.peerRwnd, 4 * s.packetSize);
  this.ssthresh = s.ssthresh;
  this.reassembly.init({ streams: this.MIS, initial_tsn: chunk.initial_tsn >>> 0 });
  // Addresses listed by the peer are not added to the endpoint's lookup
  // table: one path only, and no routing entries from unauthenticated input.
}

function endpointOnInit(this: Loose, chunk: Loose, src: string, _dst: unknown, header: Loose): void {
  if (!chunk || !header || typeof chunk.initiate_tag !== 'number') return;
  if (!chunk.initiate_tag || chunk.a_rwnd < 1500 || !chunk.inbound_streams || !chunk.outbound_streams) {
    const abort = new ChunkClass('abort', { error_causes: [{ cause: 'INVALID_MANDATORY_PARAMETER' }] });
    this._sendPacket(src, header.src_port, chunk.initiate_tag >>> 0, [abort.toBuffer()]);
    return;
  }
  const generator = this[TAG_GENERATOR];
  const myTag = typeof generator === 'function' ? generator() >>> 0 || randomTag() : randomTag();
  let cookie: Buffer;
  try {
    cookie = this.createCookie(chunk, header, myTag);
  } catch {
    return;
  }
  const tuning = tuningOf({ endpoint: this });
  const initAck = new ChunkClass('init_ack', {
    initiate_tag: myTag,
    initial_tsn: myTag,
    a_rwnd: tuning.receiveWindow,
    state_cookie: cookie,
    outbound_streams: Math.max(1, Math.min(this.OS || 1, chunk.inbound_streams)),
    inbound_streams: this.MIS,
  });
  if (this.localAddress) initAck.ipv4_address = this.localAddress;
  if (Array.isArray(chunk.errors) && chunk.errors.length > 0) initAck.unrecognized_parameter = chunk.errors;
  let buffer: Buffer;
  try {
    buffer = initAck.toBuffer();
  } catch {
    return;
  }
  this._sendPacket(src, header.src_port, chunk.initiate_tag >>> 0, [buffer]);
}

/** Installs the setup (INIT/COOKIE) repair. */
export function installCookieTimerRepair(): void {
  const proto = AssociationClass.prototype;
  override(proto, 'init', init);
  override(proto, 'onInitAck', onInitAck);
  override(proto, 'onCookieAck', onCookieAck);
  override(proto, 'onCookieEcho', onCookieEcho);
  override(proto, 'onInit', associationOnInit);
  override(proto, 'acceptRemote', acceptRemote);
  override(proto, '_updatePeer', updatePeer);
  override(proto, '_up', function _up(this: Loose) {
    up(this);
  });
  override(EndpointClass.prototype, 'onInit', endpointOnInit);
}
