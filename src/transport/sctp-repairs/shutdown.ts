/**
 * Repair: graceful shutdown that never strands the peer, clean abort and
 * destruction.
 *
 * Replaces, on `Association.prototype` of `sctp/lib/association.js`:
 * `SHUTDOWN`, `_shutdown`, `onShutdown`, `onShutdownAck`,
 * `onShutdownComplete`, `_startT2`, `_stopT2`, `_restartT2`, `_expireT2`,
 * `ABORT`, `_abort`, `onAbort`, `onError`, `_destroy` and `_down`; on
 * `Endpoint.prototype`: `close`; on `Socket.prototype` (`sctp/lib/sockets.js`):
 * `_final`, `_destroy`, `_write` and `establish`.
 *
 * - Original: `SHUTDOWN()` sent the SHUTDOWN chunk at once even with data
 *   outstanding, the receiver of a SHUTDOWN went to SHUTDOWN-RECEIVED and
 *   sent SHUTDOWN-ACK only if its flight size was 0 *at that moment* and
 *   never re-checked, and the SHUTDOWN's cumulative TSN ack was ignored; so
 *   `end()` with unacknowledged data left the peer in SHUTDOWN-RECEIVED
 *   until a 300 s guard (and the association leaked). Now: SHUTDOWN-PENDING
 *   waits until queued and outstanding data are acknowledged; a received
 *   SHUTDOWN's cumulative ack is processed like a SACK; SHUTDOWN-RECEIVED
 *   sends SHUTDOWN-ACK as soon as its own data is acknowledged (re-checked
 *   on every SACK/SHUTDOWN); SHUTDOWN and SHUTDOWN-ACK are retransmitted by
 *   T2 with RTO backoff counting association errors; T5 (`shutdownGuard`)
 *   bounds the exchange once SHUTDOWN / SHUTDOWN-ACK was sent (restarted
 *   while the peer still delivers new DATA); DATA received in SHUTDOWN-SENT
 *   is answered with SHUTDOWN.
 * - Original: `SHUTDOWN(callback)` outside ESTABLISHED destroyed without ever
 *   calling the callback (a socket's `end()` hung); and `'SHUTDOWN COMPLETE'`
 *   was emitted only from the transport's send callback. Now the callback
 *   always runs once the association is closed, and the event is emitted
 *   synchronously.
 * - Original: `_destroy` removed the wrong number of entries from
 *   `endpoint.associations` (`splice(index, index + 1)`), and in UDP mode left
 *   the `"undefined:<port>"` lookup entry behind. Now exactly this association
 *   is removed from the list and from every lookup key that points to it;
 *   all timers, queues and reassembly buffers are released; pending write
 *   callbacks fail with an `Error`. Destroy is idempotent.
 * - `onError` no longer throws when the ERROR chunk has no decodable causes.
 * - An ABORT received ends the association with `'COMMUNICATION LOST'`
 *   `('abort', error_causes)` once; a local `ABORT()` emits nothing.
 * - `Endpoint.close()` iterated the association list while `_destroy` spliced
 *   it (skipping every other association); now it iterates a copy.
 * - Socket: `_final` always completes; `_destroy` before an association exists
 *   no longer throws; a connect that fails (timeout, ABORT, unreachable)
 *   destroys the socket with an `Error` (`ETIMEDOUT`, `ECONNREFUSED`,
 *   `EHOSTUNREACH`), like `net.Socket`; peer ERROR chunks emit `'error'` only
 *   when someone listens; a write failure reaches the stream (the original
 *   swallowed it), and data written before the association exists waits for
 *   `'connect'` (the original dropped it).
 *
 * @module
 */
import { AssociationClass, ChunkClass, EndpointClass, override, sockets, type Loose } from './internals.js';
import { st, sendRaw, clearTimer } from './state.js';
import { applyAck } from './retransmission.js';
import { destroyAssociation, failWithAbort, lossError, stopTimers } from './lifecycle.js';
import { checkShutdownProgress, expireT2, restartT2, sendShutdownAck, startT2 } from './shutdown-timers.js';


function SHUTDOWN(this: Loose, callback?: () => void): void {
  const s = st(this);
  const cb = typeof callback === 'function' ? callback : undefined;
  if (s.closed || this.state === 'CLOSED') {
    if (cb) queueMicrotask(cb);
    return;
  }
  if (cb) s.shutdownCallbacks.push(cb);
  switch (this.state) {
    case 'COOKIE-WAIT':
    case 'COOKIE-ECHOED':
      if (this.peer_tag !== undefined) sendRaw(this, [new ChunkClass('abort', {}).toBuffer()]);
      s.closeReason = 'local';
      destroyAssociation(this);
      return;
    case 'ESTABLISHED':
      this.state = 'SHUTDOWN-PENDING';
      checkShutdownProgress(this);
      return;
    default:
      // Already shutting down: the callback runs when it completes.
      return;
  }
}

function onShutdown(this: Loose, chunk: Loose): void {
  const s = st(this);
  if (s.closed || !chunk) return;
  const state: string = this.state;
  if (state === 'COOKIE-WAIT' || state === 'COOKIE-ECHOED' || state === 'CLOSED') return;
  if (typeof chunk.c_tsn_ack === 'number') applyAck(this, chunk.c_tsn_ack >>> 0, undefined, undefined);
  if (s.closed) return;
  switch (this.state) {
    case 'SHUTDOWN-SENT':
      // Both sides closing: answer with SHUTDOWN-ACK.
      this.state = 'SHUTDOWN-ACK-SENT';
      sendShutdownAck(this);
      restartT2(this);
      return;
    case 'SHUTDOWN-ACK-SENT':
      sendShutdownAck(this);
      return;
    case 'ESTABLISHED':
    case 'SHUTDOWN-PENDING':
      this.state = 'SHUTDOWN-RECEIVED';
      checkShutdownProgress(this);
      return;
    default:
      checkShutdownProgress(this);
  }
}

function completeShutdown(a: Loose): void {
  const s = st(a);
  s.closeReason = 'shutdown';
  a.closeReason = 'shutdown';
  destroyAssociation(a);
  a.emit('SHUTDOWN COMPLETE');
}

function onShutdownAck(this: Loose): void {
  const s = st(this);
  if (s.closed) return;
  if (this.state === 'SHUTDOWN-SENT' || this.state === 'SHUTDOWN-ACK-SENT') {
    sendRaw(this, [new ChunkClass('shutdown_complete', {}).toBuffer()]);
    completeShutdown(this);
  }
}

function onShutdownComplete(this: Loose): void {
  const s = st(this);
  if (s.closed) return;
  if (this.state === 'SHUTDOWN-ACK-SENT') completeShutdown(this);
}

function onAbort(this: Loose, chunk: Loose): void {
  const s = st(this);
  if (s.closed) return;
  s.closeReason = 'abort';
  this.closeReason = 'abort';
  const causes = Array.isArray(chunk?.error_causes) ? chunk.error_causes : [];
  destroyAssociation(this, lossError('abort', 'association aborted by peer', this.state === 'COOKIE-WAIT' || this.state === 'COOKIE-ECHOED' ? 'init' : 'established'));
  this.emit('COMMUNICATION LOST', 'abort', causes);
}

function onError(this: Loose, chunk: Loose): void {
  if (st(this).closed) return;
  const causes = Array.isArray(chunk?.error_causes) ? chunk.error_causes : [];
  this.emit('COMMUNICATION ERROR', causes);
}

function ABORT(this: Loose, reason?: string): void {
  const s = st(this);
  if (s.closed) return;
  const cause: Loose = { cause: 'USER_INITIATED_ABORT' };
  if (reason) cause.abort_reason = String(reason);
  if (this.peer_tag !== undefined) sendRaw(this, [new ChunkClass('abort', { error_causes: [cause] }).toBuffer()]);
  s.closeReason = 'local';
  this.closeReason = 'local';
  destroyAssociation(this);
}

const SOCKET_ERROR_CODES: Record<string, string> = {
  timeout: 'ETIMEDOUT',
  abort: 'ECONNREFUSED',
  unreachable: 'EHOSTUNREACH',
};

/** Installs the shutdown/abort/destroy repair. */
export function installShutdownRepair(): void {
  const proto = AssociationClass.prototype;
  override(proto, 'SHUTDOWN', SHUTDOWN);
  override(proto, '_shutdown', function _shutdown(this: Loose, callback?: () => void) {
    SHUTDOWN.call(this, callback);
  });
  override(proto, 'onShutdown', onShutdown);
  override(proto, 'onShutdownAck', onShutdownAck);
  override(proto, 'onShutdownComplete', onShutdownComplete);
  override(proto, '_startT2', function _startT2(this: Loose) {
    startT2(this);
  });
  override(proto, '_stopT2', function _stopT2(this: Loose) {
    st(this).t2 = clearTimer(st(this).t2);
  });
  override(proto, '_restartT2', function _restartT2(this: Loose) {
    restartT2(this);
  });
  override(proto, '_expireT2', function _expireT2(this: Loose) {
    st(this).t2 = clearTimer(st(this).t2);
    expireT2(this);
  });
  override(proto, 'ABORT', ABORT);
  override(proto, '_abort', function _abort(this: Loose, options: Loose) {
    failWithAbort(this, options ?? {}, 'abort');
  });
  override(proto, 'onAbort', onAbort);
  override(proto, 'onError', onError);
  override(proto, '_destroy', function _destroy(this: Loose) {
    destroyAssociation(this);
  });
  override(proto, '_down', function _down(this: Loose) {
    stopTimers(this, false);
  });

  override(EndpointClass.prototype, 'close', function close(this: Loose) {
    this.emit('close');
    const list: Loose[] = Array.isArray(this.associations) ? [...this.associations] : [];
    for (const a of list) {
      const s = st(a);
      if (s.closed) continue;
      s.closeReason = 'local';
      a.closeReason = 'local';
      destroyAssociation(a, lossError('local', 'endpoint closed', 'established'));
      a.emit('COMMUNICATION LOST', 'local', lossError('local', 'endpoint closed', 'established'));
    }
    this._destroy();
  });

  const SocketProto = sockets.Socket.prototype;
  override(SocketProto, '_final', function _final(this: Loose, callback: (error?: Error | null) => void) {
    if (this.association) this.association.SHUTDOWN(() => callback());
    else callback();
  });
  override(SocketProto, '_destroy', function _destroy(this: Loose, err: Error | null, callback: (error?: Error | null) => void) {
    try {
      if (this.association) this.association.ABORT();
      if (this.outbound && this.endpoint) this.endpoint.DESTROY();
    } finally {
      callback(err);
    }
  });
  override(SocketProto, '_write', function _write(this: Loose, chunk: Buffer, _encoding: string, callback: (error?: Error | null) => void) {
    if (!this.association) {
      // Written before the association exists (connect() is asynchronous):
      // hold the write until 'connect' instead of dropping it.
      const retry = (): void => {
        this.removeListener('close', giveUp);
        this._write(chunk, _encoding, callback);
      };
      const giveUp = (): void => {
        this.removeListener('connect', retry);
        callback(new Error('socket closed before the association was established'));
      };
      this.once('connect', retry);
      this.once('close', giveUp);
      return;
    }
    this.bytesWritten += chunk.length;
    this.sendToAssociation(chunk, { stream_id: this.stream_id }, (error?: Error) => {
      if (!this.destroyed) callback(error ?? null);
    });
  });
  const originalEstablish = SocketProto.establish;
  override(SocketProto, 'establish', function establish(this: Loose, endpoint: Loose, association: Loose) {
    originalEstablish.call(this, endpoint, association);
    let up = association.state === 'ESTABLISHED';
    association.once('COMMUNICATION UP', () => {
      up = true;
    });
    association.removeAllListeners('COMMUNICATION ERROR');
    association.on('COMMUNICATION ERROR', (causes: unknown) => {
      if (this.listenerCount('error') > 0) {
        const error = new Error('SCTP peer reported an error') as Error & { causes: unknown };
        error.causes = causes;
        this.emit('error', error);
      }
    });
    association.once('COMMUNICATION LOST', (reason: string, detail: unknown) => {
      this.closeReason = reason;
      if (!up && !this.destroyed && SOCKET_ERROR_CODES[reason]) {
        const error = new Error(`SCTP connect failed: ${reason}`) as Error & { code: string; cause?: unknown };
        error.code = SOCKET_ERROR_CODES[reason]!;
        error.cause = detail;
        this.destroy(error);
      }
    });
  });
}
