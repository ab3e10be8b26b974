/**
 * CalcApp, the workload of the RSerPool performance studies, as the
 * reference implementation (RSPLIB) speaks it on the wire; Wireshark's
 * `calcappprotocol` dissector decodes it.
 *
 * Every message (PPID 34, stream 0) is 24 bytes, big-endian: Type (u8),
 * Flags (u8, 0), Length (u16, 24), JobID (u32), JobSize (u64), Completed
 * (u64). Types: 1 Request (PU → PE, JobSize set), 2 Accept, 3 Reject,
 * 5 Complete (both sizes = JobSize), 6 Keep-Alive and 7 Keep-Alive Ack (both
 * ways); 4 Abort is defined but never sent.
 *
 * The PE serves jobs with processor sharing: its capacity C (calculations per
 * second) is split evenly between the J active jobs. A Request (or a Cookie
 * Echo) is accepted while fewer than `maxJobs` jobs run, else rejected; the
 * load is jobs / maxJobs. For every job the PE sends a 20-byte cookie
 * (JobID u32, JobSize u64, Completed u64) after at most `cookieMaxTime` or
 * `cookieMaxCalculations`, whichever comes first, and a Keep-Alive one
 * `keepAliveInterval` after the job started and after each Ack; a job whose
 * Ack does not arrive within `keepAliveTimeout` is dropped without a message.
 * A pool user that fails over echoes the job's latest cookie and the new PE
 * continues the job from its Completed count.
 *
 * Source of these facts: the reference's protocol as described in
 * docs/INTEROP.md (test/fixtures/rsplib-services.md).
 *
 * @module
 */
import { AbortError, InvalidArgumentError } from '../errors.js';
import { runSession, type Service, type ServiceContext, type ServiceSession } from './service.js';

/** PPID of the CalcApp protocol (IANA; Wireshark `calcappprotocol`). */
export const CALCAPP_PPID = 34;
/** Length of every CalcApp message. */
export const CALCAPP_MESSAGE_LENGTH = 24;
/** Length of a CalcApp cookie. */
export const CALCAPP_COOKIE_LENGTH = 20;

/** CalcApp message types. */
export const CalcAppType = {
  Request: 1,
  Accept: 2,
  Reject: 3,
  Abort: 4,
  Complete: 5,
  KeepAlive: 6,
  KeepAliveAck: 7,
} as const;

/** One CalcApp message. */
export interface CalcAppMessage {
  type: number;
  jobId: number;
  jobSize: bigint;
  completed: bigint;
}

/** The state of a job in a CalcApp cookie. */
export interface CalcAppCookie {
  jobId: number;
  jobSize: bigint;
  completed: bigint;
}

/** Encodes a CalcApp message (24 bytes). */
export function encodeCalcApp(m: CalcAppMessage): Uint8Array {
  const out = new Uint8Array(CALCAPP_MESSAGE_LENGTH);
  const view = new DataView(out.buffer);
  out[0] = m.type;
  view.setUint16(2, CALCAPP_MESSAGE_LENGTH);
  view.setUint32(4, m.jobId >>> 0);
  view.setBigUint64(8, BigInt.asUintN(64, m.jobSize));
  view.setBigUint64(16, BigInt.asUintN(64, m.completed));
  return out;
}

/** Decodes a CalcApp message; undefined when shorter than 24 bytes (receivers ignore those). */
export function decodeCalcApp(data: Uint8Array): CalcAppMessage | undefined {
  if (data.length < CALCAPP_MESSAGE_LENGTH) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { type: data[0]!, jobId: view.getUint32(4), jobSize: view.getBigUint64(8), completed: view.getBigUint64(16) };
}

/** Encodes a job's cookie (20 bytes). */
export function encodeCalcAppCookie(c: CalcAppCookie): Uint8Array {
  const out = new Uint8Array(CALCAPP_COOKIE_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint32(0, c.jobId >>> 0);
  view.setBigUint64(4, BigInt.asUintN(64, c.jobSize));
  view.setBigUint64(12, BigInt.asUintN(64, c.completed));
  return out;
}

/** Decodes a job's cookie; undefined when shorter than 20 bytes or Completed > JobSize. */
export function decodeCalcAppCookie(cookie: Uint8Array): CalcAppCookie | undefined {
  if (cookie.length < CALCAPP_COOKIE_LENGTH) return undefined;
  const view = new DataView(cookie.buffer, cookie.byteOffset, cookie.byteLength);
  const c = { jobId: view.getUint32(0), jobSize: view.getBigUint64(4), completed: view.getBigUint64(12) };
  return c.completed > c.jobSize ? undefined : c;
}

/** Options of a CalcApp PE ({@link createCalcAppService}); defaults as the reference. */
export interface CalcAppServiceOptions {
  /** Calculations per second shared by the active jobs. Default 1,000,000. */
  capacity?: number;
  /** Most jobs at a time (across sessions). Default 10. */
  maxJobs?: number;
  /** Keep-alive interval, ms (≥ 100). Default 2500. */
  keepAliveInterval?: number;
  /** Time for the Keep-Alive Ack, ms (≥ 100). Default 2500. */
  keepAliveTimeout?: number;
  /** Longest time between two cookies of a job, ms (≥ 100). Default 5000. */
  cookieMaxTime?: number;
  /** Most calculations between two cookies of a job. Default 5,000,000. */
  cookieMaxCalculations?: number;
  /** Called with jobs / maxJobs whenever the number of jobs changes. */
  onLoad?: (load: number) => void;
}

interface Job {
  session: ServiceSession;
  id: number;
  size: number;
  completed: number;
  completedAtCookie: number;
  lastCookie: number;
  completion?: NodeJS.Timeout;
  cookieTimer?: NodeJS.Timeout;
  keepAliveTimer?: NodeJS.Timeout;
  awaitingAck: boolean;
  signal: AbortSignal;
}

function bounded(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw new InvalidArgumentError(`Invalid CalcApp ${name}: ${String(value)} (at least ${min})`);
  return value;
}

/**
 * A CalcApp PE service (one job table for every session it serves).
 *
 * @throws InvalidArgumentError for options out of range
 */
export function createCalcAppService(options: CalcAppServiceOptions = {}): Service & { readonly jobCount: number; readonly load: number } {
  const capacity = bounded(options.capacity, 'capacity', 1_000_000, 1);
  const maxJobs = Math.floor(bounded(options.maxJobs, 'maxJobs', 10, 1));
  const keepAliveInterval = bounded(options.keepAliveInterval, 'keepAliveInterval', 2500, 100);
  const keepAliveTimeout = bounded(options.keepAliveTimeout, 'keepAliveTimeout', 2500, 100);
  const cookieMaxTime = bounded(options.cookieMaxTime, 'cookieMaxTime', 5000, 100);
  const cookieMaxCalculations = bounded(options.cookieMaxCalculations, 'cookieMaxCalculations', 5_000_000, 1);
  const jobs = new Set<Job>();
  let lastUpdate = performance.now();

  const rate = (): number => capacity / Math.max(1, jobs.size); // calculations per ms × 1000
  /** Brings every job's progress up to now (processor sharing). */
  const advance = (): void => {
    const now = performance.now();
    const perMs = rate() / 1000;
    for (const job of jobs) job.completed = Math.min(job.size, job.completed + (now - lastUpdate) * perMs);
    lastUpdate = now;
  };
  const send = (job: Job, type: number, jobSize = 0n, completed = 0n): Promise<void> =>
    job.session.send(encodeCalcApp({ type, jobId: job.id, jobSize, completed }), { ppid: CALCAPP_PPID, signal: job.signal });
  const report = (): void => options.onLoad?.(jobs.size / maxJobs);

  const stopTimers = (job: Job): void => {
    clearTimeout(job.completion);
    clearTimeout(job.cookieTimer);
    clearTimeout(job.keepAliveTimer);
  };
  const remove = (job: Job): void => {
    if (!jobs.has(job)) return;
    advance();
    jobs.delete(job);
    stopTimers(job);
    reschedule();
    report();
  };
  /** Completion and cookie timers of every job, for the current number of jobs. */
  const reschedule = (): void => {
    const perMs = rate() / 1000;
    const now = performance.now();
    for (const job of jobs) {
      clearTimeout(job.completion);
      job.completion = setTimeout(() => complete(job), Math.ceil((job.size - job.completed) / perMs));
      clearTimeout(job.cookieTimer);
      const byCalculations = Math.max(0, cookieMaxCalculations - (job.completed - job.completedAtCookie)) / perMs;
      const byTime = Math.max(0, cookieMaxTime - (now - job.lastCookie));
      job.cookieTimer = setTimeout(() => sendJobCookie(job), Math.round(Math.min(byCalculations, byTime)));
    }
  };
  const complete = (job: Job): void => {
    if (!jobs.has(job)) return;
    const size = BigInt(Math.round(job.size));
    remove(job);
    send(job, CalcAppType.Complete, size, size).catch(() => undefined);
  };
  const sendJobCookie = (job: Job): void => {
    if (!jobs.has(job)) return;
    advance();
    job.completedAtCookie = job.completed;
    job.lastCookie = performance.now();
    job.session
      .sendCookie(encodeCalcAppCookie({ jobId: job.id, jobSize: BigInt(Math.round(job.size)), completed: BigInt(Math.round(job.completed)) }), { signal: job.signal })
      .catch(() => remove(job));
    reschedule();
  };
  const armKeepAlive = (job: Job): void => {
    clearTimeout(job.keepAliveTimer);
    job.awaitingAck = false;
    job.keepAliveTimer = setTimeout(() => {
      if (!jobs.has(job)) return;
      job.awaitingAck = true;
      send(job, CalcAppType.KeepAlive).catch(() => remove(job));
      // No Ack in time: the job is dropped without a message (the association stays).
      job.keepAliveTimer = setTimeout(() => remove(job), keepAliveTimeout);
    }, keepAliveInterval);
  };
  /** Starts a job; false (and Reject) when the PE is full. */
  const admit = async (session: ServiceSession, signal: AbortSignal, id: number, size: number, completed: number, own: Map<number, Job>): Promise<void> => {
    if (jobs.size >= maxJobs || own.has(id)) {
      await session.send(encodeCalcApp({ type: CalcAppType.Reject, jobId: id, jobSize: 0n, completed: 0n }), { ppid: CALCAPP_PPID, signal });
      return;
    }
    advance();
    const job: Job = { session, id, size, completed, completedAtCookie: 0, lastCookie: performance.now(), awaitingAck: false, signal };
    jobs.add(job);
    own.set(id, job);
    reschedule();
    report();
    armKeepAlive(job);
    await send(job, CalcAppType.Accept);
  };

  const service = {
    name: 'calcapp',
    description: "the reference's CalcApp: jobs of a given size shared out by processor sharing, job state in cookies (PPID 34)",
    get jobCount(): number {
      return jobs.size;
    },
    get load(): number {
      return jobs.size / maxJobs;
    },
    handle(session: ServiceSession, context: ServiceContext = {}): Promise<void> {
      const own = new Map<number, Job>();
      return runSession(session, context, async (signal) => {
        try {
          if (session.cookie !== undefined) {
            const c = decodeCalcAppCookie(session.cookie);
            if (!c) {
              context.log?.(`echoed cookie refused: not a CalcApp cookie (${session.cookie.length} bytes)`);
              return;
            }
            context.log?.(`job ${c.jobId} resumed from cookie at ${c.completed} of ${c.jobSize}`);
            await admit(session, signal, c.jobId, Number(c.jobSize), Number(c.completed), own);
          }
          for (let m = await session.recv({ signal }); m !== null; m = await session.recv({ signal })) {
            const msg = decodeCalcApp(m.data);
            if (!msg) continue;
            const job = own.get(msg.jobId);
            switch (msg.type) {
              case CalcAppType.Request:
                await admit(session, signal, msg.jobId, Number(msg.jobSize), 0, own);
                break;
              case CalcAppType.KeepAlive:
                if (job && jobs.has(job)) await send(job, CalcAppType.KeepAliveAck);
                break;
              case CalcAppType.KeepAliveAck:
                if (job && jobs.has(job) && job.awaitingAck) armKeepAlive(job);
                break;
              default:
                break; // Abort and unknown types are ignored, as the reference does.
            }
          }
        } finally {
          for (const job of own.values()) remove(job);
        }
      });
    },
  };
  return service;
}

/** The CalcApp PE with the reference's defaults (`rsp server --service calcapp`). */
export const calcAppService: Service = createCalcAppService();

/** What the CalcApp pool user needs of a session; a `PoolSession` is one. */
export interface CalcAppSession {
  send(data: Uint8Array, options?: { ppid?: number; signal?: AbortSignal }): Promise<void>;
  recv(options?: { signal?: AbortSignal }): Promise<{ data: Uint8Array } | null>;
  forceFailover(options?: { signal?: AbortSignal }): Promise<void>;
  close(): Promise<void>;
  readonly hasCookie: boolean;
  readonly poolElement?: { id: number } | undefined;
}

/** Options of {@link runCalcAppJob}. */
export interface CalcAppJobOptions {
  /** Keep-alive interval after Accept and after each Ack, ms. Default 5000. */
  keepAliveInterval?: number;
  /** Time for Accept/Reject and for each Keep-Alive Ack, ms. Default 5000. */
  keepAliveTimeout?: number;
  /** Gives up on the job. */
  signal?: AbortSignal;
  /** Most failovers before the job fails. Default 20. */
  maxFailovers?: number;
  /** Called on every accept (also after a failover) with the serving PE. */
  onAccept?: (pe: number | undefined) => void;
}

/** How one job went. */
export interface CalcAppJobResult {
  jobId: number;
  jobSize: bigint;
  /** Request sent → Complete received, ms. */
  handlingTime: number;
  /** Request sent → first Accept, ms. */
  startupDelay: number;
  /** Failovers (Reject, timeouts, PE failures seen as a new Accept). */
  failovers: number;
  /** The PE that completed the job. */
  pe: number | undefined;
}

/**
 * Runs one CalcApp job on an open session (the reference's pool user: one
 * job per association): Request, wait for Accept (Reject or silence → forced
 * failover, then the Request again unless a cookie is echoed), keep-alives
 * both ways, until Complete.
 *
 * @throws when the session fails, the job gets more than `maxFailovers`, or the signal aborts
 */
export async function runCalcAppJob(session: CalcAppSession, jobId: number, jobSize: bigint, options: CalcAppJobOptions = {}): Promise<CalcAppJobResult> {
  const interval = options.keepAliveInterval ?? 5000;
  const timeout = options.keepAliveTimeout ?? 5000;
  const maxFailovers = options.maxFailovers ?? 20;
  const signal = options.signal;
  const t0 = performance.now();
  let startupDelay: number | undefined;
  let failovers = 0;
  const sendOptions = { ppid: CALCAPP_PPID, ...(signal ? { signal } : {}) };
  const message = (type: number, size = 0n): Uint8Array => encodeCalcApp({ type, jobId, jobSize: size, completed: 0n });
  let seenPe = session.poolElement?.id;
  await session.send(message(CalcAppType.Request, jobSize), sendOptions);
  let accepted = false;
  let deadline = performance.now() + timeout; // Accept/Reject, or the Ack
  let nextKeepAlive = Infinity;
  const failover = async (): Promise<void> => {
    if (++failovers > maxFailovers) throw new AbortError(`CalcApp job ${jobId}: gave up after ${maxFailovers} failovers`);
    const hadCookie = session.hasCookie;
    await session.forceFailover(signal ? { signal } : {});
    accepted = false;
    seenPe = session.poolElement?.id;
    // With a cookie the session echoed it and the new PE answers Accept; without, ask again.
    if (!hadCookie) await session.send(message(CalcAppType.Request, jobSize), sendOptions);
    deadline = performance.now() + timeout;
    nextKeepAlive = Infinity;
  };
  // The session layer failed over by itself (its PE died): with a cookie the new PE restores the
  // job from the echoed cookie and answers Accept; without one, ask it again.
  const notePeChange = async (): Promise<void> => {
    if (session.poolElement?.id === seenPe) return;
    seenPe = session.poolElement?.id;
    failovers++;
    accepted = false;
    nextKeepAlive = Infinity;
    deadline = performance.now() + timeout;
    if (!session.hasCookie) await session.send(message(CalcAppType.Request, jobSize), sendOptions);
  };
  for (;;) {
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    await notePeChange();
    const now = performance.now();
    if (now >= nextKeepAlive) {
      await session.send(message(CalcAppType.KeepAlive), sendOptions);
      nextKeepAlive = Infinity;
      deadline = now + timeout;
    }
    const wait = Math.ceil(Math.max(1, Math.min(deadline, nextKeepAlive) - performance.now()));
    const timer = AbortSignal.timeout(wait);
    let m: { data: Uint8Array } | null;
    try {
      m = await session.recv({ signal: signal ? AbortSignal.any([signal, timer]) : timer });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (!timer.aborted) throw err;
      if (performance.now() >= deadline) await failover();
      continue;
    }
    if (m === null) throw new AbortError(`CalcApp job ${jobId}: the session closed`);
    await notePeChange();
    const msg = decodeCalcApp(m.data);
    if (!msg || msg.jobId !== jobId) continue;
    switch (msg.type) {
      case CalcAppType.Accept:
        accepted = true;
        startupDelay ??= performance.now() - t0;
        options.onAccept?.(session.poolElement?.id);
        deadline = Infinity;
        nextKeepAlive = performance.now() + interval;
        break;
      case CalcAppType.Reject:
        await failover();
        break;
      case CalcAppType.KeepAlive:
        await session.send(message(CalcAppType.KeepAliveAck), sendOptions);
        break;
      case CalcAppType.KeepAliveAck:
        if (accepted) {
          deadline = Infinity;
          nextKeepAlive = performance.now() + interval;
        }
        break;
      case CalcAppType.Complete:
        return { jobId, jobSize, handlingTime: performance.now() - t0, startupDelay: startupDelay ?? performance.now() - t0, failovers, pe: session.poolElement?.id };
      default:
        break;
    }
  }
}
