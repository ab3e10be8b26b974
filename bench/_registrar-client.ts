/**
 * Shared by the registrar benchmarks (`bench/registrar.ts`, `bench/tls.ts`):
 * an `rsp registrar` child process whose counters, CPU time and memory are
 * read over its IPC channel, and a raw pipelining ASAP client (optionally
 * over mutual TLS).
 *
 * Not a benchmark itself (the leading `_` keeps `npm run bench` off it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { createUdpEndpoint, type UdpEndpoint } from '../src/transport/udp-endpoint.js';
import { secureAssociation, type TlsOptions } from '../src/transport/tls.js';
import type { Association, TransportAddress } from '../src/transport/types.js';
import { decodeMessage, encodeMessage, type RSerPoolMessage } from '../src/wire/messages.js';
import type { PoolElementParam } from '../src/wire/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An `rsp registrar` child process. */
export interface RegistrarProcess {
  child: ChildProcess;
  address: TransportAddress;
  stats(gc?: boolean): Promise<{ stats: Record<string, number>; cpu: NodeJS.CpuUsage; memory: NodeJS.MemoryUsage }>;
  stop(): Promise<void>;
}

/** Starts `rsp registrar --asap 127.0.0.1:0 --announce off` plus `extraArgs` (the build when present, else the sources). */
export async function startRegistrar(extraArgs: string[]): Promise<RegistrarProcess> {
  // The compiled command when built (as users run it), else the sources through tsx.
  const built = existsSync(path.join(root, 'dist/cli/main.js'));
  const child = fork(path.join(root, built ? 'dist/cli/main.js' : 'src/cli/main.ts'), ['registrar', '--asap', '127.0.0.1:0', '--announce', 'off', '--log-level', 'info', ...extraArgs], {
    // RSP_BENCH_PROFILE=DIR writes a V8 CPU profile of the registrar process into DIR.
    execArgv: [...(built ? [] : ['--import', 'tsx']), '--expose-gc', '--max-old-space-size=2048', ...(process.env.RSP_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.RSP_BENCH_PROFILE}`] : [])],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  // Registrar log lines go to stderr, except the one line per (re-)registered PE.
  let rest = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    rest += d;
    const lines = rest.split('\n');
    rest = lines.pop()!;
    for (const l of lines) if (!/ (re-)?registered /.test(l)) process.stderr.write(`registrar: ${l}\n`);
  });
  const address = await new Promise<TransportAddress>((resolve, reject) => {
    const onMsg = (m: { event?: string; addresses?: TransportAddress[] }): void => {
      if (m.event === 'listening') {
        child.off('message', onMsg);
        resolve(m.addresses![0]!);
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code) => reject(new Error(`registrar exited with ${code}`)));
  });
  return {
    child,
    address,
    stats: (gc = false) =>
      new Promise((resolve) => {
        const onMsg = (m: { event?: string }): void => {
          if (m.event === 'stats') {
            child.off('message', onMsg);
            resolve(m as never);
          }
        };
        child.on('message', onMsg);
        child.send({ cmd: 'stats', gc });
      }),
    stop: async () => {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** User plus system CPU time, µs. */
export const cpuMicros = (c: NodeJS.CpuUsage): number => c.user + c.system;

// ----------------------------------------------------------------- raw client

/** A pipelining ASAP client: responses arrive in order on one association. */
export class Client {
  private pending: Array<(m: RSerPoolMessage) => void> = [];
  onKeepAlive: ((m: RSerPoolMessage & { type: 'endpoint-keep-alive' }) => void) | undefined;
  closed = false;
  failures = 0;

  constructor(
    readonly endpoint: UdpEndpoint,
    readonly association: Association,
  ) {
    association.on('message', (data, info) => {
      const m = decodeMessage(info.ppid, data);
      if (m.type === 'endpoint-keep-alive') {
        this.onKeepAlive?.(m as never);
        return;
      }
      this.pending.shift()?.(m);
    });
    association.on('close', () => {
      this.closed = true;
      for (const p of this.pending.splice(0)) p({ protocol: 'asap', type: 'error', operationError: [] });
    });
  }

  /** Opens an association to `address` (with `tls`: and runs the TLS handshake as client). */
  static async connect(address: TransportAddress, tls?: TlsOptions): Promise<Client> {
    // Tolerant failure detection: a loaded benchmark host must not kill associations.
    const endpoint = await createUdpEndpoint({ address: '127.0.0.1', port: 0, heartbeatInterval: 1000, rtoMin: 100, rtoMax: 1000, maxRetransmissions: 8 });
    try {
      const plain = await endpoint.connect(address, { timeout: 10_000 });
      const association = tls === undefined ? plain : await secureAssociation(plain, 'client', tls);
      return new Client(endpoint, association);
    } catch (err) {
      await endpoint.close();
      throw err;
    }
  }

  request(bytes: Uint8Array): Promise<RSerPoolMessage> {
    return new Promise((resolve, reject) => {
      this.pending.push(resolve);
      this.association.send(bytes, { ppid: 11 }).catch((err: unknown) => {
        const k = this.pending.indexOf(resolve);
        if (k >= 0) this.pending.splice(k, 1);
        reject(err);
      });
    });
  }

  send(bytes: Uint8Array): void {
    this.association.send(bytes, { ppid: 11 }).catch(() => {});
  }

  /** Runs `n` requests with at most `window` outstanding. */
  async pipeline(n: number, window: number, make: (i: number) => Uint8Array, check?: (m: RSerPoolMessage) => void): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n && !this.closed) {
        const i = next++;
        try {
          const m = await this.request(make(i));
          check?.(m);
        } catch (err) {
          this.failures++;
          if (this.failures === 1) process.stderr.write(`request failed: ${(err as Error).message}\n`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, n) }, worker));
  }

  async close(): Promise<void> {
    await this.endpoint.close();
  }
}

/** A least-used PE on 127.0.0.1:7000. */
export function pe(peId: number, load: number, life = 90_000): PoolElementParam {
  return {
    peId,
    homeRegistrarId: 0,
    registrationLife: life,
    userTransport: { protocol: 'sctp', port: 7000, transportUse: 0, addresses: ['127.0.0.1'] },
    policy: { type: 'least-used', load },
  };
}

/** An encoded ASAP Registration of {@link pe}. */
export function registration(poolHandle: Uint8Array, peId: number, load: number, life?: number): Uint8Array {
  return encodeMessage({ protocol: 'asap', type: 'registration', poolHandle, poolElement: pe(peId, load, life) });
}

/** Throws unless `m` is an accepted Registration Response. */
export function expectAccepted(m: RSerPoolMessage): void {
  if (m.type !== 'registration-response' || m.rejected) throw new Error(`registration refused: ${JSON.stringify(m)}`);
}

/** Runs `run` and returns its wall time (ms) and the registrar process's CPU time meanwhile (µs). */
export async function timed(reg: RegistrarProcess, run: () => Promise<unknown>): Promise<{ ms: number; cpuUs: number }> {
  const s0 = await reg.stats();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const s1 = await reg.stats();
  return { ms, cpuUs: cpuMicros(s1.cpu) - cpuMicros(s0.cpu) };
}

/** Makes `client` answer the registrar's keep-alives (as a PE does). */
export function ackKeepAlives(client: Client): void {
  client.onKeepAlive = (m) => client.send(encodeMessage({ protocol: 'asap', type: 'endpoint-keep-alive-ack', poolHandle: m.poolHandle, peId: m.peId! }));
}
