/**
 * `rsp hsdump ADDR:PORT`: joins the operation scope of the registrar whose
 * ENRP endpoint is ADDR:PORT as a temporary ENRP peer, downloads its
 * handlespace and peer list, prints them (a table, or JSON with `--json`)
 * and leaves.
 *
 * @module
 */
import type { Command } from 'commander';
import { fetchHandleTable, type HandleTableDump } from '../registrar/enrp/handle-table-client.js';
import { SctpPeerLink } from '../registrar/enrp/sctp-peer-link.js';
import type { PoolElementParam, TransportParam } from '../wire/types.js';
import { parseAddress, parseDuration } from './parse.js';
import { transportFromCli, type TransportCliOptions } from './transport-option.js';
import { createTransportEndpoint } from '../transport/endpoint-factory.js';
import type { Endpoint } from '../transport/types.js';

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

function handleText(h: Uint8Array): string {
  for (const c of h) if (c < 0x20 || c > 0x7e) return '0x' + Buffer.from(h).toString('hex');
  return Buffer.from(h).toString('latin1');
}

function transportText(t: TransportParam | undefined): string {
  if (t === undefined) return '-';
  return `${t.protocol}:${t.addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(',')}:${t.port}`;
}

/** Policy fields that are 32-bit fractions (shown as percentages). */
const FRACTIONS = new Set(['load', 'loadDegradation', 'loadDpf', 'weightDpf']);

function policyText(p: PoolElementParam['policy']): string {
  const values = Object.entries(p)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => (FRACTIONS.has(k) ? `${k}=${((Number(v) / 0xffffffff) * 100).toFixed(1)}%` : `${k}=${String(v)}`));
  return values.length > 0 ? `${p.type}(${values.join(',')})` : p.type;
}

/** The dump as plain JSON-friendly data, grouped by pool. */
export function dumpToJson(dump: HandleTableDump): unknown {
  const pools = new Map<string, { pool: string; elements: unknown[] }>();
  for (const g of dump.groups) {
    const name = handleText(g.poolHandle);
    let p = pools.get(name);
    if (p === undefined) pools.set(name, (p = { pool: name, elements: [] }));
    for (const e of g.elements) {
      p.elements.push({
        id: hex(e.peId),
        home: hex(e.homeRegistrarId),
        registrationLife: e.registrationLife,
        policy: e.policy,
        userTransport: e.userTransport,
        asapTransport: e.asapTransport ?? null,
      });
    }
  }
  return {
    registrar: hex(dump.serverId),
    peers: dump.peers.map((s) => ({ id: hex(s.serverId), enrp: transportText(s.transport) })),
    pools: [...pools.values()],
    poolElements: [...pools.values()].reduce((n, p) => n + p.elements.length, 0),
  };
}

/** The dump as a text table. */
export function dumpToText(dump: HandleTableDump): string {
  const lines: string[] = [];
  let n = 0;
  const rows: string[][] = [['POOL', 'PE', 'HOME', 'POLICY', 'USER TRANSPORT', 'ASAP TRANSPORT', 'LIFE']];
  for (const g of dump.groups) {
    for (const e of g.elements) {
      n++;
      rows.push([handleText(g.poolHandle), hex(e.peId), hex(e.homeRegistrarId), policyText(e.policy), transportText(e.userTransport), transportText(e.asapTransport), `${e.registrationLife}`]);
    }
  }
  lines.push(`registrar ${hex(dump.serverId)}: ${n} pool elements, ${new Set(dump.groups.map((g) => handleText(g.poolHandle))).size} pools, ${dump.responses} responses`);
  lines.push(`peers: ${dump.peers.length === 0 ? 'none' : dump.peers.map((s) => `${hex(s.serverId)}@${transportText(s.transport)}`).join(' ')}`);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) lines.push(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  return lines.join('\n');
}

/** Registers the `hsdump` subcommand on `program`. */
export function registerHsdumpCommand(program: Command): void {
  program
    .command('hsdump')
    .description('Download and print the handlespace of a registrar over ENRP (joins as a temporary peer, then leaves).')
    .argument('<addr:port>', 'ENRP endpoint of the registrar', parseAddress)
    .option('--json', 'print JSON instead of a table')
    .option('--timeout <ms>', 'give up after this long', parseDuration, 10_000)
    .option('--local <addr>', 'local address to use', '127.0.0.1')
    .action(async (target: { address: string; port: number }, opts: { json?: boolean; timeout: number; local: string } & TransportCliOptions) => {
      let endpoint: Endpoint;
      try {
        endpoint = await createTransportEndpoint(transportFromCli(opts), { address: target.address.includes(':') ? '::' : opts.local, port: 0, listen: true });
      } catch (err) {
        process.stderr.write(`rsp hsdump: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
        return;
      }
      const serverId = 1 + Math.floor(Math.random() * 0xfffffffe);
      const link = new SctpPeerLink({ serverId, endpoint });
      try {
        const dump = await fetchHandleTable(link, target, { serverId, timeout: opts.timeout });
        process.stdout.write((opts.json ? JSON.stringify(dumpToJson(dump), null, 2) : dumpToText(dump)) + '\n');
      } catch (err) {
        process.stderr.write(`rsp hsdump: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      } finally {
        await link.close();
        await endpoint.close();
      }
    });
}
