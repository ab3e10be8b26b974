import { Registrar } from '../src/registrar/registrar.js';
import { silentLogger } from '../src/registrar/logger.js';
import * as rsp from '../src/index.js';
import { PeHost, recvUntil } from '../test/integration/pe-host.js';
const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, logger: silentLogger, maxBadPeReports: 1, keepAliveInterval: 1000, keepAliveTimeout: 1000 });
await registrar.start();
const addr = `127.0.0.1:${registrar.addresses[0]!.port}`;
const hosts = new Map<number, PeHost>();
async function add(): Promise<void> { const h = await PeHost.spawn(addr, 'FO'); hosts.set(await h.start('echo'), h); }
await Promise.all([add(), add()]);
const session = await rsp.connect('FO', { registrars: [addr] });
session.on('error', () => undefined);
const S = session as any;
const origResolve = S.asap.resolve.bind(S.asap);
S.asap.resolve = async (...a: any[]) => { const t = performance.now(); let r: any; try { r = await origResolve(...a); return r; } finally { console.log('  resolve', JSON.stringify(a[1]?.cache), Math.round(performance.now() - t), 'ms at', Math.round(t - killedAt), 'got', JSON.stringify((r ?? []).map((p: any) => p.id)), 'failed', JSON.stringify([...S.failed.until.keys()])); } };
const origEp = S.endpointFor.bind(S);
S.endpointFor = async (addr: string) => { const ep = await origEp(addr); if (!ep.__w) { const c = ep.connect.bind(ep); ep.connect = async (...a: any[]) => { const t = performance.now(); try { return await c(...a); } finally { console.log('  connect', a[0].port, Math.round(performance.now() - t), 'ms at', Math.round(t - killedAt)); } }; ep.__w = true; } return ep; };
let killedAt = 0;
session.on('failover', (e: any) => console.log('failover', JSON.stringify({ ...e, sinceKill: Math.round(performance.now() - killedAt) })));
for (let t = 0; t < 8; t++) {
  await session.send(`warm${t}`);
  const warm = await recvUntil(session, `warm${t}`, 10_000);
  const replacement = add();
  console.log('trial', t, 'kill', warm!.pe, 'alive', [...hosts.keys()].filter((k) => k !== warm!.pe));
  const h = hosts.get(warm!.pe)!; hosts.delete(warm!.pe); h.sigkill?.(); killedAt = performance.now();
  await new Promise((r) => setTimeout(r, Math.random() * 20));
  await session.send(`after${t}`);
  const after = await recvUntil(session, `after${t}`, 10_000);
  console.log('trial', t, 'echo after', Math.round(performance.now() - killedAt), 'ms from pe', after?.pe);
  await replacement;
}
await session.close();
for (const h of hosts.values()) await h.close();
await (registrar as any).close?.();
process.exit(0);
