/**
 * Cost of watching a registrar: time per HTTP request of /metrics,
 * /api/state (the web view's snapshot, at most 2000 PEs listed) and
 * /api/handlespace (every PE) with PEs in the handlespace, as a ratio to
 * /healthz (the bare HTTP round trip) measured in the same run.
 * `OBSERVE_PES` (default 10000) sets the handlespace size.
 */
import { Registrar } from '../src/registrar/registrar.js';
import { serveRegistrarHttp } from '../src/observe/serve-http.js';

const PES = Number(process.env['OBSERVE_PES'] ?? 10_000);
const ROUNDS = 40;

const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
await registrar.start();
const enc = new TextEncoder();
for (let i = 1; i <= PES; i++) {
  registrar.handlespace.register(enc.encode(`Pool${i % 10}`), {
    peId: i,
    homeRegistrarId: registrar.id,
    registrationLife: 30_000,
    userTransport: { protocol: 'sctp', port: 1024 + (i % 60000), transportUse: 0, addresses: ['127.0.0.1'] },
    policy: { type: 'least-used', load: i % 1000 },
  });
}
const http = await serveRegistrarHttp(registrar);

async function median(path: string): Promise<{ ms: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const res = await fetch(http.url + path);
    bytes = (await res.arrayBuffer()).byteLength;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, bytes };
}

const base = await median('/healthz');
console.log(JSON.stringify({ bench: 'observe', figure: 'healthz', pes: PES, medianMs: +base.ms.toFixed(3), bytes: base.bytes }));
for (const path of ['/metrics', '/api/state', '/api/handlespace']) {
  const m = await median(path);
  console.log(JSON.stringify({ bench: 'observe', figure: path, pes: PES, medianMs: +m.ms.toFixed(3), bytes: m.bytes, ratioToHealthz: +(m.ms / base.ms).toFixed(1) }));
}
await http.close();
await registrar.close();
