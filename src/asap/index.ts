/**
 * `rserpool/asap`: the ASAP endpoint (RFC 5352) below Basic Mode: the
 * instance with its registrar table and server hunt, registrations with
 * their events and tuning, policy option helpers. The root exports
 * `register`/`resolve`/`reportFailure`/`createInstance`; import from here to
 * tune the hunt, supply endpoint or announce-listener factories, or watch a
 * registration in detail.
 *
 * ```ts
 * import { AsapInstance, ASAP_INSTANCE_DEFAULTS } from 'rserpool/asap';
 * ```
 *
 * @packageDocumentation
 * @module rserpool/asap
 */
export {
  register,
  resolve,
  reportFailure,
  createInstance,
  type BasicModeOptions,
  type BasicRegisterOptions,
  type BasicResolveOptions,
  type BasicReportOptions,
} from './basic-mode.js';
export { AsapInstance, type AsapInstanceEvents, type PoolHandleInput } from './asap-instance.js';
export {
  type AsapInstanceOptions,
  type RegisterOptions as AsapRegisterOptions,
  type ResolveOptions as AsapResolveOptions,
  type PoolElementInfo,
  type EndpointFactory,
  type AnnounceListener,
  type AnnounceListenerFactory,
  type AsapTlsOptions,
  ASAP_INSTANCE_DEFAULTS,
  DEFAULT_ANNOUNCE_ADDRESS,
} from './asap-options.js';
export {
  Registration,
  type RegistrationState,
  type RegistrationEvents,
  type RegistrationEventInfo,
  type RegistrarChangeInfo,
  type RegistrationUpdate,
  type RegistrationHost,
} from './registration.js';
export { type PolicyOptions, policyFromOptions, policyToOptions } from './policy-options.js';
export { type ServerHuntOptions, SERVER_HUNT_DEFAULTS } from './server-hunt.js';
export {
  REGISTRARS_ENV,
  RegistrarTable,
  type RegistrarEntry,
  type RegistrarSource,
  type RegistrarTableEvents,
  type RegistrarTableOptions,
} from './registrar-table.js';
