/**
 * `rsp.connect()` fails as fast and as precisely as `rsp.resolve()`: a pool
 * that does not exist is `PoolNotFoundError` after one handle resolution, no
 * registrar answering is `NoRegistrarError` after the server hunt — neither
 * waits for `failoverTimeout` (set to a minute here, far beyond the test's
 * own timeout). Real registrar over SCTP over UDP on loopback.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function closedPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('rsp.connect() errors', () => {
  it('a pool that does not exist: PoolNotFoundError, as resolve() says, without waiting for failoverTimeout', async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const a = registrar.addresses[0]!;
    const registrars = [`${a.address}:${a.port}`];
    const viaResolve = await rsp.resolve('NoSuchPool', { registrars }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(viaResolve).toBeInstanceOf(rsp.PoolNotFoundError);
    const err = await rsp.connect('NoSuchPool', { registrars, failoverTimeout: 60_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(rsp.PoolNotFoundError);
    expect(err).toMatchObject({ code: 'ERR_RSP_POOL_NOT_FOUND', message: (viaResolve as Error).message });
  }, 20_000);

  it('no registrar answers: NoRegistrarError with the reason, without waiting for failoverTimeout', async () => {
    const registrars = [`127.0.0.1:${await closedPort()}`];
    const err = await rsp.connect('AnyPool', { registrars, failoverTimeout: 60_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(rsp.NoRegistrarError);
    expect(err).toMatchObject({ code: 'ERR_RSP_NO_REGISTRAR' });
  }, 30_000);

  it('PEs registered but all dead: retried until failoverTimeout, then NoPoolElementError naming the last failure', async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const a = registrar.addresses[0]!;
    const registrars = [`${a.address}:${a.port}`];
    // A PE that registers, then loses its socket without deregistering.
    const reg = await rsp.register('DeadPool', { registrars, addresses: ['127.0.0.1'], port: await closedPort() });
    cleanups.push(() => reg.deregister());
    const err = await rsp.connect('DeadPool', { registrars, failoverTimeout: 1500 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(rsp.NoPoolElementError);
    expect((err as Error).message).toMatch(/DeadPool/);
    expect((err as Error).cause).toBeInstanceOf(Error);
  }, 30_000);
});
