/**
 * `rsp fractal`: the fractal pool user. Splits an image into sessions with
 * the pool's fractal PEs (`rsp server --service fractal`, or the reference's
 * `rspserver -fractal`) and, with `--http`, shows it in the browser: the
 * picture fills in as the points arrive, each PE's points in its own tint,
 * failovers marked where they happened. With `--demo N` it also runs a
 * registrar and N fractal PEs itself, and the page gets a button per region
 * that kills (SIGKILL) the PE serving it.
 *
 * Also here: `--fractal-rate` of `rsp server` (slow PEs for demos).
 *
 * @module
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { Registrar } from '../registrar/registrar.js';
import { silentLogger } from '../registrar/logger.js';
import { formatTransportAddress } from '../registrar/options.js';
import { checkFractalOptions, FractalPoolUser, FRACTAL_DEFAULTS, type FractalImageOptions } from '../services/fractal-client.js';
import { createFractalService } from '../services/fractal.js';
import type { Service } from '../services/service.js';
import { EventFeed } from '../observe/feed.js';
import { startHttpServer, type HttpServerHandle } from '../observe/http-server.js';
import { createMetricsRegistry, poolUserMetrics } from '../observe/metrics.js';
import { cspComponentId } from '../observe/csp.js';
import { poolUserCspStatus } from '../observe/csp-status.js';
import type { TransportAddress } from '../transport/types.js';
import { addCspOptions, startCspFromCli, type CspCliOptions } from './csp-option.js';
import { PeFleet } from './demo.js';
import { addHttpOption, httpAllowedHosts, httpAddress, httpUrl } from './http-option.js';
import { parseDuration, parseInteger, parsePositiveNumber } from './parse.js';
import { collectRegistrar, formatId as hexPeId, REGISTRAR_HELP } from './common.js';

/** Adds `--fractal-rate` and `--fractal-max-work` to `rsp server`. */
export function addFractalServerOption(cmd: Command): void {
  cmd.option('--fractal-rate <n>', 'fractal service: points computed per second per session (0 = as fast as possible; slow PEs let you watch failovers)', parseInteger, 0);
  cmd.option('--fractal-max-work <n>', 'fractal service: most work one request may ask for, width × height × iterations; larger requests end the session (default: 1e10)', parsePositiveNumber);
}

/** The service `rsp server` runs: the fractal service gets `--fractal-rate`. */
export function fractalServiceFromCli(opts: { fractalRate?: number; fractalMaxWork?: number }): Service {
  return createFractalService({ pointsPerSecond: opts.fractalRate ?? 0, ...(opts.fractalMaxWork !== undefined ? { maxWork: opts.fractalMaxWork } : {}) });
}

function parseNumber(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`"${text}" is not a number.`);
  return v;
}

function parseRegion(text: string): [number, number, number, number] {
  const parts = text.split(',').map((t) => Number(t));
  if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v))) throw new InvalidArgumentError(`"${text}" is not a region RE1,IM1,RE2,IM2.`);
  return parts as [number, number, number, number];
}

/** Parsed options of `rsp fractal`. */
interface FractalCliOptions extends CspCliOptions {
  pool: string;
  registrar?: string[];
  http?: TransportAddress | true;
  httpAllowHost?: string[];
  width: number;
  height: number;
  iterations: number;
  sessions: number;
  algorithm: 'mandelbrot' | 'mandelbrot-n';
  n: number;
  region: [number, number, number, number];
  images?: number;
  pause: number;
  demo?: number;
  peRate: number;
  timeout: number;
}

/** Registers the `fractal` subcommand on `program`. */
export function registerFractalCommand(program: Command): void {
  const d = FRACTAL_DEFAULTS;
  const cmd = program
    .command('fractal')
    .description('Fractal pool user: computes a picture with the pool\'s fractal PEs, one session per region; watch it in the browser with the HTTP option.')
    .option('--pool <name>', 'pool handle', 'FractalGeneratorPool')
    .option('--registrar <host:port>', REGISTRAR_HELP, collectRegistrar)
    .option('--width <px>', 'image width, 64..8192', parseInteger, d.width)
    .option('--height <px>', 'image height, 64..4096', parseInteger, d.height)
    .option('--iterations <n>', 'maximum iterations per point', parseInteger, d.maxIterations)
    .option('--sessions <n>', 'sessions (regions computed in parallel), 1..512', parseInteger, 4)
    .option('--algorithm <name>', 'mandelbrot or mandelbrot-n', (t) => {
      if (t !== 'mandelbrot' && t !== 'mandelbrot-n') throw new InvalidArgumentError('must be mandelbrot or mandelbrot-n.');
      return t;
    }, 'mandelbrot')
    .option('--n <exponent>', 'exponent of mandelbrot-n', parseNumber, d.n)
    .addOption(new Option('--region <re1,im1,re2,im2>', 'corners of the complex plane shown').argParser(parseRegion).default([d.c1.re, d.c1.im, d.c2.re, d.c2.im], `${d.c1.re},${d.c1.im},${d.c2.re},${d.c2.im}`))
    .option('--images <n>', 'images to compute, 0 = until Ctrl-C (default: 1; 0 when serving the page)', parseInteger)
    .option('--pause <ms>', 'pause between images', parseDuration, 5000)
    .option('--timeout <ms>', 'silence after which a PE counts as failed and its session fails over', parseDuration, 5000)
    .option('--demo <pes>', 'demo mode: run a registrar and this many fractal PEs as child processes; the page can kill them (default: off, use the pool\'s PEs)', parseInteger)
    .option('--pe-rate <points/s>', 'demo mode: points per second per session of the PEs started', parseInteger, 4000)
    .configureHelp({ showGlobalOptions: false });
  addHttpOption(cmd, { optionalValue: true });
  addCspOptions(cmd);
  cmd.action(async (opts: FractalCliOptions) => {
    process.exitCode = await runFractal(opts);
  });
}

function imageFrom(opts: FractalCliOptions): FractalImageOptions {
  const [r1, i1, r2, i2] = opts.region;
  return checkFractalOptions({ width: opts.width, height: opts.height, maxIterations: opts.iterations, sessions: opts.sessions, algorithm: opts.algorithm === 'mandelbrot-n' ? 2 : 1, n: opts.n, c1: { re: r1, im: i1 }, c2: { re: r2, im: i2 } });
}

async function runFractal(opts: FractalCliOptions): Promise<number> {
  const listen = httpAddress(opts.http);
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let image = imageFrom(opts);
  const stop = new AbortController();
  let current: { user: FractalPoolUser; abort: AbortController; number: number } | undefined;
  let restartWith: FractalImageOptions | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    current?.abort.abort();
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let registrar: Registrar | undefined;
  let fleet: PeFleet | undefined;
  let registrars = opts.registrar;
  let http: HttpServerHandle | undefined;
  const feed = new EventFeed();
  feed.on('event', (e) => out(`${e.kind}: ${e.text}`));
  let failovers = 0;
  let imagesDone = 0;
  const csp = startCspFromCli(opts, cspComponentId('pu', Math.floor(Math.random() * 0xffffffff)), () =>
    poolUserCspStatus(current?.user.liveSessions() ?? [], current ? `Fractal image ${current.number}: ${Math.round((100 * current.user.progress) / (image.width * image.height))} %` : undefined),
  );
  try {
    if (opts.demo !== undefined) {
      registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, logger: silentLogger, maxBadPeReports: 1, keepAliveInterval: 1000, keepAliveTimeout: 1000 });
      await registrar.start();
      const address = formatTransportAddress(registrar.addresses[0]!);
      registrars = [address];
      out(`demo: registrar on ${address}`);
      // The demo's PEs report to the same CSP monitor as the pool user.
      const cspArgs = opts.csp ? ['--csp', formatTransportAddress(opts.csp), '--csp-interval', String(opts.cspInterval)] : [];
      fleet = new PeFleet({ registrar: address, pool: opts.pool, service: 'fractal', extraArgs: ['--fractal-rate', String(opts.peRate), ...cspArgs] });
      const pes = await Promise.all(Array.from({ length: Math.max(1, opts.demo) }, () => fleet!.start()));
      for (const pe of pes) out(`demo: started fractal PE ${hexPeId(pe.peId)} (pid ${pe.pid}, ${opts.peRate} points/s per session)`);
    }
    const state = (): unknown => ({
      role: 'fractal',
      image,
      number: current?.number ?? 0,
      running: current !== undefined,
      progress: current?.user.progress ?? 0,
      complete: current !== undefined && current.user.progress === image.width * image.height,
      rects: (current?.user.rects ?? []).map((r, i) => ({ ...r, pe: current!.user.servingPe(i) === undefined ? null : hexPeId(current!.user.servingPe(i)) })),
      failovers,
      imagesDone,
      demo: fleet !== undefined,
      pes: fleet ? fleet.running.map((p) => ({ id: hexPeId(p.peId), pid: p.pid })) : [],
    });
    if (listen !== undefined) {
      const registry = createMetricsRegistry();
      poolUserMetrics({ get sessions() { return current?.user.sessionCount ?? 0; }, get failovers() { return failovers; } }, registry);
      http = await startHttpServer({
        listen,
        ...httpAllowedHosts(opts),
        page: 'fractal.html',
        metrics: registry,
        feed,
        state,
        routes: {
          'GET /api/fractal': () => state(),
          'GET /api/image': () => (current ? { width: image.width, height: image.height, values: Array.from(current.user.values), owners: Array.from(current.user.owners, (o) => (o === 0 ? null : hexPeId(o))) } : { width: image.width, height: image.height, values: [], owners: [] }),
          'POST /api/start': (_req, res, body) => {
            let next: FractalImageOptions;
            try {
              const o = JSON.parse(body || '{}') as Partial<FractalImageOptions>;
              next = checkFractalOptions({ ...image, ...o });
            } catch (err) {
              res.writeHead(400, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
              return undefined;
            }
            restartWith = next;
            current?.abort.abort();
            wake?.();
            return { ok: true, image: next };
          },
          'POST /api/kill': (_req, res, body) => {
            const fail = (status: number, error: string): undefined => {
              res.writeHead(status, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ error }));
              return undefined;
            };
            if (fleet === undefined) return fail(409, 'killing PEs needs demo mode (--demo): this process did not start them');
            let rect: unknown;
            try {
              rect = (JSON.parse(body || '{}') as { rect?: unknown }).rect;
            } catch {
              return fail(400, 'body must be JSON {"rect": N}');
            }
            const peId = typeof rect === 'number' ? current?.user.servingPe(rect) : undefined;
            if (peId === undefined) return fail(404, `no PE serves region ${String(rect)} now`);
            const pe = fleet.get(peId);
            if (pe === undefined || pe.exited) return fail(404, `PE ${hexPeId(peId)} is not running`);
            fleet.kill(peId);
            feed.push('killed', `SIGKILL to PE ${hexPeId(peId)} (pid ${pe.pid}), serving region ${String(rect)}`, { pe: hexPeId(peId) });
            fleet.start().then(
              (n) => feed.push('started', `replacement PE ${hexPeId(n.peId)} (pid ${n.pid}) registered`, { pe: hexPeId(n.peId) }),
              (err: unknown) => feed.push('error', `could not start a replacement PE: ${err instanceof Error ? err.message : String(err)}`),
            );
            return { ok: true, pe: hexPeId(peId) };
          },
        },
      });
      out(`http ${httpUrl(http.address)}`);
    }
    const images = opts.images ?? (opts.http !== undefined ? 0 : 1);
    for (let n = 1; (images === 0 || n <= images) && !stop.signal.aborted; n++) {
      if (restartWith) {
        image = restartWith;
        restartWith = undefined;
      }
      const user = new FractalPoolUser(image, { pool: opts.pool, receiveTimeout: opts.timeout, session: { ...(registrars ? { registrars } : {}) } });
      const abort = new AbortController();
      current = { user, abort, number: n };
      const t0 = performance.now();
      http?.broadcast('image', { number: n, image, rects: user.rects });
      feed.push('image', `image ${n}: ${image.width}×${image.height}, ${user.rects.length} session(s), ${image.maxIterations} iterations`);
      user.on('start', (i, pe) => feed.push('session', `region ${i} served by PE ${hexPeId(pe)}`, { pe: hexPeId(pe) }));
      user.on('points', (p) => http?.broadcast('points', { n, rect: p.rect, x: p.x, y: p.y, values: Array.from(p.values), pe: hexPeId(p.peId) }));
      user.on('failover', (f) => {
        failovers++;
        http?.broadcast('failover', { n, rect: f.rect, x: f.x, y: f.y, from: hexPeId(f.from), to: hexPeId(f.to), reason: f.reason, cookieEchoed: f.cookieEchoed });
        feed.push('failover', `region ${f.rect}: PE ${hexPeId(f.from)} -> ${hexPeId(f.to)} at (${f.x}, ${f.y}) (${f.reason}, ${f.cookieEchoed ? 'resumed from cookie' : 'restarted'}, ${f.durationMs.toFixed(0)} ms)`, { pe: hexPeId(f.to) });
      });
      user.on('done', (i) => http?.broadcast('region-done', { n, rect: i }));
      try {
        await user.run(AbortSignal.any([stop.signal, abort.signal]));
        imagesDone++;
        const ms = performance.now() - t0;
        feed.push('complete', `image ${n} complete: ${user.progress} of ${image.width * image.height} points in ${(ms / 1000).toFixed(1)} s, ${user.failovers} failover(s)`);
        http?.broadcast('complete', { n });
      } catch (err) {
        if (abort.signal.aborted || stop.signal.aborted) {
          if (restartWith) feed.push('image', `image ${n} abandoned: new parameters`);
          continue;
        }
        feed.push('error', `image ${n} failed: ${err instanceof Error ? err.message : String(err)}`);
        if (opts.http === undefined) return 1;
      }
      if ((images === 0 || n < images) && !stop.signal.aborted && !restartWith) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, opts.pause);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    }
    return 0;
  } catch (err) {
    process.stderr.write(`rsp fractal: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    current?.abort.abort();
    await csp?.close();
    await http?.close();
    await fleet?.stopAll();
    await registrar?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
