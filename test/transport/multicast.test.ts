import { afterEach, describe, expect, it } from 'vitest';
import { createMulticastChannel, type MulticastChannel } from '../../src/transport/multicast.js';
import { closeAll, endpoint, messages, nextAssociation, withDeadline } from './udp-helpers.js';

const channels: MulticastChannel[] = [];
afterEach(async () => {
  await Promise.all(channels.splice(0).map((c) => c.close()));
  await closeAll();
});

// A group per test process, so parallel runs do not hear each other.
const group = `239.255.${(process.pid >> 8) & 0xff}.${process.pid & 0xff}`;

function nextMessage(c: MulticastChannel, ms = 3000): Promise<{ data: Buffer; from: { address: string; port: number } }> {
  return withDeadline(new Promise((r) => c.once('message', (data, from) => r({ data, from }))), ms, 'multicast datagram');
}

describe('UDP multicast channel', () => {
  it('sends to and receives from a group on loopback', async () => {
    const rx1 = await createMulticastChannel({ group, port: 0, interface: '127.0.0.1', loopback: true, ttl: 1 });
    channels.push(rx1);
    const rx2 = await createMulticastChannel({ group, port: rx1.port, interface: '127.0.0.1' });
    channels.push(rx2);
    const tx = await createMulticastChannel({ group, port: rx1.port, interface: '127.0.0.1', receive: false });
    channels.push(tx);
    const a = nextMessage(rx1);
    const b = nextMessage(rx2);
    await tx.send(Buffer.from('announce'));
    expect((await a).data.toString()).toBe('announce');
    expect((await b).data.toString()).toBe('announce');
    expect((await a).from.address).toBe('127.0.0.1');
  });

  it('coexists with an SCTP-over-UDP endpoint on the same port', async () => {
    const server = await endpoint({ listen: true });
    const port = server.local.port;
    const announces = await createMulticastChannel({ group, port, interface: '127.0.0.1' });
    channels.push(announces);
    const datagrams: Uint8Array[] = [];
    server.on('datagram', (d) => datagrams.push(d));

    const heard = nextMessage(announces);
    await announces.send(Buffer.from('presence'));
    expect((await heard).data.toString()).toBe('presence');

    // SCTP still reaches the endpoint on the shared port.
    const client = await endpoint();
    const accepted = nextAssociation(server);
    const a = await client.connect(server.local);
    const b = await accepted;
    const got = messages(b, 1);
    await a.send(Buffer.from('over sctp'), { ppid: 11 });
    expect(Buffer.from((await got)[0]!.data).toString()).toBe('over sctp');
    // The endpoint bound to 127.0.0.1 did not see the multicast datagram.
    expect(datagrams.length).toBe(0);

    // A unicast non-SCTP datagram on the shared port is handed to the endpoint's listener.
    const offered = withDeadline(new Promise<Uint8Array>((r) => server.once('datagram', (d) => r(d))), 3000, 'datagram');
    await announces.send(Buffer.from('unicast announce'), { address: '127.0.0.1', port });
    expect(Buffer.from(await offered).toString()).toBe('unicast announce');
  });

  it('validates its options', async () => {
    await expect(createMulticastChannel({ group: '10.0.0.1', port: 1 })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    await expect(createMulticastChannel({ group, port: 70000 })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    const c = await createMulticastChannel({ group, port: 0, interface: '127.0.0.1' });
    await c.close();
    await expect(c.send(Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_RSP_CLOSED' });
  });
});
