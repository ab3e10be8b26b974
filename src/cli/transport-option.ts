/**
 * The transport choice of every `rsp` command: `--transport udp|udp-standard|raw`
 * (default: `$RSP_TRANSPORT`, else `udp`), plus the UDP ports of the
 * `udp-standard` mode. Each command adds these options with
 * {@link addTransportOptions} and turns the parsed values into library
 * options with {@link transportFromCli}.
 *
 * @module
 */
import { Option, type Command } from 'commander';
import { TRANSPORT_MODES, checkTransportMode, type TransportMode, type TransportOptions } from '../transport/endpoint-factory.js';
import { SCTP_UDP_TUNNELING_PORT } from '../transport/udp-encapsulation-port.js';
import { parseInteger } from './parse.js';

/** Environment variable with the default transport mode of every `rsp` command. */
export const TRANSPORT_ENV = 'RSP_TRANSPORT';

/** Parsed transport options (commander camel-case names). */
export interface TransportCliOptions {
  transport?: TransportMode;
  udpPort?: number;
  remoteUdpPort?: number;
}

/** Adds `--transport`, `--udp-port` and `--remote-udp-port` to `command`. */
export function addTransportOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--transport <mode>',
        `SCTP encapsulation: udp (UDP port = SCTP port), udp-standard (RFC 6951, one UDP port for all SCTP ports, as kernel SCTP and sctplib), raw (SCTP over IP, root) (default: $${TRANSPORT_ENV}, else udp)`,
      ).choices([...TRANSPORT_MODES]),
    )
    .option('--udp-port <n>', `udp-standard: local UDP port shared by all SCTP endpoints (default ${SCTP_UDP_TUNNELING_PORT})`, parseInteger)
    .option('--remote-udp-port <n>', `udp-standard: UDP port of peers (default ${SCTP_UDP_TUNNELING_PORT})`, parseInteger);
}

/**
 * Library transport options from the parsed command line and the
 * environment (`--transport` wins over `$RSP_TRANSPORT`).
 *
 * @throws InvalidArgumentError when `$RSP_TRANSPORT` names no mode
 */
export function transportFromCli(opts: TransportCliOptions, env: NodeJS.ProcessEnv = process.env): TransportOptions {
  const fromEnv = env[TRANSPORT_ENV];
  const mode = opts.transport ?? (fromEnv !== undefined && fromEnv !== '' ? checkTransportMode(fromEnv, `$${TRANSPORT_ENV}`) : 'udp');
  return {
    mode,
    ...(opts.udpPort !== undefined ? { udpPort: opts.udpPort } : {}),
    ...(opts.remoteUdpPort !== undefined ? { remoteUdpPort: opts.remoteUdpPort } : {}),
  };
}
