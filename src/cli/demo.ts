/**
 * `rsp demo` (and `npm start`): failover you can watch. Starts a registrar
 * in this process (loopback, announces off), three pingpong pool elements
 * as child processes (`rsp server --service pingpong` with sealed cookies)
 * and a pool user pinging every 100 ms. Every few seconds it kills the PE
 * serving the session with SIGKILL and starts a replacement, then prints
 * how long it took until the next PE answered and whether the pingpong
 * counter continued without a gap. Ends after `--duration` or on Ctrl-C,
 * stopping only the child processes it started.
 *
 * {@link PeFleet}, the child-process management, is also used by the
 * failover benchmark.
 *
 * @module
 */
import { COOKIE_KEY_ENV } from './security-options.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { Registrar } from '../registrar/registrar.js';
import { silentLogger } from '../registrar/logger.js';
import { formatTransportAddress } from '../registrar/options.js';
import type { PingPongReply } from '../services/pingpong-client.js';
import { PINGPONG_PPID, runRsplibPingPong } from '../services/rsplib-pingpong.js';
import { connect } from '../session/enhanced-mode.js';
import type { FailoverEvent } from '../session/failover.js';
import type { PoolSession } from '../session/pool-session.js';
import { parseDuration, parseInteger } from './parse.js';
import { hexPeId } from './server.js';
import { transportFromCli, type TransportCliOptions } from './transport-option.js';
import type { TransportOptions } from '../transport/endpoint-factory.js';
import { addHttpOption, httpAllowedHosts, httpAddress, httpUrl } from './http-option.js';
import type { TransportAddress } from '../transport/types.js';

/** A pool element child process. */
export interface PeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly peId: number;
  /** Set once the process exited. */
  exited: boolean;
}

/** Options of {@link PeFleet}. */
export interface PeFleetOptions {
  /** Registrar, `HOST:PORT`. */
  registrar: string;
  pool: string;
  /** Service to run. Default `'pingpong'`. */
  service?: string;
  /** Shared cookie secret, passed to the PEs in `RSP_COOKIE_KEY`. */
  cookieKey?: string;
  /** Further `rsp server` arguments. */
  extraArgs?: string[];
  /** The command that runs `rsp`: default this installation's `main` with the current Node.js and its flags. */
  command?: readonly string[];
  /** How long a PE may take to register, ms. Default 20000. */
  startTimeout?: number;
}

/** The command line that runs this installation's `rsp` (built `main.js`, or `main.ts` under a TypeScript loader). */
export function rspCommand(): string[] {
  const js = fileURLToPath(new URL('./main.js', import.meta.url));
  const main = existsSync(js) ? js : fileURLToPath(new URL('./main.ts', import.meta.url));
  return [process.execPath, ...process.execArgv, main];
}

/**
 * Pool elements as child processes of this one: started, killed and
 * stopped by PID only. Every child is killed when this process exits, and
 * ends by itself when this process is SIGKILLed (its IPC channel closes).
 */
export class PeFleet {
  private readonly options: PeFleetOptions;
  private readonly command: readonly string[];
  private readonly processes = new Map<number, PeProcess>();
  private readonly children = new Set<ChildProcess>();
  private readonly onExit = (): void => {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };

  constructor(options: PeFleetOptions) {
    this.options = options;
    this.command = options.command ?? rspCommand();
    process.on('exit', this.onExit);
  }

  /** The PEs whose processes are running. */
  get running(): PeProcess[] {
    return [...this.processes.values()].filter((p) => !p.exited);
  }

  /** The PE process with this PE identifier, if started by this fleet. */
  get(peId: number): PeProcess | undefined {
    return this.processes.get(peId);
  }

  /** Starts one PE; resolves once it registered. */
  start(): Promise<PeProcess> {
    const o = this.options;
    const args = [...this.command.slice(1), 'server', '--service', o.service ?? 'pingpong', '--pool', o.pool, '--registrar', o.registrar, '--quiet'];
    args.push(...(o.extraArgs ?? []));
    // The key goes by environment, not on the command line where ps shows it.
    const env = o.cookieKey !== undefined ? { ...process.env, [COOKIE_KEY_ENV]: o.cookieKey } : process.env;
    // The IPC channel is the child's lifeline: it closes when this process dies, even by SIGKILL,
    // and `rsp server` then deregisters and exits (see cli/lifecycle.ts).
    const child = spawn(this.command[0]!, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env });
    child.channel?.unref();
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return new Promise<PeProcess>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => fail(new Error(`PE did not register within ${o.startTimeout ?? 20_000} ms: ${err.trim()}`)), o.startTimeout ?? 20_000);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(e);
      };
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        if (err.length < 4096) err += d;
      });
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        if (out === undefined) return;
        out += d;
        const m = /registered PE 0x([0-9a-f]{8})/.exec(out);
        if (!m) return;
        clearTimeout(timer);
        const pe: PeProcess = { child, pid: child.pid!, peId: parseInt(m[1]!, 16), exited: false };
        child.once('exit', () => (pe.exited = true));
        this.processes.set(pe.peId, pe);
        out = '';
        child.stdout!.resume();
        resolve(pe);
      });
      child.once('error', fail);
      child.once('exit', (code, signal) => fail(new Error(`PE exited before registering (${signal ?? code}): ${err.trim()}`)));
    });
  }

  /** Sends a PE `signal` (default SIGKILL) by PID; returns the time, `performance.now()`. */
  kill(peId: number, signal: NodeJS.Signals = 'SIGKILL'): number | undefined {
    const pe = this.processes.get(peId);
    if (!pe || pe.exited) return undefined;
    const t = performance.now();
    pe.child.kill(signal);
    return t;
  }

  /** Stops every PE: SIGTERM (graceful deregistration), then SIGKILL after `graceMs`. */
  async stopAll(graceMs = 3000): Promise<void> {
    const live = [...this.children].filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(
      live.map(
        (c) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    process.off('exit', this.onExit);
  }
}

/** Parsed options of `rsp demo`. */
interface DemoCliOptions extends TransportCliOptions {
  duration: number;
  interval: number;
  killInterval: number;
  pes: number;
  port: number;
  pool: string;
  verbose: boolean;
  http?: TransportAddress | true;
  httpAllowHost?: string[];
}

/** Registers the `demo` subcommand on `program`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Watch failover: a registrar, pingpong PEs as child processes and a pool user; the serving PE is killed (SIGKILL) every few seconds.')
    .option('--duration <seconds>', 'ping this long (after the PEs started), then stop; 0 = until Ctrl-C', (t) => parseDuration(`${t}s`) / 1000, 30)
    .option('--interval <ms>', 'time between pings', parseDuration, 100)
    .option('--kill-interval <ms>', 'time between kills of the serving PE', parseDuration, 3000)
    .option('--pes <n>', 'pool elements kept running', parseInteger, 3)
    .option('--port <n>', 'ASAP port of the in-process registrar on 127.0.0.1 (0 = ephemeral)', parseInteger, 0)
    .option('--pool <name>', 'pool handle', 'DemoPool')
    .option('--verbose', 'print every reply (default: one per second)', false)
    .configureHelp({ showGlobalOptions: false })
    .action(async (opts: DemoCliOptions) => {
      process.exitCode = await runDemo(opts);
    });
  addHttpOption(program.commands.find((c) => c.name() === 'demo')!, { optionalValue: true });
}

async function runDemo(opts: DemoCliOptions): Promise<number> {
  const start = performance.now();
  const stamp = (): string => `[${((performance.now() - start) / 1000).toFixed(1).padStart(5)} s]`;
  const out = (line: string): void => {
    process.stdout.write(`${stamp()} ${line}\n`);
  };
  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) return;
    out('interrupted, stopping');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let transport: TransportOptions;
  try {
    transport = transportFromCli(opts);
    // RFC 6951 puts every SCTP port of a host behind one UDP port: one process per host.
    if (transport.mode === 'udp-standard') throw new Error('the demo runs its PEs as processes on one host; use --transport udp or raw');
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const registrar = new Registrar({ transport, asap: [`127.0.0.1:${opts.port}`], announce: false, logger: silentLogger, maxBadPeReports: 1, keepAliveInterval: 1000, keepAliveTimeout: 1000 });
  await registrar.start();
  const registrarAddress = formatTransportAddress(registrar.addresses[0]!);
  out(`registrar listening on ${registrarAddress} (announces off)`);
  const { serveRegistrarHttp } = await import('../observe/serve-http.js');
  const listen = httpAddress(opts.http);
  const http = listen ? await serveRegistrarHttp(registrar, { listen, ...httpAllowedHosts(opts) }) : undefined;
  if (http) out(`web view: ${httpUrl(http.address)} (pool, PEs and failovers live; metrics at /metrics)`);
  const cookieKey = randomBytes(24).toString('base64');
  const fleet = new PeFleet({ registrar: registrarAddress, pool: opts.pool, cookieKey, extraArgs: ['--transport', transport.mode ?? 'udp'] });
  let session: PoolSession | undefined;
  let exitCode = 0;
  const failoverTimes: number[] = [];
  let gaps = 0;
  let repeats = 0;
  try {
    const pes = await Promise.all(Array.from({ length: Math.max(1, opts.pes) }, () => fleet.start()));
    for (const pe of pes) out(`started PE ${hexPeId(pe.peId)} (pid ${pe.pid}, service pingpong, sealed cookies)`);
    session = await connect(opts.pool, { transport, ppid: PINGPONG_PPID, registrars: [registrarAddress], replay: 'since-cookie', failoverTimeout: 10_000 });
    session.on('error', () => undefined);
    out(`pool user connected to PE ${hexPeId(session.poolElement?.id)}; pinging every ${opts.interval} ms, killing the serving PE every ${opts.killInterval} ms`);

    let kill: { peId: number; at: number; counter: number } | undefined;
    let failover: FailoverEvent | undefined;
    let lastReplyAt = 0;
    let lastPrinted = 0;
    session.on('failover', (e) => (failover = e));
    session.on('failover', (e) => http?.feed.push('failover', `pool user failed over from PE ${hexPeId(e.from)} to ${hexPeId(e.to)} in ${e.durationMs.toFixed(0)} ms (${e.reason}, ${e.cookieEchoed ? 'cookie echoed' : 'no cookie'})`, { pe: hexPeId(e.to) }));
    const onReply = (r: PingPongReply): void => {
      const now = performance.now();
      lastReplyAt = now;
      if (!r.continued) {
        if (r.counter > r.expected) gaps++;
        else repeats++;
      }
      if (kill && r.pe !== undefined && r.pe !== hexPeId(kill.peId)) {
        const ms = now - kill.at;
        failoverTimes.push(ms);
        const f = failover;
        out(
          `failover ${failoverTimes.length}: PE ${hexPeId(kill.peId)} killed -> pong ${r.counter} from PE ${r.pe} ${ms.toFixed(0)} ms later` +
            (f ? ` (session failover ${f.durationMs.toFixed(0)} ms, ${f.reason}, ${f.cookieEchoed ? 'cookie echoed' : 'no cookie'})` : '') +
            `; counter ${kill.counter} -> ${r.counter}: ${r.continued ? 'continued without a gap' : r.counter > r.expected ? `GAP (expected ${r.expected})` : `REPEAT (expected ${r.expected})`}`,
        );
        kill = undefined;
        failover = undefined;
        lastPrinted = now;
        return;
      }
      if (!r.continued) out(`pong ${r.counter} from PE ${r.pe ?? '?'}: expected ${r.expected}`);
      else if (opts.verbose || now - lastPrinted >= 1000) {
        out(`pong ${r.counter} from PE ${r.pe ?? '?'} (${r.rttMs.toFixed(1)} ms)`);
        lastPrinted = now;
      }
      lastCounter = r.counter;
    };
    let lastCounter = 0;
    const pinging = runRsplibPingPong(session, { interval: opts.interval, signal: stop.signal, onReply, replyTimeout: 1000 });

    const killer = (async () => {
      // The duration counts from the first ping: starting the PE processes can take seconds on a busy host.
      const end = opts.duration > 0 ? performance.now() + opts.duration * 1000 : Infinity;
      while (!stop.signal.aborted && performance.now() < end) {
        await sleepUntil(Math.min(end, performance.now() + opts.killInterval), stop.signal);
        if (stop.signal.aborted || performance.now() >= end - 500) break;
        // Kill only once the previous failover completed and the session is answering.
        if (kill !== undefined || performance.now() - lastReplyAt > 500) continue;
        const serving = session!.poolElement?.id;
        const pe = serving === undefined ? undefined : fleet.get(serving);
        if (!pe || pe.exited) continue;
        kill = { peId: pe.peId, at: fleet.kill(pe.peId)!, counter: lastCounter };
        out(`SIGKILL PE ${hexPeId(pe.peId)} (pid ${pe.pid}), the one serving the session, at counter ${lastCounter}`);
        http?.feed.push('killed', `demo: SIGKILL to PE ${hexPeId(pe.peId)} (pid ${pe.pid}), the one serving the session`, { pe: hexPeId(pe.peId) });
        fleet.start().then(
          (n) => out(`started replacement PE ${hexPeId(n.peId)} (pid ${n.pid})`),
          (err: unknown) => {
            if (!stop.signal.aborted) out(`could not start a replacement PE: ${err instanceof Error ? err.message : String(err)}`);
          },
        );
      }
      stop.abort();
    })();
    const summary = await pinging.catch((err: unknown) => {
      out(`pool user failed: ${err instanceof Error ? err.message : String(err)}`);
      exitCode = 1;
      stop.abort();
      return undefined;
    });
    await killer;
    if (summary) {
      const sorted = [...failoverTimes].sort((a, b) => a - b);
      const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : NaN;
      out(
        `done: ${summary.replies} replies, ${failoverTimes.length} failover${failoverTimes.length === 1 ? '' : 's'}` +
          (sorted.length ? ` (SIGKILL to next reply: median ${median.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms)` : '') +
          `, ${gaps} gaps, ${repeats} repeats in the counter`,
      );
    }
  } catch (err) {
    out(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    exitCode = 1;
  } finally {
    await session?.close().catch(() => undefined);
    await fleet.stopAll();
    await http?.close();
    await registrar.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exitCode;
}

function sleepUntil(t: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const ms = t - performance.now();
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
