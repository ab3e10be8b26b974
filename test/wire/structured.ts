/**
 * Maps our decoded messages onto the independent structural decode that the
 * vector files carry in `decoded.structured`, field by field, so the two can
 * be compared with `toEqual`.
 *
 * Differences in presentation that the mapping removes:
 * - `length` fields (message and parameters) are not kept by our decoder;
 *   the byte-exact re-encoding check covers them;
 * - the textual cause names (`cause`) are dropped; the codes are compared;
 * - addresses are compared in canonical form (the vectors print IPv4-mapped
 *   IPv6 as `::ffff:c000:20a`, we print `::ffff:192.0.2.10`);
 * - skipped unknown parameters are listed by our decoder apart from the
 *   others; they are appended at the end of the top-level parameter list.
 */
import {
  normalizeAddress,
  poolHandleToString,
  POLICY_TYPE_CODES,
  type ErrorCause,
  type PolicyInfo,
  type PoolElementParam,
  type RSerPoolMessage,
  type ServerInfoParam,
  type TransportParam,
  type UnrecognizedParameter,
} from '../../src/wire/index.js';
import { hex } from './vector-files.js';

type Obj = Record<string, unknown>;

const h32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const h16 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

const POLICY_NAMES: Record<PolicyInfo['type'], string> = {
  'round-robin': 'RoundRobin',
  'weighted-round-robin': 'WeightedRoundRobin',
  random: 'Random',
  'weighted-random': 'WeightedRandom',
  priority: 'Priority',
  'least-used': 'LeastUsed',
  'least-used-degradation': 'LeastUsedDegradation',
  'priority-least-used': 'PriorityLeastUsed',
  'randomized-least-used': 'RandomizedLeastUsed',
  'randomized-priority-least-used': 'RandomizedPriorityLeastUsed(rsplib)',
  'randomized-least-used-degradation': 'RandomizedLeastUsedDegradation(rsplib)',
  'priority-least-used-degradation': 'PriorityLeastUsedDegradation(rsplib)',
  'randomized-priority-least-used-degradation': 'RandomizedPriorityLeastUsedDegradation(rsplib)',
  'weighted-random-dpf': 'WeightedRandomDPF(rsplib)',
  'least-used-dpf': 'LeastUsedDPF(rsplib)',
  'least-used-degradation-dpf': 'LeastUsedDegradationDPF(rsplib)',
};

const FIELD_NAMES: Record<string, string> = {
  weight: 'weight',
  priority: 'priority',
  load: 'load',
  loadDegradation: 'load_degradation',
  loadDpf: 'load_dpf',
  weightDpf: 'weight_dpf',
  distance: 'distance',
};

function policy(p: PolicyInfo): Obj {
  const out: Obj = {
    type: '0x0008',
    name: 'POOL_MEMBER_SELECTION_POLICY',
    policy_type: h32(POLICY_TYPE_CODES[p.type]),
    policy: POLICY_NAMES[p.type],
  };
  for (const [k, v] of Object.entries(p)) if (k !== 'type') out[FIELD_NAMES[k]!] = v;
  return out;
}

function address(a: string): Obj {
  const v4 = !a.includes(':');
  return { type: v4 ? '0x0001' : '0x0002', name: v4 ? 'IPV4_ADDRESS' : 'IPV6_ADDRESS', address: normalizeAddress(a) };
}

function transport(t: TransportParam): Obj {
  const addresses = t.addresses.map(address);
  switch (t.protocol) {
    case 'sctp':
      return { type: '0x0004', name: 'SCTP_TRANSPORT', port: t.port, transport_use: t.transportUse, addresses };
    case 'tcp':
      return { type: '0x0005', name: 'TCP_TRANSPORT', port: t.port, transport_use: t.transportUse, addresses };
    case 'udp':
      return { type: '0x0006', name: 'UDP_TRANSPORT', port: t.port, reserved: 0, addresses };
    case 'udp-lite':
      return { type: '0x0007', name: 'UDP_LITE_TRANSPORT', port: t.port, reserved: 0, addresses };
    case 'dccp':
      return { type: '0x0003', name: 'DCCP_TRANSPORT', port: t.port, reserved: 0, service_code: t.serviceCode, addresses };
  }
}

function poolHandle(handle: Uint8Array): Obj {
  return { type: '0x0009', name: 'POOL_HANDLE', pool_handle_hex: hex(handle), pool_handle: poolHandleToString(handle) };
}

function poolElement(pe: PoolElementParam): Obj {
  const params = [transport(pe.userTransport), policy(pe.policy)];
  if (pe.asapTransport !== undefined) params.push(transport(pe.asapTransport));
  return {
    type: '0x000a',
    name: 'POOL_ELEMENT',
    pe_identifier: h32(pe.peId),
    home_enrp_server_identifier: h32(pe.homeRegistrarId),
    registration_life_ms: pe.registrationLife,
    params,
  };
}

function peId(id: number): Obj {
  return { type: '0x000e', name: 'PE_IDENTIFIER', pe_identifier: h32(id) };
}

function operationError(causes: ErrorCause[]): Obj {
  return {
    type: '0x000c',
    name: 'OPERATION_ERROR',
    causes: causes.map((c) => ({ cause_code: h16(c.code), cause_length: 4 + c.info.length, info_hex: hex(c.info) })),
  };
}

function serverInfo(s: ServerInfoParam): Obj {
  return { type: '0x000b', name: 'SERVER_INFORMATION', server_identifier: h32(s.serverId), params: [transport(s.transport)] };
}

function unknown(u: UnrecognizedParameter): Obj {
  return { type: h16(u.type), name: 'UNKNOWN', action_bits: u.type >>> 14, value_hex: hex(u.tlv.subarray(4)) };
}

const bit = (b: boolean | undefined): number => (b === true ? 1 : 0);

/** Our message in the vectors' `decoded.structured` shape (without lengths). */
export function toStructured(m: RSerPoolMessage): Obj {
  const params: Obj[] = [];
  const out: Obj = {};
  let flags = 0;
  if (m.protocol === 'asap') {
    out.type = {
      registration: 1, deregistration: 2, 'registration-response': 3, 'deregistration-response': 4,
      'handle-resolution': 5, 'handle-resolution-response': 6, 'endpoint-keep-alive': 7, 'endpoint-keep-alive-ack': 8,
      'endpoint-unreachable': 9, 'server-announce': 10, cookie: 11, 'cookie-echo': 12, 'business-card': 13, error: 14,
    }[m.type];
    out.name = `ASAP_${m.type.toUpperCase().replace(/-/g, '_')}`;
    switch (m.type) {
      case 'registration':
        params.push(poolHandle(m.poolHandle), poolElement(m.poolElement));
        break;
      case 'deregistration':
      case 'endpoint-keep-alive-ack':
      case 'endpoint-unreachable':
        params.push(poolHandle(m.poolHandle), peId(m.peId));
        break;
      case 'registration-response':
        flags = bit(m.rejected);
        out.R_reject = flags;
        params.push(poolHandle(m.poolHandle), peId(m.peId));
        if (m.operationError) params.push(operationError(m.operationError));
        break;
      case 'deregistration-response':
        params.push(poolHandle(m.poolHandle), peId(m.peId));
        if (m.operationError) params.push(operationError(m.operationError));
        break;
      case 'handle-resolution':
        flags = bit(m.subscribe);
        out.S_bit = flags;
        params.push(poolHandle(m.poolHandle));
        if (m.items !== undefined) {
          params.push({ type: '0x803f', name: 'HANDLE_RESOLUTION_OPTION(rsplib/hropt)', action_bits: 2, items: m.items });
        }
        break;
      case 'handle-resolution-response':
      case 'business-card':
        if (m.type === 'handle-resolution-response') {
          flags = bit(m.acceptUpdates);
          out.A_bit = flags;
        }
        params.push(poolHandle(m.poolHandle));
        if (m.policy) params.push(policy(m.policy));
        params.push(...m.poolElements.map(poolElement));
        if (m.type === 'handle-resolution-response' && m.operationError) params.push(operationError(m.operationError));
        break;
      case 'endpoint-keep-alive':
        flags = bit(m.home);
        out.H_home = flags;
        out.server_identifier = h32(m.serverId);
        params.push(poolHandle(m.poolHandle));
        if (m.peId !== undefined) params.push(peId(m.peId));
        break;
      case 'server-announce':
        out.server_identifier = h32(m.serverId);
        params.push(...m.transports.map(transport));
        break;
      case 'cookie':
      case 'cookie-echo':
        params.push({ type: '0x000d', name: 'COOKIE', cookie_hex: hex(m.cookie) });
        break;
      case 'error':
        params.push(operationError(m.operationError));
        break;
    }
  } else {
    out.type = {
      presence: 1, 'handle-table-request': 2, 'handle-table-response': 3, 'handle-update': 4, 'list-request': 5,
      'list-response': 6, 'init-takeover': 7, 'init-takeover-ack': 8, 'takeover-server': 9, error: 10,
    }[m.type];
    out.name = `ENRP_${m.type.toUpperCase().replace(/-/g, '_')}`;
    out.sender_server_id = h32(m.senderServerId);
    out.receiver_server_id = h32(m.receiverServerId);
    switch (m.type) {
      case 'presence':
        flags = bit(m.replyRequired);
        out.R_reply_required = flags;
        params.push({ type: '0x000f', name: 'PE_CHECKSUM', checksum: h16(m.checksum) });
        if (m.serverInfo) params.push(serverInfo(m.serverInfo));
        break;
      case 'handle-table-request':
        flags = bit(m.ownChildrenOnly);
        out.W_own_children_only = flags;
        break;
      case 'handle-table-response':
        flags = bit(m.rejected) | (bit(m.moreToSend) << 1);
        out.R_reject = bit(m.rejected);
        out.M_more_to_send = bit(m.moreToSend);
        for (const pool of m.pools) params.push(poolHandle(pool.poolHandle), ...pool.poolElements.map(poolElement));
        break;
      case 'handle-update':
        flags = bit(m.takeoverSuggested);
        out.T_takeover_suggested = flags;
        out.update_action = m.action === 'add-pe' ? 0 : 1;
        out.update_action_name = m.action === 'add-pe' ? 'ADD_PE' : 'DEL_PE';
        out.reserved = 0;
        params.push(poolHandle(m.poolHandle), poolElement(m.poolElement));
        break;
      case 'list-response':
        flags = bit(m.rejected);
        out.R_reject = flags;
        params.push(...m.servers.map(serverInfo));
        break;
      case 'init-takeover':
      case 'init-takeover-ack':
      case 'takeover-server':
        out.target_server_id = h32(m.targetServerId);
        break;
      case 'list-request':
      case 'error':
        if (m.type === 'error') params.push(operationError(m.operationError));
        break;
    }
  }
  for (const u of m.unrecognizedParameters ?? []) params.push(unknown(u));
  out.flags = `0x${flags.toString(16).padStart(2, '0')}`;
  out.params = params;
  return out;
}

const DROPPED = new Set(['length', 'cause', 'note_length']);

/** The vectors' structure without the presentation-only fields (see the module comment). */
export function projectStructured(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(projectStructured);
  if (typeof value !== 'object' || value === null) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value as Obj)) {
    if (DROPPED.has(k)) continue;
    out[k] = k === 'address' && typeof v === 'string' ? normalizeAddress(v) : projectStructured(v);
  }
  return out;
}
