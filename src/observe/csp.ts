/**
 * Component Status Protocol (CSP): the reference implementation's
 * monitoring protocol. Every component (registrar, pool element, pool
 * user) sends a UDP datagram with a status report to a monitor at a fixed
 * interval, and a final report when it stops; the monitor (`rsp monitor`,
 * or the reference's `cspmonitor`) shows the components of a deployment.
 *
 * Report layout (big-endian, no padding; Wireshark's dissector
 * `componentstatusprotocol` on UDP port 2960 decodes it):
 *
 * | offset | size | field |
 * |-------:|-----:|-------|
 * | 0 | 1 | Type, 1 = report |
 * | 1 | 1 | Flags, bit 0 = final report |
 * | 2 | 2 | Length, 288 + 24·A |
 * | 4 | 4 | Version, 0x0200 |
 * | 8 | 8 | SenderID: group (1 registrar, 2 PE, 3 PU) in bits 63–56, object id below |
 * | 16 | 8 | SenderTimeStamp, µs since the component sent its first report |
 * | 24 | 4 | ReportInterval, µs |
 * | 28 | 128 | Location, ASCII, NUL-padded |
 * | 156 | 128 | Status, ASCII, NUL-padded |
 * | 284 | 2 | Workload, 0xFFFF unknown, else round(load × 0xFFFE) |
 * | 286 | 2 | A, number of association entries |
 * | 288 | 24·A | entries: ReceiverID (8), Duration µs (8, all ones unknown), Flags (2), ProtocolID (2, 132 = SCTP), PPID (4) |
 *
 * @module
 */
import { createSocket, type Socket } from 'node:dgram';
import { hostname } from 'node:os';
import { EventEmitter } from 'eventemitter3';
import { ProtocolError } from '../errors.js';
import type { TransportAddress } from '../transport/types.js';

/** UDP port of CSP monitors. */
export const CSP_PORT = 2960;
/** CSP version carried in every report. */
export const CSP_VERSION = 0x0200;
/** Size of a report without association entries. */
export const CSP_REPORT_HEADER = 288;
/** Size of one association entry. */
export const CSP_ASSOCIATION_SIZE = 24;
const TEXT = 128;
const UNKNOWN_DURATION = 0xffff_ffff_ffff_ffffn;

/** Component groups (bits 63–56 of a component id). */
export const CSP_GROUPS = { registrar: 1, pe: 2, pu: 3 } as const;
/** A component group name. */
export type CspGroup = keyof typeof CSP_GROUPS;

/** One association of a component. */
export interface CspAssociation {
  /** Component id of the peer. */
  receiverId: bigint;
  /** Time since the association was set up, µs; undefined = unknown. */
  durationUs?: bigint;
  /** IP protocol number (132 = SCTP). */
  protocolId: number;
  /** PPID of the association (0 data, 11 ASAP, 12 ENRP, 32–35 the demo services). */
  ppid: number;
}

/** A component status report. */
export interface CspReport {
  /** Final report (the component stops). */
  final: boolean;
  /** Component id of the sender ({@link cspComponentId}). */
  senderId: bigint;
  /** µs since the sender's first report. */
  timestampUs: bigint;
  /** Reporting interval, µs. */
  reportIntervalUs: number;
  /** Where it runs (host name and addresses); at most 127 ASCII characters are sent. */
  location: string;
  /** Status text; at most 127 ASCII characters are sent. */
  status: string;
  /** Load 0..1, or undefined when unknown. */
  workload?: number;
  associations: CspAssociation[];
}

/** A component id: `group` in bits 63–56, `objectId` (56 bits) below. */
export function cspComponentId(group: CspGroup, objectId: number | bigint): bigint {
  return (BigInt(CSP_GROUPS[group]) << 56n) | (BigInt(objectId) & 0x00ff_ffff_ffff_ffffn);
}

/** The group of a component id, or undefined for an unknown group. */
export function cspGroupOf(id: bigint): CspGroup | undefined {
  const g = Number(id >> 56n);
  return (Object.keys(CSP_GROUPS) as CspGroup[]).find((k) => CSP_GROUPS[k] === g);
}

/** A component id as `0x` + 16 hex digits. */
export function cspIdText(id: bigint): string {
  return '0x' + id.toString(16).padStart(16, '0');
}

function writeText(view: Uint8Array, offset: number, text: string): void {
  // ASCII only; anything else becomes '?'. One byte stays NUL.
  const n = Math.min(text.length, TEXT - 1);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    view[offset + i] = c >= 0x20 && c < 0x7f ? c : 0x3f;
  }
}

function readText(bytes: Uint8Array, offset: number): string {
  let end = offset;
  while (end < offset + TEXT && bytes[end] !== 0) end++;
  let s = '';
  for (let i = offset; i < end; i++) {
    const c = bytes[i]!;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
  }
  return s;
}

/** Encodes a report (288 + 24·A bytes). */
export function encodeCspReport(r: CspReport): Uint8Array {
  const n = r.associations.length;
  if (n > 0xffff) throw new RangeError('too many associations for one report');
  const size = CSP_REPORT_HEADER + CSP_ASSOCIATION_SIZE * n;
  if (size > 0xffff) throw new RangeError('report too large');
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  v.setUint8(0, 1);
  v.setUint8(1, r.final ? 1 : 0);
  v.setUint16(2, size);
  v.setUint32(4, CSP_VERSION);
  v.setBigUint64(8, BigInt.asUintN(64, r.senderId));
  v.setBigUint64(16, BigInt.asUintN(64, r.timestampUs));
  v.setUint32(24, Math.max(0, Math.min(0xffffffff, Math.round(r.reportIntervalUs))));
  writeText(bytes, 28, r.location);
  writeText(bytes, 156, r.status);
  v.setUint16(284, r.workload === undefined || !Number.isFinite(r.workload) ? 0xffff : Math.round(Math.min(1, Math.max(0, r.workload)) * 0xfffe));
  v.setUint16(286, n);
  r.associations.forEach((a, i) => {
    const o = CSP_REPORT_HEADER + i * CSP_ASSOCIATION_SIZE;
    v.setBigUint64(o, BigInt.asUintN(64, a.receiverId));
    v.setBigUint64(o + 8, a.durationUs === undefined ? UNKNOWN_DURATION : BigInt.asUintN(64, a.durationUs));
    v.setUint16(o + 16, 0);
    v.setUint16(o + 18, a.protocolId);
    v.setUint32(o + 20, a.ppid >>> 0);
  });
  return bytes;
}

/**
 * Decodes a report. Like the reference monitor it accepts only Type 1,
 * Version 0x0200 and a datagram of exactly 288 + 24·A bytes.
 *
 * @throws ProtocolError for anything else
 */
export function decodeCspReport(bytes: Uint8Array): CspReport {
  if (bytes.length < CSP_REPORT_HEADER) throw new ProtocolError(`CSP report of ${bytes.length} bytes is shorter than ${CSP_REPORT_HEADER}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint8(0) !== 1) throw new ProtocolError(`CSP message type ${v.getUint8(0)} is not a report`);
  const version = v.getUint32(4);
  if (version !== CSP_VERSION) throw new ProtocolError(`CSP version 0x${version.toString(16)} is not 0x0200`);
  const n = v.getUint16(286);
  if (bytes.length !== CSP_REPORT_HEADER + CSP_ASSOCIATION_SIZE * n) throw new ProtocolError(`CSP report of ${bytes.length} bytes does not match its ${n} associations`);
  const workload = v.getUint16(284);
  const associations: CspAssociation[] = [];
  for (let i = 0; i < n; i++) {
    const o = CSP_REPORT_HEADER + i * CSP_ASSOCIATION_SIZE;
    const d = v.getBigUint64(o + 8);
    associations.push({ receiverId: v.getBigUint64(o), ...(d === UNKNOWN_DURATION ? {} : { durationUs: d }), protocolId: v.getUint16(o + 18), ppid: v.getUint32(o + 20) });
  }
  return {
    final: (v.getUint8(1) & 1) !== 0,
    senderId: v.getBigUint64(8),
    timestampUs: v.getBigUint64(16),
    reportIntervalUs: v.getUint32(24),
    location: readText(bytes, 28),
    status: readText(bytes, 156),
    ...(workload === 0xffff ? {} : { workload: workload / 0xfffe }),
    associations,
  };
}

/** The location text of this host: `<hostname>: <addr>[:port], …`. */
export function cspLocation(addresses: readonly TransportAddress[]): string {
  const list = addresses.map((a) => (a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`));
  return `${hostname()}: ${list.length > 0 ? list.join(', ') : '(local only)'}`;
}

/** What a component reports each time (the reporter adds id, time stamps and interval). */
export interface CspStatus {
  location: string;
  status: string;
  workload?: number;
  associations?: CspAssociation[];
}

/** Options of {@link CspReporter}. */
export interface CspReporterOptions {
  /** The monitor (port 0 = {@link CSP_PORT}). */
  monitor: TransportAddress;
  /** Reporting interval, ms (at least 250 as the reference). */
  interval: number;
  /** This component's id ({@link cspComponentId}). */
  id: bigint;
  /** Called for every report. */
  status: () => CspStatus;
}

/**
 * Sends a report at once, then one every interval, and a final report on
 * {@link CspReporter.close}. Send errors (no monitor listening) are ignored:
 * monitoring never disturbs the component.
 */
export class CspReporter {
  private readonly socket: Socket;
  private readonly timer: NodeJS.Timeout;
  private readonly started = process.hrtime.bigint();
  private readonly monitor: TransportAddress;
  private readonly interval: number;
  private closing: Promise<void> | undefined;
  /** Reports sent so far. */
  sent = 0;

  constructor(private readonly options: CspReporterOptions) {
    this.interval = Math.max(250, options.interval);
    this.monitor = { address: options.monitor.address, port: options.monitor.port === 0 ? CSP_PORT : options.monitor.port };
    this.socket = createSocket(options.monitor.address.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('error', () => undefined);
    this.socket.unref();
    this.timer = setInterval(() => this.report(false), this.interval);
    this.timer.unref();
    this.report(false);
  }

  private report(final: boolean): Promise<void> {
    let s: CspStatus;
    try {
      s = final ? { location: '', status: '' } : this.options.status();
    } catch {
      return Promise.resolve();
    }
    const bytes = encodeCspReport({
      final,
      senderId: this.options.id,
      timestampUs: (process.hrtime.bigint() - this.started) / 1000n,
      reportIntervalUs: this.interval * 1000,
      location: s.location,
      status: s.status,
      ...(final ? { workload: 0 } : s.workload === undefined ? {} : { workload: s.workload }),
      associations: final ? [] : (s.associations ?? []),
    });
    return new Promise((resolve) => {
      this.socket.send(bytes, this.monitor.port, this.monitor.address, () => {
        this.sent++;
        resolve();
      });
    });
  }

  /** Sends the final report and closes the socket. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.report(true).catch(() => undefined);
      await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    })();
    return this.closing;
  }
}

/** A component as the monitor knows it. */
export interface CspComponent {
  id: bigint;
  group: CspGroup | undefined;
  /** Where its reports come from. */
  source: TransportAddress;
  last: CspReport;
  /** `performance.now()` of the last report. */
  lastSeen: number;
  firstSeen: number;
  reports: number;
}

/** Events of a {@link CspMonitor}. */
export interface CspMonitorEvents {
  /** Every valid report. */
  report: (component: CspComponent, previous: CspReport | undefined) => void;
  /** A component was forgotten (final report or silence). */
  gone: (component: CspComponent, why: 'final' | 'silent') => void;
  /** A datagram that is not a valid report. */
  invalid: (error: Error, source: TransportAddress) => void;
}

/** Options of {@link CspMonitor.listen}. */
export interface CspMonitorOptions {
  /** Where to listen (default `127.0.0.1:2960`; port 0 = ephemeral). */
  listen?: Partial<TransportAddress>;
  /** Longest silence before a component is forgotten, ms (default 30000; also at most 10 report intervals). */
  purgeInterval?: number;
  /** Most components tracked; reports of further new components are dropped (default 10000). */
  maxComponents?: number;
}

/** Receives CSP reports and keeps the table of components. */
export class CspMonitor extends EventEmitter<CspMonitorEvents> {
  /** Valid reports received. */
  reports = 0;
  /** Datagrams refused. */
  invalid = 0;
  private readonly components = new Map<bigint, CspComponent>();
  private readonly purgeTimer: NodeJS.Timeout;

  private constructor(
    private readonly socket: Socket,
    private readonly purgeInterval: number,
    private readonly maxComponents: number,
  ) {
    super();
    socket.on('message', (msg, rinfo) => this.receive(msg, { address: rinfo.address, port: rinfo.port }));
    this.purgeTimer = setInterval(() => this.purge(), Math.min(1000, purgeInterval));
    this.purgeTimer.unref();
  }

  /** Opens the UDP socket. */
  static async listen(options: CspMonitorOptions = {}): Promise<CspMonitor> {
    const address = options.listen?.address ?? '127.0.0.1';
    const socket = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.listen?.port ?? CSP_PORT, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => undefined);
    return new CspMonitor(socket, options.purgeInterval ?? 30_000, options.maxComponents ?? 10_000);
  }

  /** Where the monitor listens. */
  get address(): TransportAddress {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** The components known now, by id. */
  list(): CspComponent[] {
    return [...this.components.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private receive(msg: Buffer, source: TransportAddress): void {
    let r: CspReport;
    try {
      r = decodeCspReport(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
    } catch (err) {
      this.invalid++;
      this.emit('invalid', err as Error, source);
      return;
    }
    let c = this.components.get(r.senderId);
    if (c === undefined && this.components.size >= this.maxComponents) {
      this.invalid++;
      this.emit('invalid', new ProtocolError(`more than ${this.maxComponents} components: report of ${cspIdText(r.senderId)} dropped`), source);
      return;
    }
    this.reports++;
    const now = performance.now();
    const previous = c?.last;
    if (c === undefined) {
      c = { id: r.senderId, group: cspGroupOf(r.senderId), source, last: r, lastSeen: now, firstSeen: now, reports: 0 };
      this.components.set(r.senderId, c);
    }
    c.last = r;
    c.lastSeen = now;
    c.source = source;
    c.reports++;
    this.emit('report', c, previous);
  }

  private purge(): void {
    const now = performance.now();
    for (const c of [...this.components.values()]) {
      const limit = Math.min(this.purgeInterval, 10 * (c.last.reportIntervalUs / 1000));
      // A final report is kept a few seconds so viewers see the component stop.
      if ((c.last.final && now - c.lastSeen > Math.min(limit, 5000)) || now - c.lastSeen > limit) {
        this.components.delete(c.id);
        this.emit('gone', c, c.last.final ? 'final' : 'silent');
      }
    }
  }

  /** Closes the socket. */
  close(): Promise<void> {
    clearInterval(this.purgeTimer);
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
