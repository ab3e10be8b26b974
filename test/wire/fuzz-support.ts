/**
 * Generators and checks shared by the property tests (`*.test.ts`) and the
 * long fuzz run (`npm run fuzz`): fast-check arbitraries of valid messages,
 * mutators that damage real messages in the ways attackers and broken peers
 * do, and the decoder contract every input must satisfy.
 */
import fc from 'fast-check';
import {
  decodeMessage,
  encodeMessage,
  formatIPv4,
  formatIPv6,
  InvalidArgumentError,
  POLICY_FIELDS,
  ProtocolError,
  type ErrorCause,
  type PolicyInfo,
  type PolicyName,
  type PoolElementParam,
  type RSerPoolMessage,
  type ServerInfoParam,
  type TransportParam,
} from '../../src/wire/index.js';
import { loadVectors, vectorBytes } from './vector-files.js';

// ------------------------------------------------------------- valid messages

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const flag = fc.boolean();

/** Canonical address text (IPv4 or IPv6). */
export const addressArb: fc.Arbitrary<string> = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIPv4(b)),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(b)),
  // sparse IPv6 exercises '::' compression
  fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0x2001), { minLength: 8, maxLength: 8 }).map((w) => {
    const b = new Uint8Array(16);
    w.forEach((x, i) => {
      b[2 * i] = x >>> 8;
      b[2 * i + 1] = x & 0xff;
    });
    return formatIPv6(b);
  }),
);

const poolHandleArb = fc.uint8Array({ minLength: 1, maxLength: 48 });

/** Any policy with random values. */
export const policyArb: fc.Arbitrary<PolicyInfo> = fc
  .constantFrom(...(Object.keys(POLICY_FIELDS) as PolicyName[]))
  .chain((type) =>
    fc.tuple(...POLICY_FIELDS[type].map(() => u32)).map((values) => {
      const p: Record<string, unknown> = { type };
      POLICY_FIELDS[type].forEach((f, i) => (p[f] = values[i]));
      return p as PolicyInfo;
    }),
  );

const addresses = (max: number) => fc.array(addressArb, { minLength: 1, maxLength: max });

/** Any transport parameter. */
export const transportArb: fc.Arbitrary<TransportParam> = fc.oneof(
  fc.record({ protocol: fc.constant('sctp' as const), port: u16, transportUse: u16, addresses: addresses(4) }),
  fc.record({ protocol: fc.constant('tcp' as const), port: u16, transportUse: u16, addresses: addresses(1) }),
  fc.record({ protocol: fc.constant('udp' as const), port: u16, addresses: addresses(1) }),
  fc.record({ protocol: fc.constant('udp-lite' as const), port: u16, addresses: addresses(1) }),
  fc.record({ protocol: fc.constant('dccp' as const), port: u16, serviceCode: u32, addresses: addresses(1) }),
);

/** Any pool element. */
export const poolElementArb: fc.Arbitrary<PoolElementParam> = fc.record(
  {
    peId: u32,
    homeRegistrarId: u32,
    registrationLife: i32,
    userTransport: transportArb,
    policy: policyArb,
    asapTransport: transportArb,
  },
  { requiredKeys: ['peId', 'homeRegistrarId', 'registrationLife', 'userTransport', 'policy'] },
);

const serverInfoArb: fc.Arbitrary<ServerInfoParam> = fc.record({ serverId: u32, transport: transportArb });
const causeArb: fc.Arbitrary<ErrorCause> = fc.record({ code: u16, info: fc.uint8Array({ maxLength: 24 }) });
const causesArb = fc.array(causeArb, { maxLength: 4 });
const pes = (min: number) => fc.array(poolElementArb, { minLength: min, maxLength: 4 });

const asap = <T extends object>(type: string, fields: fc.Arbitrary<T>) =>
  fields.map((f) => ({ protocol: 'asap', type, ...f }) as unknown as RSerPoolMessage);
const enrp = <T extends object>(type: string, fields: fc.Arbitrary<T>) =>
  fc
    .tuple(u32, u32, fields)
    .map(([s, r, f]) => ({ protocol: 'enrp', type, senderServerId: s, receiverServerId: r, ...f }) as unknown as RSerPoolMessage);
const opt = { requiredKeys: [] as never[] };

/** Any valid ASAP or ENRP message (flags always given explicitly). */
export const messageArb: fc.Arbitrary<RSerPoolMessage> = fc.oneof(
  asap('registration', fc.record({ poolHandle: poolHandleArb, poolElement: poolElementArb })),
  asap('deregistration', fc.record({ poolHandle: poolHandleArb, peId: u32 })),
  asap(
    'registration-response',
    fc.record({ rejected: flag, poolHandle: poolHandleArb, peId: u32, operationError: causesArb }, { requiredKeys: ['rejected', 'poolHandle', 'peId'] }),
  ),
  asap(
    'deregistration-response',
    fc.record({ poolHandle: poolHandleArb, peId: u32, operationError: causesArb }, { requiredKeys: ['poolHandle', 'peId'] }),
  ),
  asap('handle-resolution', fc.record({ subscribe: flag, poolHandle: poolHandleArb, items: u32 }, { requiredKeys: ['subscribe', 'poolHandle'] })),
  asap(
    'handle-resolution-response',
    fc.record(
      { acceptUpdates: flag, poolHandle: poolHandleArb, policy: policyArb, poolElements: pes(0), operationError: causesArb },
      { requiredKeys: ['acceptUpdates', 'poolHandle', 'poolElements'] },
    ),
  ),
  asap('endpoint-keep-alive', fc.record({ home: flag, serverId: u32, poolHandle: poolHandleArb, peId: u32 }, { requiredKeys: ['home', 'serverId', 'poolHandle'] })),
  asap('endpoint-keep-alive-ack', fc.record({ poolHandle: poolHandleArb, peId: u32 })),
  asap('endpoint-unreachable', fc.record({ poolHandle: poolHandleArb, peId: u32 })),
  asap('server-announce', fc.record({ serverId: u32, transports: fc.array(transportArb, { maxLength: 3 }) })),
  asap('cookie', fc.record({ cookie: fc.uint8Array({ maxLength: 64 }) })),
  asap('cookie-echo', fc.record({ cookie: fc.uint8Array({ maxLength: 64 }) })),
  asap('business-card', fc.record({ poolHandle: poolHandleArb, policy: policyArb, poolElements: pes(1) }, { requiredKeys: ['poolHandle', 'poolElements'] })),
  asap('error', fc.record({ operationError: causesArb })),
  enrp('presence', fc.record({ replyRequired: flag, checksum: u16, serverInfo: serverInfoArb }, { requiredKeys: ['replyRequired', 'checksum'] })),
  enrp('handle-table-request', fc.record({ ownChildrenOnly: flag })),
  enrp(
    'handle-table-response',
    fc.record({
      rejected: flag,
      moreToSend: flag,
      pools: fc.array(fc.record({ poolHandle: poolHandleArb, poolElements: pes(1) }), { maxLength: 3 }),
    }),
  ),
  enrp(
    'handle-update',
    fc.record({ takeoverSuggested: flag, action: fc.constantFrom('add-pe' as const, 'del-pe' as const), poolHandle: poolHandleArb, poolElement: poolElementArb }),
  ),
  enrp('list-request', fc.record({}, opt)),
  enrp('list-response', fc.record({ rejected: flag, servers: fc.array(serverInfoArb, { maxLength: 3 }) })),
  enrp('init-takeover', fc.record({ targetServerId: u32 })),
  enrp('init-takeover-ack', fc.record({ targetServerId: u32 })),
  enrp('takeover-server', fc.record({ targetServerId: u32 })),
  enrp('error', fc.record({ operationError: causesArb })),
);

/**
 * What a message looks like after encode → decode: the encoder always sends
 * the overall policy of a Handle Resolution Response / Business Card (the
 * first PE's when none was given).
 */
export function afterRoundTrip(m: RSerPoolMessage): RSerPoolMessage {
  if ((m.type === 'handle-resolution-response' || m.type === 'business-card') && m.policy === undefined && m.poolElements.length > 0) {
    return { ...m, policy: m.poolElements[0]!.policy };
  }
  return m;
}

// ------------------------------------------------------------------ contract

/** Result of feeding one input to the decoder. */
export type Outcome = 'decoded' | 'rejected';

/**
 * The decoder contract for arbitrary input: either a message that re-encodes
 * (and whose re-encoding is a fixed point of decode → encode), or a
 * `ProtocolError` that is not a wrapped internal error. Anything else throws.
 */
export function checkDecoderContract(ppid: number, bytes: Uint8Array): Outcome {
  let m: RSerPoolMessage;
  try {
    m = decodeMessage(ppid, bytes);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw new Error(`decoder threw ${String(err)} (not a ProtocolError)`, { cause: err });
    if (err.message.startsWith('internal decoder error')) throw new Error(`decoder bug: ${err.message}`, { cause: err });
    return 'rejected';
  }
  let once: Uint8Array;
  try {
    once = encodeMessage(m);
  } catch (err) {
    // Re-encoding may add the final padding and the overall policy: only a
    // message already at the size limit may then be too large.
    if (err instanceof InvalidArgumentError && err.message.includes('bytes exceeds the limit') && bytes.length > 65_000) return 'decoded';
    throw new Error(`decoded message does not re-encode: ${String(err)}`, { cause: err });
  }
  const twice = encodeMessage(decodeMessage(ppid, once));
  if (Buffer.compare(once, twice) !== 0) throw new Error('decode/encode is not idempotent');
  return 'decoded';
}

// ------------------------------------------------------------------ mutators

/** The seed messages of the mutators: every RFC-format vector. */
export const SEEDS: readonly { ppid: number; bytes: Uint8Array }[] = [
  ...loadVectors('rfc_rsplib_generated'),
  ...loadVectors('rfc_handcrafted_interop'),
].map((v) => ({ ppid: v.ppid, bytes: vectorBytes(v) }));

/** A small deterministic PRNG (mulberry32) so mutations replay from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Kinds of damage the mutators apply. */
export const MUTATIONS = [
  'bit-flips',
  'truncate',
  'lying-length',
  'huge-length',
  'duplicate-parameter',
  'reorder-parameters',
  'deep-nesting',
  'splice',
  'append-garbage',
] as const;
/** One kind of damage. */
export type Mutation = (typeof MUTATIONS)[number];

function fixedHeaderSize(ppid: number, type: number): number {
  if (ppid === 11) return type === 7 || type === 10 ? 8 : 4;
  return type === 4 || type === 7 || type === 8 || type === 9 ? 16 : 12;
}

/** Top-level TLVs of a well-formed message as [start, paddedEnd) pairs. */
function topLevelTlvs(ppid: number, b: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let pos = fixedHeaderSize(ppid, b[0]!);
  while (pos + 4 <= b.length) {
    const len = (b[pos + 2]! << 8) | b[pos + 3]!;
    if (len < 4) break;
    const end = Math.min(b.length, pos + ((len + 3) & ~3));
    out.push([pos, end]);
    pos = end;
  }
  return out;
}

function withLength(b: Uint8Array): Uint8Array {
  const len = Math.min(0xffff, b.length);
  b[2] = len >>> 8;
  b[3] = len & 0xff;
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Applies one mutation to a seed message. */
export function mutate(seed: { ppid: number; bytes: Uint8Array }, kind: Mutation, rnd: () => number): Uint8Array {
  const src = seed.bytes;
  const pick = (n: number): number => Math.floor(rnd() * n);
  switch (kind) {
    case 'bit-flips': {
      const b = src.slice();
      const flips = 1 + pick(8);
      for (let i = 0; i < flips; i++) {
        const bit = pick(b.length * 8);
        b[bit >>> 3]! ^= 1 << (bit & 7);
      }
      return b;
    }
    case 'truncate':
      return src.slice(0, pick(src.length));
    case 'lying-length': {
      const b = src.slice();
      const offsets = Math.floor((b.length - 2) / 4) + 1;
      const at = 2 + 4 * pick(offsets);
      const delta = [-8, -4, -3, -1, 1, 3, 4, 8, 100][pick(9)]!;
      const old = (b[at]! << 8) | b[at + 1]!;
      const v = (old + delta) & 0xffff;
      b[at] = v >>> 8;
      b[at + 1] = v & 0xff;
      return b;
    }
    case 'huge-length': {
      const b = src.slice();
      const at = 2 + 4 * pick(Math.floor((b.length - 2) / 4) + 1);
      const v = [0xffff, 0xfffc, 0x8000, 0, 1, 3][pick(6)]!;
      b[at] = v >>> 8;
      b[at + 1] = v & 0xff;
      return rnd() < 0.1 ? concat([b, new Uint8Array(60_000 + pick(10_000))]) : b;
    }
    case 'duplicate-parameter':
    case 'reorder-parameters': {
      const head = fixedHeaderSize(seed.ppid, src[0]!);
      const tlvs = topLevelTlvs(seed.ppid, src);
      if (tlvs.length === 0) return src.slice();
      const parts = tlvs.map(([s, e]) => src.slice(s, e));
      if (kind === 'duplicate-parameter') {
        const i = pick(parts.length);
        parts.splice(pick(parts.length + 1), 0, parts[i]!);
      } else {
        for (let i = parts.length - 1; i > 0; i--) {
          const j = pick(i + 1);
          [parts[i], parts[j]] = [parts[j]!, parts[i]!];
        }
      }
      return withLength(concat([src.slice(0, head), ...parts]));
    }
    case 'deep-nesting': {
      // Wrap the first parameter in many layers of container parameters.
      const head = fixedHeaderSize(seed.ppid, src[0]!);
      let inner = src.slice(head);
      const depth = 1 + pick(200);
      for (let i = 0; i < depth && inner.length + 16 < 0xffff; i++) {
        const type = [0x000a, 0x000b, 0x0004, 0x000c][pick(4)]!;
        const fixed = type === 0x000a ? 12 : type === 0x000b || type === 0x0004 ? 4 : 0;
        const len = 4 + fixed + inner.length;
        const wrap = new Uint8Array((len + 3) & ~3);
        wrap[0] = type >>> 8;
        wrap[1] = type & 0xff;
        wrap[2] = len >>> 8;
        wrap[3] = len & 0xff;
        wrap.set(inner, 4 + fixed);
        inner = wrap;
      }
      return withLength(concat([src.slice(0, head), inner]));
    }
    case 'splice': {
      const other = SEEDS[pick(SEEDS.length)]!.bytes;
      const cut = pick(src.length);
      return withLength(concat([src.slice(0, cut), other.slice(pick(other.length))]));
    }
    case 'append-garbage': {
      const extra = new Uint8Array(1 + pick(64));
      for (let i = 0; i < extra.length; i++) extra[i] = pick(256);
      return rnd() < 0.5 ? withLength(concat([src, extra])) : concat([src, extra]);
    }
  }
}

/** Arbitrary of mutated seed messages: [ppid, bytes]. */
export const mutatedArb: fc.Arbitrary<[number, Uint8Array]> = fc
  .tuple(fc.nat(SEEDS.length - 1), fc.constantFrom(...MUTATIONS), fc.integer(), fc.constantFrom(11, 12, 11, 12, 0))
  .map(([i, kind, seed, ppidChoice]) => {
    const s = SEEDS[i]!;
    // Mostly the seed's own PPID; sometimes the other protocol's parser on the same bytes.
    const ppid = ppidChoice === 0 ? 23 - s.ppid : s.ppid;
    return [ppid, mutate(s, kind, prng(seed))];
  });

/** Arbitrary of random bytes, biased towards plausible headers. */
export const randomBytesArb: fc.Arbitrary<[number, Uint8Array]> = fc
  .tuple(fc.constantFrom(11, 12), fc.uint8Array({ maxLength: 160 }), fc.integer({ min: 0, max: 15 }), fc.boolean())
  .map(([ppid, body, type, fixLength]) => {
    const b = body.slice();
    if (b.length >= 4 && fixLength) {
      b[0] = type;
      b[2] = b.length >>> 8;
      b[3] = b.length & 0xff;
    }
    return [ppid, b];
  });
