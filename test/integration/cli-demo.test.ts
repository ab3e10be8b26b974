/**
 * `rsp demo --duration 8`: runs, kills PEs, prints failovers that continue
 * the count, exits 0, and leaves none of its child processes behind, even
 * when it is SIGKILLed itself.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, killAll, requireBuild, rsp as run, sleep } from '../fixtures/cli-helpers.js';

afterEach(killAll);
beforeAll(requireBuild);

describe('rsp demo', () => {
  it('prints failovers, exits 0 and leaves no child processes', { timeout: 120_000 }, async () => {
    const demo = run(['demo', '--duration', '8', '--kill-interval', '2500']);
    expect(await demo.exited).toBe(0);
    const out = demo.stdout.join('\n');
    expect(out).toMatch(/registrar listening on 127\.0\.0\.1:\d+/);
    expect(out).toMatch(/failover 1: PE 0x[0-9a-f]{8} killed -> pong \d+ from PE 0x[0-9a-f]{8} \d+ ms later .*continued without a gap/);
    expect(out).toMatch(/done: \d+ replies, [1-9]\d* failovers? .*, 0 gaps, 0 repeats/);
    const pids = [...out.matchAll(/\(pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThanOrEqual(4);
    await sleep(200);
    for (const pid of pids) expect(alive(pid), `pid ${pid} still running`).toBe(false);
  });

  it('stops cleanly on SIGINT', { timeout: 120_000 }, async () => {
    const demo = run(['demo', '--duration', '0']);
    await demo.wait((l) => l.includes('pool user connected'), 60_000);
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    const out = demo.stdout.join('\n');
    expect(out).toMatch(/interrupted, stopping/);
    const pids = [...out.matchAll(/\(pid (\d+)/g)].map((m) => Number(m[1]));
    await sleep(200);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('its pool-element children end by themselves when the demo is SIGKILLed', { timeout: 120_000 }, async () => {
    const demo = run(['demo', '--duration', '0']);
    await demo.wait((l) => l.includes('pool user connected'), 60_000);
    const pids = [...demo.stdout.join('\n').matchAll(/started PE 0x[0-9a-f]{8} \(pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBe(3);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    demo.child.kill('SIGKILL');
    expect(await demo.exited).toBe('SIGKILL');
    // Nobody kills them now: each notices its parent is gone and exits on its own.
    const deadline = Date.now() + 30_000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(100);
    const survivors = pids.filter(alive);
    for (const pid of survivors) process.kill(pid, 'SIGKILL'); // leave nothing behind when this fails
    expect(survivors, 'children still running after the SIGKILL of their parent').toEqual([]);
  });
});
