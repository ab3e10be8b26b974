/**
 * Interop with a foreign SCTP stack: usrsctp's example programs (Debian
 * package libusrsctp-examples) over UDP encapsulation on loopback, in both
 * directions (our client against echo_server on the loopback of a network
 * namespace, usrsctp's client against our endpoint on the host's loopback).
 * Skipped with a printed reason when the programs are missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createUdpEndpoint, type UdpEndpoint } from '../../src/transport/udp-endpoint.js';
import { createNetnsPair, netnsUnavailableReason, type NetnsPair } from '../helpers/netns.js';

const DIR = '/usr/lib/usrsctp';
const ECHO_SERVER = `${DIR}/echo_server`;
const CLIENT = `${DIR}/client`;
const reason =
  process.platform !== 'linux'
    ? 'usrsctp examples are taken from Debian packages (Linux only)'
    : !existsSync(ECHO_SERVER) || !existsSync(CLIENT)
      ? `usrsctp example programs not found in ${DIR} (apt-get install -y libusrsctp-examples)`
      : undefined;
if (reason) console.log(`[skip] usrsctp interop: ${reason}`);

const PEER = 'test/integration/transport-netns-peer.ts';
const children = new Set<ChildProcess>();
const endpoints: UdpEndpoint[] = [];
let pair: NetnsPair | undefined;
afterAll(async () => {
  pair?.destroy();
  for (const child of children) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  await Promise.all(endpoints.map((e) => e.close()));
});

/** A UDP port that was free a moment ago (the foreign program binds it itself). */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function start(file: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    if (out.length < 1 << 20) out += chunk;
  });
  child.stderr!.resume();
  return { child, output: () => out };
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return predicate();
}

describe.skipIf(reason !== undefined)('interop with usrsctp over UDP encapsulation', () => {
  it('our client ↔ usrsctp echo_server: messages come back intact', async (ctx) => {
    // echo_server listens on SCTP port 7; by our convention (UDP port = SCTP port) it then
    // uses UDP port 7 too. That needs root, and runs on the loopback of a namespace of its
    // own so concurrent test runs do not compete for the port.
    const netnsReason = netnsUnavailableReason();
    if (netnsReason) {
      console.log(`[skip] usrsctp echo_server direction: ${netnsReason} (UDP port 7 in a namespace of its own)`);
      ctx.skip();
    }
    pair = createNetnsPair('usrsctp');
    const host = pair.a;
    const server = spawn('ip', ['netns', 'exec', host.name, ECHO_SERVER, '7'], { stdio: 'ignore' });
    children.add(server);
    const ready = await until(() => {
      try {
        return host.exec(['ss', '-Hunl', 'sport = :7']).trim().length > 0;
      } catch {
        return false;
      }
    }, 10_000);
    expect(ready, 'usrsctp echo_server did not open UDP port 7').toBe(true);
    // Up to 10,000 bytes (echo_server reads into a 10 KiB buffer and echoes what it read): on
    // loopback each message is one packet far above 1,500 bytes, sized to the loopback MTU.
    const client = host.spawnNode(PEER, ['echo', JSON.stringify({ mode: 'udp', remote: '127.0.0.1', remotePort: 7, count: 4, size: 10_000 })]);
    expect(await client.nextLine(60_000)).toMatchObject({ sent: 4, intact: 4 });
  }, 90_000);

  it('usrsctp client ↔ our listening endpoint: the client gets its lines echoed', async () => {
    const server = await createUdpEndpoint({ address: '127.0.0.1', listen: true });
    endpoints.push(server);
    const accepted: Array<{ ppid: number; text: string }> = [];
    server.on('association', (a) => {
      a.on('error', () => {});
      a.on('message', (data, info) => {
        accepted.push({ ppid: info.ppid, text: Buffer.from(data).toString() });
        void a.send(data, { ppid: info.ppid, stream: info.stream }).catch(() => {});
      });
    });
    const clientPort = await freeUdpPort();
    // client remote_addr remote_port local_port local_encaps_port remote_encaps_port
    const client = start(CLIENT, ['127.0.0.1', String(server.local.port), String(clientPort), String(clientPort), String(server.local.port)]);
    const line = `hello from usrsctp ${process.pid}\n`;
    // The client reads stdin once its association is up; repeat until the echo shows.
    let echoed = false;
    for (let attempt = 0; attempt < 20 && !echoed; attempt++) {
      client.child.stdin!.write(line);
      echoed = await until(() => client.output().includes(line), 500);
    }
    expect(echoed, `usrsctp client printed: ${client.output().slice(0, 500)}`).toBe(true);
    expect(accepted[0]?.text).toBe(line);
    client.child.stdin!.end();
  }, 60_000);
});
