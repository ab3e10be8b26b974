/**
 * Handlespace benchmark: registrations, re-registrations, resolutions of 3 PEs
 * and deregistrations per second, and memory per PE, for 1,000 / 10,000 /
 * 100,000 PEs in one pool under round robin, least used and random.
 *
 * Run: npx tsx bench/handlespace.ts            (all sizes)
 *      npx tsx bench/handlespace.ts 1000       (selected sizes)
 *
 * Prints one JSON line per figure:
 * { "bench": "handlespace", "name": "...", "pes": N, "policy": "...", "value": X, "unit": "op/s" }
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Handlespace } from '../src/handlespace/handlespace.js';
import type { PoolElement } from '../src/handlespace/pool-element.js';
import type { PolicyInfo, PoolElementParam, TransportParam } from '../src/wire/types.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const PE_COUNTS = SIZES.length > 0 ? SIZES : [1_000, 10_000, 100_000];
const POLICIES = ['round-robin', 'least-used', 'random'] as const;
type Policy = (typeof POLICIES)[number];
const MIN_MS = 100;
const MIN_ROUNDS = 2;

const handle = new TextEncoder().encode('EchoPool');

let seed = 12345;
function rnd(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed;
}

function policyInfo(policy: Policy): PolicyInfo {
  switch (policy) {
    case 'round-robin':
      return { type: 'round-robin' };
    case 'random':
      return { type: 'random' };
    case 'least-used':
      return { type: 'least-used', load: rnd() };
  }
}

function makeParams(n: number, policy: Policy): PoolElementParam[] {
  const out: PoolElementParam[] = [];
  const ids = new Set<number>();
  while (out.length < n) {
    const peId = (rnd() % 0xfffffffe) + 1;
    if (ids.has(peId)) continue;
    ids.add(peId);
    const userTransport: TransportParam = { protocol: 'sctp', port: 7000 + (out.length % 1000), transportUse: 0, addresses: [`10.0.${(out.length >> 8) & 255}.${out.length & 255}`] };
    out.push({ peId, homeRegistrarId: 0x1234, registrationLife: 30_000, userTransport, policy: policyInfo(policy) });
  }
  return out;
}

/** A re-registration carries a freshly decoded parameter: same PE, new policy values (new load for LU). */
function makeUpdates(params: PoolElementParam[], policy: Policy): PoolElementParam[] {
  return params.map((p) => ({ ...p, policy: policyInfo(policy) }));
}

function emit(name: string, pes: number, policy: string, value: number, unit: string): void {
  console.log(JSON.stringify({ bench: 'handlespace', name, pes, policy, value: Math.round(value), unit }));
}

/**
 * CPU time of this process in milliseconds. Timing uses CPU time rather than
 * wall-clock time so that other load on the machine does not distort the
 * figures (garbage collection on helper threads is still counted).
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Runs `round` (which returns the number of operations it timed and the CPU
 * time they took) at least MIN_ROUNDS times and until MIN_MS have passed, and
 * returns the best rate of any round: interference from other load on the
 * machine only ever slows a round down.
 */
function measure(round: () => { ops: number; ms: number }): number {
  gc(); // start without garbage of earlier phases
  round(); // warm-up
  let best = 0;
  let total = 0;
  for (let r = 0; r < MIN_ROUNDS || total < MIN_MS; r++) {
    const { ops, ms } = round();
    total += ms;
    best = Math.max(best, (ops / Math.max(ms, 0.001)) * 1000);
  }
  return best;
}

function fill(hs: Handlespace, params: PoolElementParam[], now: number): void {
  for (let i = 0; i < params.length; i++) hs.register(handle, params[i]!, { now });
}

function run(n: number, policy: Policy): void {
  const params = makeParams(n, policy);
  const updates = makeUpdates(params, policy);
  let now = 0;

  // registrations into an empty handlespace
  const reg = measure(() => {
    const hs = new Handlespace({ seed: 1 });
    const t0 = cpuMs();
    for (let i = 0; i < n; i++) hs.register(handle, params[i]!, { now });
    return { ops: n, ms: cpuMs() - t0 };
  });
  emit('registrations', n, policy, reg, 'op/s');

  const hs = new Handlespace({ seed: 1 });
  fill(hs, params, now);

  // re-registrations of every PE, alternating parameter sets
  let flip = false;
  const rereg = measure(() => {
    const set = (flip = !flip) ? updates : params;
    now += 1000;
    const t0 = cpuMs();
    for (let i = 0; i < n; i++) hs.register(handle, set[i]!, { now });
    return { ops: n, ms: cpuMs() - t0 };
  });
  emit('re-registrations', n, policy, rereg, 'op/s');

  // handle resolutions of 3 PEs
  const out: PoolElement[] = [];
  const batch = 200_000;
  const res = measure(() => {
    const t0 = cpuMs();
    for (let i = 0; i < batch; i++) hs.select(handle, 3, out);
    return { ops: batch, ms: cpuMs() - t0 };
  });
  if (out.length !== Math.min(3, n)) throw new Error('selection returned too few PEs');
  emit('resolutions-of-3', n, policy, res, 'op/s');

  // deregistrations of every PE (refilling is not timed)
  const dereg = measure(() => {
    if (hs.size === 0) fill(hs, params, now);
    const t0 = cpuMs();
    for (let i = 0; i < n; i++) hs.deregister(handle, params[i]!.peId);
    const ms = cpuMs() - t0;
    if (hs.size !== 0) throw new Error('deregistration left PEs behind');
    return { ops: n, ms };
  });
  emit('deregistrations', n, policy, dereg, 'op/s');

  // memory: handlespace structures per PE (the decoded parameter objects are
  // the caller's), over enough handlespaces of n PEs to hold 100,000 PEs
  hs.clear();
  const copies = Math.max(1, Math.round(100_000 / n));
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const spaces: Handlespace[] = [];
  for (let c = 0; c < copies; c++) {
    const mem = new Handlespace({ seed: 1 });
    fill(mem, params, now);
    spaces.push(mem);
  }
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  emit('memory-per-pe', n, policy, (after - before) / (n * copies), 'B/PE');
  if (spaces.some((m) => m.size !== n)) throw new Error('memory run incomplete');
  spaces.length = 0;
  gc();
}

const started = performance.now();
for (const n of PE_COUNTS) for (const policy of POLICIES) run(n, policy);
console.error(`handlespace bench finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
