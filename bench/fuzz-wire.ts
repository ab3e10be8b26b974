/**
 * Long fuzz run of the wire codec (`npm run fuzz`): at least 1,000,000 cases
 * of the properties in test/wire/property.test.ts — random bytes, damaged
 * real messages, and round trips of random valid messages.
 *
 * Prints one JSON line on stdout:
 *   { "bench": "fuzz-wire", "cases": N, "failures": F, "seconds": S, "seed": X }
 * Failing inputs are reported on stderr; the exit code is 1 when F > 0.
 *
 * Environment: FUZZ_CASES (default 1000000), FUZZ_SEED (default: random).
 */
import fc from 'fast-check';
import { decodeMessage, encodeMessage, ppidOf } from '../src/wire/index.js';
import { afterRoundTrip, checkDecoderContract, messageArb, mutatedArb, randomBytesArb } from '../test/wire/fuzz-support.js';
import { isDeepStrictEqual } from 'node:util';

const total = Number(process.env.FUZZ_CASES ?? 1_000_000);
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 0x7fffffff));
let cases = 0;
let failures = 0;

function fail(what: string, input: unknown, err: unknown): void {
  failures++;
  if (failures <= 20) {
    const shown = input instanceof Uint8Array ? Buffer.from(input).toString('hex') : JSON.stringify(input, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
    process.stderr.write(`FAIL ${what}: ${String(err)}\n  input: ${shown}\n`);
  }
}

const started = performance.now();

fc.assert(
  fc.property(randomBytesArb, ([ppid, bytes]) => {
    cases++;
    try {
      checkDecoderContract(ppid, bytes);
    } catch (err) {
      fail(`random bytes (ppid ${ppid})`, bytes, err);
    }
  }),
  { numRuns: Math.round(total * 0.35), seed },
);

fc.assert(
  fc.property(mutatedArb, ([ppid, bytes]) => {
    cases++;
    try {
      checkDecoderContract(ppid, bytes);
    } catch (err) {
      fail(`mutated vector (ppid ${ppid})`, bytes, err);
    }
  }),
  { numRuns: Math.round(total * 0.5), seed: seed + 1 },
);

fc.assert(
  fc.property(messageArb, (m) => {
    cases++;
    try {
      const back = decodeMessage(ppidOf(m), encodeMessage(m));
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(back, replacer)), JSON.parse(JSON.stringify(afterRoundTrip(m), replacer)))) {
        throw new Error('round trip changed the message');
      }
    } catch (err) {
      fail('round trip', m, err);
    }
  }),
  { numRuns: total - Math.round(total * 0.35) - Math.round(total * 0.5), seed: seed + 2 },
);

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value;
}

const seconds = Math.round((performance.now() - started) / 10) / 100;
process.stdout.write(`${JSON.stringify({ bench: 'fuzz-wire', cases, failures, seconds, seed })}\n`);
process.exitCode = failures > 0 ? 1 : 0;
