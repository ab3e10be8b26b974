import { describe, expect, it } from 'vitest';
import { decodeEnrp, encodeEnrp } from '../../../src/registrar/enrp/codec-adapter.js';
import type { PeerMessage } from '../../../src/registrar/enrp/messages.js';
import { poolElementParamSize, ENRP_HEADER_SIZE, poolHandleParamSize } from '../../../src/registrar/enrp/message-size.js';
import { handle, pe } from './helpers.js';

const info = { serverId: 0xabcd, transport: { protocol: 'sctp' as const, port: 9901, transportUse: 0, addresses: ['192.0.2.1'] } };
const h = { senderId: 0xabcd, receiverId: 0xabce };

const samples: PeerMessage[] = [
  { ...h, type: 'presence', replyRequired: true, checksum: 0xc040, serverInfo: info },
  { ...h, type: 'handle-table-request', ownChildrenOnly: true },
  { ...h, type: 'handle-table-response', rejected: false, more: true, groups: [{ poolHandle: handle('EchoPool'), elements: [pe(1, 0xabcd), pe(2, 0xabcd)] }] },
  { ...h, type: 'handle-update', action: 'del', takeoverSuggested: false, poolHandle: handle('EchoPool'), element: pe(7, 0xabcd) },
  { ...h, type: 'list-request' },
  { ...h, type: 'list-response', rejected: false, servers: [info] },
  { ...h, type: 'init-takeover', targetId: 0x1234 },
  { ...h, type: 'init-takeover-ack', targetId: 0x1234 },
  { ...h, type: 'takeover-server', targetId: 0x1234 },
];

describe('ENRP codec adapter', () => {
  it('round-trips every message kind through the wire codec', () => {
    for (const m of samples) expect(decodeEnrp(encodeEnrp(m))).toEqual(m);
  });

  it('matches the reference Presence example byte for byte (spec §4)', () => {
    const bytes = encodeEnrp({ ...h, type: 'presence', replyRequired: false, checksum: 0xc040, serverInfo: { serverId: 0xabcd, transport: { protocol: 'sctp', port: 9901, transportUse: 0, addresses: ['192.0.2.1', '2001:db8::1'] } } });
    expect(Buffer.from(bytes).toString('hex')).toBe(
      '01000040' + '0000abcd' + '0000abce' + '000f0006c0400000' + '000b002c0000abcd' + '0004002426ad0000' + '00010008c0000201' + '0002001420010db8000000000000000000000001',
    );
  });

  it('estimates Handle Table Response sizes exactly', () => {
    const groups = [{ poolHandle: handle('EchoPool1'), elements: [pe(1, 1), pe(2, 1)] }];
    const bytes = encodeEnrp({ ...h, type: 'handle-table-response', rejected: false, more: false, groups });
    expect(bytes.length).toBe(ENRP_HEADER_SIZE + poolHandleParamSize(handle('EchoPool1')) + poolElementParamSize(pe(1, 1)) + poolElementParamSize(pe(2, 1)));
  });
});
