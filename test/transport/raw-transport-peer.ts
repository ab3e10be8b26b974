/**
 * The raw-IP counterpart of `test/fixtures/transport-peer.ts` for the
 * transport benchmark's `raw` mode (same roles and output), run with
 * `node --import tsx test/transport/raw-transport-peer.ts <mode> [options as JSON]`.
 *
 * - `server`: listening endpoint on 127.0.0.1 that echoes every message;
 *   prints `{"ready":true,"port":N}`.
 * - `clients`: opens `count` idle associations to `remote`, each from an
 *   endpoint of its own (SCTP allows one association per pair of endpoints)
 *   on one shared raw stack, then prints `{"ready":true,"port":N}`.
 */
import { createRawEndpoint } from '../../src/transport/raw-endpoint.js';
import { RawStack } from '../../src/transport/raw-stack.js';
import type { Association } from '../../src/transport/types.js';

const mode = process.argv[2] ?? 'server';
const options = JSON.parse(process.argv[3] ?? '{}') as {
  port?: number;
  remote?: { address: string; port: number };
  count?: number;
  ownSocket?: boolean;
  heartbeatInterval?: number;
  rtoMin?: number;
  rtoMax?: number;
  rtoInitial?: number;
  maxRetransmissions?: number;
};

function echo(a: Association): void {
  a.on('message', (data, info) => {
    a.send(data, { ppid: info.ppid, stream: info.stream, unordered: info.unordered }).catch(() => {});
  });
  a.on('error', () => {});
}

const { remote, count, ownSocket, ...endpointOptions } = options;
void ownSocket;
const stack = await RawStack.open();
const endpoint = await createRawEndpoint({ ...endpointOptions, stack, address: '127.0.0.1', port: options.port ?? 0, listen: mode === 'server' });
endpoint.on('association', echo);
endpoint.on('error', () => {});
const others: Array<{ close(): Promise<void> }> = [];
if (mode === 'clients') {
  if (!remote) throw new Error('clients needs remote');
  for (let i = 0; i < (count ?? 1); i++) {
    const own = i === 0 ? endpoint : await createRawEndpoint({ ...endpointOptions, stack, address: '127.0.0.1' });
    if (own !== endpoint) others.push(own);
    echo(await own.connect(remote, { timeout: 20_000 }));
  }
}
process.stdout.write(`${JSON.stringify({ ready: true, port: endpoint.local.port })}\n`);
process.on('SIGTERM', () => {
  void Promise.all([endpoint, ...others].map((e) => e.close())).then(() => {
    stack.close();
    process.exit(0);
  });
});
