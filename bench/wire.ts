/**
 * Wire codec throughput: messages per second for encoding and decoding an
 * ASAP Registration and a Handle Resolution Response carrying 3 PEs.
 * One JSON line per figure:
 *   { "bench": "wire", "name": "decode-registration", "value": N, "unit": "msg/s", "per_cpu_second": M }
 * `value` is wall-clock throughput; `per_cpu_second` divides by the CPU time
 * this process used instead, which stays meaningful on a busy machine.
 *
 * Environment: BENCH_SECONDS per figure (default 1).
 */
import { decodeMessage, encodeMessage, poolHandleFromString, type PoolElementParam, type RSerPoolMessage } from '../src/wire/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 1);

const poolHandle = poolHandleFromString('EchoPool');
const pe = (peId: number, address: string, load: number): PoolElementParam => ({
  peId,
  homeRegistrarId: 0xabcd,
  registrationLife: 300000,
  userTransport: { protocol: 'sctp', port: 7000, transportUse: 1, addresses: [address, '2001:db8::10'] },
  policy: { type: 'least-used', load },
});

const registration: RSerPoolMessage = {
  protocol: 'asap',
  type: 'registration',
  poolHandle,
  poolElement: { ...pe(0x11223344, '192.0.2.10', 0x40000000), homeRegistrarId: 0 },
};
const hrr: RSerPoolMessage = {
  protocol: 'asap',
  type: 'handle-resolution-response',
  poolHandle,
  policy: { type: 'least-used', load: 0x40000000 },
  poolElements: [pe(0x11223344, '192.0.2.10', 0x40000000), pe(0x55667788, '192.0.2.20', 0x20000000), pe(0x0a0b0c0d, '192.0.2.30', 0)],
};

let sink = 0;

/** Runs `fn` in batches for `seconds`; returns calls per wall-clock second and per CPU second. */
function measure(fn: () => void): [number, number] {
  for (let i = 0; i < 20_000; i++) fn(); // warm-up
  const batch = 2_000;
  let calls = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const until = start + seconds * 1000;
  let now = start;
  while (now < until) {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    now = performance.now();
  }
  const used = process.cpuUsage(cpu);
  return [Math.round(calls / ((now - start) / 1000)), Math.round(calls / ((used.user + used.system) / 1e6))];
}

for (const [label, message] of [
  ['registration', registration],
  ['handle-resolution-response-3pe', hrr],
] as const) {
  const bytes = encodeMessage(message);
  const encode = measure(() => {
    sink += encodeMessage(message).length;
  });
  const decode = measure(() => {
    sink += decodeMessage(11, bytes).type.length;
  });
  for (const [name, [value, perCpu]] of [
    [`encode-${label}`, encode],
    [`decode-${label}`, decode],
  ] as const) {
    process.stdout.write(`${JSON.stringify({ bench: 'wire', name, value, unit: 'msg/s', per_cpu_second: perCpu, bytes: bytes.length })}\n`);
  }
}
if (sink === 0) process.stderr.write('unreachable\n');
