/**
 * The `--http [ADDR:]PORT` option of `rsp registrar` and `rsp server`
 * (metrics, health, JSON APIs and the web view), kept here so each command
 * needs only a line to add it and a line to start it.
 *
 * @module
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { TransportAddress } from '../transport/types.js';
import { collect, parseAddress } from './parse.js';

/** Help text of `--http`. */
export const HTTP_HELP = 'serve /metrics, /healthz, /api/* and the web view on [ADDR:]PORT (address default 127.0.0.1; port 0 = ephemeral; off unless given)';

/** Parses `PORT`, `ADDR:PORT` or `[V6]:PORT`; a bare port binds to loopback. */
export function parseHttpAddress(text: string): TransportAddress {
  if (/^\d+$/.test(text)) {
    const port = Number(text);
    if (port > 65535) throw new InvalidArgumentError(`"${text}" is not a port.`);
    return { address: '127.0.0.1', port };
  }
  if (!/:\d+$/.test(text.trim())) throw new InvalidArgumentError(`"${text}" is not PORT or ADDR:PORT.`);
  return parseAddress(text);
}

/** Default address of `--http` given without a value (where a command allows that). */
export const DEFAULT_HTTP = '127.0.0.1:8080';

/**
 * Adds `--http` to a command. With `optionalValue`, `--http` alone means
 * {@link DEFAULT_HTTP}.
 */
export function addHttpOption(cmd: Command, options: { optionalValue?: boolean } = {}): Command {
  if (options.optionalValue) {
    cmd.option('--http [[addr:]port]', `${HTTP_HELP}; alone: ${DEFAULT_HTTP}`, (t: string) => parseHttpAddress(t));
  } else {
    cmd.option('--http <[addr:]port>', HTTP_HELP, parseHttpAddress);
  }
  return cmd.option('--http-allow-host <name>', HTTP_ALLOW_HOST_HELP, collectHostName);
}

/** Help text of `--http-allow-host`. */
export const HTTP_ALLOW_HOST_HELP = 'a further Host name the HTTP server answers while bound to loopback, e.g. behind a reverse proxy that keeps the client\'s Host (repeatable; default: loopback names and addresses only)';

function collectHostName(text: string, previous: string[] | undefined): string[] {
  const name = text.trim();
  if (name === '' || /[\s/@]/.test(name)) throw new InvalidArgumentError(`"${text}" is not a host name.`);
  return collect(name, previous);
}

/** The `allowedHosts` option of the HTTP server from `--http-allow-host` (nothing when not given). */
export function httpAllowedHosts(opts: { httpAllowHost?: string[] }): { allowedHosts?: string[] } {
  return opts.httpAllowHost !== undefined ? { allowedHosts: opts.httpAllowHost } : {};
}

/** The `--http` value as an address (`true` = given without a value). */
export function httpAddress(value: TransportAddress | true | undefined): TransportAddress | undefined {
  return value === true ? parseHttpAddress(DEFAULT_HTTP) : value;
}

/** Formats the URL of a listening address for the log line. */
export function httpUrl(a: TransportAddress): string {
  return `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}/`;
}
