/**
 * Capture check of the services: a PingPong and a CalcApp exchange between
 * our pool user and our PEs (registrar, PEs and PU in this process over UDP
 * encapsulation on loopback), captured with tshark, decode as the
 * reference's protocols (`pingpongprotocol`, `calcappprotocol`) with the
 * expected message types and no malformed packets or dissector errors.
 * Skipped with a printed reason when tshark is missing or not root.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../helpers/ports.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { CALCAPP_PPID, createCalcAppService, runCalcAppJob } from '../../src/services/calcapp.js';
import { PINGPONG_PPID, rsplibPingPongService, runRsplibPingPong } from '../../src/services/rsplib-pingpong.js';
import { serve } from '../../src/services/serve.js';
import { connect, socket } from '../../src/session/enhanced-mode.js';
import { killCaptures, startCapture, stopCapture, tsharkReason } from '../helpers/tshark.js';

const reason = tsharkReason();
if (reason) console.log(`[skip] services capture check: ${reason}`);
const dir = mkdtempSync(join(tmpdir(), 'rserpool-services-capture-'));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  killCaptures();
  rmSync(dir, { recursive: true, force: true });
});


/** Values of one field per frame, for frames that have it. */
function field(file: string, decodeAs: string[], name: string): string[] {
  const r = spawnSync('tshark', ['-r', file, ...decodeAs, '-Y', name, '-T', 'fields', '-e', name], { encoding: 'utf8', timeout: 60_000 });
  return r.stdout.split('\n').filter(Boolean).flatMap((l) => l.split(','));
}

describe.skipIf(reason !== undefined)('services capture check with tshark', () => {
  it('PingPong and CalcApp dissect cleanly as the reference protocols', async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const registrars = [`127.0.0.1:${registrar.addresses[0]!.port}`];
    const [pingPort, calcPort] = [await freeUdpPort(), await freeUdpPort()];
    const pingPe = socket({ registrars });
    cleanups.push(() => pingPe.close());
    await pingPe.register('PingPongPool', { port: pingPort });
    serve(pingPe, rsplibPingPongService);
    const calcPe = socket({ registrars });
    cleanups.push(() => calcPe.close());
    await calcPe.register('CalcAppPool', { port: calcPort });
    serve(calcPe, createCalcAppService({ capacity: 1_000_000, cookieMaxTime: 100 }));

    const file = join(dir, 'services.pcapng');
    const capture = await startCapture(file, `udp port ${pingPort} or udp port ${calcPort}`);
    const ping = await connect('PingPongPool', { registrars, ppid: PINGPONG_PPID });
    cleanups.push(() => ping.close());
    const summary = await runRsplibPingPong(ping, { count: 3, interval: 10, replyTimeout: 5000 });
    expect(summary).toMatchObject({ replies: 3, gaps: 0, repeats: 0 });
    await ping.close();
    const calc = await connect('CalcAppPool', { registrars, ppid: CALCAPP_PPID });
    cleanups.push(() => calc.close());
    // 300,000 calculations at 10⁶/s: about 300 ms, with cookies every 100 ms.
    const job = await runCalcAppJob(calc, 1, 300_000n, { keepAliveInterval: 100, keepAliveTimeout: 5000 });
    expect(job.jobId).toBe(1);
    await calc.close();
    await stopCapture(capture);

    const decodeAs = ['-d', `udp.port==${pingPort},sctp`, '-d', `udp.port==${calcPort},sctp`, '-o', 'sctp.checksum:crc-32c'];
    const problems = spawnSync('tshark', ['-r', file, ...decodeAs, '-Y', '_ws.malformed || _ws.expert.severity >= 8388608 || sctp.checksum.status == 0'], { encoding: 'utf8', timeout: 60_000 });
    expect(problems.stdout.trim(), 'tshark reports problems').toBe('');
    expect(field(file, decodeAs, 'pingpongprotocol.message_type')).toEqual(['1', '2', '1', '2', '1', '2']);
    expect(field(file, decodeAs, 'pingpongprotocol.pong_replyno')).toEqual(['1', '2', '3']);
    const calcTypes = field(file, decodeAs, 'calcappprotocol.message_type');
    expect(calcTypes.slice(0, 2)).toEqual(['1', '2']);
    expect(calcTypes).toContain('6');
    expect(calcTypes).toContain('7');
    // The job ends with Completed (5); only a keep-alive (6) or its ack (7) that crossed it may follow.
    const completed = calcTypes.lastIndexOf('5');
    expect(completed).toBeGreaterThan(1);
    expect(calcTypes.slice(completed + 1).every((t) => t === '6' || t === '7'), calcTypes.join(',')).toBe(true);
    expect(new Set(field(file, decodeAs, 'calcappprotocol.message_length'))).toEqual(new Set(['24']));
  }, 120_000);
});
