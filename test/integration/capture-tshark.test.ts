/**
 * Capture check: our own loopback traffic, captured with tshark and dissected
 * by Wireshark's SCTP and ASAP dissectors, has no malformed packets or
 * dissector errors, only correct CRC32c checksums, and ASAP messages with the
 * expected type and flags. UDP encapsulation (decoded with
 * `-d udp.port==PORT,sctp`) and, where root and raw-socket allow, raw IP.
 * Skipped with a printed reason when tshark is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRawEndpoint } from '../../src/transport/raw-endpoint.js';
import { rawModeUnavailableReason } from '../../src/transport/raw-stack.js';
import type { Association, Endpoint } from '../../src/transport/types.js';
import { createUdpEndpoint } from '../../src/transport/udp-endpoint.js';
import { killCaptures, startCapture, stopCapture, tsharkReason } from '../helpers/tshark.js';
import { encodeMessage, poolHandleFromString, type RSerPoolMessage } from '../../src/wire/index.js';

const reason = tsharkReason();
if (reason) console.log(`[skip] capture check: ${reason}`);
const rawReason = reason ?? rawModeUnavailableReason();
if (!reason && rawReason) console.log(`[skip] raw-IP capture check: ${rawReason}`);

const dir = mkdtempSync(join(tmpdir(), 'rserpool-capture-'));
afterAll(() => {
  killCaptures();
  rmSync(dir, { recursive: true, force: true });
});

/** An application PPID no Wireshark dissector claims (so the payload stays opaque). */
const OPAQUE_PPID = 0x52535031;

function analyse(file: string, decodeAs: string[]): { frames: string[][]; problems: string } {
  const base = ['-r', file, ...decodeAs, '-o', 'sctp.checksum:crc-32c'];
  const fields = spawnSync(
    'tshark',
    // Zero-length UDP datagrams are the endpoint's liveness probes, not SCTP.
    [...base, '-Y', 'sctp', '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 'sctp.checksum.status', '-e', 'sctp.chunk_type', '-e', 'asap.message_type', '-e', 'asap.message_flags'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const problems = spawnSync('tshark', [...base, '-Y', '_ws.malformed || _ws.expert.severity >= 8388608 || sctp.checksum.status != 1'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return {
    frames: fields.stdout.trim().split('\n').filter(Boolean).map((line) => line.split('|')),
    problems: problems.stdout.trim(),
  };
}

async function exercise(server: Endpoint, client: Endpoint, remote: { address: string; port: number }): Promise<void> {
  server.on('association', (a) => {
    a.on('message', (data, info) => void a.send(data, { ppid: info.ppid, stream: info.stream }).catch(() => {}));
  });
  const a: Association = await client.connect(remote);
  let replies = 0;
  a.on('message', () => replies++);
  const resolution: RSerPoolMessage = { protocol: 'asap', type: 'handle-resolution', poolHandle: poolHandleFromString('EchoPool') } as RSerPoolMessage;
  await a.send(encodeMessage(resolution), { ppid: 11 });
  await a.send(Buffer.alloc(5000, 0xa5), { ppid: OPAQUE_PPID });
  await a.send(encodeMessage(resolution), { ppid: 11, stream: 1 });
  const deadline = Date.now() + 10_000;
  while (replies < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(replies).toBe(3);
  await a.close();
  await client.close();
  await server.close();
}

function expectClean(result: { frames: string[][]; problems: string }): void {
  expect(result.problems, `tshark reports problems:\n${result.problems}`).toBe('');
  expect(result.frames.length).toBeGreaterThan(8);
  // Every SCTP packet has a checksum verified as good (status 1).
  for (const frame of result.frames) expect(frame[1], `frame ${frame[0]}`).toBe('1');
  const chunkTypes = new Set(result.frames.flatMap((f) => (f[2] ?? '').split(',')));
  for (const type of ['1', '2', '10', '11', '0', '3']) expect(chunkTypes, `chunk type ${type} seen`).toContain(type);
  const asap = result.frames.filter((f) => f[3]);
  // Two handle resolutions each way, type 5 with no flags.
  expect(asap.flatMap((f) => f[3]!.split(','))).toEqual(['5', '5', '5', '5']);
  expect(new Set(asap.flatMap((f) => f[4]!.split(',')))).toEqual(new Set(['0x00']));
}

describe.skipIf(reason !== undefined)('capture check with tshark', () => {
  it('UDP-encapsulated traffic on loopback dissects cleanly with correct CRC32c', async () => {
    const server = await createUdpEndpoint({ listen: true });
    const client = await createUdpEndpoint();
    const port = server.local.port;
    const file = join(dir, 'udp.pcapng');
    const capture = await startCapture(file, `udp port ${port}`);
    await exercise(server, client, server.local);
    await stopCapture(capture);
    expectClean(analyse(file, ['-d', `udp.port==${port},sctp`]));
  }, 120_000);

  it.skipIf(rawReason !== undefined)('raw-IP traffic on loopback dissects cleanly with correct CRC32c', async () => {
    const server = await createRawEndpoint({ listen: true });
    const client = await createRawEndpoint();
    const file = join(dir, 'raw.pcapng');
    const capture = await startCapture(file, `sctp and port ${server.local.port}`);
    await exercise(server, client, { address: '127.0.0.1', port: server.local.port });
    await stopCapture(capture);
    expectClean(analyse(file, []));
  }, 120_000);
});
