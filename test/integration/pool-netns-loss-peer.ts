/**
 * Peer process of the pool loss test, run inside a namespace with
 * `node --import tsx pool-netns-loss-peer.ts <role> <json config>`; prints
 * JSON lines.
 *
 * Roles:
 * - `pool`: a registrar and two echo PEs (user ports `pePorts`) on
 *   `address`; prints `{ registrar, pes }` once both are registered. Then,
 *   per line on standard input: `stats` prints `{ stats, registered }` (the
 *   registrar's counters, and which PE ids its handlespace still holds);
 *   `exit` closes everything and exits.
 * - `pu`: `sessions` sessions one after the other, each with `requests`
 *   echo requests; prints `{ requests, answered, wrong, failovers, error, ms }`.
 *
 * Both use short retransmission timeouts, so a lost packet costs tens of
 * milliseconds, and a session connect timeout shorter than the first INIT
 * retransmission, so a lost INIT or INIT ACK fails that connect attempt
 * and the pool user reports the PE (that is what the test wants to see).
 */
import { createInterface } from 'node:readline';
import * as rsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { toPoolHandle } from '../../src/asap/asap-instance.js';
import type { TransportOptions } from '../../src/transport/endpoint-factory.js';

const POOL = 'LossPool';
/** INIT is retransmitted after 300 ms; data after the measured RTO (at least 40 ms). */
const TRANSPORT: TransportOptions = { rtoInitial: 300, rtoMin: 40, rtoMax: 400, maxRetransmissions: 10, maxInitRetransmissions: 10 };
/** Shorter than `rtoInitial`: a connect whose INIT or INIT ACK is lost fails and is reported. */
const CONNECT_TIMEOUT = 150;

interface Config {
  address: string;
  pePorts?: number[];
  registrar?: string;
  sessions?: number;
  requests?: number;
}

function print(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function pool(config: Config): Promise<void> {
  const registrar = new Registrar({ asap: [`${config.address}:0`], announce: false });
  await registrar.start();
  const at = `${config.address}:${registrar.addresses[0]!.port}`;
  const pes: rsp.PoolElementSocket[] = [];
  const ids: number[] = [];
  for (const port of config.pePorts ?? []) {
    const pe = rsp.socket({ registrars: [at], address: config.address, transport: TRANSPORT });
    pe.on('error', () => undefined);
    const reg = await pe.register(POOL, { port, policy: 'round-robin' });
    ids.push(reg.peId);
    pes.push(pe);
    void (async () => {
      for await (const s of pe) {
        void (async () => {
          try {
            for await (const m of s) await s.send(m.data);
          } catch {
            // session gone
          }
        })();
      }
    })().catch(() => undefined);
  }
  print({ registrar: at, pes: ids });
  const handle = toPoolHandle(POOL);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'stats') {
      print({ stats: registrar.stats, registered: ids.filter((id) => registrar.handlespace.find(handle, id) !== undefined) });
    } else if (line === 'exit') {
      for (const pe of pes) await pe.close().catch(() => undefined);
      await registrar.close();
      process.exit(0);
    }
  }
}

async function pu(config: Config): Promise<void> {
  const result = { requests: 0, answered: 0, wrong: 0, failovers: 0, error: null as string | null, ms: 0 };
  const t0 = performance.now();
  const dec = new TextDecoder();
  try {
    for (let i = 0; i < (config.sessions ?? 1); i++) {
      const session = await rsp.connect(POOL, { registrars: [config.registrar!], transport: TRANSPORT, connectTimeout: CONNECT_TIMEOUT, retryDelayMax: 100, failedPeHold: 250, failoverTimeout: 10_000 });
      session.on('failover', () => result.failovers++);
      try {
        for (let j = 0; j < (config.requests ?? 1); j++) {
          const text = `session ${i} request ${j}`;
          result.requests++;
          const reply = await session.request(text, { timeout: 10_000 });
          if (dec.decode(reply.data) === text) result.answered++;
          else result.wrong++;
        }
      } finally {
        await session.close();
      }
    }
  } catch (err) {
    result.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  result.ms = Math.round(performance.now() - t0);
  print(result);
  process.exit(0);
}

const [role, json] = process.argv.slice(2);
const config = JSON.parse(json ?? '{}') as Config;
(role === 'pool' ? pool(config) : pu(config)).catch((err: unknown) => {
  process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(1);
});
