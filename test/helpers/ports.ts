/** Small helpers of the interop and capture tests: a free UDP port, waiting for a condition. */
import dgram from 'node:dgram';

/** A UDP port on 127.0.0.1 that was free a moment ago (for programs that bind it themselves). */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Polls `predicate` every 20 ms for up to `timeoutMs`; resolves with its last value. */
export async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return predicate();
}
