import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { addCookieOptions, addRegistrarSecurityOptions, cookieSettingsFromCli, registrarSecurityFromCli, tlsFromCli } from '../../src/cli/security-options.js';

const dir = mkdtempSync(join(tmpdir(), 'rsp-sec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rsp server cookie options', () => {
  it('reads the key from a file or the environment, so it is not on the command line', () => {
    const file = join(dir, 'key');
    writeFileSync(file, 'a-long-enough-cookie-secret-123\n');
    expect(cookieSettingsFromCli({ cookieKeyFile: file }, {})).toEqual({ ok: true, key: 'a-long-enough-cookie-secret-123', source: 'file' });
    expect(cookieSettingsFromCli({}, { RSP_COOKIE_KEY: 'env-secret-of-sixteen+' })).toEqual({ ok: true, key: 'env-secret-of-sixteen+', source: 'env' });
    expect(cookieSettingsFromCli({ cookieMaxAge: 60_000 }, { RSP_COOKIE_KEY: 'env-secret-of-sixteen+' })).toMatchObject({ ok: true, maxAge: 60_000 });
    expect(cookieSettingsFromCli({}, {})).toEqual({ ok: true });
  });

  it('refuses short keys, unreadable files, conflicting sources and a max age without key', () => {
    const short = join(dir, 'short');
    writeFileSync(short, 'short\n');
    expect(cookieSettingsFromCli({ cookieKeyFile: short }, {})).toMatchObject({ ok: false, error: expect.stringMatching(/--cookie-key-file must be at least 16 bytes/) });
    expect(cookieSettingsFromCli({ cookieKeyFile: join(dir, 'missing') }, {})).toMatchObject({ ok: false, error: expect.stringMatching(/cannot read/) });
    expect(cookieSettingsFromCli({ cookieKey: 'x'.repeat(20), cookieKeyFile: short }, {})).toMatchObject({ ok: false });
    expect(cookieSettingsFromCli({}, { RSP_COOKIE_KEY: 'tiny' })).toMatchObject({ ok: false, error: expect.stringMatching(/RSP_COOKIE_KEY/) });
    expect(cookieSettingsFromCli({ cookieMaxAge: 1000 }, {})).toMatchObject({ ok: false, error: expect.stringMatching(/needs a cookie key/) });
  });

  it('parses the options through commander', () => {
    const cmd = new Command('server').exitOverride();
    addCookieOptions(cmd);
    cmd.parse(['--cookie-key-file', '/k', '--cookie-max-age', '5000'], { from: 'user' });
    expect(cmd.opts()).toMatchObject({ cookieKeyFile: '/k', cookieMaxAge: 5000 });
  });
});

describe('rsp registrar per-host limits', () => {
  it('maps the options to registrar options', () => {
    const cmd = new Command('registrar').exitOverride();
    addRegistrarSecurityOptions(cmd);
    cmd.parse(['--max-associations-per-host', '50', '--max-pools-per-host', '10', '--host-hr-rate', '100/200', '--host-eu-rate', '5', '--max-unsent-bytes', '65536', '--ipv6-host-prefix', '56'], { from: 'user' });
    expect(registrarSecurityFromCli(cmd.opts())).toEqual({
      maxAssociationsPerHost: 50,
      maxPoolsPerHost: 10,
      hostHandleResolutionRate: { rate: 100, burst: 200 },
      hostFailureReportRate: expect.objectContaining({ rate: 5 }),
      maxUnsentBytes: 65536,
      ipv6HostPrefix: 56,
    });
  });
});

describe('TLS options', () => {
  const files = (): { tlsCert: string; tlsKey: string; tlsCa: string } => {
    for (const name of ['cert.pem', 'key.pem', 'ca.pem']) writeFileSync(join(dir, name), `-----BEGIN ${name}-----\n`);
    return { tlsCert: join(dir, 'cert.pem'), tlsKey: join(dir, 'key.pem'), tlsCa: join(dir, 'ca.pem') };
  };

  it('passes the registrar identity patterns and the handshake caps on', () => {
    const s = tlsFromCli({ ...files(), tlsRegistrar: ['registrar-*', 'rs.example'], tlsMaxHandshakes: 64, tlsMaxHandshakesPerHost: 4 });
    expect(s).toMatchObject({ ok: true, tls: { registrarNames: ['registrar-*', 'rs.example'], maxPendingHandshakes: 64, maxPendingHandshakesPerHost: 4 } });
  });

  it('refuses TLS-only options without TLS, empty patterns and zero caps', () => {
    expect(tlsFromCli({ tlsRegistrar: ['x'] })).toMatchObject({ ok: false, error: expect.stringMatching(/--tls-registrar needs --tls-cert/) });
    expect(tlsFromCli({ tlsMaxHandshakesPerHost: 4 })).toMatchObject({ ok: false, error: expect.stringMatching(/--tls-max-handshakes-per-host needs --tls-cert/) });
    expect(tlsFromCli({ ...files(), tlsRegistrar: [''] })).toMatchObject({ ok: false, error: expect.stringMatching(/non-empty pattern/) });
    expect(tlsFromCli({ ...files(), tlsMaxHandshakes: 0 })).toMatchObject({ ok: false, error: expect.stringMatching(/at least 1/) });
  });
});
