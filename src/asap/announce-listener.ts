/**
 * Listens for ASAP Server Announce datagrams on a UDP multicast group
 * (spec §12.7, default 239.0.0.50:3863). The socket shares its port
 * (`SO_REUSEADDR`) so several instances — and a registrar — on one host can
 * listen together. Failing to join the group (no multicast route) is
 * reported, but static registrar lists keep working.
 *
 * @module
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { RSerPoolError } from '../errors.js';
import type { TransportAddress } from '../transport/types.js';
import type { AnnounceListener } from './asap-options.js';

/** Opens a multicast listener; `onDatagram` receives every datagram with its source. */
export function openAnnounceListener(group: TransportAddress, onDatagram: (data: Uint8Array, source: TransportAddress) => void): Promise<AnnounceListener> {
  return new Promise<AnnounceListener>((resolve, reject) => {
    const v6 = net.isIPv6(group.address);
    const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true });
    let open = true;
    const listener: AnnounceListener = {
      close: () =>
        new Promise<void>((r) => {
          if (!open) {
            r();
            return;
          }
          open = false;
          socket.close(() => r());
        }),
    };
    socket.once('error', (e) => {
      open = false;
      try {
        socket.close();
      } catch {
        /* not bound */
      }
      reject(new RSerPoolError('ERR_RSP_TRANSPORT', `Cannot listen for announces on ${group.address}:${group.port}: ${e.message}`, { cause: e }));
    });
    socket.on('message', (msg, rinfo) => onDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { address: rinfo.address, port: rinfo.port }));
    socket.bind(group.port, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      try {
        if (net.isIP(group.address) !== 0 && isMulticast(group.address)) socket.addMembership(group.address);
      } catch {
        // No multicast route (e.g. an isolated network namespace): announces
        // cannot arrive; static registrars still work.
      }
      socket.unref();
      resolve(listener);
    });
  });
}

function isMulticast(a: string): boolean {
  if (net.isIPv6(a)) return a.toLowerCase().startsWith('ff');
  const first = Number(a.split('.')[0]);
  return first >= 224 && first <= 239;
}
