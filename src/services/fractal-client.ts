/**
 * The fractal pool user: splits an image into rectangles, computes each in
 * its own session with the pool (Fractal Generator Protocol), and collects
 * the points — with the PE that computed each and every failover on the
 * way. `rsp fractal` shows it in the browser.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { connect } from '../session/enhanced-mode.js';
import type { FailoverEvent } from '../session/failover.js';
import type { PoolSession } from '../session/pool-session.js';
import type { SessionOptions } from '../session/session-options.js';
import { decodeFractalMessage, encodeFractalParameters, FGP_PPID, type FractalParameters } from './fractal.js';

/** A rectangle of the image. */
export interface FractalRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Splits a width×height image into `sessions` rectangles the way the
 * reference pool user does (⌊√T⌋ rows; each row but the last gets as many
 * rectangles as there are rows, the last row the rest), except that the
 * last rectangle of a row and the last row take the rounding remainder,
 * so every pixel belongs to a rectangle.
 */
export function splitImage(width: number, height: number, sessions: number): FractalRect[] {
  const t = Math.max(1, Math.floor(sessions));
  const rows = Math.max(1, Math.floor(Math.sqrt(t)));
  const yStep = Math.round(height / rows);
  const rects: FractalRect[] = [];
  let left = t;
  for (let r = 0; r < rows; r++) {
    const k = r === rows - 1 ? left : Math.min(left, rows);
    left -= k;
    const y = r * yStep;
    const h = r === rows - 1 ? height - y : yStep;
    const xStep = Math.floor(width / k);
    for (let j = 0; j < k; j++) {
      const x = j * xStep;
      rects.push({ x, y, width: j === k - 1 ? width - x : xStep, height: h });
    }
  }
  return rects.filter((r) => r.width > 0 && r.height > 0);
}

/** What to compute: the whole image's parameters (algorithm 1 = Mandelbrot, 2 = MandelbrotN) and the number of sessions. */
export interface FractalImageOptions extends FractalParameters {
  /** Number of sessions (rectangles), 1..512. */
  sessions: number;
}

/** The reference pool user's defaults. */
export const FRACTAL_DEFAULTS: FractalImageOptions = { width: 400, height: 250, maxIterations: 123, algorithm: 1, c1: { re: -1.5, im: 1.5 }, c2: { re: 1.5, im: -1.5 }, n: 2, sessions: 1 };

/**
 * Checks and clamps image options (width 64..8192, height 64..4096,
 * sessions 1..512, iterations 1..1000000).
 *
 * @throws RangeError for values that are not finite numbers
 */
export function checkFractalOptions(o: Partial<FractalImageOptions>): FractalImageOptions {
  const m = { ...FRACTAL_DEFAULTS, ...o };
  const nums = [m.width, m.height, m.maxIterations, m.algorithm, m.sessions, m.n, m.c1.re, m.c1.im, m.c2.re, m.c2.im];
  if (!nums.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new RangeError('fractal options must be finite numbers');
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.round(v)));
  return { ...m, width: clamp(m.width, 64, 8192), height: clamp(m.height, 64, 4096), sessions: clamp(m.sessions, 1, 512), maxIterations: clamp(m.maxIterations, 1, 1_000_000), algorithm: m.algorithm === 2 ? 2 : 1 };
}

/** Parameters of the session computing `rect`. */
export function rectParameters(o: FractalImageOptions, rect: FractalRect): FractalParameters {
  const dr = o.c2.re - o.c1.re;
  const di = o.c2.im - o.c1.im;
  return {
    width: rect.width,
    height: rect.height,
    maxIterations: o.maxIterations,
    algorithm: o.algorithm,
    c1: { re: o.c1.re + (rect.x * dr) / o.width, im: o.c1.im + (rect.y * di) / o.height },
    c2: { re: o.c1.re + ((rect.x + rect.width) * dr) / o.width, im: o.c1.im + ((rect.y + rect.height) * di) / o.height },
    n: o.n,
  };
}

/** Points received: `values` start at image pixel (x, y) and wrap within the rectangle. */
export interface FractalPoints {
  rect: number;
  /** Image coordinates of the first point. */
  x: number;
  y: number;
  values: Uint32Array;
  /** PE that sent them. */
  peId: number;
}

/** A failover of one rectangle's session. */
export interface FractalFailover extends FailoverEvent {
  rect: number;
  /** Image coordinates of the next point expected when it happened. */
  x: number;
  y: number;
}

/** Events of a {@link FractalPoolUser}. */
export interface FractalPoolUserEvents {
  /** A rectangle's session connected to its first PE. */
  start: (rect: number, peId: number) => void;
  points: (p: FractalPoints) => void;
  failover: (f: FractalFailover) => void;
  /** A rectangle is complete. */
  done: (rect: number) => void;
  /** A rectangle failed (no PE left within the failover timeout…). */
  error: (rect: number, error: Error) => void;
}

/** Options of {@link FractalPoolUser}. */
export interface FractalPoolUserOptions {
  /** Pool handle (default `FractalGeneratorPool`). */
  pool?: string;
  /** Options of every session (registrars, failover timeout…). */
  session?: SessionOptions;
  /** Silence after which the serving PE counts as failed and the session fails over, ms (default 5000). */
  receiveTimeout?: number;
}

/** Live state of one rectangle. */
interface RectState {
  rect: FractalRect;
  session: PoolSession | undefined;
  peId: number | undefined;
  since: number;
  /** Next point expected, rectangle coordinates. */
  nextX: number;
  nextY: number;
  done: boolean;
}

/** Computes one image with a pool of fractal PEs. */
export class FractalPoolUser extends EventEmitter<FractalPoolUserEvents> {
  /** The image options in force. */
  readonly image: FractalImageOptions;
  /** The rectangles, one session each. */
  readonly rects: FractalRect[];
  /** Iteration count per pixel (row-major). */
  readonly values: Uint32Array;
  /** PE that computed each pixel (0 = not yet). */
  readonly owners: Uint32Array;
  /** 1 for every pixel received. */
  readonly set: Uint8Array;
  /** Failovers so far. */
  failovers = 0;
  private readonly states: RectState[];
  private readonly options: FractalPoolUserOptions;
  private pixelsSet = 0;

  constructor(image: Partial<FractalImageOptions>, options: FractalPoolUserOptions = {}) {
    super();
    this.image = checkFractalOptions(image);
    this.options = options;
    this.rects = splitImage(this.image.width, this.image.height, this.image.sessions);
    const n = this.image.width * this.image.height;
    this.values = new Uint32Array(n);
    this.owners = new Uint32Array(n);
    this.set = new Uint8Array(n);
    this.states = this.rects.map((rect) => ({ rect, session: undefined, peId: undefined, since: 0, nextX: 0, nextY: 0, done: false }));
  }

  /** Pixels received so far. */
  get progress(): number {
    return this.pixelsSet;
  }

  /** Sessions open now. */
  get sessionCount(): number {
    return this.states.filter((s) => s.session !== undefined && !s.done).length;
  }

  /** The PE serving each rectangle now (undefined when not connected or done). */
  servingPe(rect: number): number | undefined {
    const s = this.states[rect];
    return s && !s.done ? s.peId : undefined;
  }

  /** Live sessions: PE and since when (for status reports). */
  liveSessions(): { peId: number | undefined; since: number; ppid: number }[] {
    return this.states.filter((s) => s.session !== undefined && !s.done).map((s) => ({ peId: s.peId, since: s.since, ppid: FGP_PPID }));
  }

  /** Computes every rectangle concurrently; resolves when all are complete (or rejects with the first failure). */
  async run(signal?: AbortSignal): Promise<void> {
    const results = await Promise.allSettled(this.states.map((_, i) => this.runRect(i, signal)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async runRect(i: number, signal?: AbortSignal): Promise<void> {
    const st = this.states[i]!;
    const params = encodeFractalParameters(rectParameters(this.image, st.rect));
    const session = await connect(this.options.pool ?? 'FractalGeneratorPool', { failoverTimeout: 30_000, ...this.options.session, ppid: FGP_PPID, ...(signal ? { signal } : {}) });
    st.session = session;
    st.peId = session.poolElement?.id;
    st.since = performance.now();
    session.on('error', () => undefined);
    this.emit('start', i, st.peId ?? 0);
    session.on('failover', (e) => {
      this.failovers++;
      st.peId = e.to;
      st.since = performance.now();
      this.emit('failover', { ...e, rect: i, x: st.rect.x + st.nextX, y: st.rect.y + st.nextY });
      // Without a cookie the new PE knows nothing: start the rectangle again there.
      if (!e.cookieEchoed) {
        st.nextX = 0;
        st.nextY = 0;
        session.send(params).catch(() => undefined);
      }
    });
    const timeout = this.options.receiveTimeout ?? 5000;
    try {
      await session.send(params);
      for (;;) {
        const wait = AbortSignal.timeout(timeout);
        let m;
        try {
          m = await session.recv({ signal: signal ? AbortSignal.any([signal, wait]) : wait });
        } catch (err) {
          if (signal?.aborted) throw err;
          if (!wait.aborted) throw err;
          // The PE fell silent: move to another one (the cookie is echoed there).
          await session.forceFailover(signal ? { signal } : {});
          continue;
        }
        if (m === null) throw new Error(`session of rectangle ${i} closed before the image was complete`);
        let msg;
        try {
          msg = decodeFractalMessage(m.data);
        } catch {
          continue; // Not a Data message we understand: ignored, as the reference does.
        }
        if (msg.type === 'end') break;
        if (msg.type !== 'data') continue;
        this.take(i, st, msg.data.startX, msg.data.startY, msg.data.points);
      }
      st.done = true;
      this.emit('done', i);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.emit('error', i, e);
      throw e;
    } finally {
      st.done = true;
      await session.close().catch(() => undefined);
    }
  }

  private take(i: number, st: RectState, startX: number, startY: number, points: Uint32Array): void {
    const r = st.rect;
    if (startX >= r.width || startY >= r.height) return;
    const pe = st.peId ?? 0;
    let x = startX;
    let y = startY;
    const W = this.image.width;
    for (let k = 0; k < points.length; k++) {
      if (y >= r.height) break;
      const p = (r.y + y) * W + r.x + x;
      this.values[p] = points[k]!;
      this.owners[p] = pe;
      if (this.set[p] === 0) {
        this.set[p] = 1;
        this.pixelsSet++;
      }
      if (++x >= r.width) {
        x = 0;
        y++;
      }
    }
    st.nextX = x;
    st.nextY = y;
    this.emit('points', { rect: i, x: r.x + startX, y: r.y + startY, values: points, peId: pe });
  }
}
