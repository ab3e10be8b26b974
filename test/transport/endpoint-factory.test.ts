/**
 * The one transport choice: `createTransportEndpoint()` opens an endpoint in
 * each mode with the tuning applied (here the message cap, which every
 * mode enforces before queueing), and the command line's `--transport` /
 * `$RSP_TRANSPORT` turn into the same options.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { transportFromCli } from '../../src/cli/transport-option.js';
import { checkTransportMode, createTransportEndpoint, type TransportEndpoint, type TransportMode } from '../../src/transport/endpoint-factory.js';
import { rawModeUnavailableReason } from '../../src/transport/raw-stack.js';

const rawReason = rawModeUnavailableReason();
const open: TransportEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

describe('createTransportEndpoint', () => {
  for (const mode of ['udp', 'udp-standard', 'raw'] as TransportMode[]) {
    it.skipIf(mode === 'raw' && rawReason !== undefined)(`${mode}: tuning applies (message cap) and messages flow`, async () => {
      const transport = { mode, maxMessageSize: 1000, rtoMin: 200, udpPort: 0 };
      const server = await createTransportEndpoint(transport, { address: '127.0.0.1', port: 0, listen: true });
      open.push(server);
      const got = new Promise<number>((resolve) => server.on('association', (a) => a.on('message', (d) => resolve(d.length))));
      const client = await createTransportEndpoint(
        // udp-standard: the peer's UDP port is the shared one (ephemeral here).
        mode === 'udp-standard' ? { ...transport, remoteUdpPort: (server as unknown as { socket: { address(): { port: number } } }).socket.address().port } : transport,
        { address: '127.0.0.1', port: 0 },
      );
      open.push(client);
      const a = await client.connect({ address: '127.0.0.1', port: server.local.port });
      await expect(a.send(new Uint8Array(1001), { ppid: 51 })).rejects.toMatchObject({ code: 'ERR_RSP_LIMIT' });
      await a.send(new Uint8Array(1000), { ppid: 51 });
      expect(await got).toBe(1000);
    });
  }

  it('refuses an unknown mode with the list of modes', async () => {
    expect(() => checkTransportMode('tcp')).toThrow(/udp, udp-standard, raw/);
    await expect(createTransportEndpoint({ mode: 'tcp' as TransportMode })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
  });
});

describe('--transport and $RSP_TRANSPORT', () => {
  it('the option wins over the environment, which wins over the default udp', () => {
    expect(transportFromCli({}, {})).toEqual({ mode: 'udp' });
    expect(transportFromCli({}, { RSP_TRANSPORT: 'raw' })).toEqual({ mode: 'raw' });
    expect(transportFromCli({ transport: 'udp-standard', udpPort: 9900 }, { RSP_TRANSPORT: 'raw' })).toEqual({ mode: 'udp-standard', udpPort: 9900 });
    expect(() => transportFromCli({}, { RSP_TRANSPORT: 'sctp' })).toThrow(/\$RSP_TRANSPORT/);
  });
});
