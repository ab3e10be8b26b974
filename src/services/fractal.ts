/**
 * The Fractal Generator Protocol (FGP) of the reference implementation's
 * fractal demo, pool-element side, plus its message codec. A pool user
 * sends a Parameter message (image size, region, iterations, algorithm);
 * the PE computes the picture row by row and sends the iteration count of
 * every point in Data messages of at most 324 points, checkpointing its
 * position in an ASAP Cookie, and ends with an end marker. After a failover
 * the pool user echoes the cookie and the new PE resumes where it stood.
 *
 * Wire format (PPID 32, big-endian, `netdouble` = IEEE-754 binary64 BE):
 *
 * - Parameter (Type 1, 60 bytes): Width u32, Height u32, MaxIterations u32
 *   (≤ 1 000 000), AlgorithmID u32 (1 Mandelbrot, 2 MandelbrotN, else a
 *   test pattern), C1Real, C1Imag, C2Real, C2Imag, N (netdouble each);
 * - Data (Type 2, 16 + 4·P bytes, P ≤ 324): StartX u32, StartY u32,
 *   Points u32, then P iteration counts u32; points run row-major from
 *   (StartX, StartY) and wrap to x = 0 of the next row; the end marker is
 *   StartX = StartY = 0xFFFFFFFF with P = 0;
 * - Cookie (76 bytes): `<FG-TD1>`, a copy of the Parameter message whose
 *   Length field is 4, CurrentX u32, CurrentY u32.
 *
 * This PE flushes pending points before every cookie, so a failover loses
 * nothing (the reference may drop the points it had not sent yet).
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { runSession, type Service, type ServiceContext, type ServiceSession } from './service.js';

/** PPID of the Fractal Generator Protocol. */
export const FGP_PPID = 32;
/** Most points in one Data message. */
export const FGP_MAX_POINTS = 324;
/** Size of a Parameter message. */
export const FGP_PARAMETER_SIZE = 60;
/** Size of an FGP cookie. */
export const FGP_COOKIE_SIZE = 76;
const COOKIE_ID = Uint8Array.from(Buffer.from('<FG-TD1>', 'latin1'));
const END = 0xffffffff;

/** FGP algorithms. */
export const FGP_ALGORITHMS = { mandelbrot: 1, mandelbrotN: 2 } as const;

/** The parameters of one rectangle (a Parameter message). */
export interface FractalParameters {
  width: number;
  height: number;
  maxIterations: number;
  /** 1 = Mandelbrot, 2 = MandelbrotN, anything else = test pattern (x·y mod 256). */
  algorithm: number;
  /** Corner mapped to pixel (0,0). */
  c1: { re: number; im: number };
  /** Opposite corner (x = width, y = height; exclusive). */
  c2: { re: number; im: number };
  /** Exponent for MandelbrotN. */
  n: number;
}

/** A Data message. */
export interface FractalData {
  startX: number;
  startY: number;
  /** Iteration counts, row-major from (startX, startY), wrapping at the width. */
  points: Uint32Array;
}

/** A decoded FGP message. */
export type FgpMessage = { type: 'parameter'; parameters: FractalParameters } | { type: 'data'; data: FractalData } | { type: 'end' };

/** Thrown for FGP messages that break the protocol. */
export class FgpError extends Error {
  override readonly name = 'FgpError';
}

/** Encodes a Parameter message (`length` is 60 on the wire, 4 inside a cookie). */
export function encodeFractalParameters(p: FractalParameters, length = FGP_PARAMETER_SIZE): Uint8Array {
  const b = new Uint8Array(FGP_PARAMETER_SIZE);
  const v = new DataView(b.buffer);
  v.setUint8(0, 1);
  v.setUint16(2, length);
  v.setUint32(4, p.width >>> 0);
  v.setUint32(8, p.height >>> 0);
  v.setUint32(12, p.maxIterations >>> 0);
  v.setUint32(16, p.algorithm >>> 0);
  v.setFloat64(20, p.c1.re);
  v.setFloat64(28, p.c1.im);
  v.setFloat64(36, p.c2.re);
  v.setFloat64(44, p.c2.im);
  v.setFloat64(52, p.n);
  return b;
}

/** Checks the limits the reference PE enforces; throws {@link FgpError}. */
function checkParameters(p: FractalParameters): FractalParameters {
  if (p.width > 65536 || p.height > 65536) throw new FgpError(`image ${p.width}×${p.height} is larger than 65536×65536`);
  if (p.maxIterations > 1_000_000) throw new FgpError(`MaxIterations ${p.maxIterations} is above 1000000`);
  return p;
}

function decodeParameters(v: DataView, offset: number): FractalParameters {
  if (v.getUint8(offset) !== 1) throw new FgpError(`FGP message type ${v.getUint8(offset)} is not a Parameter message`);
  return checkParameters({
    width: v.getUint32(offset + 4),
    height: v.getUint32(offset + 8),
    maxIterations: v.getUint32(offset + 12),
    algorithm: v.getUint32(offset + 16),
    c1: { re: v.getFloat64(offset + 20), im: v.getFloat64(offset + 28) },
    c2: { re: v.getFloat64(offset + 36), im: v.getFloat64(offset + 44) },
    n: v.getFloat64(offset + 52),
  });
}

/** Encodes a Data message (at most {@link FGP_MAX_POINTS} points). */
export function encodeFractalData(startX: number, startY: number, points: ArrayLike<number>): Uint8Array {
  if (points.length > FGP_MAX_POINTS) throw new RangeError(`at most ${FGP_MAX_POINTS} points per Data message`);
  const b = new Uint8Array(16 + 4 * points.length);
  const v = new DataView(b.buffer);
  v.setUint8(0, 2);
  v.setUint16(2, b.length);
  v.setUint32(4, startX >>> 0);
  v.setUint32(8, startY >>> 0);
  v.setUint32(12, points.length);
  for (let i = 0; i < points.length; i++) v.setUint32(16 + 4 * i, points[i]! >>> 0);
  return b;
}

/** The end marker (a Data message with StartX = StartY = 0xFFFFFFFF and no points). */
export function encodeFractalEnd(): Uint8Array {
  return encodeFractalData(END, END, []);
}

/**
 * Decodes an FGP message with the pool user's checks for Data (size,
 * at most 324 points).
 *
 * @throws FgpError for anything malformed
 */
export function decodeFractalMessage(bytes: Uint8Array): FgpMessage {
  if (bytes.length < 4) throw new FgpError(`FGP message of ${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = v.getUint8(0);
  if (type === 1) {
    if (bytes.length < FGP_PARAMETER_SIZE) throw new FgpError(`Parameter message of ${bytes.length} bytes (60 expected)`);
    return { type: 'parameter', parameters: decodeParameters(v, 0) };
  }
  if (type === 2) {
    if (bytes.length < 16) throw new FgpError(`Data message of ${bytes.length} bytes`);
    const startX = v.getUint32(4);
    const startY = v.getUint32(8);
    const n = v.getUint32(12);
    if (n > FGP_MAX_POINTS) throw new FgpError(`Data message with ${n} points (at most ${FGP_MAX_POINTS})`);
    if (bytes.length < 16 + 4 * n) throw new FgpError(`Data message of ${bytes.length} bytes for ${n} points`);
    if (n === 0 && startX === END && startY === END) return { type: 'end' };
    const points = new Uint32Array(n);
    for (let i = 0; i < n; i++) points[i] = v.getUint32(16 + 4 * i);
    return { type: 'data', data: { startX, startY, points } };
  }
  throw new FgpError(`unknown FGP message type ${type}`);
}

/** The state an FGP cookie carries. */
export interface FractalCookie {
  parameters: FractalParameters;
  x: number;
  y: number;
}

/** Encodes an FGP cookie (76 bytes; the embedded Parameter's Length is 4, as the reference writes it). */
export function encodeFractalCookie(c: FractalCookie): Uint8Array {
  const b = new Uint8Array(FGP_COOKIE_SIZE);
  b.set(COOKIE_ID, 0);
  b.set(encodeFractalParameters(c.parameters, 4), 8);
  const v = new DataView(b.buffer);
  v.setUint32(68, c.x >>> 0);
  v.setUint32(72, c.y >>> 0);
  return b;
}

/**
 * Decodes an FGP cookie: exactly 76 bytes, the `<FG-TD1>` id, a valid
 * embedded Parameter (its Length is ignored) and a position inside the image.
 *
 * @throws FgpError otherwise
 */
export function decodeFractalCookie(bytes: Uint8Array): FractalCookie {
  if (bytes.length !== FGP_COOKIE_SIZE) throw new FgpError(`FGP cookie of ${bytes.length} bytes (76 expected)`);
  for (let i = 0; i < COOKIE_ID.length; i++) if (bytes[i] !== COOKIE_ID[i]) throw new FgpError('not an FGP cookie');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parameters = decodeParameters(v, 8);
  const x = v.getUint32(68);
  const y = v.getUint32(72);
  if (y > parameters.height || (y < parameters.height && x >= Math.max(1, parameters.width))) throw new FgpError(`cookie position (${x}, ${y}) outside the ${parameters.width}×${parameters.height} image`);
  return { parameters, x, y };
}

/**
 * The iteration count of point (x, y) of the rectangle: z₀ = 0,
 * z ← z² − c (Mandelbrot) or z ← z^N − c (MandelbrotN), until |z|² ≥ 2 or
 * MaxIterations; any other algorithm gives the test pattern x·y mod 256.
 */
export function fractalPoint(p: FractalParameters, x: number, y: number): number {
  if (p.algorithm !== 1 && p.algorithm !== 2) return (x * y) % 256;
  const cr = p.c1.re + (x * (p.c2.re - p.c1.re)) / p.width;
  const ci = p.c1.im + (y * (p.c2.im - p.c1.im)) / p.height;
  let zr = 0;
  let zi = 0;
  let i = 0;
  if (p.algorithm === 1) {
    for (; i < p.maxIterations; i++) {
      const nr = zr * zr - zi * zi - cr;
      zi = 2 * zr * zi - ci;
      zr = nr;
      if (zr * zr + zi * zi >= 2) break;
    }
    return i;
  }
  for (; i < p.maxIterations; i++) {
    const r = Math.hypot(zr, zi);
    if (r === 0) {
      zr = -cr;
      zi = -ci;
    } else {
      const rn = Math.pow(r, p.n);
      const t = Math.atan2(zi, zr) * p.n;
      zr = rn * Math.cos(t) - cr;
      zi = rn * Math.sin(t) - ci;
    }
    if (zr * zr + zi * zi >= 2) break;
  }
  return i;
}

/** Options of {@link createFractalService}. */
export interface FractalServiceOptions {
  /** Points computed per second per session, 0 = as fast as possible (default 0). For demos, to watch failovers. */
  pointsPerSecond?: number;
  /** Longest time between cookies, ms (default 1000). */
  cookieMaxTime?: number;
  /** Most Data messages between cookies (default 10). */
  cookieMaxPackets?: number;
  /** Longest time pending points wait before they are sent, ms (default 1000). */
  dataMaxTime?: number;
  /**
   * Most work one Parameter message may ask for, as width × height ×
   * MaxIterations (default 1e10, a few minutes of one core at worst). A
   * larger request ends the session (logged), so one pool user cannot
   * occupy a PE for hours; `Infinity` lifts the cap.
   */
  maxWork?: number;
}

/** Default of {@link FractalServiceOptions.maxWork}. */
export const FRACTAL_DEFAULT_MAX_WORK = 1e10;

/**
 * Mandelbrot iterations computed between two turns of the event loop: a
 * session with a deep region must not keep the PE's other sessions, its
 * keep-alive answers and its registrar traffic waiting (one batch of 324
 * points at 1,000,000 iterations each would be about a second).
 */
const ITERATIONS_PER_TURN = 2_000_000;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Creates a fractal PE service (see the module description). */
export function createFractalService(options: FractalServiceOptions = {}): Service {
  const rate = options.pointsPerSecond ?? 0;
  const cookieMaxTime = options.cookieMaxTime ?? 1000;
  const cookieMaxPackets = options.cookieMaxPackets ?? 10;
  const dataMaxTime = options.dataMaxTime ?? 1000;
  const maxWork = options.maxWork ?? FRACTAL_DEFAULT_MAX_WORK;
  if (!(maxWork > 0)) throw new InvalidArgumentError(`maxWork must be a positive number, got ${String(options.maxWork)}`);

  /** Computes a rectangle from (x, y) on; resolves when the end marker went out. */
  async function compute(session: ServiceSession, p: FractalParameters, x0: number, y0: number, signal: AbortSignal): Promise<void> {
    const work = p.width * p.height * p.maxIterations;
    if (work > maxWork) throw new FgpError(`${p.width}×${p.height} points at ${p.maxIterations} iterations is more work than this PE accepts (${work.toExponential(2)} > ${maxWork.toExponential(2)})`);
    const send = (b: Uint8Array): Promise<void> => session.send(b, { ppid: FGP_PPID, signal });
    let pending: number[] = [];
    let pendingX = x0;
    let pendingY = y0;
    let packets = 0;
    let lastCookie = performance.now();
    let lastData = lastCookie;
    const started = lastCookie;
    let computed = 0;
    let iterations = 0;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const points = pending;
      pending = [];
      await send(encodeFractalData(pendingX, pendingY, points));
      packets++;
      lastData = performance.now();
    };
    const cookie = async (x: number, y: number): Promise<void> => {
      await flush();
      await session.sendCookie(encodeFractalCookie({ parameters: p, x, y }), { signal });
      packets = 0;
      lastCookie = performance.now();
    };
    await cookie(x0, y0);
    let x = x0;
    for (let y = y0; y < p.height; y++, x = 0) {
      for (; x < p.width; x++) {
        if (pending.length === 0) {
          pendingX = x;
          pendingY = y;
        }
        const value = fractalPoint(p, x, y);
        pending.push(value);
        computed++;
        iterations += value + 1;
        if (iterations >= ITERATIONS_PER_TURN) {
          iterations = 0;
          await nextTurn();
          if (signal.aborted) return;
        }
        if (pending.length === FGP_MAX_POINTS || (pending.length % 32 === 0 && performance.now() - lastData >= dataMaxTime)) {
          await flush();
          if (signal.aborted) return;
          const now = performance.now();
          if (packets >= cookieMaxPackets || now - lastCookie >= cookieMaxTime) {
            // The next point to compute is where a new PE resumes.
            const nx = x + 1 < p.width ? x + 1 : 0;
            await cookie(nx, nx === 0 ? y + 1 : y);
          }
          if (rate > 0) {
            const due = started + (computed / rate) * 1000;
            const wait = due - performance.now();
            if (wait > 0) await sleep(wait, signal);
          }
          if (signal.aborted) return;
        }
      }
    }
    await flush();
    await send(encodeFractalEnd());
  }

  return {
    name: 'fractal',
    description: 'Fractal Generator Protocol (the reference\'s fractal demo): computes a picture, checkpoints its position in cookies',
    handle(session: ServiceSession, context: ServiceContext = {}): Promise<void> {
      let resume: FractalCookie | undefined;
      if (session.cookie !== undefined) {
        try {
          resume = decodeFractalCookie(session.cookie);
          context.log?.(`fractal session resumed at (${resume.x}, ${resume.y}) of ${resume.parameters.width}×${resume.parameters.height}`);
        } catch (err) {
          context.log?.(`echoed cookie refused: ${err instanceof Error ? err.message : String(err)}`);
          return session.close().catch(() => undefined);
        }
      }
      return runSession(session, context, async (signal) => {
        if (resume !== undefined) await compute(session, resume.parameters, resume.x, resume.y, signal);
        for (let m = await session.recv({ signal }); m !== null; m = await session.recv({ signal })) {
          const msg = decodeFractalMessage(m.data);
          if (msg.type !== 'parameter') throw new FgpError(`unexpected ${msg.type} message from the pool user`);
          await compute(session, msg.parameters, 0, 0, signal);
        }
      }).catch((err: unknown) => {
        // A protocol violation ends the session (the reference aborts the association).
        if (err instanceof FgpError) context.log?.(`fractal session closed: ${err.message}`);
        else throw err;
      });
    },
  };
}

/** The fractal service with default settings (`rsp server --service fractal`). */
export const fractalService: Service = createFractalService();
