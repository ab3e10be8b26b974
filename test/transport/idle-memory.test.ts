/**
 * Memory per idle association on the listening side (what a registrar pays
 * per pool element): 300 associations from a client process, heap growth of
 * this process after garbage collection divided by their number, must stay
 * at or below 10 KiB. Per-association state added for path MTU discovery,
 * the receive fast path or bundling must not undo the memory diet
 * (sctp-slim.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { createUdpEndpoint, type UdpEndpoint } from '../../src/transport/udp-endpoint.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function collect(): void {
  for (let i = 0; i < 4; i++) gc();
}

let child: ChildProcess | undefined;
let server: UdpEndpoint | undefined;
afterAll(async () => {
  if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  await server?.close();
});

function startClients(remote: { address: string; port: number }, count: number, options: object): Promise<void> {
  child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/transport-peer.ts', 'clients', JSON.stringify({ ...options, remote, count })], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('clients did not start')), 90_000);
    createInterface({ input: child!.stdout! }).on('line', (line) => {
      if (line.includes('"ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child!.once('exit', (code) => reject(new Error(`clients exited (${code})`)));
  });
}

describe('memory per idle association', () => {
  it('stays at or below 10 KiB of heap on the listening side', async () => {
    const n = 300;
    // Slow heartbeats: idle means idle, and a loaded machine causes no failures.
    const options = { heartbeatInterval: 30_000, rtoInitial: 1000, rtoMin: 200, rtoMax: 5000 };
    server = await createUdpEndpoint({ ...options, listen: true });
    let accepted = 0;
    server.on('association', (a) => {
      accepted++;
      a.on('message', () => {});
    });
    // Warm-up: code and module state are not counted.
    const warm = await createUdpEndpoint(options);
    for (let i = 0; i < 5; i++) await warm.connect(server.local);
    await warm.close();
    const deadline = Date.now() + 10_000;
    while (server.associationCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    accepted = 0;
    collect();
    const before = process.memoryUsage().heapUsed;
    await startClients(server.local, n, options);
    const until = Date.now() + 30_000;
    while (accepted < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(accepted).toBe(n);
    await new Promise((r) => setTimeout(r, 200));
    collect();
    const perAssociation = (process.memoryUsage().heapUsed - before) / n;
    console.log(`[memory] ${(perAssociation / 1024).toFixed(2)} KiB of heap per idle association (${n}, listening side)`);
    expect(perAssociation).toBeLessThanOrEqual(10 * 1024);
  }, 120_000);
});
