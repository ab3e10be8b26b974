/**
 * A Basic Mode PE (user transport "data only") joining a pool whose PEs
 * register "data plus control" (Enhanced Mode sockets here; the reference's
 * PEs always do) is refused with cause 0x8, and the error says why and what
 * to do about it.
 */
import { afterAll, expect, it } from 'vitest';
import { createInstance, RegistrationRefusedError } from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { socket } from '../../src/session/enhanced-mode.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

it('cause 0x8 (inconsistent data/control) is explained in the error text', async () => {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
  await registrar.start();
  cleanups.push(() => registrar.close());
  const registrars = [`127.0.0.1:${registrar.addresses[0]!.port}`];
  const enhanced = socket({ registrars });
  cleanups.push(() => enhanced.close());
  await enhanced.register('MixedPool');
  const basic = createInstance({ registrars, env: {} });
  cleanups.push(() => basic.close());
  const err = await basic.register('MixedPool', { port: 7999 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RegistrationRefusedError);
  expect((err as RegistrationRefusedError).causeCode).toBe(0x8);
  expect((err as Error).message).toMatch(/inconsistent data\/control configuration \(0x0008\): .*"data plus control".*"data only".*controlChannel: true/);
});
