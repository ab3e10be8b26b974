/**
 * `rsp hsdump HOST:PORT`: asks the registrar whose ENRP endpoint is
 * HOST:PORT (a host name or an IP address) for its handlespace and peer
 * list as a reader (ENRP requests without a Presence, so it never becomes
 * one of the registrar's peers), and prints them (a table, or JSON with
 * `--json`); load-like policy values are fractions rounded to 6 decimals.
 * A closed port or a name that does not resolve is reported at once.
 *
 * @module
 */
import type { Command } from 'commander';
import { fetchHandleTable, type HandleTableDump } from '../registrar/enrp/handle-table-client.js';
import { SctpPeerLink } from '../registrar/enrp/sctp-peer-link.js';
import { resolveHost, resolveTransportAddress } from '../transport/resolve-host.js';
import type { Endpoint, TransportAddress } from '../transport/types.js';
import type { PoolElementParam } from '../wire/types.js';
import { formatId as hex, reportError } from './common.js';
import { poolHandleText as handleText, readablePolicy, transportParamText as transportText } from '../wire/policy-text.js';
import { handleTableToJson } from '../registrar/enrp/handle-table-json.js';
import { parseAddress, parseDuration } from './parse.js';
import { transportFromCli, type TransportCliOptions } from './transport-option.js';
import { createTransportEndpoint } from '../transport/endpoint-factory.js';

/** The policy with its fractions (load, degradation, ...) as numbers 0..1 rounded to 6 decimals. */
function policyText(p: PoolElementParam['policy']): string {
  const values = Object.entries(readablePolicy(p, true))
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k}=${String(v)}`);
  return values.length > 0 ? `${p.type}(${values.join(',')})` : p.type;
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
    .description('Download and print the handlespace of a registrar over ENRP (as a reader: it does not become one of its peers).')
    .argument('<host:port>', 'ENRP endpoint of the registrar (a host name or an IP address)', parseAddress)
    .option('--json', 'print JSON instead of a table', false)
    .option('--timeout <ms>', 'give up after this long', parseDuration, 10_000)
    .option('--local <addr>', 'local address to use', '127.0.0.1')
    .action(async (given: TransportAddress, opts: { json?: boolean; timeout: number; local: string } & TransportCliOptions) => {
      // A host name is looked up first, so a name that does not resolve fails at once with the resolver's reason.
      let target: TransportAddress;
      let endpoint: Endpoint;
      try {
        target = await resolveTransportAddress(given);
        const local = await resolveHost(opts.local, 4);
        const v6 = target.address.includes(':');
        endpoint = await createTransportEndpoint(transportFromCli(opts), { address: v6 ? (target.address === '::1' ? '::1' : '::') : local, port: 0, listen: true });
      } catch (err) {
        reportError('hsdump', err);
        return;
      }
      const serverId = 1 + Math.floor(Math.random() * 0xfffffffe);
      const link = new SctpPeerLink({ serverId, endpoint });
      try {
        const dump = await fetchHandleTable(link, target, { serverId, timeout: opts.timeout });
        process.stdout.write((opts.json ? JSON.stringify(handleTableToJson(dump), null, 2) : dumpToText(dump)) + '\n');
      } catch (err) {
        reportError('hsdump', err);
      } finally {
        await link.close();
        await endpoint.close();
      }
    });
}
