/**
 * The services `rsp server --service NAME` can run, by name.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { chargenService } from './chargen.js';
import { daytimeService } from './daytime.js';
import { discardService } from './discard.js';
import { echoService } from './echo.js';
import { calcAppService } from './calcapp.js';
import { rsplibPingPongService } from './rsplib-pingpong.js';
import { fractalService } from './fractal.js';
import type { Service } from './service.js';

/** Names of the built-in services. */
export type ServiceName = 'echo' | 'discard' | 'daytime' | 'chargen' | 'pingpong' | 'calcapp' | 'fractal';

/** The built-in services by name. */
export const SERVICES: Readonly<Record<ServiceName, Service>> = {
  echo: echoService,
  discard: discardService,
  daytime: daytimeService,
  chargen: chargenService,
  // The reference's wire protocols (its pool users and Wireshark understand them);
  // the text pingpong of earlier versions is `pingpongService` (`--protocol text`).
  pingpong: rsplibPingPongService,
  calcapp: calcAppService,
  fractal: fractalService,
};

/** Names of the built-in services, in help order. */
export const SERVICE_NAMES: readonly ServiceName[] = Object.keys(SERVICES) as ServiceName[];

/**
 * Looks a built-in service up by name.
 *
 * @throws InvalidArgumentError for unknown names.
 */
export function getService(name: string): Service {
  if (!Object.prototype.hasOwnProperty.call(SERVICES, name)) throw new InvalidArgumentError(`Unknown service "${name}"; one of: ${SERVICE_NAMES.join(', ')}`);
  return SERVICES[name as ServiceName];
}
