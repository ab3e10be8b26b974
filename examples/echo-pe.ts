/**
 * A minimal echo pool element: registers in pool "EchoPool" and sends every
 * message back.
 *
 *   npx tsx examples/echo-pe.ts [REGISTRAR]     (default 127.0.0.1:3863)
 *
 * Start a registrar first (`node dist/cli/main.js registrar --asap 127.0.0.1:3863 --announce off`
 * after `npm run build`, or `npx rsp registrar ...` where rserpool is installed),
 * then one or more of these, then `npx tsx examples/echo-pu.ts`.
 */
import * as rsp from 'rserpool';

const registrar = process.argv[2] ?? '127.0.0.1:3863';
const pe = rsp.socket({ registrars: [registrar] });
await pe.register('EchoPool', { policy: 'round-robin' });
console.log(`echo PE 0x${pe.peId!.toString(16).padStart(8, '0')} registered, serving on port ${pe.local?.port}`);

process.once('SIGINT', () => void pe.close()); // deregisters; the PUs fail over

for await (const session of pe) {
  void (async () => {
    for await (const message of session) await session.send(message.data).catch(() => undefined);
  })();
}
