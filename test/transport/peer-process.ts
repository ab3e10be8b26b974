/**
 * Runs `test/fixtures/transport-peer.ts` in a child process (TypeScript
 * through `node --import tsx`) and waits until it reports its port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE = resolve(ROOT, 'test/fixtures/transport-peer.ts');

/** A running peer process. */
export interface PeerProcess {
  child: ChildProcess;
  port: number;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a peer (`server` or `client`) and resolves once it is ready. */
export function startPeer(mode: 'server' | 'client', options: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<PeerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, JSON.stringify(options)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`peer did not start in time: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`peer exited early (${String(code)}): ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; port?: number };
        if (msg.ready && typeof msg.port === 'number') {
          clearTimeout(timer);
          resolveReady({
            child,
            port: msg.port,
            exited,
            kill: async (signal = 'SIGKILL') => {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal);
              await exited;
            },
          });
        }
      } catch {
        /* not a status line */
      }
    });
  });
}
