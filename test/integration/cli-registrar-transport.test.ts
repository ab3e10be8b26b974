/**
 * `rsp registrar --transport MODE` (the built CLI in a child process) serves
 * library pool elements and pool users on the same transport, each in its
 * own process (test/fixtures/transport-pool-child.ts), and `rsp hsdump
 * --transport MODE` downloads its handlespace over ENRP:
 * - `udp-standard` (RFC 6951) on loopback, the registrar's encapsulation
 *   port given with `--udp-port`; the transport chosen once with
 *   `$RSP_TRANSPORT` instead of `--transport`;
 * - `raw` (SCTP over IP) between two network namespaces the test creates
 *   (skipped with the reason when namespaces or raw sockets are missing).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawModeUnavailableReason } from '../../src/transport/raw-stack.js';
import { killAll, mainJs, node, requireBuild, rsp as run, type RspChild } from '../fixtures/cli-helpers.js';
import { createNetnsPair, netnsUnavailableReason, type NetnsChild, type NetnsPair } from '../helpers/netns.js';
import { freeUdpPort } from '../helpers/ports.js';

const FIXTURE = 'test/fixtures/transport-pool-child.ts';
const execFileAsync = promisify(execFile);

beforeAll(requireBuild);
afterAll(killAll);

interface HsdumpJson {
  registrar: string;
  pools: { pool: string; elements: { id: string; userTransport: { port: number } }[] }[];
  poolElements: number;
}

/** The first JSON line of a fixture child that has `key`. */
async function jsonLine(child: RspChild, key: string, timeout = 30_000): Promise<Record<string, unknown>> {
  const line = await child.wait((l) => l.startsWith('{') && key in (JSON.parse(l) as object), timeout);
  return JSON.parse(line) as Record<string, unknown>;
}

describe('rsp registrar --transport udp-standard serves library PEs and PUs; rsp hsdump reads it', () => {
  let registrar: RspChild;
  let udpPort = 0;
  let asap = '';
  let enrp = '';
  let peId = '';
  let pePort = 0;

  it('registers a library PE, serves a library PU that reaches it, and hsdump --transport udp-standard shows it', { timeout: 90_000 }, async () => {
    udpPort = await freeUdpPort();
    registrar = run(['registrar', '--transport', 'udp-standard', '--udp-port', String(udpPort), '--asap', '127.0.0.1:0', '--enrp', '127.0.0.1:0', '--enrp-allow', '127.0.0.1', '--announce', 'off']);
    asap = /asap=([\d.]+:\d+)/.exec(await registrar.wait((l) => l.includes(' listening '), 30_000))![1]!;
    enrp = /enrp=([\d.]+:\d+)/.exec(await registrar.wait((l) => l.includes('enrp-started'), 30_000))![1]!;

    // The PE's own encapsulation port, the registrar's as the remote one.
    const peUdpPort = await freeUdpPort();
    const pe = node(['--import', 'tsx', FIXTURE, 'pe', JSON.stringify({ mode: 'udp-standard', udpPort: peUdpPort, remoteUdpPort: udpPort }), asap, 'StandardPool']);
    const ready = await jsonLine(pe, 'ready');
    peId = ready['ready'] as string;
    pePort = ready['port'] as number;
    expect(peId).toMatch(/^0x[0-9a-f]{8}$/);

    const pu = node([
      '--import', 'tsx', FIXTURE, 'pu',
      JSON.stringify({ mode: 'udp-standard', udpPort: 0, remoteUdpPort: peUdpPort }),
      JSON.stringify({ mode: 'udp-standard', udpPort: 0, remoteUdpPort: udpPort }),
      asap, 'StandardPool', '3',
    ]);
    expect(await jsonLine(pu, 'done')).toEqual({ done: 3 });
    expect(pu.stdout.filter((l) => l.includes('"reply"')).map((l) => (JSON.parse(l) as { reply: string }).reply)).toEqual([1, 2, 3].map((i) => `${peId}:ping ${i}`));
    expect(await pu.exited).toBe(0);

    const dump = run(['hsdump', '--transport', 'udp-standard', '--udp-port', '0', '--remote-udp-port', String(udpPort), '--json', enrp]);
    expect(await dump.exited).toBe(0);
    const table = JSON.parse(dump.stdout.join('\n')) as HsdumpJson;
    expect(table.poolElements).toBe(1);
    expect(table.pools).toMatchObject([{ pool: 'StandardPool', elements: [{ id: peId, userTransport: { port: pePort } }] }]);
  });

  it('$RSP_TRANSPORT chooses the mode of a command without --transport; a bad value is a clear error', { timeout: 60_000 }, async () => {
    const args = ['--udp-port', '0', '--remote-udp-port', String(udpPort), '--timeout', '5000', '--json', enrp];
    const viaEnv = node([mainJs, 'hsdump', ...args], { env: { ...process.env, RSP_TRANSPORT: 'udp-standard' } });
    expect(await viaEnv.exited).toBe(0);
    expect((JSON.parse(viaEnv.stdout.join('\n')) as HsdumpJson).pools[0]!.elements[0]!.id).toBe(peId);
    // --transport wins over the environment.
    const overridden = node([mainJs, 'hsdump', '--transport', 'udp-standard', ...args], { env: { ...process.env, RSP_TRANSPORT: 'raw' } });
    expect(await overridden.exited, overridden.stderr.join('\n')).toBe(0);
    // Without either, the per-port mode sends to a UDP port nobody serves: it fails, it does not hang.
    const env = { ...process.env };
    delete env['RSP_TRANSPORT'];
    const plain = node([mainJs, 'hsdump', ...args], { env });
    expect(await plain.exited).toBe(1);
    expect(plain.stderr.join('\n')).toMatch(/^rsp hsdump: error: /);
    const bad = node([mainJs, 'hsdump', ...args], { env: { ...process.env, RSP_TRANSPORT: 'sctp' } });
    expect(await bad.exited).not.toBe(0);
    expect(bad.stderr.join('\n')).toMatch(/\$RSP_TRANSPORT "sctp": expected one of udp, udp-standard, raw/);
  });

  it('stops cleanly on SIGTERM', { timeout: 30_000 }, async () => {
    registrar.child.kill('SIGTERM');
    expect(await registrar.exited).toBe(0);
  });
});

const netnsReason = netnsUnavailableReason();
const rawReason = netnsReason ?? rawModeUnavailableReason();
if (rawReason) console.log(`[skip] rsp registrar --transport raw in network namespaces: ${rawReason}`);

describe.skipIf(rawReason !== undefined)('rsp registrar --transport raw in network namespaces', () => {
  let pair: NetnsPair | undefined;
  afterAll(() => pair?.destroy());

  async function nextWith(child: NetnsChild, key: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    for (;;) {
      const line = await child.nextLine(timeoutMs);
      if (key in line) return line;
    }
  }

  it('serves a library PE and PU over raw IP; hsdump --transport raw shows the PE', { timeout: 120_000 }, async () => {
    pair = createNetnsPair('clitransp');
    const { a, b } = pair;
    const asap = `${a.ipv4}:3863`;
    const enrp = `${a.ipv4}:9901`;
    // JSON log lines, read like the fixtures' output.
    const registrar = a.spawnNode(mainJs, ['registrar', '--transport', 'raw', '--asap', asap, '--enrp', enrp, '--enrp-allow', a.ipv4, '--announce', 'off', '--log-format', 'json']);
    await nextWith(registrar, 'enrp');
    const raw = JSON.stringify({ mode: 'raw' });
    const pe = b.spawnNode(FIXTURE, ['pe', raw, asap, 'RawPool']);
    const ready = await nextWith(pe, 'ready');
    const pu = b.spawnNode(FIXTURE, ['pu', raw, raw, asap, 'RawPool', '3']);
    const replies: unknown[] = [];
    for (let line = await pu.nextLine(60_000); !('done' in line); line = await pu.nextLine(60_000)) replies.push(line['reply']);
    expect(replies).toEqual([1, 2, 3].map((i) => `${String(ready['ready'])}:ping ${i}`));

    const { stdout } = await execFileAsync('ip', ['netns', 'exec', a.name, process.execPath, mainJs, 'hsdump', '--transport', 'raw', '--local', a.ipv4, '--json', enrp], { timeout: 30_000 });
    const table = JSON.parse(stdout) as HsdumpJson;
    expect(table.pools).toMatchObject([{ pool: 'RawPool', elements: [{ id: ready['ready'], userTransport: { port: ready['port'] } }] }]);
    pe.process.kill('SIGTERM');
    registrar.process.kill('SIGTERM');
  });
});
