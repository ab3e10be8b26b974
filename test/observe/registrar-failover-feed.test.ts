/**
 * The registrar's event feed as a browser reads it (`GET /events` of
 * `rsp registrar --http`, server-sent events): three `rsp server` PEs in
 * child processes; each removal says where the pool's users fail over to
 * (the PEs left, or that none is left), whatever removed the PE
 * (deregistration, failure report, unanswered keep-alives); a failure
 * report names the reporting pool user's address; a PE that registers
 * again after its removal shows as `returned`.
 *
 * The PEs are silenced with SIGSTOP (their SCTP stops too, so the
 * registrar aborts their association after two unanswered keep-alives)
 * and resumed with SIGCONT (they get the ABORT, find the registrar again
 * and re-register).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import type { FeedEvent } from '../../src/observe/feed.js';
import { killAll, requireBuild, rsp as run, type RspChild } from '../fixtures/cli-helpers.js';

beforeAll(requireBuild);
afterAll(killAll);

/** Reads `GET /events` and collects the `feed` events. */
class FeedReader {
  readonly events: FeedEvent[] = [];
  private readonly abort = new AbortController();
  private readonly waiters: { pred: (e: FeedEvent) => boolean; resolve: (e: FeedEvent) => void }[] = [];
  private done: Promise<void> = Promise.resolve();

  async open(url: string): Promise<void> {
    const res = await fetch(`${url}/events`, { signal: this.abort.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    this.done = (async () => {
      let buf = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const name = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (name === 'feed' && data !== undefined) this.add(JSON.parse(data) as FeedEvent);
          }
        }
      } catch {
        // aborted at the end of the test
      }
    })();
  }

  private add(e: FeedEvent): void {
    this.events.push(e);
    for (const w of [...this.waiters]) {
      if (w.pred(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  }

  /** The first event (already seen or still to come) that matches. */
  next(what: string, pred: (e: FeedEvent) => boolean, timeout = 30_000): Promise<FeedEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no feed event "${what}" within ${timeout} ms; feed:\n${this.events.map((e) => `${e.kind}: ${e.text}`).join('\n')}`)), timeout);
      this.waiters.push({ pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
    });
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

describe('registrar feed: failover targets, reporters and returning PEs', () => {
  let registrar: RspChild;
  const feed = new FeedReader();
  let asap = '';
  const pes = new Map<string, RspChild>();

  afterAll(async () => {
    // A child left stopped by a failed assertion is resumed, then killAll ends it.
    for (const pe of pes.values()) if (pe.child.pid !== undefined && pe.child.exitCode === null) pe.child.kill('SIGCONT');
    await feed.close();
  });

  const removal = (pe: string) => (e: FeedEvent) => e.kind === 'removed' && e.pe === pe;

  it('lists the PEs left after a deregistration, a failure report and unanswered keep-alives; returning PEs show as returned', { timeout: 120_000 }, async () => {
    // Keep-alives every 2 s, answered within 2 s (one retry): a silent PE goes 4-6 s after it stopped,
    // while a failure report sent at once is read within milliseconds. SCTP's own failure detection
    // is slowed down so that it is the keep-alives that find a stopped PE.
    registrar = run(['registrar', '--asap', '127.0.0.1:0', '--announce', 'off', '--enrp', 'off', '--http', '127.0.0.1:0', '--keep-alive-interval', '2000', '--keep-alive-timeout', '2000', '--max-bad-pe-reports', '1', '--sctp-heartbeat-interval', '30000', '--sctp-max-retransmissions', '30']);
    const url = /url=(http:\/\/[\d.]+:\d+)/.exec(await registrar.wait((l) => l.includes('http-listening'), 30_000))![1]!;
    asap = /asap=([\d.]+:\d+)/.exec(await registrar.wait((l) => l.includes(' listening '), 30_000))![1]!;
    await feed.open(url);

    for (let i = 0; i < 3; i++) {
      const child = run(['server', '--service', 'echo', '--pool', 'FeedPool', '--registrar', asap, '--quiet']);
      const id = /registered PE (0x[0-9a-f]{8})/.exec(await child.wait((l) => l.startsWith('registered PE'), 30_000))![1]!;
      pes.set(id, child);
      await feed.next(`${id} registered`, (e) => e.kind === 'registered' && e.pe === id);
    }
    const [a, b, c] = [...pes.keys()] as [string, string, string];

    // Deregistration: the two others are left.
    pes.get(c)!.child.kill('SIGTERM');
    expect(await pes.get(c)!.exited).toBe(0);
    const deregistered = await feed.next(`${c} removed`, removal(c));
    expect(deregistered.text).toMatch(/deregistered; failover to /);
    expect([...deregistered.remaining!].sort()).toEqual([a, b].sort());
    expect(deregistered.left).toBe(2);

    // A failure report about a silent PE: the report names the reporter, the removal the one PE left.
    pes.get(b)!.child.kill('SIGSTOP');
    const pu = rsp.createInstance({ registrars: [asap] });
    try {
      await pu.reportFailure('FeedPool', Number(b));
      const report = await feed.next(`${b} reported`, (e) => e.kind === 'failure-report' && e.pe === b);
      expect(report.reporter).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(report.text).toContain(`pool user ${report.reporter} reported PE ${b}`);
      const unreachable = await feed.next(`${b} removed`, removal(b));
      expect(unreachable.text).toBe(`PE ${b} removed from FeedPool: reported unreachable by pool users; failover to ${a}`);
      expect(unreachable).toMatchObject({ remaining: [a], left: 1 });
    } finally {
      await pu.close();
    }

    // Unanswered keep-alives remove the last PE: no PE left.
    pes.get(a)!.child.kill('SIGSTOP');
    const last = await feed.next(`${a} removed`, removal(a));
    expect(last.text).toBe(`PE ${a} removed from FeedPool: keep-alive unanswered; no PE left in FeedPool`);
    expect(last).toMatchObject({ remaining: [], left: 0 });

    // Resumed, both register again and show as returned, with why they had gone.
    for (const id of [a, b]) pes.get(id)!.child.kill('SIGCONT');
    const back = await Promise.all([a, b].map((id) => feed.next(`${id} returned`, (e) => e.kind === 'returned' && e.pe === id)));
    expect(back[0]!.text).toMatch(new RegExp(`^PE ${a} returned to FeedPool at sctp:127\\.0\\.0\\.1:\\d+ \\(round-robin\\), removed before: keep-alive unanswered$`));
    expect(back[1]!.text).toContain('removed before: reported unreachable by pool users');
    // Each PE registered once as new; its return is not a second "registered".
    for (const id of [a, b]) expect(feed.events.filter((e) => e.kind === 'registered' && e.pe === id)).toHaveLength(1);

    registrar.child.kill('SIGTERM');
    expect(await registrar.exited).toBe(0);
  });
});
