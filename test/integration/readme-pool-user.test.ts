/**
 * The README's first pool-user example, copied verbatim (checked against
 * README.md below), survives a SIGKILL of the PE serving it in the middle
 * of a request: every request is answered, in order, and nothing hangs.
 * The PEs answer after 0–300 ms; they run in child processes
 * (test/fixtures/pe-host.mjs), and the serving one is SIGKILLed while a
 * request is being handled. Only the registrar address is substituted (the
 * test's registrar listens on an ephemeral port).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import * as realRsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { PeHost } from './pe-host.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function readmePoolUser(rsp: typeof realRsp, console: Pick<Console, 'log' | 'error'>): Promise<void> {
  // --- README begin
// Pool user
const session = await rsp.connect('EchoPool', { registrars: ['127.0.0.1:3863'] });
session.on('failover', (e) => console.error(`PE ${e.from} → ${e.to} in ${e.durationMs.toFixed(0)} ms`));
for (let i = 1; i <= 20; i++) {
  // The reply, or TimeoutError; re-sent to the next PE when this one dies before answering.
  const reply = await session.request(`hello ${i}`, { timeout: 10_000 });
  console.log(new TextDecoder().decode(reply.data));
}
await session.close();
  // --- README end
}

describe("README's pool-user example", () => {
  it('is the text of README.md', () => {
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const snippet = /\/\/ --- README begin\n([\s\S]*?)\s*\/\/ --- README end/.exec(source)![1]!;
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    expect(readme).toContain(`\`\`\`ts\nimport * as rsp from 'rserpool';\n\n${snippet}\n`);
  });

  it('answers every request in order across a SIGKILL of the serving PE in the middle of a request', async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const a = registrar.addresses[0]!;
    const address = `${a.address}:${a.port}`;
    const hosts = new Map<number, PeHost>();
    await Promise.all(
      [0, 1].map(async () => {
        const h = await PeHost.spawn(address, 'EchoPool');
        cleanups.push(() => h.close());
        hosts.set(await h.start('slow'), h);
      }),
    );
    let session: realRsp.PoolSession | undefined;
    const rsp = {
      ...realRsp,
      connect: async (pool: Parameters<typeof realRsp.connect>[0], options: realRsp.SessionOptions = {}) => {
        session = await realRsp.connect(pool, { ...options, registrars: [address] });
        return session;
      },
    } as typeof realRsp;
    const lines: string[] = [];
    const failovers: string[] = [];
    const run = readmePoolUser(rsp, { log: (l: string) => lines.push(l), error: (l: string) => failovers.push(l) });
    // SIGKILL the serving PE while it handles the 4th request.
    for (let i = 0; i < 2000 && lines.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    const victim = session!.poolElement!.id;
    await new Promise((r) => setTimeout(r, 30));
    hosts.get(victim)!.sigkill();
    await run;
    expect(lines.map((l) => l.split(':')[1])).toEqual(Array.from({ length: 20 }, (_, i) => `hello ${i + 1}`));
    expect(failovers).toHaveLength(1);
    expect(new Set(lines.slice(4).map((l) => Number(l.split(':')[0])))).not.toContain(victim);
  }, 120_000);
});
