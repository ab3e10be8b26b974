/**
 * Component Status Protocol: the report layout (facts in
 * test/fixtures/csp-format.md), Wireshark's dissector on our reports, and
 * reports from `rsp registrar --csp` / `rsp server --csp` child processes
 * arriving at a monitor, final report included.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CspMonitor, cspComponentId, cspGroupOf, decodeCspReport, encodeCspReport, type CspComponent, type CspReport } from '../../src/observe/csp.js';
import { ProtocolError } from '../../src/errors.js';
import { killAll, requireBuild, rsp as run } from '../fixtures/cli-helpers.js';

const report: CspReport = {
  final: false,
  senderId: 0x02000000d2878f48n,
  timestampUs: 1_234_567n,
  reportIntervalUs: 1_000_000,
  location: 'host: 127.0.0.1:4711',
  status: '2 Session(s)',
  workload: 0.25,
  associations: [
    { receiverId: cspComponentId('registrar', 0x11223344), durationUs: 5_000_000n, protocolId: 132, ppid: 11 },
    { receiverId: cspComponentId('pu', 0xabcdef), protocolId: 132, ppid: 32 },
  ],
};

describe('CSP report layout', () => {
  it('encodes the fixed layout: 288 + 24·A bytes, version 0x0200, big-endian fields', () => {
    const b = encodeCspReport(report);
    expect(b.length).toBe(288 + 2 * 24);
    const v = new DataView(b.buffer);
    expect(v.getUint8(0)).toBe(1);
    expect(v.getUint8(1)).toBe(0);
    expect(v.getUint16(2)).toBe(336);
    expect(v.getUint32(4)).toBe(0x0200);
    expect(v.getBigUint64(8)).toBe(0x02000000d2878f48n);
    expect(v.getBigUint64(16)).toBe(1_234_567n);
    expect(v.getUint32(24)).toBe(1_000_000);
    expect(Buffer.from(b.subarray(28, 28 + 20)).toString('latin1')).toBe('host: 127.0.0.1:4711');
    expect(b[28 + 20]).toBe(0);
    expect(Buffer.from(b.subarray(156, 156 + 12)).toString('latin1')).toBe('2 Session(s)');
    expect(v.getUint16(284)).toBe(Math.round(0.25 * 0xfffe));
    expect(v.getUint16(286)).toBe(2);
    expect(v.getBigUint64(288)).toBe(0x0100000011223344n);
    expect(v.getBigUint64(296)).toBe(5_000_000n);
    expect(v.getUint16(304)).toBe(0);
    expect(v.getUint16(306)).toBe(132);
    expect(v.getUint32(308)).toBe(11);
    expect(v.getBigUint64(312 + 8)).toBe(0xffffffffffffffffn);
  });

  it('round-trips, marks unknown workload 0xFFFF, and truncates texts to 127 ASCII characters', () => {
    expect(decodeCspReport(encodeCspReport(report))).toEqual({ ...report, workload: Math.round(0.25 * 0xfffe) / 0xfffe });
    const long = encodeCspReport({ ...report, workload: undefined, status: 'x'.repeat(300), location: 'ü', associations: [] });
    expect(new DataView(long.buffer).getUint16(284)).toBe(0xffff);
    const d = decodeCspReport(long);
    expect(d.status).toBe('x'.repeat(127));
    expect(d.location).toBe('?');
    expect(d.workload).toBeUndefined();
    expect(cspGroupOf(report.senderId)).toBe('pe');
    expect(cspGroupOf(cspComponentId('registrar', 7))).toBe('registrar');
  });

  it('refuses what the reference monitor refuses: wrong type, version or size', () => {
    const b = encodeCspReport(report);
    const bad = (f: (c: Uint8Array) => Uint8Array): void => {
      expect(() => decodeCspReport(f(Uint8Array.from(b)))).toThrow(ProtocolError);
    };
    bad((c) => ((c[0] = 2), c));
    bad((c) => ((c[5] = 1), c));
    bad((c) => c.subarray(0, c.length - 1));
    bad((c) => Uint8Array.from([...c, 0]));
    bad((c) => c.subarray(0, 100));
  });
});

function available(tool: string): boolean {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}
const missing = ['tshark', 'text2pcap'].filter((t) => !available(t));
if (missing.length > 0) console.log(`csp: Wireshark check skipped, ${missing.join(' and ')} not installed (Debian: apt-get install tshark)`);

describe.skipIf(missing.length > 0)('CSP reports in Wireshark', () => {
  it('decode cleanly as componentstatusprotocol with our field values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csp-tshark-'));
    try {
      const reports = [report, { ...report, final: true, location: '', status: '', workload: 0, associations: [] }];
      const hex = reports.map((r) => '000000 ' + Buffer.from(encodeCspReport(r)).toString('hex').replace(/(..)/g, '$1 ')).join('\n');
      writeFileSync(join(dir, 'in.txt'), hex + '\n');
      const t2p = spawnSync('text2pcap', ['-q', '-u', '40000,2960', join(dir, 'in.txt'), join(dir, 'out.pcap')], { encoding: 'utf8' });
      expect(t2p.status, t2p.stderr).toBe(0);
      const fields = ['componentstatusprotocol.message_type', 'componentstatusprotocol.message_final_bit', 'componentstatusprotocol.message_length', 'componentstatusprotocol.message_version', 'componentstatusprotocol.message_sender_id', 'componentstatusprotocol.componentstatusreport_status', 'componentstatusprotocol.componentstatusreport_associations', 'componentstatusprotocol.componentassociation_ppid', '_ws.malformed', '_ws.expert'];
      const ts = spawnSync('tshark', ['-r', join(dir, 'out.pcap'), '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
      expect(ts.status, ts.stderr).toBe(0);
      const rows = ts.stdout.trim().split('\n').map((l) => l.split('|'));
      expect(rows).toHaveLength(2);
      const [first, last] = rows as [string[], string[]];
      expect(first[0]).toBe('1');
      expect(first[1]).toMatch(/^(0|False)$/);
      expect(first[2]).toBe('336');
      expect(Number(first[3])).toBe(0x200);
      expect(BigInt(first[4]!)).toBe(0x02000000d2878f48n);
      expect(first[5]).toBe('2 Session(s)');
      expect(first[6]).toBe('2');
      expect(first[7]).toBe('11,32');
      expect(first[8]).toBe('');
      expect(first[9]).toBe('');
      expect(last[1]).toMatch(/^(1|True)$/);
      expect(last[2]).toBe('288');
      expect(last[8]! + last[9]!).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CSP from rsp registrar and rsp server', () => {
  let monitor: CspMonitor;
  beforeAll(async () => {
    requireBuild();
    monitor = await CspMonitor.listen({ listen: { address: '127.0.0.1', port: 0 } });
  });
  afterAll(async () => {
    killAll();
    await monitor?.close();
  });

  const seen = (pred: (c: CspComponent) => boolean, timeout = 30_000): Promise<CspComponent> =>
    new Promise((resolve, reject) => {
      const now = monitor.list().find(pred);
      if (now) return resolve(now);
      const t = setTimeout(() => reject(new Error(`no matching report within ${timeout} ms: ${JSON.stringify(monitor.list().map((c) => c.last.status))}`)), timeout);
      const on = (c: CspComponent): void => {
        if (!pred(c)) return;
        clearTimeout(t);
        monitor.off('report', on);
        resolve(c);
      };
      monitor.on('report', on);
    });

  it('reports the registrar and a PE in the reference wording, and the PE\'s final report', { timeout: 90_000 }, async () => {
    const csp = `127.0.0.1:${monitor.address.port}`;
    const registrar = run(['registrar', '--asap', '127.0.0.1:0', '--announce', 'off', '--enrp', 'off', '--csp', csp, '--csp-interval', '250', '--keep-alive-interval', '500']);
    const line = await registrar.wait((l) => l.includes(' listening '), 30_000);
    const asap = /asap=([\d.]+:\d+)/.exec(line)![1]!;
    const id = BigInt(/registrar=(0x[0-9a-f]+)/.exec(line)![1]!);
    const reg = await seen((c) => c.id === cspComponentId('registrar', id));
    expect(reg.last.status).toBe('0[0] PEs in 0 Pool(s), 0 Peer(s)');
    expect(reg.last.workload).toBeUndefined();
    expect(reg.last.reportIntervalUs).toBe(250_000);

    const pe = run(['server', '--service', 'echo', '--pool', 'CspPool', '--registrar', asap, '--policy', 'least-used', '--load', '0.5', '--csp', csp, '--csp-interval', '250', '--quiet']);
    const peId = BigInt('0x' + /registered PE 0x([0-9a-f]{8})/.exec(await pe.wait((l) => l.startsWith('registered PE'), 30_000))![1]!);
    // The PE learns its registrar's id from the first endpoint keep-alive (the registration response does not carry it).
    const peComponent = await seen((c) => c.id === cspComponentId('pe', peId) && c.last.status === '0 Session(s)' && c.last.associations.length > 0);
    expect(peComponent.last.workload).toBeCloseTo(0.5, 3);
    expect(peComponent.last.associations).toEqual([expect.objectContaining({ receiverId: cspComponentId('registrar', id), protocolId: 132, ppid: 11 })]);
    expect(peComponent.last.location).toMatch(/: 127\.0\.0\.1:\d+$/);
    await seen((c) => c.id === cspComponentId('registrar', id) && c.last.status === '1[1] PEs in 1 Pool(s), 0 Peer(s)');

    pe.child.kill('SIGTERM');
    const final = await seen((c) => c.id === cspComponentId('pe', peId) && c.last.final);
    expect(final.last).toMatchObject({ status: '', location: '', workload: 0, associations: [] });
    expect(await pe.exited).toBe(0);
    registrar.child.kill('SIGTERM');
    await seen((c) => c.id === cspComponentId('registrar', id) && c.last.final);
  });
});

describe('rsp monitor', () => {
  afterAll(killAll);
  it('shows the components that report to it over HTTP, with their final report', { timeout: 60_000 }, async () => {
    requireBuild();
    const m = run(['monitor', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0']);
    const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(await m.wait((l) => l.startsWith('monitor listening'), 30_000))![1]);
    const url = /^http (http:\/\/[\d.]+:\d+)/.exec(await m.wait((l) => l.startsWith('http '), 30_000))![1]!;
    const { CspReporter } = await import('../../src/observe/csp.js');
    const id = cspComponentId('pu', 0x123456);
    const reporter = new CspReporter({ monitor: { address: '127.0.0.1', port }, interval: 250, id, status: () => ({ location: 'test', status: 'Fractal: 40 %', associations: [{ receiverId: cspComponentId('pe', 0xabc), protocolId: 132, ppid: 32 }] }) });
    type View = { id: string; kind: string; status: string; final: boolean; associations: { receiver: string; ppidName: string }[] };
    const get = async (): Promise<View[]> => (await (await fetch(`${url}/api/components`)).json()) as View[];
    const until = async (pred: (v: View[]) => boolean): Promise<View[]> => {
      for (let i = 0; i < 300; i++) {
        const v = await get();
        if (pred(v)) return v;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`monitor never showed it: ${JSON.stringify(await get())}`);
    };
    const [c] = await until((v) => v.length === 1);
    expect(c).toMatchObject({ id: '0x0300000000123456', kind: 'pool user', status: 'Fractal: 40 %', final: false, associations: [{ receiver: '0x0200000000000abc', ppidName: 'Fractal' }] });
    await m.wait((l) => l.includes('component-up pool user 0x0300000000123456'), 10_000);
    await reporter.close();
    await until((v) => v[0]?.final === true);
    await m.wait((l) => l.includes('component-stopped'), 10_000);
    m.child.kill('SIGTERM');
    expect(await m.exited).toBe(0);
  });
});

describe('rsp registrar --csp-listen', () => {
  afterAll(killAll);
  it('shows the registrar\'s pools and the components reporting to it in one view', { timeout: 60_000 }, async () => {
    requireBuild();
    const registrar = run(['registrar', '--asap', '127.0.0.1:0', '--announce', 'off', '--enrp', 'off', '--http', '127.0.0.1:0', '--csp-listen', '127.0.0.1:0']);
    const cspPort = /csp=127\.0\.0\.1:(\d+)/.exec(await registrar.wait((l) => l.includes('csp-listening'), 30_000))![1]!;
    const url = /url=(http:\/\/[\d.]+:\d+)/.exec(await registrar.wait((l) => l.includes('http-listening'), 30_000))![1]!;
    const asap = /asap=([\d.]+:\d+)/.exec(await registrar.wait((l) => l.includes(' listening '), 30_000))![1]!;
    const pe = run(['server', '--service', 'echo', '--pool', 'OnePicture', '--registrar', asap, '--csp', `127.0.0.1:${cspPort}`, '--csp-interval', '250', '--quiet']);
    const peId = /registered PE (0x[0-9a-f]{8})/.exec(await pe.wait((l) => l.startsWith('registered PE'), 30_000))![1]!;
    type State = { pools: { elements: { id: string }[] }[]; components?: { id: string; kind: string; status: string }[] };
    let s: State | undefined;
    for (let i = 0; i < 300; i++) {
      s = (await (await fetch(`${url}/api/state`)).json()) as State;
      if (s.pools.length === 1 && (s.components ?? []).length === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(s!.pools[0]!.elements.map((e) => e.id)).toEqual([peId]);
    expect(s!.components![0]).toMatchObject({ id: `0x02000000${peId.slice(2)}`, kind: 'pool element', status: '0 Session(s)' });
    pe.child.kill('SIGTERM');
    expect(await pe.exited).toBe(0);
    registrar.child.kill('SIGTERM');
    expect(await registrar.exited).toBe(0);
  });
});

describe('CSP monitor limits', () => {
  it('tracks at most maxComponents components and counts bad datagrams', async () => {
    const monitor = await CspMonitor.listen({ listen: { address: '127.0.0.1', port: 0 }, maxComponents: 3 });
    const { createSocket } = await import('node:dgram');
    const sock = createSocket('udp4');
    try {
      const send = (b: Uint8Array): Promise<void> => new Promise((r) => sock.send(b, monitor.address.port, '127.0.0.1', () => r()));
      for (let i = 1; i <= 5; i++) await send(encodeCspReport({ ...report, senderId: cspComponentId('pu', i) }));
      await send(Uint8Array.from([1, 2, 3]));
      for (let i = 0; i < 200 && monitor.reports + monitor.invalid < 6; i++) await new Promise((r) => setTimeout(r, 10));
      expect(monitor.list()).toHaveLength(3);
      expect(monitor.reports).toBe(3);
      expect(monitor.invalid).toBe(3);
    } finally {
      sock.close();
      await monitor.close();
    }
  });
});

describe('CSP from rsp fractal', () => {
  afterAll(killAll);
  it('the pool user reports its sessions with the serving PEs (PPID 32), the demo PEs report too', { timeout: 90_000 }, async () => {
    requireBuild();
    const monitor = await CspMonitor.listen({ listen: { address: '127.0.0.1', port: 0 } });
    try {
      const reports: CspComponent[] = [];
      monitor.on('report', (c) => reports.push({ ...c, last: c.last }));
      const f = run(['fractal', '--demo', '2', '--pe-rate', '1500', '--width', '128', '--height', '64', '--sessions', '2', '--images', '1', '--csp', `127.0.0.1:${monitor.address.port}`, '--csp-interval', '250']);
      await f.wait((l) => l.startsWith('complete: image 1 complete'), 60_000);
      expect(await f.exited).toBe(0);
      const pu = reports.filter((c) => c.group === 'pu');
      const busy = pu.find((c) => c.last.associations.length === 2);
      expect(busy, JSON.stringify(pu.map((c) => c.last.status))).toBeDefined();
      expect(busy!.last.status).toBe('2 Session(s)');
      for (const a of busy!.last.associations) expect(a).toMatchObject({ protocolId: 132, ppid: 32 });
      const peIds = new Set(reports.filter((c) => c.group === 'pe').map((c) => c.id));
      for (const a of busy!.last.associations) expect(peIds.has(a.receiverId)).toBe(true);
      expect(pu.at(-1)!.last.final).toBe(true);
    } finally {
      await monitor.close();
    }
  });
});
