/**
 * Standard SCTP-over-UDP encapsulation (RFC 6951, transport mode
 * `udp-standard`): every SCTP endpoint of the process shares one UDP port and
 * packets are told apart by SCTP port, as kernel SCTP, sctplib and usrsctp
 * do it. In one process, then against usrsctp's example programs (Debian
 * package libusrsctp-examples), whose SCTP port (7) differs from their UDP
 * port, in both directions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTransportEndpoint, type TransportEndpoint } from '../../src/transport/endpoint-factory.js';
import type { Association } from '../../src/transport/types.js';

const DIR = '/usr/lib/usrsctp';
const ECHO_SERVER = `${DIR}/echo_server`;
const CLIENT = `${DIR}/client`;
const usrsctpReason =
  process.platform !== 'linux' ? 'Linux only' : !existsSync(ECHO_SERVER) || !existsSync(CLIENT) ? `usrsctp example programs not found in ${DIR}` : undefined;
if (usrsctpReason) console.log(`[skip] udp-standard against usrsctp: ${usrsctpReason}`);

const children = new Set<ChildProcess>();
const endpoints: TransportEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});
afterAll(() => {
  for (const child of children) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
});

async function open(...args: Parameters<typeof createTransportEndpoint>): Promise<TransportEndpoint> {
  const e = await createTransportEndpoint(...args);
  endpoints.push(e);
  return e;
}

/** A UDP port that was free a moment ago. */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return predicate();
}

function firstMessage(a: Association): Promise<string> {
  return new Promise((resolve) => a.once('message', (d) => resolve(Buffer.from(d).toString())));
}

describe('udp-standard: one UDP port for every SCTP endpoint of the process', () => {
  it('endpoints share the UDP port, are told apart by SCTP port, and exchange messages', async () => {
    // udpPort 0: an ephemeral port shared by every endpoint asking for 0 on this address.
    const server = await open({ mode: 'udp-standard', udpPort: 0 }, { address: '127.0.0.1', port: 0, listen: true });
    const inbox: string[] = [];
    server.on('association', (a) => a.on('message', (d, info) => {
      inbox.push(Buffer.from(d).toString());
      void a.send(d, info).catch(() => undefined);
    }));
    const client = await open({ mode: 'udp-standard', udpPort: 0 }, { address: '127.0.0.1', port: 0 });
    expect(client.local.port).not.toBe(server.local.port);
    // Both endpoints sit on the same UDP socket; its port is what the peer must be told.
    const udpPort = (server as unknown as { socket: dgram.Socket }).socket.address().port;
    expect((client as unknown as { socket: dgram.Socket }).socket.address().port).toBe(udpPort);
    expect(server.local.port).not.toBe(udpPort);
    const sender = await open({ mode: 'udp-standard', udpPort: 0, remoteUdpPort: udpPort }, { address: '127.0.0.1', port: 0 });
    const a = await sender.connect(server.local);
    const echoed = firstMessage(a);
    await a.send(Buffer.from('hello standard'), { ppid: 51 });
    expect(await echoed).toBe('hello standard');
    expect(inbox).toEqual(['hello standard']);
  });

  it('an INIT to an SCTP port nobody uses on the shared UDP port is refused at once', async () => {
    const client = await open({ mode: 'udp-standard', udpPort: 0 }, { address: '127.0.0.1', port: 0 });
    const udpPort = (client as unknown as { socket: dgram.Socket }).socket.address().port;
    const again = await open({ mode: 'udp-standard', udpPort: 0, remoteUdpPort: udpPort }, { address: '127.0.0.1', port: 0 });
    const started = Date.now();
    await expect(again.connect({ address: '127.0.0.1', port: 4 }, { timeout: 4000 })).rejects.toMatchObject({ code: 'ERR_RSP_CONNECTION_REFUSED' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a second endpoint on a used SCTP port fails with EADDRINUSE', async () => {
    const first = await open({ mode: 'udp-standard', udpPort: 0 }, { address: '127.0.0.1', port: 0 });
    await expect(createTransportEndpoint({ mode: 'udp-standard', udpPort: 0 }, { address: '127.0.0.1', port: first.local.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe.skipIf(usrsctpReason !== undefined)('udp-standard against usrsctp', () => {
  it('our client ↔ usrsctp echo_server (SCTP port 7 behind its own UDP port)', async () => {
    const encaps = await freeUdpPort();
    const server = spawn(ECHO_SERVER, [String(encaps)], { stdio: 'ignore' });
    children.add(server);
    server.on('exit', () => children.delete(server));
    const client = await open({ mode: 'udp-standard', udpPort: 0, remoteUdpPort: encaps }, { address: '127.0.0.1', port: 0 });
    let association: Association | undefined;
    // echo_server needs a moment to bind; retry the connect until it answers.
    const deadline = Date.now() + 15_000;
    while (!association && Date.now() < deadline) {
      association = await client.connect({ address: '127.0.0.1', port: 7 }, { timeout: 1000 }).catch(() => undefined);
    }
    expect(association, 'no association with usrsctp echo_server').toBeDefined();
    const payload = Buffer.alloc(3000, 0x61);
    const received: Buffer[] = [];
    association!.on('message', (d) => received.push(Buffer.from(d)));
    await association!.send(payload, { ppid: 0 });
    expect(await until(() => Buffer.concat(received).length >= payload.length, 15_000)).toBe(true);
    expect(Buffer.concat(received).equals(payload)).toBe(true);
    server.kill('SIGKILL');
  }, 40_000);

  it('usrsctp client ↔ our listening endpoint on the shared UDP port', async () => {
    const server = await open({ mode: 'udp-standard', udpPort: 0 }, { address: '127.0.0.1', port: 0, listen: true });
    const udpPort = (server as unknown as { socket: dgram.Socket }).socket.address().port;
    server.on('association', (a) => {
      a.on('error', () => undefined);
      a.on('message', (d, info) => void a.send(d, { ppid: info.ppid, stream: info.stream }).catch(() => undefined));
    });
    const clientEncaps = await freeUdpPort();
    // client remote_addr remote_port local_port local_encaps_port remote_encaps_port
    const client = spawn(CLIENT, ['127.0.0.1', String(server.local.port), '0', String(clientEncaps), String(udpPort)], { stdio: ['pipe', 'pipe', 'ignore'] });
    children.add(client);
    client.on('exit', () => children.delete(client));
    let out = '';
    client.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const line = `standard hello ${process.pid}\n`;
    let echoed = false;
    for (let attempt = 0; attempt < 20 && !echoed; attempt++) {
      client.stdin!.write(line);
      echoed = await until(() => out.includes(line), 500);
    }
    expect(echoed, `usrsctp client printed: ${out.slice(0, 300)}`).toBe(true);
    client.stdin!.end();
    client.kill('SIGKILL');
  }, 40_000);
});
