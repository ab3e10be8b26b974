/**
 * Test helper: a child process hosting several pool elements
 * (test/fixtures/pe-host.mjs over dist/). Starting a PE costs a
 * registration instead of a Node process, and `kill()` makes one die
 * silently (its UDP sockets closed without a word: the same wire behaviour
 * as SIGKILL of a process), so trials of failover tests are cheap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/pe-host.mjs', import.meta.url));

export type PeMode = 'echo' | 'slow' | 'counter-late' | 'log';

export class PeHost {
  readonly child: ChildProcess;
  private readonly waiters: Array<{ match: RegExp; resolve: (m: RegExpExecArray) => void; reject: (e: Error) => void }> = [];
  private stderr = '';
  private exitError: Error | undefined;
  /** Called with every line the host prints (e.g. `rx <peId> <message>` of `log` PEs). */
  onLine: ((line: string) => void) | undefined;

  private constructor(registrar: string, pool: string) {
    this.child = spawn(process.execPath, [fixture, registrar, pool], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.onLine?.(line);
      const i = this.waiters.findIndex((w) => w.match.test(line));
      if (i < 0) return;
      const w = this.waiters.splice(i, 1)[0]!;
      w.resolve(w.match.exec(line)!);
    });
    this.child.once('exit', (code, signal) => {
      this.exitError = new Error(`PE host exited (${String(code ?? signal)}): ${this.stderr}`);
      for (const w of this.waiters.splice(0)) w.reject(this.exitError);
    });
  }

  /** Starts a host process; resolves once it runs. */
  static async spawn(registrar: string, pool: string): Promise<PeHost> {
    const host = new PeHost(registrar, pool);
    await host.expect(/^host \d+/, 60_000);
    return host;
  }

  /** Registers one more PE in the host; resolves with its PE id. */
  async start(mode: PeMode): Promise<number> {
    const line = this.expect(/^(ready|error) /, 60_000);
    this.child.stdin!.write(`start ${mode}\n`);
    const m = await line;
    if (m[1] === 'error') throw new Error(`PE did not start: ${m.input}`);
    return Number(/^ready (\d+)/.exec(m.input)![1]);
  }

  /** Makes a PE die silently; resolves once its sockets are closed: true, or false when it was dead already. */
  async kill(peId: number): Promise<boolean> {
    const done = this.expect(new RegExp(`^(killed|unknown) ${peId}$`), 30_000);
    this.child.stdin!.write(`kill ${peId}\n`);
    return (await done)[1] === 'killed';
  }

  /** Ends the host: closes its standard input, SIGKILL when it has not exited after `ms`. */
  async close(ms = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin!.end();
    const t = setTimeout(() => this.sigkill(), ms);
    await exited;
    clearTimeout(t);
  }

  /** Ends the host process (SIGKILL: all its PEs die at once). */
  sigkill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
  }

  private expect(match: RegExp, ms: number): Promise<RegExpExecArray> {
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`PE host: no line matching ${String(match)} within ${ms} ms: ${this.stderr}`)), ms);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
    });
  }
}
