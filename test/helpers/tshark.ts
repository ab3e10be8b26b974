/**
 * Loopback captures with tshark for the capture checks: why they cannot
 * run here (if so), start a capture and wait until it runs, stop it.
 * Capture processes are started and killed by PID only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Why captures cannot run here, or undefined. */
export function tsharkReason(): string | undefined {
  const probe = spawnSync('tshark', ['--version'], { stdio: 'ignore', timeout: 20_000 });
  if (probe.error || probe.status !== 0) return 'tshark is not installed (apt-get install -y tshark)';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'capturing on the loopback interface needs root';
  return undefined;
}

const children = new Set<ChildProcess>();

/** Kills captures still running (call from afterAll). */
export function killCaptures(): void {
  for (const child of children) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
}

/** Starts capturing loopback packets matching `filter` into `file`; resolves once tshark captures. */
export async function startCapture(file: string, filter: string): Promise<ChildProcess> {
  const child = spawn('tshark', ['-i', 'lo', '-f', filter, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tshark did not start: ${text}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('Capturing on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  // The capture filter is attached just after the message; give it a moment.
  await new Promise((r) => setTimeout(r, 500));
  return child;
}

/** Stops a capture (SIGINT, so the file is complete) and waits for tshark to exit. */
export async function stopCapture(child: ChildProcess): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (child.pid !== undefined) process.kill(child.pid, 'SIGINT');
  await exited;
}
