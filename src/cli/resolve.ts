/**
 * `rsp resolve POOL`: Basic Mode handle resolution on the command line. Asks
 * a registrar for the pool elements of POOL (in the pool's selection order)
 * and prints one line per PE, or with `--json` one JSON document:
 * `{ "pool", "elements": [{ "id", "addresses", "protocol", "policy", "home",
 * "registrationLife" }] }`. Exit status 1 when the pool does not exist or no
 * registrar answers.
 *
 * @module
 */
import type { Command } from 'commander';
import { resolve } from '../asap/basic-mode.js';
import type { PoolElementInfo } from '../asap/asap-options.js';
import { formatTransportAddress } from '../registrar/options.js';
import { collectRegistrar, formatId, printJsonLine, readablePolicy, REGISTRAR_HELP, reportError } from './common.js';
import { parseInteger } from './parse.js';
import { transportFromCli, type TransportCliOptions } from './transport-option.js';

/** Parsed options of `rsp resolve`. */
interface ResolveCliOptions extends TransportCliOptions {
  registrar?: string[];
  items?: number;
  json?: boolean;
}

/** A resolved PE as printed by `--json` (ids in 0x form, fractions rounded). */
export function elementToJson(pe: PoolElementInfo): Record<string, unknown> {
  return {
    id: formatId(pe.id),
    addresses: pe.addresses.map(formatTransportAddress),
    protocol: pe.protocol,
    policy: readablePolicy(pe.policy, false),
    home: formatId(pe.homeRegistrarId),
    registrationLife: pe.registrationLife,
  };
}

/** A resolved PE as one line of text. */
export function elementToText(pe: PoolElementInfo): string {
  const { type, ...values } = readablePolicy(pe.policy, false);
  const fields = Object.entries(values).map(([k, v]) => `${k}=${String(v)}`);
  const policy = fields.length > 0 ? `${type}(${fields.join(',')})` : type;
  return `PE ${formatId(pe.id)} at ${pe.addresses.map(formatTransportAddress).join(',')} (${pe.protocol}) policy ${policy} home ${formatId(pe.homeRegistrarId)}`;
}

/** Registers the `resolve` subcommand on `program`. */
export function registerResolveCommand(program: Command): void {
  program
    .command('resolve')
    .description('Resolve a pool handle (Basic Mode): print its pool elements in selection order.')
    .argument('<pool>', 'pool handle')
    .option('--registrar <host:port>', REGISTRAR_HELP, collectRegistrar)
    .option('--items <n>', 'most PEs to ask for (default: what the registrar sends, usually 3)', parseInteger)
    .option('--json', 'print JSON instead of one line per PE', false)
    .configureHelp({ showGlobalOptions: false })
    .action(async (pool: string, opts: ResolveCliOptions) => {
      let elements: PoolElementInfo[];
      try {
        elements = await resolve(pool, {
          transport: transportFromCli(opts),
          ...(opts.registrar !== undefined ? { registrars: opts.registrar } : {}),
          ...(opts.items !== undefined ? { items: opts.items } : {}),
          cache: false,
        });
      } catch (err) {
        reportError('resolve', err);
        return;
      }
      if (opts.json) printJsonLine({ pool, elements: elements.map(elementToJson) });
      else for (const pe of elements) process.stdout.write(`${elementToText(pe)}\n`);
    });
}
