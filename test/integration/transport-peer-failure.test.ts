import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, closed, endpoint, messages, nextAssociation } from '../transport/udp-helpers.js';
import { startPeer, type PeerProcess } from '../transport/peer-process.js';

const peers: PeerProcess[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.kill()));
  await closeAll();
});

async function peer(mode: 'server' | 'client', options: Record<string, unknown> = {}): Promise<PeerProcess> {
  const p = await startPeer(mode, options);
  peers.push(p);
  return p;
}

describe('loss of a peer process (child processes over loopback)', () => {
  it('notices a SIGKILLed server process quickly through ICMP on the connected socket', async () => {
    const server = await peer('server');
    const client = await endpoint();
    const a = await client.connect({ address: '127.0.0.1', port: server.port });
    const echoed = messages(a, 1);
    await a.send(Buffer.from('ping'), { ppid: 1 });
    await echoed;
    const gone = closed(a, 5000);
    const t0 = performance.now();
    await server.kill('SIGKILL');
    const { reason, error, at } = await gone;
    expect(reason).toBe('unreachable');
    expect(error?.name).toBe('TransportError');
    // Default probe interval is 40 ms; generous bound for a loaded machine.
    expect(at - t0).toBeLessThan(1000);
  });

  it('notices a SIGKILLed client process through heartbeats', async () => {
    const server = await endpoint({ listen: true, heartbeatInterval: 100, rtoMin: 50, rtoMax: 200, maxRetransmissions: 2 });
    const accepted = nextAssociation(server, 20_000);
    const child = await peer('client', { remote: server.local });
    const b = await accepted;
    const gone = closed(b, 10_000);
    const t0 = performance.now();
    await child.kill('SIGKILL');
    const { reason, at } = await gone;
    expect(['timeout', 'unreachable', 'abort']).toContain(reason);
    expect(at - t0).toBeLessThan(5000);
  });

  it('notices a silent peer (port open, nothing answers) through heartbeats with the default tuning', async () => {
    const server = await endpoint({ listen: true });
    const client = await endpoint();
    const accepted = nextAssociation(server);
    const a = await client.connect(server.local);
    await accepted;
    const gone = closed(a, 10_000);
    // The server host goes silent: its socket stays open (no ICMP), nothing is processed or sent.
    const socket = (server as unknown as { socket: import('node:dgram').Socket }).socket;
    socket.removeAllListeners('message');
    (server as unknown as { transmit: () => void }).transmit = () => {};
    const t0 = performance.now();
    const { reason, at } = await gone;
    expect(reason).toBe('timeout');
    // Defaults: about heartbeatInterval + (maxRetransmissions + 1) x rtoMax < 1 s; slack for a busy machine.
    expect(at - t0).toBeLessThan(3000);
  });

  it('reconnects to a restarted server on the same port', async () => {
    const first = await peer('server');
    const port = first.port;
    const client = await endpoint();
    const a = await client.connect({ address: '127.0.0.1', port });
    const gone = closed(a);
    await first.kill('SIGKILL');
    await gone;
    const second = await peer('server', { port });
    expect(second.port).toBe(port);
    const b = await client.connect({ address: '127.0.0.1', port });
    const echoed = messages(b, 1);
    await b.send(Buffer.from('again'), { ppid: 7 });
    expect(Buffer.from((await echoed)[0]!.data).toString()).toBe('again');
  });

  it('accepts a restarted client that reuses its port and drops the old association', async () => {
    // Slow heartbeats so that the old association is still there when the new one arrives.
    const server = await endpoint({ listen: true, heartbeatInterval: 30_000, rtoMax: 5000, rtoInitial: 3000 });
    const firstAccepted = nextAssociation(server, 20_000);
    const first = await peer('client', { remote: server.local, ownSocket: false });
    const old = await firstAccepted;
    const oldClosed = closed(old, 10_000);
    const port = first.port;
    await first.kill('SIGKILL');
    const secondAccepted = nextAssociation(server, 20_000);
    await peer('client', { remote: server.local, ownSocket: false, port });
    const fresh = await secondAccepted;
    expect(fresh.remote).toEqual({ address: '127.0.0.1', port });
    expect((await oldClosed).reason).toBe('abort');
    expect(fresh.open).toBe(true);
    const echoed = messages(fresh, 1);
    await fresh.send(Buffer.from('hello again'), { ppid: 3 });
    expect(Buffer.from((await echoed)[0]!.data).toString()).toBe('hello again');
  });
});
