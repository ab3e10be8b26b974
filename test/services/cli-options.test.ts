/**
 * Option parsing of `rsp server`/`terminal`/`pingpong`/`demo`/`resolve`/`hsdump`/`monitor`/`fractal`, in process
 * (no subcommand action runs).
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { collectRegistrar, hexPeId, parseFraction, registerServerCommand } from '../../src/cli/server.js';
import { failoverJson, registerTerminalCommand } from '../../src/cli/terminal.js';
import { readablePolicy, roundFraction } from '../../src/cli/common.js';
import { registerPingPongCommand } from '../../src/cli/pingpong.js';
import { registerDemoCommand } from '../../src/cli/demo.js';
import { registerResolveCommand } from '../../src/cli/resolve.js';
import { registerHsdumpCommand } from '../../src/cli/hsdump.js';
import { registerMonitorCommand } from '../../src/cli/monitor.js';
import { registerFractalCommand } from '../../src/cli/fractal.js';

function program(): Command {
  const p = new Command('rsp').exitOverride();
  for (const r of [registerServerCommand, registerTerminalCommand, registerPingPongCommand, registerDemoCommand, registerResolveCommand, registerHsdumpCommand, registerMonitorCommand, registerFractalCommand]) r(p);
  for (const c of p.commands) c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  return p;
}

describe('rsp service command options', () => {
  it('parses fractions, registrars and PE ids', () => {
    expect(parseFraction('0.25')).toBe(0.25);
    expect(() => parseFraction('1.5')).toThrow(/fraction/);
    expect(() => parseFraction('x')).toThrow(/fraction/);
    expect(collectRegistrar('127.0.0.1:3863', ['[::1]:1'])).toEqual(['[::1]:1', '127.0.0.1:3863']);
    expect(() => collectRegistrar('host:notaport', undefined)).toThrow();
    expect(hexPeId(0x1a)).toBe('0x0000001a');
    expect(hexPeId(undefined)).toBe('?');
  });

  it('documents a default for every option of every command', () => {
    const p = program();
    for (const name of ['server', 'terminal', 'pingpong', 'demo', 'resolve', 'hsdump', 'monitor', 'fractal']) {
      const cmd = p.commands.find((c) => c.name() === name)!;
      const help = cmd.helpInformation();
      for (const o of cmd.options) {
        if (o.mandatory) continue;
        const i = help.indexOf(o.long!);
        const entry = help.slice(i, help.indexOf('\n  -', i + 1) > 0 ? help.indexOf('\n  -', i + 1) : undefined);
        expect(entry, `${name} ${o.long}`).toMatch(/default|choices/);
      }
    }
  });

  it('refuses a service that does not exist', () => {
    expect(() => program().parse(['server', '--service', 'nope', '--pool', 'P'], { from: 'user' })).toThrow();
  });

  it('JSON failover events and readable policies use the common id and fraction forms', () => {
    const e = failoverJson({
      from: 0x1a,
      to: 0xdeadbeef,
      toAddress: { address: '::1', port: 7 },
      cookieEchoed: true,
      durationMs: 41.6,
      reason: 'unreachable',
      resent: 1,
      replayed: 0,
      possiblyLost: 0,
      attempts: 1,
    } as Parameters<typeof failoverJson>[0]);
    expect(e).toMatchObject({ event: 'failover', from: '0x0000001a', to: '0xdeadbeef', address: '[::1]:7', durationMs: 42, cookieEchoed: true });
    expect(readablePolicy({ type: 'least-used', load: 0x80000000 }, true)).toEqual({ type: 'least-used', load: 0.5 });
    expect(readablePolicy({ type: 'weighted-random', weight: 3 }, true)).toEqual({ type: 'weighted-random', weight: 3 });
    expect(roundFraction(0.5000000001164153)).toBe(0.5);
  });
});
