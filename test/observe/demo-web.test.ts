/**
 * `rsp demo --http` (what `npm run demo:web` runs): the web view of the
 * demo's registrar streams the kills and the pool user's failovers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, requireBuild, rsp as run } from '../fixtures/cli-helpers.js';

afterAll(killAll);

describe('rsp demo --http', () => {
  it('streams the demo\'s kills and failovers to the web view', { timeout: 90_000 }, async () => {
    requireBuild();
    const demo = run(['demo', '--http', '127.0.0.1:0', '--duration', '6', '--kill-interval', '1500']);
    const url = /web view: (http:\/\/[\d.]+:\d+)\//.exec(await demo.wait((l) => l.includes('web view: '), 30_000))![1]!;
    expect((await fetch(`${url}/`)).headers.get('content-type')).toMatch(/^text\/html/);
    const res = await fetch(`${url}/events`);
    const reader = res.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!(text.includes('"kind":"killed"') && text.includes('"kind":"failover"') && text.includes('"kind":"removed"'))) {
      const r = await reader.read();
      if (r.done) throw new Error(`event stream ended early:\n${text}`);
      text += decoder.decode(r.value);
    }
    await reader.cancel();
    expect(text).toMatch(/pool user failed over from PE 0x[0-9a-f]{8} to 0x[0-9a-f]{8}/);
    expect(await demo.exited).toBe(0);
  });
});
