/**
 * A pingpong pool element with sealed cookies: counts the requests of each
 * session and keeps the count in the session's cookie, sealed with a key
 * shared by the pool's PEs. After a failover the pool user echoes the latest
 * cookie; the socket verifies it and hands the state over as
 * `session.state` (forged or tampered cookies are refused before the
 * session is accepted).
 *
 *   COOKIE_KEY='a secret of at least 16 bytes' npx tsx examples/pingpong-pe.ts [REGISTRAR]
 *
 * (`rsp server --service pingpong --cookie-key ...` is the complete version.)
 */
import * as rsp from 'rserpool';

const registrar = process.argv[2] ?? '127.0.0.1:3863';
const cookieKey = process.env.COOKIE_KEY ?? 'example key, replace in production';
const pe = rsp.socket({ registrars: [registrar], cookieKey });
pe.on('cookieRefused', (err) => console.log(`refused a cookie: ${err.reason}`));
await pe.register('PingPongPool');
const me = `0x${pe.peId!.toString(16).padStart(8, '0')}`; // the id form the rsp tools print
console.log(`pingpong PE ${me} registered`);
process.once('SIGINT', () => void pe.close());

interface State {
  counter: number;
  /** The latest request counted: after a failover the user may send it again (at-least-once delivery). */
  last?: string;
}

for await (const session of pe) {
  void (async () => {
    let state: State = (session.state as State | undefined) ?? { counter: 0 };
    if (session.cookie) console.log(`session resumed at counter ${state.counter}`);
    for await (const message of session) {
      const request = Buffer.from(message.data).toString();
      if (request !== state.last) {
        state = { counter: state.counter + 1, last: request };
        // Checkpoint first, then answer: a reply the user saw is always covered by its cookie.
        await session.sendState(state).catch(() => undefined);
      } // else: a repeated request, answered again without counting it twice
      await session.send(`pong ${state.counter} from ${me} (${request})`).catch(() => undefined);
    }
  })();
}
