/**
 * Wireshark cross-check of the encoder: every message type we encode (with
 * every transport, every policy, the handle resolution option and error
 * causes carrying their offending parameter or message) is wrapped into a
 * pcap with text2pcap and dissected by tshark, which must recognise the
 * message type and flag nothing as malformed. Skipped when tshark or
 * text2pcap is not installed.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeMessage,
  ErrorCauseCode,
  POLICY_FIELDS,
  policyParameterBytes,
  poolHandleFromString,
  transportParameterBytes,
  type ErrorCause,
  type PolicyInfo,
  type PolicyName,
  type PoolElementParam,
  type RSerPoolMessage,
  type TransportParam,
} from '../../src/wire/index.js';

function available(tool: string): boolean {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}

const missing = ['tshark', 'text2pcap'].filter((t) => !available(t));
if (missing.length > 0) {
  console.log(`wire-tshark: skipped, ${missing.join(' and ')} not installed (Debian: apt-get install tshark)`);
}

const poolHandle = poolHandleFromString('EchoPool');
const transports: TransportParam[] = [
  { protocol: 'sctp', port: 7000, transportUse: 1, addresses: ['192.0.2.10', '2001:db8::10'] },
  { protocol: 'tcp', port: 8080, transportUse: 1, addresses: ['192.0.2.20'] },
  { protocol: 'udp', port: 5353, addresses: ['192.0.2.20'] },
  { protocol: 'udp-lite', port: 5000, addresses: ['2001:db8::20'] },
  { protocol: 'dccp', port: 5001, serviceCode: 42, addresses: ['192.0.2.21'] },
];
const asapTransport: TransportParam = { protocol: 'sctp', port: 40001, transportUse: 0, addresses: ['192.0.2.10'] };
const policies: PolicyInfo[] = (Object.keys(POLICY_FIELDS) as PolicyName[]).map((type) => {
  const p: Record<string, unknown> = { type };
  POLICY_FIELDS[type].forEach((f, i) => (p[f] = [0x40000000, 0x01000000, 0x00418937, 25][i]));
  return p as PolicyInfo;
});
const pe = (i: number, withAsap: boolean): PoolElementParam => ({
  peId: 0x11223344 + i,
  homeRegistrarId: 0xabcd,
  registrationLife: 300000,
  userTransport: transports[i % transports.length]!,
  policy: policies[i % policies.length]!,
  ...(withAsap ? { asapTransport } : {}),
});

const policyTlv = policyParameterBytes({ type: 'least-used', load: 0x40000000 });
const unknownTlv = Uint8Array.of(0x00, 0x42, 0x00, 0x08, 1, 2, 3, 4);
const transportTlv = transportParameterBytes({ protocol: 'udp', port: 5353, addresses: ['192.0.2.20'] });
const messageInfo = Uint8Array.of(0x20, 0x00, 0x00, 0x04);
/** Every cause code; those Wireshark dissects as "contains a parameter/message" carry one. */
const causes: ErrorCause[] = [
  { code: ErrorCauseCode.UNSPECIFIED, info: new Uint8Array(0) },
  { code: ErrorCauseCode.UNRECOGNIZED_PARAMETER, info: unknownTlv },
  { code: ErrorCauseCode.UNRECOGNIZED_MESSAGE, info: messageInfo },
  { code: ErrorCauseCode.INVALID_VALUES, info: policyTlv },
  { code: ErrorCauseCode.NON_UNIQUE_PE_ID, info: new Uint8Array(0) },
  { code: ErrorCauseCode.INCONSISTENT_POLICY, info: policyTlv },
  { code: ErrorCauseCode.LACK_OF_RESOURCES, info: new Uint8Array(0) },
  { code: ErrorCauseCode.INCONSISTENT_TRANSPORT, info: transportTlv },
  { code: ErrorCauseCode.INCONSISTENT_DATA_CONTROL, info: new Uint8Array(0) },
  { code: ErrorCauseCode.UNKNOWN_POOL_HANDLE, info: new Uint8Array(0) },
  { code: ErrorCauseCode.SECURITY_REJECTION, info: new Uint8Array(0) },
  { code: 0xf008, info: new Uint8Array(0) },
];

const ids = { senderServerId: 0xabcd, receiverServerId: 0xabce };
const serverInfo = { serverId: 0xabcd, transport: { protocol: 'sctp' as const, port: 9901, transportUse: 0, addresses: ['192.0.2.1', '2001:db8::1'] } };

const ASAP: RSerPoolMessage[] = [
  ...policies.map((_, i) => ({ protocol: 'asap', type: 'registration', poolHandle, poolElement: { ...pe(i, false), homeRegistrarId: 0 } }) as RSerPoolMessage),
  { protocol: 'asap', type: 'deregistration', poolHandle, peId: 0x11223344 },
  { protocol: 'asap', type: 'registration-response', poolHandle, peId: 0x11223344 },
  { protocol: 'asap', type: 'registration-response', rejected: true, poolHandle, peId: 0x11223344, operationError: [causes[5]!] },
  { protocol: 'asap', type: 'deregistration-response', poolHandle, peId: 0x11223344 },
  { protocol: 'asap', type: 'handle-resolution', poolHandle },
  { protocol: 'asap', type: 'handle-resolution', subscribe: true, poolHandle, items: 0xffffffff },
  { protocol: 'asap', type: 'handle-resolution-response', poolHandle, poolElements: [0, 1, 2, 3, 4].map((i) => pe(i, i === 4)) },
  { protocol: 'asap', type: 'handle-resolution-response', poolHandle, poolElements: [], operationError: [causes[9]!] },
  { protocol: 'asap', type: 'endpoint-keep-alive', home: true, serverId: 0xabcd, poolHandle, peId: 0x11223344 },
  { protocol: 'asap', type: 'endpoint-keep-alive', serverId: 0xabcd, poolHandle },
  { protocol: 'asap', type: 'endpoint-keep-alive-ack', poolHandle, peId: 0x11223344 },
  { protocol: 'asap', type: 'endpoint-unreachable', poolHandle, peId: 0x55667788 },
  { protocol: 'asap', type: 'server-announce', serverId: 0xabcd, transports: [] },
  { protocol: 'asap', type: 'server-announce', serverId: 0xabcd, transports: transports.slice(0, 3) },
  { protocol: 'asap', type: 'cookie', cookie: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
  { protocol: 'asap', type: 'cookie-echo', cookie: Uint8Array.of(1, 2, 3, 4, 5) },
  { protocol: 'asap', type: 'business-card', poolHandle, poolElements: [pe(0, false), pe(1, false)] },
  { protocol: 'asap', type: 'error', operationError: causes },
];

const ENRP: RSerPoolMessage[] = [
  { protocol: 'enrp', type: 'presence', ...ids, checksum: 0xc040, serverInfo },
  { protocol: 'enrp', type: 'presence', ...ids, replyRequired: true, checksum: 0xffff, serverInfo },
  { protocol: 'enrp', type: 'handle-table-request', ...ids, ownChildrenOnly: true },
  {
    protocol: 'enrp',
    type: 'handle-table-response',
    ...ids,
    moreToSend: true,
    pools: [
      { poolHandle, poolElements: [pe(0, true), pe(1, true)] },
      { poolHandle: poolHandleFromString('CalcAppPool'), poolElements: [pe(2, true)] },
    ],
  },
  { protocol: 'enrp', type: 'handle-table-response', ...ids, rejected: true, pools: [] },
  { protocol: 'enrp', type: 'handle-update', ...ids, action: 'add-pe', poolHandle, poolElement: pe(3, true) },
  { protocol: 'enrp', type: 'handle-update', ...ids, takeoverSuggested: true, action: 'del-pe', poolHandle, poolElement: pe(4, true) },
  { protocol: 'enrp', type: 'list-request', ...ids },
  { protocol: 'enrp', type: 'list-response', ...ids, servers: [serverInfo, { ...serverInfo, serverId: 0xabcf }] },
  { protocol: 'enrp', type: 'init-takeover', ...ids, targetServerId: 0xabcf },
  { protocol: 'enrp', type: 'init-takeover-ack', ...ids, targetServerId: 0xabcf },
  { protocol: 'enrp', type: 'takeover-server', ...ids, targetServerId: 0xabcf },
  { protocol: 'enrp', type: 'error', ...ids, operationError: causes },
];

/** text2pcap hex dump of the messages, one packet each. */
function hexdump(messages: Uint8Array[]): string {
  let out = '';
  for (const m of messages) {
    for (let o = 0; o < m.length; o += 16) {
      out += `${o.toString(16).padStart(6, '0')} ${[...m.subarray(o, o + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}\n`;
    }
  }
  return out;
}

interface Dissection {
  type: string;
  malformed: boolean;
}

/** Dissects the messages with tshark, as SCTP DATA with the given port and PPID. */
function dissect(messages: Uint8Array[], protocol: 'asap' | 'enrp'): Dissection[] {
  const dir = mkdtempSync(join(tmpdir(), 'rsp-wire-tshark-'));
  try {
    const txt = join(dir, 'dump.txt');
    const pcap = join(dir, 'dump.pcap');
    writeFileSync(txt, hexdump(messages));
    const port = protocol === 'asap' ? 3863 : 9901;
    const ppid = protocol === 'asap' ? 11 : 12;
    const t2p = spawnSync('text2pcap', ['-q', '-S', `${port},${port},${ppid}`, txt, pcap], { encoding: 'utf8' });
    expect(t2p.status, t2p.stderr).toBe(0);
    const ts = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-E', 'separator=|', '-e', `${protocol}.message_type`, '-e', '_ws.malformed'], {
      encoding: 'utf8',
    });
    expect(ts.status, ts.stderr).toBe(0);
    return ts.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [types, malformed] = line.split('|');
        const type = (types ?? '').split(',')[0]; // a cause carrying a message adds the inner type
        return { type: type ?? '', malformed: (malformed ?? '').length > 0 };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(missing.length > 0)('Wireshark (tshark) dissects everything we encode', () => {
  for (const [protocol, messages] of [
    ['asap', ASAP],
    ['enrp', ENRP],
  ] as const) {
    it(`${protocol}: ${messages.length} messages, every type, nothing malformed`, () => {
      const encoded = messages.map((m) => encodeMessage(m));
      const result = dissect(encoded, protocol);
      expect(result).toHaveLength(messages.length);
      result.forEach((r, i) => {
        const what = `${messages[i]!.type} #${i}`;
        expect(r.type, what).toBe(String(encoded[i]![0]));
        expect(r.malformed, `${what} flagged malformed`).toBe(false);
      });
      const types = new Set(messages.map((m) => m.type));
      expect(types.size).toBe(protocol === 'asap' ? 14 : 10);
    });
  }

  it('detects malformed messages (control: a cause 0x2 without its message, as RSPLIB sends)', () => {
    const bad = encodeMessage({ protocol: 'asap', type: 'error', operationError: [{ code: 2, info: new Uint8Array(0) }] });
    expect(dissect([bad], 'asap')[0]!.malformed).toBe(true);
  });
});
