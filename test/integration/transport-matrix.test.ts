/**
 * Registrar + PE + PU over every transport mode between network namespaces:
 * `rsp server --service pingpong --transport MODE` in namespace A, a
 * registrar and a pool user in one process in namespace B (in
 * `udp-standard` mode both ends own UDP port 9899 of their host, as kernel
 * SCTP and sctplib do). Over raw IP, an Enhanced Mode session fails over
 * between two PEs when the serving one is SIGKILLed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rawModeUnavailableReason } from '../../src/transport/raw-stack.js';
import { createNetnsPair, netnsUnavailableReason, type NetnsChild, type NetnsPair } from '../helpers/netns.js';

const PU = 'test/fixtures/transport-matrix-pu.ts';
const CLI = 'src/cli/main.ts';
const reason = netnsUnavailableReason();
if (reason) console.log(`[skip] transport matrix: ${reason}`);
const rawReason = reason ?? rawModeUnavailableReason();
if (!reason && rawReason) console.log(`[skip] transport matrix, raw mode: ${rawReason}`);

let pair: NetnsPair | undefined;
afterAll(() => pair?.destroy());

/** Resolves with the first stdout line of `child` that matches. */
function waitForText(child: NetnsChild, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${child.stderr().slice(-1000)}`)), timeoutMs);
    child.process.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const m = pattern.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
  });
}

function startPe(mode: string): NetnsChild {
  return pair!.a.spawnNode(CLI, ['server', '--service', 'pingpong', '--pool', 'PingPongPool', '--registrar', `${pair!.b.ipv4}:3863`, '--transport', mode, '--quiet']);
}

async function nextJson(child: NetnsChild, predicate: (o: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  for (;;) {
    const line = await child.nextLine(timeoutMs);
    if (predicate(line)) return line;
  }
}

describe.skipIf(reason !== undefined)('registrar + PE + PU over every transport mode in namespaces', () => {
  for (const mode of ['udp', 'udp-standard', 'raw'] as const) {
    it.skipIf(mode === 'raw' && rawReason !== undefined)(`${mode}: the PU resolves the PE and pings it`, async () => {
      pair ??= createNetnsPair('matrix');
      const pu = pair.b.spawnNode(PU, [mode, pair.b.ipv4, '3']);
      expect(await pu.nextLine(60_000)).toMatchObject({ listening: { port: 3863 } });
      const pe = startPe(mode);
      await waitForText(pe, /registered PE 0x[0-9a-f]{8}/);
      const done = await nextJson(pu, (o) => 'summary' in o, 60_000);
      expect(done).toMatchObject({ summary: { replies: 3, gaps: 0, repeats: 0 }, transport: mode });
      pe.process.kill('SIGTERM');
      await new Promise((r) => pe.process.once('exit', r));
    }, 120_000);
  }

  it.skipIf(rawReason !== undefined)('raw: an Enhanced Mode session fails over between PEs when the serving PE is killed', async () => {
    pair ??= createNetnsPair('matrix');
    const pu = pair.b.spawnNode(PU, ['raw', pair.b.ipv4, '12']);
    expect(await pu.nextLine(60_000)).toMatchObject({ listening: { port: 3863 } });
    const pes = [startPe('raw'), startPe('raw')];
    const ids = await Promise.all(pes.map((p) => waitForText(p, /registered PE 0x[0-9a-f]{8}/).then((l) => /0x[0-9a-f]{8}/.exec(l)![0])));
    const third = await nextJson(pu, (o) => o['reply'] === 3);
    const serving = ids.indexOf(third['pe'] as string);
    expect(serving).toBeGreaterThanOrEqual(0);
    pes[serving]!.process.kill('SIGKILL');
    const done = await nextJson(pu, (o) => 'summary' in o, 90_000);
    expect(done).toMatchObject({ summary: { replies: 12, gaps: 0 }, transport: 'raw' });
    expect(done['failovers']).toBeGreaterThanOrEqual(1);
  }, 150_000);
});
