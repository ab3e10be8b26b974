/**
 * Loads the optional native dependency `raw-socket` for raw-IP mode.
 *
 * Raw-IP mode sends SCTP directly over IP (protocol 132), which needs a raw
 * socket and therefore root (CAP_NET_RAW). `raw-socket` is an optional
 * dependency: when its native build failed at install time, or the process
 * lacks the privilege, raw-IP mode is unavailable and
 * {@link rawModeUnavailableReason} says why in one sentence (tests print it
 * when they skip).
 *
 * @module
 */
import { createRequire } from 'node:module';

/** The part of `raw-socket`'s socket object that raw-IP mode uses. */
export interface RawSocketHandle {
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'close', listener: () => void): this;
  setOption(level: number, option: number, value: number): void;
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    beforeCallback: (() => void) | null,
    afterCallback: (error: Error | null, bytes: number) => void,
  ): this;
  close(): this;
}

/** The part of the `raw-socket` module that raw-IP mode uses. */
export interface RawSocketModule {
  createSocket(options: { addressFamily: number; protocol: number; bufferSize?: number }): RawSocketHandle;
  AddressFamily: { IPv4: number; IPv6: number };
  SocketLevel: { SOL_SOCKET: number; IPPROTO_IP: number; IPPROTO_IPV6: number };
  SocketOption: {
    SO_RCVBUF: number;
    SO_SNDBUF: number;
    IP_HDRINCL: number;
    IP_TTL: number;
    IPV6_UNICAST_HOPS: number;
  };
}

let cached: { module?: RawSocketModule; reason?: string } | undefined;

function load(): { module?: RawSocketModule; reason?: string } {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    cached = { module: require('raw-socket') as RawSocketModule };
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    cached = {
      reason: `the optional dependency raw-socket is not installed or its native build failed (${detail})`,
    };
  }
  return cached;
}

/** The `raw-socket` module, or `undefined` when it cannot be loaded. */
export function loadRawSocket(): RawSocketModule | undefined {
  return load().module;
}

/**
 * Why raw-IP mode cannot be used in this process, or `undefined` when it can
 * (the module loads and the process runs as root).
 */
export function rawModeUnavailableReason(): string | undefined {
  const { reason } = load();
  if (reason) return reason;
  if (process.platform !== 'linux') return `raw-IP mode is supported on Linux only (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'raw-IP mode needs root (a raw IP socket for protocol 132 needs CAP_NET_RAW)';
  }
  return undefined;
}
