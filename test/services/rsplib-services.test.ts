/**
 * The reference's PingPong and CalcApp protocols (facts in
 * test/fixtures/rsplib-services.md): byte layouts against hand-written
 * vectors, and the PE services' behaviour on in-memory sessions.
 */
import { describe, expect, it } from 'vitest';
import {
  CalcAppType,
  createCalcAppService,
  decodeCalcApp,
  decodeCalcAppCookie,
  encodeCalcApp,
  encodeCalcAppCookie,
} from '../../src/services/calcapp.js';
import { createMemorySessionPair } from '../../src/services/memory-session.js';
import {
  decodeRsplibPingPongCookie,
  decodeRsplibPong,
  encodeRsplibPing,
  encodeRsplibPingPongCookie,
  PINGPONG_PPID,
  rsplibPingPongService,
} from '../../src/services/rsplib-pingpong.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('PingPong wire format', () => {
  it('Ping, Pong and cookie bytes are as the reference sends them', () => {
    expect(hex(encodeRsplibPing(1n, Buffer.from('ab')))).toBe('0100000e' + '0000000000000001' + '6162');
    expect(hex(encodeRsplibPingPongCookie(2n))).toBe('3c50502d5444313e' + '0000000000000002');
    expect(decodeRsplibPingPongCookie(Buffer.from('3c50502d5444313e0000000000000004', 'hex'))).toBe(4n);
    expect(() => decodeRsplibPingPongCookie(Buffer.from('3c50502d5444313f0000000000000004', 'hex'))).toThrow(/PingPong cookie/);
    const pong = decodeRsplibPong(Buffer.from('02000016' + '0000000000000007' + '0000000000000003' + '6162', 'hex'));
    expect(pong).toEqual({ messageNo: 7n, replyNo: 3n, data: new Uint8Array([0x61, 0x62]) });
  });

  it('the PE replies first, then sends a cookie with the next ReplyNo; an echoed cookie continues the count', async () => {
    const { service, user } = createMemorySessionPair();
    const done = rsplibPingPongService.handle(service);
    for (const n of [1n, 2n]) {
      user.send(encodeRsplibPing(n, Buffer.from(`ping ${n}`)), { ppid: PINGPONG_PPID });
      const m = await user.recv();
      expect(m?.ppid).toBe(PINGPONG_PPID);
      expect(decodeRsplibPong(m!.data)).toEqual({ messageNo: n, replyNo: n, data: new Uint8Array(Buffer.from(`ping ${n}`)) });
      // The cookie of a Pong is sent after it (it is there once the next message arrives).
      await new Promise((r) => setImmediate(r));
      expect(decodeRsplibPingPongCookie(user.cookies.at(-1)!)).toBe(n + 1n);
    }
    user.close();
    await done;

    const resumed = createMemorySessionPair(user.cookies.at(-1));
    const again = rsplibPingPongService.handle(resumed.service);
    resumed.user.send(encodeRsplibPing(3n));
    expect(decodeRsplibPong((await resumed.user.recv())!.data)?.replyNo).toBe(3n);
    resumed.user.close();
    await again;
  });

  it('a message that is not a Ping, or a foreign cookie, ends the session', async () => {
    const bad = createMemorySessionPair();
    const done = rsplibPingPongService.handle(bad.service);
    bad.user.send(Buffer.from('02000014' + '00'.repeat(16), 'hex'));
    expect(await bad.user.recv()).toBeNull();
    await done;
    const foreign = createMemorySessionPair(Buffer.from('not a pingpong cookie'));
    await rsplibPingPongService.handle(foreign.service);
    expect(foreign.user.closedByService).toBe(true);
  });
});

describe('CalcApp wire format and PE', () => {
  it('messages are 24 bytes and the cookie is 20 bytes as in the live example', () => {
    const m = encodeCalcApp({ type: CalcAppType.Request, jobId: 3, jobSize: 15_732_989n, completed: 0n });
    expect(hex(m)).toBe('01000018' + '00000003' + '0000000000f010fd' + '0000000000000000');
    expect(decodeCalcApp(m)).toEqual({ type: 1, jobId: 3, jobSize: 15_732_989n, completed: 0n });
    expect(decodeCalcApp(m.subarray(0, 23))).toBeUndefined();
    const cookie = Buffer.from('000000030000000000f010fd00000000000f4262', 'hex');
    expect(decodeCalcAppCookie(cookie)).toEqual({ jobId: 3, jobSize: 15_732_989n, completed: 1_000_034n });
    expect(hex(encodeCalcAppCookie({ jobId: 3, jobSize: 15_732_989n, completed: 1_000_034n }))).toBe(hex(cookie));
  });

  it('accepts up to maxJobs jobs (load = jobs / maxJobs), rejects more, completes with cookies and keep-alives', async () => {
    const loads: number[] = [];
    const service = createCalcAppService({ capacity: 100_000, maxJobs: 2, keepAliveInterval: 100, keepAliveTimeout: 2000, cookieMaxTime: 100, onLoad: (l) => loads.push(l) });
    const { service: end, user } = createMemorySessionPair();
    const done = service.handle(end);
    const request = (jobId: number, size: bigint): void => user.send(encodeCalcApp({ type: CalcAppType.Request, jobId, jobSize: size, completed: 0n }));
    request(1, 40_000n);
    request(2, 20_000n);
    request(3, 1000n);
    const seen: Array<{ type: number; jobId: number }> = [];
    let complete = 0;
    while (complete < 2) {
      const m = decodeCalcApp((await user.recv())!.data)!;
      seen.push({ type: m.type, jobId: m.jobId });
      if (m.type === CalcAppType.KeepAlive) user.send(encodeCalcApp({ ...m, type: CalcAppType.KeepAliveAck }));
      if (m.type === CalcAppType.Complete) {
        complete++;
        expect(m.completed).toBe(m.jobSize);
      }
    }
    expect(seen.slice(0, 3)).toEqual([
      { type: CalcAppType.Accept, jobId: 1 },
      { type: CalcAppType.Accept, jobId: 2 },
      { type: CalcAppType.Reject, jobId: 3 },
    ]);
    // Job 2 is smaller and finishes first; both ran at half the capacity meanwhile.
    expect(seen.filter((s) => s.type === CalcAppType.Complete).map((s) => s.jobId)).toEqual([2, 1]);
    expect(loads).toEqual([0.5, 1, 0.5, 0]);
    expect(user.cookies.length).toBeGreaterThan(0);
    const last = decodeCalcAppCookie(user.cookies.at(-1)!)!;
    expect(last.jobId === 1 || last.jobId === 2).toBe(true);
    expect(last.completed).toBeLessThanOrEqual(last.jobSize);
    user.close();
    await done;
  });

  it('a job echoed in a cookie continues from its Completed count; a job whose Keep-Alive is not acked is dropped silently', async () => {
    const service = createCalcAppService({ capacity: 1_000_000, maxJobs: 4, keepAliveInterval: 100, keepAliveTimeout: 100 });
    const cookie = encodeCalcAppCookie({ jobId: 9, jobSize: 10_000_000n, completed: 9_990_000n });
    const { service: end, user } = createMemorySessionPair(cookie);
    const done = service.handle(end);
    const accept = decodeCalcApp((await user.recv())!.data)!;
    expect(accept).toMatchObject({ type: CalcAppType.Accept, jobId: 9 });
    // 10,000 calculations left at 10⁶/s: about 10 ms, well before any keep-alive.
    const complete = decodeCalcApp((await user.recv())!.data)!;
    expect(complete).toMatchObject({ type: CalcAppType.Complete, jobId: 9, jobSize: 10_000_000n, completed: 10_000_000n });
    user.send(encodeCalcApp({ type: CalcAppType.Request, jobId: 10, jobSize: 10n ** 12n, completed: 0n }));
    expect(decodeCalcApp((await user.recv())!.data)).toMatchObject({ type: CalcAppType.Accept, jobId: 10 });
    expect(decodeCalcApp((await user.recv())!.data)).toMatchObject({ type: CalcAppType.KeepAlive, jobId: 10 });
    const deadline = Date.now() + 10_000;
    while (service.jobCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(service.jobCount).toBe(0);
    expect(user.closedByService).toBe(false);
    user.close();
    await done;
  });
});
