/** Fake transport objects for unit tests of the ASAP instance. */
import { EventEmitter } from 'eventemitter3';
import type { Association, AssociationEvents, CloseReason, ConnectOptions, SendOptions, TransportAddress } from '../../src/transport/types.js';

/** An in-memory association that records what is sent. */
export class FakeAssociation extends EventEmitter<AssociationEvents> implements Association {
  open = true;
  bufferedAmount = 0;
  sent: Array<{ data: Uint8Array; options: SendOptions }> = [];
  aborted = false;
  constructor(
    readonly local: TransportAddress,
    readonly remote: TransportAddress,
  ) {
    super();
  }
  async send(data: Uint8Array, options: SendOptions): Promise<void> {
    if (!this.open) throw new Error('closed');
    this.sent.push({ data, options });
  }
  async close(): Promise<void> {
    this.end('local');
  }
  abort(): void {
    this.aborted = true;
    this.end('abort');
  }
  end(reason: CloseReason): void {
    if (!this.open) return;
    this.open = false;
    this.emit('close', reason);
  }
}

/** Behaviour of a fake remote: resolve after `delay` ms, reject, or never answer. */
export type FakeBehaviour = { kind: 'ok'; delay: number } | { kind: 'refuse'; delay: number } | { kind: 'silent' };

/** A connect function whose result per remote port is scripted. */
export function fakeConnect(behaviour: (remote: TransportAddress) => FakeBehaviour, schedule: (fn: () => void, ms: number) => void) {
  const calls: Array<{ remote: TransportAddress; options: ConnectOptions; result?: FakeAssociation }> = [];
  const connect = (remote: TransportAddress, options: ConnectOptions): Promise<Association> => {
    const call: { remote: TransportAddress; options: ConnectOptions; result?: FakeAssociation } = { remote, options };
    calls.push(call);
    const b = behaviour(remote);
    return new Promise<Association>((resolve, reject) => {
      options.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      if (b.kind === 'silent') return;
      schedule(() => {
        if (b.kind === 'ok') {
          call.result = new FakeAssociation({ address: '127.0.0.1', port: 40000 }, remote);
          resolve(call.result);
        } else reject(new Error('connection refused'));
      }, b.delay);
    });
  };
  return { connect, calls };
}
