/**
 * The handle table as JSON: one form for `rsp hsdump --json` (a table
 * downloaded over ENRP) and `GET /api/handlespace` of `rsp registrar --http`
 * (the registrar's own table), so the two can be compared as they are.
 *
 * @module
 */
import type { PoolElementParam, TransportParam } from '../../wire/types.js';
import { hexId, poolHandleText, readablePolicy, transportParamText } from '../../wire/policy-text.js';
import type { HandleTableDump } from './handle-table-client.js';

/** One PE of {@link HandleTableJson}. */
export interface HandleTableJsonElement {
  /** PE identifier, `0x` + 8 hex digits. */
  id: string;
  /** Home registrar, `0x` + 8 hex digits. */
  home: string;
  /** Registration life, ms. */
  registrationLife: number;
  /** Policy with its fractions (load, degradation...) as numbers 0..1 rounded to 6 decimals. */
  policy: PoolElementParam['policy'];
  /** Where pool users reach the PE. */
  userTransport: TransportParam;
  /** The ASAP association the PE registered over, or null when the table does not say. */
  asapTransport: TransportParam | null;
}

/** The JSON form of a handle table; see {@link handleTableToJson}. */
export interface HandleTableJson {
  /** The registrar whose table it is, `0x` + 8 hex digits. */
  registrar: string;
  /** Its ENRP peers: id and ENRP transport (`sctp:ADDR:PORT`). */
  peers: { id: string; enrp: string }[];
  /** PEs grouped by pool (pool handles as text when printable, else `0x` + hex). */
  pools: { pool: string; elements: HandleTableJsonElement[] }[];
  /** Number of PEs in all pools. */
  poolElements: number;
}

/**
 * The handle table as plain JSON data grouped by pool, as `rsp hsdump
 * --json` prints it and `GET /api/handlespace` serves it.
 *
 * ```ts
 * import { fetchHandleTable, handleTableToJson } from 'rserpool/registrar';
 * console.log(JSON.stringify(handleTableToJson(await fetchHandleTable(link, target)), null, 2));
 * ```
 */
export function handleTableToJson(dump: HandleTableDump): HandleTableJson {
  const pools = new Map<string, { pool: string; elements: HandleTableJsonElement[] }>();
  for (const g of dump.groups) {
    const name = poolHandleText(g.poolHandle);
    let p = pools.get(name);
    if (p === undefined) pools.set(name, (p = { pool: name, elements: [] }));
    for (const e of g.elements) {
      p.elements.push({
        id: hexId(e.peId),
        home: hexId(e.homeRegistrarId),
        registrationLife: e.registrationLife,
        policy: readablePolicy(e.policy, true),
        userTransport: e.userTransport,
        asapTransport: e.asapTransport ?? null,
      });
    }
  }
  const list = [...pools.values()];
  return {
    registrar: hexId(dump.serverId),
    peers: dump.peers.map((s) => ({ id: hexId(s.serverId), enrp: transportParamText(s.transport) })),
    pools: list,
    poolElements: list.reduce((n, p) => n + p.elements.length, 0),
  };
}
