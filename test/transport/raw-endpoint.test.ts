import { afterEach, describe, expect, it } from 'vitest';
import { createRawEndpoint, type RawEndpoint } from '../../src/transport/raw-endpoint.js';
import { rawModeUnavailableReason } from '../../src/transport/raw-stack.js';
import type { Association, MessageInfo } from '../../src/transport/types.js';

const reason = rawModeUnavailableReason();
if (reason) console.log(`[skip] raw-IP endpoint tests: ${reason}`);

const endpoints: RawEndpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

async function open(options: Parameters<typeof createRawEndpoint>[0] = {}): Promise<RawEndpoint> {
  const endpoint = await createRawEndpoint(options);
  endpoints.push(endpoint);
  return endpoint;
}

function echo(server: RawEndpoint): void {
  server.on('association', (a) => {
    a.on('message', (data, info) => {
      void a.send(data, { ppid: info.ppid, stream: info.stream, unordered: info.unordered }).catch(() => {});
    });
  });
}

function collect(a: Association, count: number, timeoutMs = 20_000): Promise<Array<{ data: Uint8Array; info: MessageInfo }>> {
  return new Promise((resolve, reject) => {
    const got: Array<{ data: Uint8Array; info: MessageInfo }> = [];
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} messages`)), timeoutMs);
    a.on('message', (data, info) => {
      got.push({ data, info });
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

describe.skipIf(reason !== undefined)('raw-IP endpoint (Endpoint contract)', () => {
  it('sizes packets per destination: loopback MTU by default, stackOptions.mtu as override', async () => {
    const server = await open({ listen: true });
    echo(server);
    const client = await open();
    const a = (await client.connect({ address: '127.0.0.1', port: server.local.port })) as Association & { packetSize: number };
    // Loopback MTU (65,536 on Linux) minus the IPv4 header, within the 65,535-byte IP limit.
    expect(a.packetSize).toBeGreaterThan(1480);
    expect(a.packetSize).toBeLessThanOrEqual(65_535 - 20);
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32BE(i * 7, i);
    const back = collect(a, 1, 60_000);
    await a.send(big, { ppid: 5 });
    expect(Buffer.compare(Buffer.from((await back)[0]!.data), big)).toBe(0);
    const fixed = await open({ stackOptions: { mtu: 1500 } });
    const b = (await fixed.connect({ address: '127.0.0.1', port: server.local.port })) as Association & { packetSize: number };
    expect(b.packetSize).toBe(1480);
  });

  for (const address of ['127.0.0.1', '::1']) {
    it(`echoes messages with PPID, stream and a 1 MiB message intact over ${address}`, async () => {
      const server = await open({ listen: true });
      echo(server);
      const client = await open();
      const a = await client.connect({ address, port: server.local.port });
      const big = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < big.length; i += 4) big.writeUInt32BE(i, i);
      const replies = collect(a, 3, 60_000);
      await a.send(Buffer.from('hello'), { ppid: 11 });
      await a.send(Buffer.from('stream three'), { ppid: 12, stream: 3 });
      await a.send(big, { ppid: 99 });
      const got = await replies;
      expect(Buffer.from(got[0]!.data).toString()).toBe('hello');
      expect(got[0]!.info.ppid).toBe(11);
      expect(got[1]!.info).toMatchObject({ ppid: 12, stream: 3 });
      expect(Buffer.compare(Buffer.from(got[2]!.data), big)).toBe(0);
      const closed = new Promise((resolve) => a.once('close', resolve));
      await a.close();
      expect(await closed).toBe('shutdown');
    }, 90_000);
  }

  it('refuses associations when not listening and reports a closed peer port', async () => {
    const quiet = await open();
    const client = await open();
    await expect(client.connect({ address: '127.0.0.1', port: quiet.local.port }, { timeout: 3000 })).rejects.toBeInstanceOf(Error);
  });

  it('refuses a second association to the same peer from one endpoint (one association per endpoint pair)', async () => {
    const server = await open({ listen: true });
    const client = await open();
    await client.connect({ address: '127.0.0.1', port: server.local.port });
    await expect(client.connect({ address: '127.0.0.1', port: server.local.port })).rejects.toThrow(/EISCONN/);
  });

  it('refuses a port another stack holds', async () => {
    const first = await open({ port: 0 });
    await expect(open({ port: first.local.port })).rejects.toMatchObject({ code: 'ERR_RSP_TRANSPORT' });
  });
});
