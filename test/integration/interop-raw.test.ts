/**
 * Raw-IP mode against foreign SCTP stacks, each in its own network namespace
 * (one SCTP stack per namespace):
 * - usrsctp's echo_server without UDP encapsulation (usrsctp then uses raw
 *   IP sockets itself);
 * - the Linux kernel's SCTP, when this kernel has it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { rawModeUnavailableReason } from '../../src/transport/raw-stack.js';
import { createNetnsPair, netnsUnavailableReason, type NetnsPair } from '../helpers/netns.js';

const PEER = 'test/integration/transport-netns-peer.ts';
const ECHO_SERVER = '/usr/lib/usrsctp/echo_server';
const baseReason = rawModeUnavailableReason() ?? netnsUnavailableReason();
const usrsctpReason = baseReason ?? (existsSync(ECHO_SERVER) ? undefined : `${ECHO_SERVER} not found (apt-get install -y libusrsctp-examples)`);
if (usrsctpReason) console.log(`[skip] raw-IP interop with usrsctp: ${usrsctpReason}`);

function kernelSctpReason(): string | undefined {
  if (baseReason) return baseReason;
  const hasSctp = (): boolean => {
    try {
      return /^SCTP\s/m.test(readFileSync('/proc/net/protocols', 'utf8'));
    } catch {
      return false;
    }
  };
  if (!hasSctp()) {
    // Fails harmlessly where modprobe or the module is missing.
    spawnSync('modprobe', ['sctp'], { stdio: 'ignore', timeout: 10_000 });
  }
  if (!hasSctp()) return 'this kernel has no SCTP (not in /proc/net/protocols; modprobe sctp not possible)';
  if (!existsSync('/usr/bin/python3')) return 'python3 (used as the kernel SCTP echo server) is missing';
  return undefined;
}
const kernelReason = kernelSctpReason();
if (kernelReason) console.log(`[skip] raw-IP interop with kernel SCTP: ${kernelReason}`);

let pair: NetnsPair | undefined;
afterAll(() => pair?.destroy());

describe.skipIf(usrsctpReason !== undefined)('raw-IP interop with usrsctp (raw sockets, no encapsulation)', () => {
  it('our raw endpoint ↔ usrsctp echo_server in another namespace', async () => {
    pair ??= createNetnsPair('interop');
    const server = spawn('ip', ['netns', 'exec', pair.b.name, ECHO_SERVER, '0'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const client = pair.a.spawnNode(PEER, ['echo', JSON.stringify({ mode: 'raw', remote: pair.b.ipv4, remotePort: 7, count: 5, size: 6000 })]);
      expect(await client.nextLine(60_000)).toMatchObject({ sent: 5, intact: 5 });
    } finally {
      if (server.pid !== undefined && server.exitCode === null) process.kill(server.pid, 'SIGKILL');
    }
  }, 90_000);
});

// A kernel SCTP echo server in Python (standard library only).
const KERNEL_ECHO = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 7007)); s.listen(8); print('ready', flush=True)
c, _ = s.accept()
while True:
    d = c.recv(65536)
    if not d: break
    c.sendall(d)
`;

describe.skipIf(kernelReason !== undefined)('raw-IP interop with Linux kernel SCTP', () => {
  it('our raw endpoint ↔ kernel SCTP echo server in another namespace', async () => {
    pair ??= createNetnsPair('interop');
    // The kernel SCTP of our own namespace would answer packets for our raw ports with
    // ABORT (they are out of the blue for it): drop the kernel's ABORTs there.
    pair.a.exec(['nft', '-f', '-'], 'table inet rsp_kabort {\n chain out { type filter hook output priority 0; policy accept; meta l4proto sctp sctp chunk abort exists drop\n }\n}\n');
    const server = spawn('ip', ['netns', 'exec', pair.b.name, 'python3', '-c', KERNEL_ECHO], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve) => server.stdout!.once('data', () => resolve()));
      const client = pair.a.spawnNode(PEER, ['echo', JSON.stringify({ mode: 'raw', remote: pair.b.ipv4, remotePort: 7007, count: 3, size: 3000 })]);
      const result = await client.nextLine(60_000);
      expect(result['sent']).toBe(3);
      expect(result).toMatchObject({ sent: 3, intact: 3 });
    } finally {
      if (server.pid !== undefined && server.exitCode === null) process.kill(server.pid, 'SIGKILL');
      try {
        pair.a.exec(['nft', 'delete', 'table', 'inet', 'rsp_kabort']);
      } catch {
        /* namespace gone */
      }
    }
  }, 90_000);
});
