/**
 * Network-namespace test hosts: a pair of namespaces joined by a veth link,
 * with private addresses that exist only inside them (10.231.0.1/30 and
 * 10.231.0.2/30, fd00:231::1/64 and fd00:231::2/64), optional random packet
 * loss with nftables (this kernel has no netem), and Node child processes run
 * inside a namespace with `ip netns exec`.
 *
 * Root only. {@link netnsUnavailableReason} says why the tests must skip.
 * Every namespace is named `rsp-<tag>-<pid>-<n>-{a,b}`; {@link createNetnsPair}
 * first removes namespaces of the same tag left by earlier test processes
 * that no longer run, and every pair is destroyed in `afterAll` and, as a last
 * resort, when the test process exits.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** Repository root (children run from there so `tsx` and `node_modules` resolve). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Addresses of the two hosts of a pair. */
export const HOST_A = { ipv4: '10.231.0.1', ipv6: 'fd00:231::1' } as const;
export const HOST_B = { ipv4: '10.231.0.2', ipv6: 'fd00:231::2' } as const;

function which(tool: string): boolean {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && existsSync(`${dir}/${tool}`)) return true;
  }
  return false;
}

function run(args: string[], input?: string): string {
  const [command, ...rest] = args;
  return execFileSync(command!, rest, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input, timeout: 20_000 });
}

let probed: string | null | undefined;

/**
 * Why namespace tests cannot run here (`undefined` when they can). With
 * `loss`, nftables is required too. Install the tools with
 * `apt-get install -y iproute2 nftables`.
 */
export function netnsUnavailableReason(options: { loss?: boolean } = {}): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'network namespaces need root';
  if (!which('ip')) return 'the ip command (iproute2) is missing: apt-get install -y iproute2';
  if (options.loss && !which('nft')) return 'the nft command is missing: apt-get install -y nftables';
  if (probed === undefined) {
    const name = `rsp-probe-${process.pid}`;
    try {
      run(['ip', 'netns', 'add', name]);
      run(['ip', 'netns', 'del', name]);
      probed = null;
    } catch (error) {
      probed = `ip netns add failed: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  return probed ?? undefined;
}

/** One host of a pair. */
export interface NetnsHost {
  /** Namespace name. */
  readonly name: string;
  readonly ipv4: string;
  readonly ipv6: string;
  /** Runs a command inside the namespace and returns its stdout. */
  exec(args: string[], input?: string): string;
  /**
   * Starts `node --import tsx <script> ...args` inside the namespace. The
   * child is killed (by PID) when the pair is destroyed. With `stdin: true`
   * the child's standard input is a pipe that {@link NetnsChild.send} writes.
   */
  spawnNode(script: string, args: string[], options?: { stdin?: boolean }): NetnsChild;
}

/** A child process running in a namespace, read as JSON lines. */
export interface NetnsChild {
  readonly process: ChildProcess;
  /** Resolves with the next JSON line the child prints (rejects after `timeoutMs` or on exit). */
  nextLine(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** Writes one line to the child's stdin (spawned with `stdin: true`). */
  send(line: string): void;
}

/** A pair of namespaces joined by veth. */
export interface NetnsPair {
  readonly a: NetnsHost;
  readonly b: NetnsHost;
  /** Sets random loss (percent, 0 removes it) on packets entering each host from the link. */
  setLoss(percent: number): void;
  /** Packets dropped by the loss rules so far (both hosts). */
  dropped(): number;
  /** Kills the children, deletes the nft tables and the namespaces. */
  destroy(): void;
}

const live = new Set<{ destroy(): void }>();
let exitHook = false;
let counter = 0;

function listNamespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return run(['ip', 'netns', 'list'])
      .split('\n')
      .map((line) => line.split(' ')[0]!)
      .filter(Boolean);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes namespaces `rsp-<tag>-<pid>-*` whose creating process is gone. */
export function removeStaleNamespaces(tag: string): number {
  let removed = 0;
  const pattern = new RegExp(`^rsp-${tag}-(\\d+)-\\d+-[abr]$`);
  for (const name of listNamespaces()) {
    const match = pattern.exec(name);
    if (!match || pidAlive(Number(match[1]))) continue;
    try {
      run(['ip', 'netns', 'del', name]);
      removed++;
    } catch {
      // already gone
    }
  }
  return removed;
}

function makeChild(child: ChildProcess): NetnsChild {
  const lines: string[] = [];
  const waiters: Array<(line: string | null) => void> = [];
  let exited = false;
  let errors = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (errors.length < 64 * 1024) errors += chunk;
  });
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    if (!line.startsWith('{')) return;
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  child.on('exit', () => {
    exited = true;
    rl.close();
    while (waiters.length > 0) waiters.shift()!(null);
  });
  return {
    process: child,
    stderr: () => errors,
    send(line) {
      if (!child.stdin) throw new Error('child was spawned without stdin');
      child.stdin.write(`${line}\n`);
    },
    nextLine(timeoutMs = 60_000) {
      const ready = lines.shift();
      if (ready !== undefined) return Promise.resolve(JSON.parse(ready) as Record<string, unknown>);
      if (exited) return Promise.reject(new Error(`child exited without output; stderr: ${errors.slice(-2000)}`));
      return new Promise((resolvePromise, reject) => {
        const timer = setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          reject(new Error(`no output from child within ${timeoutMs} ms; stderr: ${errors.slice(-2000)}`));
        }, timeoutMs);
        const waiter = (line: string | null): void => {
          clearTimeout(timer);
          if (line === null) reject(new Error(`child exited without output; stderr: ${errors.slice(-2000)}`));
          else resolvePromise(JSON.parse(line) as Record<string, unknown>);
        };
        waiters.push(waiter);
      });
    },
  };
}

/** A host in namespace `name` whose Node children are tracked in `children`. */
function makeHost(name: string, addresses: { ipv4: string; ipv6: string }, children: Set<ChildProcess>): NetnsHost {
  return {
    name,
    ...addresses,
    exec: (args, input) => run(['ip', 'netns', 'exec', name, ...args], input),
    spawnNode(script, args, options = {}) {
      const child = spawn('ip', ['netns', 'exec', name, process.execPath, '--import', 'tsx', script, ...args], {
        cwd: REPO_ROOT,
        stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return makeChild(child);
    },
  };
}

/** Destroys `item` at process exit at the latest. */
function track(item: { destroy(): void }): void {
  live.add(item);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const p of [...live]) p.destroy();
    });
  }
}

/** SIGKILLs (by PID) every child still running. */
function killChildren(children: Set<ChildProcess>): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Creates two namespaces `a` and `b` joined by veth (MTU 1500 or `mtu`) with
 * loopback up in each; `lossPercent` adds random drop on both hosts' input.
 */
export function createNetnsPair(tag: string, options: { lossPercent?: number; mtu?: number } = {}): NetnsPair {
  if (!/^[a-z0-9]{1,12}$/.test(tag)) throw new Error(`bad namespace tag ${tag}`);
  removeStaleNamespaces(tag);
  const base = `rsp-${tag}-${process.pid}-${counter++}`;
  const children = new Set<ChildProcess>();
  const names = { a: `${base}-a`, b: `${base}-b` };
  let destroyed = false;
  let lossTables = false;

  const a = makeHost(names.a, HOST_A, children);
  const b = makeHost(names.b, HOST_B, children);

  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    live.delete(pair);
    killChildren(children);
    for (const host of [a, b]) {
      if (lossTables) {
        try {
          host.exec(['nft', 'delete', 'table', 'inet', 'rsp_loss']);
        } catch {
          // namespace or table already gone
        }
      }
      try {
        run(['ip', 'netns', 'del', host.name]);
      } catch {
        // already gone
      }
    }
  };

  const setLoss = (percent: number): void => {
    for (const host of [a, b]) {
      if (lossTables) host.exec(['nft', 'delete', 'table', 'inet', 'rsp_loss']);
    }
    lossTables = false;
    if (percent <= 0) return;
    const perMille = Math.round(percent * 10);
    for (const host of [a, b]) {
      host.exec(
        ['nft', '-f', '-'],
        [
          'table inet rsp_loss {',
          '  chain input {',
          '    type filter hook input priority 0; policy accept;',
          `    iifname "veth0" numgen random mod 1000 < ${perMille} counter drop`,
          '  }',
          '}',
          '',
        ].join('\n'),
      );
    }
    lossTables = true;
  };

  const dropped = (): number => {
    if (!lossTables) return 0;
    let total = 0;
    for (const host of [a, b]) {
      const text = host.exec(['nft', 'list', 'table', 'inet', 'rsp_loss']);
      const match = /counter packets (\d+)/.exec(text);
      total += match ? Number(match[1]) : 0;
    }
    return total;
  };

  const pair: NetnsPair = { a, b, setLoss, dropped, destroy };
  track(pair);
  try {
    run(['ip', 'netns', 'add', names.a]);
    run(['ip', 'netns', 'add', names.b]);
    // Both ends are named veth0, each inside its own namespace: nothing appears on the host.
    run(['ip', '-n', names.a, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', names.b]);
    for (const [host, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      void peer;
      run(['ip', '-n', host.name, 'link', 'set', 'lo', 'up']);
      run(['ip', '-n', host.name, 'link', 'set', 'veth0', 'mtu', String(options.mtu ?? 1500), 'up']);
      run(['ip', '-n', host.name, 'addr', 'add', `${host.ipv4}/30`, 'dev', 'veth0']);
      run(['ip', '-n', host.name, '-6', 'addr', 'add', `${host.ipv6}/64`, 'dev', 'veth0', 'nodad']);
    }
    if (options.lossPercent) setLoss(options.lossPercent);
  } catch (error) {
    destroy();
    throw error;
  }
  return pair;
}

/** Three namespaces in a row: `a` — router `r` — `c`. */
export interface NetnsChain {
  readonly a: NetnsHost;
  readonly r: NetnsHost;
  readonly c: NetnsHost;
  destroy(): void;
}

/**
 * Creates hosts `a` (10.232.1.1) and `c` (10.232.2.2) that reach each other
 * only through the forwarding namespace `r`, with link MTUs `mtuA` (a–r) and
 * `mtuC` (r–c): a lower MTU in the middle of the path that neither end sees
 * on its own interface. IPv4 only.
 */
export function createNetnsChain(tag: string, options: { mtuA: number; mtuC: number }): NetnsChain {
  if (!/^[a-z0-9]{1,12}$/.test(tag)) throw new Error(`bad namespace tag ${tag}`);
  removeStaleNamespaces(tag);
  const base = `rsp-${tag}-${process.pid}-${counter++}`;
  const names = { a: `${base}-a`, r: `${base}-r`, c: `${base}-b` };
  const children = new Set<ChildProcess>();
  const a = makeHost(names.a, { ipv4: '10.232.1.1', ipv6: '' }, children);
  const r = makeHost(names.r, { ipv4: '10.232.1.2', ipv6: '' }, children);
  const c = makeHost(names.c, { ipv4: '10.232.2.2', ipv6: '' }, children);
  let destroyed = false;
  const chain: NetnsChain = {
    a,
    r,
    c,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(chain);
      killChildren(children);
      for (const name of Object.values(names)) {
        try {
          run(['ip', 'netns', 'del', name]);
        } catch {
          // already gone
        }
      }
    },
  };
  track(chain);
  try {
    for (const name of Object.values(names)) run(['ip', 'netns', 'add', name]);
    run(['ip', '-n', names.a, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'vetha', 'netns', names.r]);
    run(['ip', '-n', names.c, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'vethc', 'netns', names.r]);
    for (const name of Object.values(names)) run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    const mtuA = String(options.mtuA);
    const mtuC = String(options.mtuC);
    run(['ip', '-n', names.a, 'link', 'set', 'veth0', 'mtu', mtuA, 'up']);
    run(['ip', '-n', names.r, 'link', 'set', 'vetha', 'mtu', mtuA, 'up']);
    run(['ip', '-n', names.r, 'link', 'set', 'vethc', 'mtu', mtuC, 'up']);
    run(['ip', '-n', names.c, 'link', 'set', 'veth0', 'mtu', mtuC, 'up']);
    run(['ip', '-n', names.a, 'addr', 'add', '10.232.1.1/30', 'dev', 'veth0']);
    run(['ip', '-n', names.r, 'addr', 'add', '10.232.1.2/30', 'dev', 'vetha']);
    run(['ip', '-n', names.r, 'addr', 'add', '10.232.2.1/30', 'dev', 'vethc']);
    run(['ip', '-n', names.c, 'addr', 'add', '10.232.2.2/30', 'dev', 'veth0']);
    run(['ip', '-n', names.a, 'route', 'add', 'default', 'via', '10.232.1.2']);
    run(['ip', '-n', names.c, 'route', 'add', 'default', 'via', '10.232.2.1']);
    run(['ip', 'netns', 'exec', names.r, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  } catch (error) {
    chain.destroy();
    throw error;
  }
  return chain;
}
