/**
 * The pool user of examples/pingpong-pe.ts: pings every 200 ms and prints
 * the replies. Run two PEs and kill the one answering: the counter goes on
 * on the other PE, because the session echoes the latest (sealed) cookie.
 *
 *   npx tsx examples/pingpong-pu.ts [REGISTRAR] [COUNT]     (default 127.0.0.1:3863, 100 pings)
 */
import * as rsp from 'rserpool';

const registrar = process.argv[2] ?? '127.0.0.1:3863';
const count = Number(process.argv[3] ?? 100);
// 'since-cookie': requests sent after the latest cookie are sent again to the next PE.
const session = await rsp.connect('PingPongPool', { registrars: [registrar], replay: 'since-cookie' });
session.on('failover', (e) => console.log(`failover in ${e.durationMs.toFixed(0)} ms, cookie echoed: ${e.cookieEchoed}`));

for (let i = 1; i <= count; i++) {
  await session.send(`ping ${i}`);
  // After a failover a request may be answered twice (it was re-sent); skip answers to older pings.
  let reply;
  do reply = await session.recv();
  while (reply !== null && !Buffer.from(reply.data).toString().endsWith(`(ping ${i})`));
  if (reply === null) break;
  console.log(Buffer.from(reply.data).toString());
  if (i < count) await new Promise((r) => setTimeout(r, 200));
}
await session.close();
