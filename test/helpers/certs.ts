/**
 * Test certificates made at run time with the `openssl` command: one CA and
 * any number of leaf certificates signed by it (plus a rogue CA for
 * "invalid certificate" tests). Returns undefined when openssl is missing,
 * so TLS tests can skip with a message.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Cert {
  cert: string;
  key: string;
  /** Paths of the PEM files (for command-line tests). */
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  dir: string;
  ca: string;
  caFile: string;
  /** A leaf certificate with this common name, signed by the CA (or by a rogue CA). */
  issue(commonName: string, options?: { rogue?: boolean }): Cert;
  destroy(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why TLS tests cannot run here, or undefined. */
export function opensslUnavailableReason(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'the openssl command is not installed';
  }
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'rsp-pki-'));
  const makeCa = (name: string): void => {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`], dir);
  };
  makeCa('ca');
  let rogueMade = false;
  let n = 0;
  return {
    dir,
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    issue(commonName, options = {}) {
      const issuer = options.rogue ? 'rogue' : 'ca';
      if (options.rogue && !rogueMade) {
        makeCa('rogue');
        rogueMade = true;
      }
      const base = `leaf${n++}`;
      writeFileSync(join(dir, `${base}.ext`), `subjectAltName=DNS:${commonName}\nextendedKeyUsage=serverAuth,clientAuth\n`);
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${commonName}`], dir);
      openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${base}.pem`, '-days', '2', '-extfile', `${base}.ext`], dir);
      return { cert: readFileSync(join(dir, `${base}.pem`), 'utf8'), key: readFileSync(join(dir, `${base}.key`), 'utf8'), certFile: join(dir, `${base}.pem`), keyFile: join(dir, `${base}.key`) };
    },
    destroy() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
