/**
 * Sealed state cookies for Enhanced Mode.
 *
 * A PE sends its session state to the PU in ASAP Cookie messages; after a
 * failover the PU echoes the latest cookie to the new PE. Cookies travel
 * through the PU, so a PE must not trust them blindly. {@link seal} packs any
 * structured value with msgpack, stamps it with the time it was sealed and the
 * id of the key used, optionally encrypts it (AES-256-GCM) and authenticates
 * the whole with HMAC-SHA-256 under a key shared by the pool's PEs.
 * {@link open} checks all of that and returns the value, or throws a
 * {@link CookieError} with a precise reason.
 *
 * Layout (all integers big-endian):
 * ```
 * 0      version (1)
 * 1      flags: bit 0 = encrypted, bit 1 = bound (see below)
 * 2      number of zero bytes padding the cookie at its end (0..3)
 * 3      key id length k (0..255)
 * 4      sealed-at time, ms since the Unix epoch (64 bit)
 * 12     key id (k bytes, UTF-8)
 * 12+k   [encrypted only] 12-byte GCM nonce
 *        body: msgpack bytes, or AES-256-GCM ciphertext followed by its 16-byte tag
 *        HMAC-SHA-256 over everything before it (32 bytes)
 *        0..3 zero bytes, so the cookie length is a multiple of 4
 * ```
 * A bound cookie (`bind` option) is valid only where the same binding is
 * expected: its MAC also covers the pool handle and, optionally, a session
 * id, which are not carried in the cookie. So a cookie of one pool cannot be
 * echoed to another pool, nor (with a session id) into another session.
 * Cookies dated in the future (beyond a clock-skew allowance) are refused,
 * and {@link isNewerCookie} lets a pool user refuse an older cookie after a
 * newer one (rollback).
 *
 * The length is padded to a multiple of 4 because the reference
 * implementation's parser mishandles Cookie parameters of other lengths.
 * Encryption and MAC keys are derived from the shared secret with HKDF-SHA-256,
 * so one secret serves both purposes safely.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Packr } from 'msgpackr';
import { InvalidArgumentError, RSerPoolError } from '../errors.js';

/** Why a cookie was refused. */
export type CookieFailure = 'malformed' | 'unsupported-version' | 'unknown-key' | 'bad-signature' | 'expired' | 'not-encrypted' | 'future' | 'wrong-binding';

/**
 * What a cookie is bound to: the pool handle and optionally a session id
 * (any bytes or text the application can name again when opening, such as
 * a login or an account id).
 */
export interface CookieBinding {
  /** Pool handle (bytes, or text as UTF-8). */
  pool?: Uint8Array | string;
  /** Session id (bytes, or text as UTF-8). */
  session?: Uint8Array | string;
}

/** A cookie failed verification; `reason` says why. Code `ERR_RSP_COOKIE_INVALID`. */
export class CookieError extends RSerPoolError {
  /** Machine-readable reason. */
  readonly reason: CookieFailure;

  constructor(reason: CookieFailure, message: string) {
    super('ERR_RSP_COOKIE_INVALID', message);
    this.reason = reason;
  }
}

/** A shared secret: bytes, or a string taken as UTF-8. At least 16 bytes. */
export type CookieSecret = Uint8Array | string;

/**
 * Keys for sealing and opening. Either one secret (key id `""`), or a key
 * ring for rotation: cookies are sealed with `current` and opened with
 * whichever key their id names, so old cookies stay valid while the PEs
 * move to a new key.
 */
export type CookieKey = CookieSecret | CookieKeyRing;

/** A set of secrets by id, with the one used for sealing. */
export interface CookieKeyRing {
  /** Id of the key used by {@link seal}. */
  current: string;
  /** All keys that {@link open} accepts, by id (ids up to 255 UTF-8 bytes). */
  keys: Readonly<Record<string, CookieSecret>>;
}

/** Options of {@link seal}. */
export interface SealOptions {
  /** Encrypt the state (AES-256-GCM) so the PU cannot read it. Default false. */
  encrypt?: boolean;
  /** Sealing time in ms since the epoch; default `Date.now()` (for tests). */
  now?: number;
  /** Bind the cookie to a pool handle and/or session id: it opens only with the same binding. */
  bind?: CookieBinding;
}

/** Options of {@link open}. */
export interface OpenOptions {
  /** Refuse cookies sealed more than this many milliseconds ago. Default: no limit. */
  maxAge?: number;
  /** Refuse cookies that are not encrypted. Default false. */
  requireEncryption?: boolean;
  /**
   * The binding expected (see {@link SealOptions.bind}). A bound cookie opens
   * only with the same binding (and never without one).
   */
  bind?: CookieBinding;
  /** Refuse unbound cookies when `bind` is given. Default false (unbound cookies of other sealers still open). */
  requireBinding?: boolean;
  /** Cookies sealed more than this many ms in the future are refused (clock skew between PEs). Default 60,000. */
  maxClockSkew?: number;
  /** Current time in ms since the epoch; default `Date.now()` (for tests). */
  now?: number;
}

/** What {@link openWithInfo} returns. */
export interface OpenedCookie<T> {
  state: T;
  /** Id of the key that authenticated the cookie. */
  keyId: string;
  /** When it was sealed, ms since the epoch. */
  sealedAt: number;
  encrypted: boolean;
}

const VERSION = 1;
const FLAG_ENCRYPTED = 0x01;
const FLAG_BOUND = 0x02;
const DEFAULT_MAX_CLOCK_SKEW = 60_000;
const HEADER = 12;
const MAC_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const MIN_SECRET = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const packr = new Packr({ useRecords: false, moreTypes: true });

interface DerivedKey {
  mac: Buffer;
  enc: Buffer;
}

const derivedCache = new WeakMap<Uint8Array, DerivedKey>();
const derivedStrings = new Map<string, DerivedKey>();

function derive(secret: CookieSecret): DerivedKey {
  const cached = typeof secret === 'string' ? derivedStrings.get(secret) : derivedCache.get(secret);
  if (cached) return cached;
  const bytes = typeof secret === 'string' ? encoder.encode(secret) : secret;
  if (!(bytes instanceof Uint8Array) || bytes.length < MIN_SECRET) {
    throw new InvalidArgumentError(`cookie secrets must be at least ${MIN_SECRET} bytes`);
  }
  const salt = encoder.encode('rserpool cookie v1');
  const key: DerivedKey = {
    mac: Buffer.from(hkdfSync('sha256', bytes, salt, 'mac', 32)),
    enc: Buffer.from(hkdfSync('sha256', bytes, salt, 'enc', 32)),
  };
  if (typeof secret === 'string') {
    if (derivedStrings.size > 64) derivedStrings.clear();
    derivedStrings.set(secret, key);
  } else {
    derivedCache.set(secret, key);
  }
  return key;
}

function bindingBytes(b: CookieBinding | undefined): Buffer | undefined {
  if (b === undefined || (b.pool === undefined && b.session === undefined)) return undefined;
  const part = (v: Uint8Array | string | undefined): Buffer => {
    const bytes = v === undefined ? Buffer.alloc(0) : typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.length);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    return Buffer.concat([len, bytes]);
  };
  return Buffer.concat([Buffer.from('bind'), part(b.pool), part(b.session)]);
}

function isKeyRing(key: CookieKey): key is CookieKeyRing {
  return typeof key === 'object' && !(key instanceof Uint8Array);
}

function sealingKey(key: CookieKey): { id: string; secret: CookieSecret } {
  if (!isKeyRing(key)) return { id: '', secret: key };
  const secret = key.keys[key.current];
  if (secret === undefined) throw new InvalidArgumentError(`cookie key ring has no key "${key.current}"`);
  return { id: key.current, secret };
}

function openingKey(key: CookieKey, id: string): CookieSecret | undefined {
  if (!isKeyRing(key)) return id === '' ? key : undefined;
  return Object.prototype.hasOwnProperty.call(key.keys, id) ? key.keys[id] : undefined;
}

/**
 * Packs `state` with msgpack, optionally encrypts it, and authenticates it
 * with HMAC-SHA-256. The result is ready for `session.sendCookie()`.
 */
export function seal(state: unknown, key: CookieKey, options: SealOptions = {}): Uint8Array {
  const { id, secret } = sealingKey(key);
  const keys = derive(secret);
  const idBytes = encoder.encode(id);
  if (idBytes.length > 255) throw new InvalidArgumentError('cookie key ids are limited to 255 bytes');
  const plain = packr.pack(state);
  const encrypted = options.encrypt === true;
  const binding = bindingBytes(options.bind);
  const bodyLength = encrypted ? NONCE_LENGTH + plain.length + TAG_LENGTH : plain.length;
  const unpadded = HEADER + idBytes.length + bodyLength + MAC_LENGTH;
  const pad = (4 - (unpadded % 4)) % 4;
  const out = Buffer.alloc(unpadded + pad);
  out[0] = VERSION;
  out[1] = (encrypted ? FLAG_ENCRYPTED : 0) | (binding !== undefined ? FLAG_BOUND : 0);
  out[2] = pad;
  out[3] = idBytes.length;
  out.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(options.now ?? Date.now()))), 4);
  out.set(idBytes, HEADER);
  let offset = HEADER + idBytes.length;
  if (encrypted) {
    const nonce = randomBytes(NONCE_LENGTH);
    out.set(nonce, offset);
    offset += NONCE_LENGTH;
    const cipher = createCipheriv('aes-256-gcm', keys.enc, nonce);
    cipher.setAAD(out.subarray(0, offset));
    const c1 = cipher.update(plain);
    const c2 = cipher.final();
    out.set(c1, offset);
    offset += c1.length;
    out.set(c2, offset);
    offset += c2.length;
    out.set(cipher.getAuthTag(), offset);
    offset += TAG_LENGTH;
  } else {
    out.set(plain, offset);
    offset += plain.length;
  }
  const hmac = createHmac('sha256', keys.mac).update(out.subarray(0, offset));
  if (binding !== undefined) hmac.update(binding);
  out.set(hmac.digest(), offset);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * Verifies a cookie made by {@link seal} and returns its state with its
 * metadata. Throws {@link CookieError} for anything forged, tampered with,
 * sealed under an unknown key, too old, or malformed.
 */
export function openWithInfo<T = unknown>(bytes: Uint8Array, key: CookieKey, options: OpenOptions = {}): OpenedCookie<T> {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER + MAC_LENGTH) {
    throw new CookieError('malformed', 'cookie too short');
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf[0] !== VERSION) throw new CookieError('unsupported-version', `unsupported cookie version ${buf[0]}`);
  const flags = buf[1];
  const pad = buf[2];
  const idLength = buf[3];
  if ((flags & ~(FLAG_ENCRYPTED | FLAG_BOUND)) !== 0 || pad > 3) throw new CookieError('malformed', 'invalid cookie header');
  const encrypted = (flags & FLAG_ENCRYPTED) !== 0;
  const macEnd = buf.length - pad;
  const macStart = macEnd - MAC_LENGTH;
  const bodyStart = HEADER + idLength;
  const minBody = encrypted ? NONCE_LENGTH + TAG_LENGTH : 0;
  if (macStart - bodyStart < minBody) throw new CookieError('malformed', 'cookie too short');
  for (let i = macEnd; i < buf.length; i++) {
    if (buf[i] !== 0) throw new CookieError('malformed', 'cookie padding is not zero');
  }
  let keyId: string;
  try {
    keyId = decoder.decode(buf.subarray(HEADER, bodyStart));
  } catch {
    throw new CookieError('malformed', 'cookie key id is not UTF-8');
  }
  const secret = openingKey(key, keyId);
  if (secret === undefined) throw new CookieError('unknown-key', `no cookie key with id "${keyId}"`);
  const keys = derive(secret);
  const binding = bindingBytes(options.bind);
  const bound = (flags & FLAG_BOUND) !== 0;
  if (bound && binding === undefined) throw new CookieError('wrong-binding', 'cookie is bound to a pool or session but none was expected');
  if (!bound && binding !== undefined && options.requireBinding === true) throw new CookieError('wrong-binding', 'cookie is not bound to this pool or session');
  const hmac = createHmac('sha256', keys.mac).update(buf.subarray(0, macStart));
  if (bound) hmac.update(binding!);
  if (!timingSafeEqual(hmac.digest(), buf.subarray(macStart, macEnd))) {
    throw new CookieError('bad-signature', bound ? 'cookie signature does not match (forged, or sealed for another pool or session)' : 'cookie signature does not match');
  }
  if (options.requireEncryption === true && !encrypted) {
    throw new CookieError('not-encrypted', 'cookie is not encrypted');
  }
  const sealedAt = Number(buf.readBigUInt64BE(4));
  const now = options.now ?? Date.now();
  if (sealedAt - now > (options.maxClockSkew ?? DEFAULT_MAX_CLOCK_SKEW)) {
    throw new CookieError('future', 'cookie is dated in the future');
  }
  if (options.maxAge !== undefined && now - sealedAt > options.maxAge) {
    throw new CookieError('expired', 'cookie is older than maxAge');
  }
  let plain: Uint8Array;
  if (encrypted) {
    const nonceEnd = bodyStart + NONCE_LENGTH;
    const tagStart = macStart - TAG_LENGTH;
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys.enc, buf.subarray(bodyStart, nonceEnd));
      decipher.setAAD(buf.subarray(0, nonceEnd));
      decipher.setAuthTag(buf.subarray(tagStart, macStart));
      plain = Buffer.concat([decipher.update(buf.subarray(nonceEnd, tagStart)), decipher.final()]);
    } catch {
      throw new CookieError('bad-signature', 'cookie ciphertext does not authenticate');
    }
  } else {
    plain = buf.subarray(bodyStart, macStart);
  }
  let state: T;
  try {
    state = packr.unpack(plain) as T;
  } catch {
    throw new CookieError('malformed', 'cookie state is not valid msgpack');
  }
  return { state, keyId, sealedAt, encrypted };
}

/** Verifies a cookie made by {@link seal} and returns the state it carries. */
export function open<T = unknown>(bytes: Uint8Array, key: CookieKey, options: OpenOptions = {}): T {
  return openWithInfo<T>(bytes, key, options).state;
}

/**
 * The sealing time of a cookie made by {@link seal} (read from its header,
 * without the key), or undefined for other (opaque) cookies.
 */
export function cookieSealedAt(bytes: Uint8Array): number | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER + MAC_LENGTH || bytes.length % 4 !== 0) return undefined;
  if (bytes[0] !== VERSION || (bytes[1]! & ~(FLAG_ENCRYPTED | FLAG_BOUND)) !== 0 || bytes[2]! > 3 || HEADER + bytes[3]! + MAC_LENGTH + bytes[2]! > bytes.length) return undefined;
  const t = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readBigUInt64BE(4);
  return Number(t);
}

/**
 * Whether `incoming` may replace `current` as a session's latest cookie:
 * a sealed cookie older than the sealed cookie already held is a rollback
 * and is refused. Opaque cookies (not made by {@link seal}) always may.
 */
export function isNewerCookie(current: Uint8Array | undefined, incoming: Uint8Array): boolean {
  if (current === undefined) return true;
  const a = cookieSealedAt(current);
  const b = cookieSealedAt(incoming);
  return a === undefined || b === undefined || b >= a;
}
