/**
 * Test harness for raw-IP mode at the level of `sctp@1.0.0`'s own `Endpoint`
 * and `Association` objects (below the message-oriented Association API), so
 * the raw stack is tested on its own. Also runs as a child process inside a
 * network namespace: `node --import tsx raw-sctp-harness.ts <role> <json>`.
 */
import { createRequire } from 'node:module';
import { randomBytes, createHash } from 'node:crypto';
import { RawStack, type RawStackOptions, type SctpEndpointLike } from '../../src/transport/raw-stack.js';

const require = createRequire(import.meta.url);

/** The parts of sctp's Association used here. */
export interface SctpAssociation {
  remoteAddress: string;
  remotePort: number;
  PMTU: number;
  on(event: string, listener: (...args: any[]) => void): this;
  once(event: string, listener: (...args: any[]) => void): this;
  SEND(buffer: Buffer, options: { stream_id?: number; protocol?: number }, callback: (error?: Error) => void): boolean;
  RECEIVE(): (Buffer & { ppid?: number }) | undefined;
  ABORT(reason?: string): void;
  SHUTDOWN(callback?: () => void): void;
}

export interface SctpEndpoint extends SctpEndpointLike {
  ASSOCIATE(options: { remoteAddress: string; remotePort: number; OS?: number; MIS?: number }): SctpAssociation;
  on(event: 'association', listener: (association: SctpAssociation) => void): this;
  close(): void;
}

const EndpointClass = require('sctp/lib/endpoint') as new (options: Record<string, unknown>) => SctpEndpoint;

/** Opens an sctp Endpoint on the stack (port 0: ephemeral). */
export async function openEndpoint(stack: RawStack, port = 0, address?: string): Promise<SctpEndpoint> {
  const claim = await stack.claim(port);
  const endpoint = new EndpointClass({
    localPort: claim.port,
    localAddress: address ? [address] : undefined,
    MIS: 4,
    OS: 4,
    a_rwnd: 1024 * 1024,
  });
  stack.bind(endpoint, claim);
  return endpoint;
}

/** Sizes the association's packets for raw IP (IP header inside the MTU). */
export function fitMtu(stack: RawStack, association: SctpAssociation): void {
  association.PMTU = stack.sctpMtuFor(association.remoteAddress);
}

/** Resolves when the association is up. */
export function whenUp(association: SctpAssociation, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('association setup timed out')), timeoutMs);
    association.once('COMMUNICATION UP', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Collects whole messages of an association. */
export function onMessage(association: SctpAssociation, listener: (data: Buffer, ppid: number | undefined) => void): void {
  association.on('DATA ARRIVE', () => {
    for (;;) {
      const data = association.RECEIVE();
      if (!data) break;
      listener(data, data.ppid);
    }
  });
}

/** Sends messages one after another (waits for each write callback). */
export async function sendAll(association: SctpAssociation, messages: Buffer[], ppid = 99): Promise<void> {
  for (const message of messages) {
    await new Promise<void>((resolve, reject) => {
      association.SEND(message, { protocol: ppid }, (error) => (error ? reject(error) : resolve()));
    });
  }
}

export function digest(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A message whose content tells whether it arrived intact. */
export function patternMessage(size: number, seed: number): Buffer {
  const message = randomBytes(size);
  message.writeUInt32BE(seed >>> 0, 0);
  return message;
}

interface ChildConfig {
  stack?: RawStackOptions;
  port?: number;
  address?: string;
  remoteAddress?: string;
  remotePort?: number;
  messages?: number;
  size?: number;
  durationMs?: number;
  /**
   * Client only: step on lines read from stdin instead of running through.
   * Prints `{"up":true,"localPort":N}` once associated and waits for `go`;
   * prints `{"echoed":true}` once every echo arrived and waits for `finish`
   * before the result line. Lets a test keep several clients' stacks open
   * across each other's transfers.
   */
  stepped?: boolean;
}

/** The lines of stdin, one at a time. */
function stdinLines(): () => Promise<string> {
  const pending: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  let buffer = '';
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i).trim();
      buffer = buffer.slice(i + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else pending.push(line);
    }
  });
  return () => {
    const line = pending.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiters.push(resolve));
  };
}

async function expectLine(next: () => Promise<string>, wanted: string): Promise<void> {
  const line = await next();
  if (line !== wanted) throw new Error(`expected "${wanted}" on stdin, got "${line}"`);
}

/**
 * Child-process roles, one JSON line of results on stdout:
 * - `echo-server`: listens on `port`, echoes every message; prints
 *   `{"listening":port}` when ready and exits after `durationMs`.
 * - `client`: connects to `remoteAddress:remotePort` from an ephemeral port,
 *   sends `messages` of `size` bytes, compares the echoes; prints
 *   `{"localPort":..,"intact":..,"corrupt":..,"aborted":..}`.
 */
async function child(role: string, config: ChildConfig): Promise<void> {
  const stack = await RawStack.open(config.stack ?? {});
  const finish = (result: object): void => {
    process.stdout.write(`${JSON.stringify({ ...result, stats: stack.stats })}\n`);
    stack.close();
    process.exit(0);
  };
  if (role === 'echo-server') {
    const endpoint = await openEndpoint(stack, config.port ?? 0, config.address);
    let associations = 0;
    endpoint.on('association', (association) => {
      associations++;
      fitMtu(stack, association);
      // One write at a time (the unrepaired package has one pending-callback slot).
      let queue = Promise.resolve();
      onMessage(association, (data, ppid) => {
        queue = queue.then(() => sendAll(association, [data], ppid ?? 0)).catch(() => {});
      });
    });
    process.stdout.write(`${JSON.stringify({ listening: endpoint.localPort })}\n`);
    setTimeout(() => finish({ associations }), config.durationMs ?? 30_000);
    return;
  }
  if (role === 'client') {
    const endpoint = await openEndpoint(stack, 0);
    const association = endpoint.ASSOCIATE({ remoteAddress: config.remoteAddress!, remotePort: config.remotePort! });
    fitMtu(stack, association);
    let aborted = 0;
    association.on('COMMUNICATION LOST', () => aborted++);
    const expected = new Map<number, string>();
    let intact = 0;
    let corrupt = 0;
    const count = config.messages ?? 20;
    const allEchoed = new Promise<void>((resolve) => {
      onMessage(association, (data) => {
        const seq = data.readUInt32BE(0);
        if (expected.get(seq) === digest(data)) intact++;
        else corrupt++;
        if (intact + corrupt === count) resolve();
      });
    });
    await whenUp(association);
    const nextLine = config.stepped ? stdinLines() : undefined;
    if (nextLine) {
      process.stdout.write(`${JSON.stringify({ up: true, localPort: endpoint.localPort })}\n`);
      await expectLine(nextLine, 'go');
    }
    const messages: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const m = patternMessage(config.size ?? 4000, i);
      expected.set(i, digest(m));
      messages.push(m);
    }
    const timer = setTimeout(() => finish({ localPort: endpoint.localPort, intact, corrupt, aborted, timedOut: true }), config.durationMs ?? 30_000);
    await sendAll(association, messages);
    await allEchoed;
    clearTimeout(timer);
    if (nextLine) {
      process.stdout.write(`${JSON.stringify({ echoed: true })}\n`);
      await expectLine(nextLine, 'finish');
    }
    finish({ localPort: endpoint.localPort, intact, corrupt, aborted });
    return;
  }
  throw new Error(`unknown role ${role}`);
}

/**
 * `original-port`: the port the package's own raw transport allocates for a
 * new endpoint (it starts at 49152 in every process), to show the collision
 * the raw stack's claims prevent. Prints `{ port }`.
 */
function originalPort(): void {
  const transport = require('sctp/lib/transport') as { register(endpoint: unknown, options: object): number | undefined };
  const endpoint = new EndpointClass({ MIS: 1, OS: 1 });
  const port = transport.register(endpoint, {});
  process.stdout.write(`${JSON.stringify({ port: (endpoint as { localPort?: number }).localPort ?? port })}\n`);
  process.exit(0);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!) && process.argv[2] === 'original-port') {
  originalPort();
} else if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!) && process.argv[2]) {
  child(process.argv[2], JSON.parse(process.argv[3] ?? '{}') as ChildConfig).catch((error: unknown) => {
    process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`);
    process.exit(1);
  });
}
