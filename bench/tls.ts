/**
 * The cost of mutual TLS on ASAP: the same work against an `rsp registrar`
 * without TLS and one with `--tls-cert/--tls-key/--tls-ca`, each in its own
 * process, in the same run:
 * - registrar CPU per registration and per handle resolution, one request
 *   at a time and 64 in flight on one association;
 * - association setup (SCTP handshake, plus the TLS handshake with TLS,
 *   then one handle resolution to prove the registrar's side complete):
 *   wall time per setup and registrar CPU per setup, one after another.
 *
 * Certificates (P-256) are made at run time with the `openssl` command.
 *
 * Usage: tsx bench/tls.ts [--ops 2000] [--setups 100]
 *
 * Prints one JSON line per figure:
 * `{ "bench": "tls", "name", "plain", "tls", "ratio", "unit", "load1" }`,
 * `ratio` = TLS / plain, `load1` = the machine's 1-minute load average
 * when the figure was taken.
 */
import { loadavg } from 'node:os';
import type { TlsOptions } from '../src/transport/tls.js';
import { encodeMessage } from '../src/wire/messages.js';
import { createTestPki, opensslUnavailableReason } from '../test/helpers/certs.js';
import { ackKeepAlives, Client, expectAccepted, registration, startRegistrar, timed, type RegistrarProcess } from './_registrar-client.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const OPS = Number(arg('ops', '2000'));
const SETUPS = Number(arg('setups', '100'));
const POOL = new TextEncoder().encode('TlsBenchPool');
const WARM = new TextEncoder().encode('TlsBenchWarm');

type Figures = Record<string, { value: number; unit: string }>;

/** Measures every figure against `reg`; the client uses `tls` when given. */
async function measure(reg: RegistrarProcess, tls: TlsOptions | undefined): Promise<Figures> {
  const figures: Figures = {};
  const phase = async (name: string, ops: number, run: () => Promise<unknown>): Promise<void> => {
    const { ms, cpuUs } = await timed(reg, run);
    figures[`${name}_registrar_cpu`] = { value: cpuUs / ops, unit: 'us/op' };
    figures[`${name}_latency`] = { value: (ms * 1000) / ops, unit: 'us/op' };
  };
  const hr = encodeMessage({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL });
  const resolved = (m: { type: string }): void => {
    if (m.type !== 'handle-resolution-response') throw new Error(`unexpected ${m.type}`);
  };
  const client = await Client.connect(reg.address, tls);
  ackKeepAlives(client);
  try {
    // Warm-up (JIT, buffers) on another pool.
    await client.pipeline(500, 16, (i) => registration(WARM, 1_000_000 + i, 0), expectAccepted);
    await phase('registration_1', OPS, () => client.pipeline(OPS, 1, (i) => registration(POOL, 1 + i, 0), expectAccepted));
    await phase('registration_64', OPS * 4, () => client.pipeline(OPS * 4, 64, (i) => registration(POOL, 1 + (i % OPS), (i * 7919) >>> 0), expectAccepted));
    await phase('resolution_1', OPS, () => client.pipeline(OPS, 1, () => hr, resolved));
    await phase('resolution_64', OPS * 4, () => client.pipeline(OPS * 4, 64, () => hr, resolved));
    if (client.failures > 0) throw new Error(`${client.failures} requests failed`);
  } finally {
    await client.close();
  }
  // Association setups, one after another, each proved complete by one handle resolution
  // (with TLS 1.3 the client's handshake ends before the server's) and closed before the next.
  const setups = await timed(reg, async () => {
    for (let i = 0; i < SETUPS; i++) {
      const c = await Client.connect(reg.address, tls);
      try {
        resolved(await c.request(hr));
        await c.association.close();
      } finally {
        await c.close();
      }
    }
  });
  figures.setup_time = { value: setups.ms / SETUPS, unit: 'ms/setup' };
  figures.setup_registrar_cpu = { value: setups.cpuUs / 1000 / SETUPS, unit: 'ms/setup' };
  return figures;
}

const reason = opensslUnavailableReason();
if (reason !== undefined) {
  process.stderr.write(`bench/tls: skipped: ${reason}\n`);
  process.exit(0);
}
const pki = createTestPki();
try {
  const server = pki.issue('registrar-bench');
  const client = pki.issue('pe-bench');
  const common = ['--hr-rate', 'off', '--host-hr-rate', 'off', '--registration-rate', 'off', '--min-address-scope', 'loopback', '--enrp', 'off', '--max-associations', '100000', '--max-associations-per-host', '100000'];
  const results: Array<{ mode: string; figures: Figures }> = [];
  for (const mode of ['plain', 'tls'] as const) {
    const reg = await startRegistrar([...common, ...(mode === 'tls' ? ['--tls-cert', server.certFile, '--tls-key', server.keyFile, '--tls-ca', pki.caFile] : [])]);
    try {
      results.push({ mode, figures: await measure(reg, mode === 'tls' ? { cert: client.cert, key: client.key, ca: pki.ca } : undefined) });
    } finally {
      await reg.stop();
    }
  }
  const [plain, tls] = [results[0]!.figures, results[1]!.figures];
  for (const name of Object.keys(plain)) {
    const p = plain[name]!;
    const t = tls[name]!;
    const round = (x: number): number => Math.round(x * 100) / 100;
    process.stdout.write(
      JSON.stringify({ bench: 'tls', name, plain: round(p.value), tls: round(t.value), ratio: round(t.value / p.value), unit: p.unit, ops: name.startsWith('setup') ? SETUPS : name.endsWith('_64_registrar_cpu') || name.endsWith('_64_latency') ? OPS * 4 : OPS, load1: round(loadavg()[0]!) }) + '\n',
    );
  }
} finally {
  pki.destroy();
}
