/**
 * A minimal echo pool user: sends a message to pool "EchoPool" once a
 * second and prints the reply. Kill the PE serving it (Ctrl-C or SIGKILL)
 * while another one runs: the session fails over and carries on.
 *
 *   npx tsx examples/echo-pu.ts [REGISTRAR] [COUNT]     (default 127.0.0.1:3863, 30 messages)
 */
import * as rsp from 'rserpool';

const registrar = process.argv[2] ?? '127.0.0.1:3863';
const count = Number(process.argv[3] ?? 30);
const session = await rsp.connect('EchoPool', { registrars: [registrar], replay: 'since-cookie' });
session.on('failover', (e) => console.log(`failover to PE 0x${e.to.toString(16).padStart(8, '0')} in ${e.durationMs.toFixed(0)} ms (${e.reason})`));

for (let i = 1; i <= count; i++) {
  await session.send(`hello ${i}`);
  const reply = await session.recv();
  if (reply === null) break;
  console.log(Buffer.from(reply.data).toString());
  if (i < count) await new Promise((r) => setTimeout(r, 1000));
}
await session.close();
