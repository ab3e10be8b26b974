/**
 * The README's ENRP cluster example, read from README.md and run as
 * written, with only its ports replaced by free ones (a test must not take
 * the well-known ports): three `rsp registrar` processes form a full mesh
 * under the ENRP admission rules, and its `rsp hsdump` line shows the
 * third registrar's two peers.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, requireBuild, rsp } from '../fixtures/cli-helpers.js';
import { freeUdpPort } from '../helpers/ports.js';

beforeAll(requireBuild);
afterAll(killAll);

/** The `rsp ...` command lines of the first sh block under "## Registrar clusters (ENRP)", comments removed. */
function clusterExample(): string[][] {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('## Registrar clusters (ENRP)'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('rsp '))
    .map((line) => line.split(/\s+/).slice(1));
}

describe("README's ENRP cluster example", () => {
  it('forms a cluster of three registrars as written', { timeout: 60_000 }, async () => {
    const lines = clusterExample();
    expect(lines.filter((l) => l[0] === 'registrar')).toHaveLength(3);
    expect(lines.filter((l) => l[0] === 'hsdump')).toHaveLength(1);
    // Every well-known port of the example becomes a free one, the same everywhere it appears.
    const ports = new Map<string, string>();
    for (const line of lines) {
      for (const word of line) {
        const m = /^127\.0\.0\.1:(\d+)$/.exec(word);
        if (m && !ports.has(m[1]!)) ports.set(m[1]!, String(await freeUdpPort()));
      }
    }
    const substitute = (line: string[]): string[] => line.map((w) => w.replace(/^(127\.0\.0\.1):(\d+)$/, (_, host: string, port: string) => `${host}:${ports.get(port)!}`));
    for (const line of lines.filter((l) => l[0] === 'registrar')) {
      const child = rsp(substitute(line));
      await child.wait((l) => / listening /.test(l), 20_000);
    }
    const hsdump = substitute(lines.find((l) => l[0] === 'hsdump')!);
    // The mesh forms within a few heartbeats; poll the dump until the third registrar lists both peers.
    const deadline = Date.now() + 30_000;
    let last = '';
    for (;;) {
      const dump = rsp(hsdump);
      const code = await dump.exited;
      last = [...dump.stdout, ...dump.stderr].join('\n');
      const peers = /^peers: (.*)$/m.exec(last)?.[1] ?? '';
      if (code === 0 && peers.split(/\s+/).filter((p) => p.includes('@')).length === 2) break;
      if (Date.now() > deadline) throw new Error(`no full mesh: ${last}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(last).toMatch(/^registrar 0x[0-9a-f]+: /m);
  });
});
