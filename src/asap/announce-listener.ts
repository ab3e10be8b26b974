/**
 * Listens for ASAP Server Announce datagrams on a UDP multicast group
 * (spec §12.7, default 239.0.0.50:3863) through the transport's multicast
 * channel (shared port, so several instances and a registrar on one host
 * can listen together).
 *
 * @module
 */
import { createMulticastChannel } from '../transport/multicast.js';
import type { TransportAddress } from '../transport/types.js';
import type { AnnounceListener } from './asap-options.js';

/**
 * Opens a multicast listener on `group`; `onDatagram` receives every
 * datagram with its UDP source. `networkInterface` is the local interface
 * address used to join (default: the kernel's choice).
 */
export async function openAnnounceListener(
  group: TransportAddress,
  onDatagram: (data: Uint8Array, source: TransportAddress) => void,
  networkInterface?: string,
): Promise<AnnounceListener> {
  const channel = await createMulticastChannel({ group: group.address, port: group.port, ...(networkInterface ? { interface: networkInterface } : {}) });
  channel.on('message', (data, source) => onDatagram(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), source));
  channel.on('error', () => undefined); // a broken group only means no announces; static lists still work
  return { close: () => channel.close() };
}
