/**
 * What every `rsp` subcommand shares: the error line format
 * (`rsp <command>: error: ...`), the PE/registrar identifier format
 * (`0x` and 8 hex digits, in text, logs, events and JSON alike), readable
 * policy values, JSON output, and the repeatable `--registrar` option.
 * A subcommand's own options live in its module; options shared by several
 * commands go in a small module of their own next to this one.
 *
 * @module
 */
import type { Command } from 'commander';
import { REGISTRARS_ENV } from '../asap/registrar-table.js';
import { resolveTransportAddress } from '../transport/resolve-host.js';
import type { TransportAddress } from '../transport/types.js';
import { parseAddress } from './parse.js';

/** Formats a PE or registrar identifier as `0x` and 8 hex digits (`?` when unknown). */
export function formatId(id: number | undefined): string {
  return id === undefined ? '?' : '0x' + (id >>> 0).toString(16).padStart(8, '0');
}

/** The message of an error (or the text of anything thrown). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The one error line format of every command: `rsp <command>: error: <message>` (`rsp: error: ...` without a command). */
export function errorLine(command: string | undefined, err: unknown): string {
  return `${command ? `rsp ${command}` : 'rsp'}: error: ${errorText(err)}`;
}

/** Writes {@link errorLine} to standard error and sets the exit status (default 1). */
export function reportError(command: string, err: unknown, exitCode = 1): void {
  process.stderr.write(`${errorLine(command, err)}\n`);
  process.exitCode = exitCode;
}

/**
 * Makes commander's own errors (unknown option, bad option value, missing
 * argument) use the same prefix as {@link errorLine}, for the program and
 * every subcommand registered so far.
 */
export function prefixCommanderErrors(program: Command): void {
  const apply = (cmd: Command, label: string): void => {
    cmd.configureOutput({
      outputError: (text, write) => write(text.replace(/^error: /, `${label}: error: `)),
    });
  };
  apply(program, 'rsp');
  for (const sub of program.commands) apply(sub, `rsp ${sub.name()}`);
}

export { readablePolicy, roundFraction } from '../wire/policy-text.js';

/** Writes one JSON value as one line on standard output. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Collects a repeatable `HOST:PORT` option as text (validated). */
export function collectRegistrar(text: string, previous: string[] | undefined): string[] {
  parseAddress(text);
  return [...(previous ?? []), text];
}

/** The registrars option text of help texts. */
export const REGISTRAR_HELP = `registrar to use, HOST:PORT (a host name or an IP address), repeatable (default: $${REGISTRARS_ENV}, else registrars heard in announces)`;

const isAddress = (v: unknown): v is TransportAddress => typeof v === 'object' && v !== null && typeof (v as TransportAddress).address === 'string';

/**
 * Looks up the host names in the given address options (each a transport
 * address, a list of them, `false` or unset) and replaces them by IP
 * addresses, so a command that listens on or talks to `localhost:3863`
 * fails at start with the resolver's reason (`ENOTFOUND`) when a name does
 * not resolve.
 *
 * @throws HostNotFoundError for the first name that does not resolve
 */
export async function resolveAddressOptions<T extends object>(opts: T, keys: ReadonlyArray<keyof T>): Promise<void> {
  for (const key of keys) {
    const v: unknown = opts[key];
    if (isAddress(v)) opts[key] = (await resolveTransportAddress(v)) as T[keyof T];
    else if (Array.isArray(v)) opts[key] = (await Promise.all(v.map((a: unknown) => (isAddress(a) ? resolveTransportAddress(a) : a)))) as T[keyof T];
  }
}
