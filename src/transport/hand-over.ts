/**
 * Sending bytes the caller will never touch again: the association keeps
 * them as they are instead of copying them first.
 *
 * @module
 * @internal
 */
import type { Association, SendOptions } from './types.js';

/**
 * `association.sendHandedOver(data, options)` where the association has it,
 * else `association.send(data, options)`. The caller hands `data` over: it
 * must be a buffer of its own (freshly encoded, or a private copy it keeps
 * only to read) that nobody modifies afterwards.
 */
export function sendHandedOver(association: Association, data: Uint8Array, options: SendOptions): Promise<void> {
  return association.sendHandedOver ? association.sendHandedOver(data, options) : association.send(data, options);
}
