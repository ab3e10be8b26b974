/**
 * Readable names of Operation Error cause codes (spec §7), for error
 * messages such as "Registration refused by the registrar: inconsistent
 * pooling policy (0x0005)".
 *
 * @module
 */

const NAMES: Readonly<Record<number, string>> = {
  0x0000: 'unspecified error',
  0x0001: 'unrecognized parameter',
  0x0002: 'unrecognized message',
  0x0003: 'invalid values',
  0x0004: 'non-unique PE identifier',
  0x0005: 'inconsistent pooling policy',
  0x0006: 'lack of resources',
  0x0007: 'inconsistent transport type',
  0x0008: 'inconsistent data/control configuration',
  0x0009: 'unknown pool handle',
  0x000a: 'rejection due to security considerations',
  0x0010: 'invalid message',
  0x0011: 'invalid value',
  0x100a: 'wrong transport protocol',
  0x100b: 'unsupported pool policy',
  0xf000: 'invalid PE identifier',
  0xf003: 'invalid pool policy values',
  0xf004: 'invalid pool handle',
  0xf005: 'invalid addresses',
  0xf006: 'invalid registrator transport',
  0xf007: 'no usable ASAP addresses',
  0xf008: 'no usable user addresses',
};

/** What to do about a refusal, for causes whose name alone does not say it. */
const HINTS: Readonly<Record<number, string>> = {
  0x0008:
    'the pool\'s PEs register their user transport as "data plus control" (pool-element sockets, rsp server, the reference\'s rspserver and other Enhanced Mode PEs) ' +
    'and this PE as "data only" (a Basic Mode registration), or the other way round; every PE of a pool must register the same transport use ' +
    '(register with controlChannel: true, or use rsp.socket(), to join a pool of Enhanced Mode PEs)',
};

/** Name of a cause code with its hex value, e.g. `unknown pool handle (0x0009)`. */
export function causeName(code: number): string {
  const hex = `0x${code.toString(16).padStart(4, '0')}`;
  const name = NAMES[code];
  return name ? `${name} (${hex})` : `error cause ${hex}`;
}

/** {@link causeName} plus, for causes that need it, what it means and how to fix it. */
export function causeExplanation(code: number): string {
  const hint = HINTS[code];
  return hint ? `${causeName(code)}: ${hint}` : causeName(code);
}
