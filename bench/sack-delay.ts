/**
 * Spurious retransmissions against another stack: usrsctp's
 * discard_server (Debian package libusrsctp-examples) over standard UDP
 * encapsulation on loopback, one lone 100-byte message every `--gap` ms for
 * `--seconds` (default 60) — the pattern of ENRP Presence and ASAP
 * keep-alives. Prints JSON lines `{ "bench": "sack-delay", "name", "value",
 * "unit" }`: messages sent, T3 expirations (each one a retransmission of a
 * message the peer had, since loopback loses nothing), and the same with the
 * SACK-delay guard switched off (`sackDelayGuard: 1`). usrsctp delays the
 * SACK of a lone packet by 200 ms unless the DATA carries the I bit (RFC
 * 7053), which this library sets; a peer that ignores the bit is emulated in
 * test/transport/sctp-repairs/sack-delay.test.ts.
 *
 * Usage: `npx tsx bench/sack-delay.ts [--seconds 60] [--gap 250]`
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { createTransportEndpoint } from '../src/transport/endpoint-factory.js';
import { associationInfo } from '../src/transport/sctp-repairs/index.js';
import type { Association } from '../src/transport/types.js';

const DISCARD = '/usr/lib/usrsctp/discard_server';
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg('seconds', 60);
const gap = arg('gap', 250);
const line = (name: string, value: number, unit: string): void => console.log(JSON.stringify({ bench: 'sack-delay', name, value, unit }));

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function run(label: string, tuning: object): Promise<void> {
  const encaps = await freePort();
  const server = spawn(DISCARD, [String(encaps)], { stdio: 'ignore' });
  try {
    const ep = await createTransportEndpoint({ mode: 'udp-standard', udpPort: 0, remoteUdpPort: encaps, ...tuning }, { address: '127.0.0.1' });
    let a: Association | undefined;
    for (let i = 0; i < 30 && !a; i++) a = await ep.connect({ address: '127.0.0.1', port: 9 }, { timeout: 500 }).catch(() => undefined);
    if (!a) throw new Error('discard_server did not answer');
    const end = Date.now() + seconds * 1000;
    let sent = 0;
    while (Date.now() < end) {
      await a.send(Buffer.alloc(100, 0x61), { ppid: 0 });
      sent++;
      await new Promise((r) => setTimeout(r, gap));
    }
    const info = associationInfo((a as unknown as { sctp: object }).sctp);
    line(`${label}-messages`, sent, 'messages');
    line(`${label}-t3-expirations`, info.t3Expirations, 'expirations');
    await ep.close();
  } finally {
    server.kill('SIGKILL');
  }
}

if (!existsSync(DISCARD)) {
  console.error(`${DISCARD} not found (apt-get install -y libusrsctp-examples)`);
  process.exit(1);
}
await run('guard', {});
await run('no-guard', { sackDelayGuard: 1 });
process.exit(0);
