/**
 * The public API layout: a small package root, one subpath export per layer,
 * each loadable through the package's own name from the built dist/, by
 * `import` and by `require` (Node >= 20.19 loads ES modules from require),
 * and each a typedoc entry point.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { requireBuild, root } from '../fixtures/cli-helpers.js';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, string | Record<string, string>>;
};
const typedoc = JSON.parse(readFileSync(path.join(root, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };

const SUBPATHS = ['wire', 'transport', 'handlespace', 'asap', 'registrar', 'session', 'services', 'observe', 'testing'];

/** Every name (value or type) the root entry exports. Changing it is an API decision: update the list. */
const ROOT_API = [
  'AbortError', 'AcceptedSession', 'AsapInstance', 'AsapInstanceOptions', 'BasicModeOptions', 'BasicRegisterOptions',
  'BasicReportOptions', 'BasicResolveOptions', 'BusinessCard', 'ClosedError', 'CookieError', 'CookieKey',
  'DEFAULT_DATA_PPID', 'EnrpAttachOptions', 'EnrpAttachment', 'FailoverEvent', 'InvalidArgumentError', 'LogLevel',
  'Logger', 'NoPoolElementError', 'NoRegistrarError', 'PolicyOptions', 'PoolElementInfo', 'PoolElementSocket',
  'PoolNotFoundError', 'PoolSession', 'ProtocolError', 'REGISTRARS_ENV', 'RSerPoolError', 'RSerPoolErrorCode',
  'Registrar', 'RegistrarEvents', 'RegistrarOptions', 'Registration', 'RegistrationRefusedError', 'SERVICE_NAMES',
  'ServeHandle', 'Service', 'ServiceName', 'SessionMessage', 'SessionOptions', 'SocketOptions',
  'SocketRegisterOptions', 'TimeoutError', 'TransportError', 'TransportMode', 'TransportOptions', 'VERSION', 'attachEnrp', 'connect', 'cookie',
  'createInstance', 'createLogger', 'getService', 'register', 'reportFailure', 'resolve', 'serve',
  'serveRegistrarHttp', 'socket',
];

/** Names (types included) exported by a source entry file, read by the TypeScript checker. */
let program: ts.Program | undefined;
function exportedNames(file: string): string[] {
  program ??= ts.createProgram(
    ['src/index.ts', ...SUBPATHS.map((s) => `src/${s}/index.ts`)].map((f) => path.join(root, f)),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, skipLibCheck: true },
  );
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const symbol = checker.getSymbolAtLocation(source)!;
  return checker.getExportsOfModule(symbol).map((s) => s.getName()).sort();
}

describe('public API layout', () => {
  it('the root exports only the pool-user / pool-element / registrar-operator API listed here', () => {
    const names = exportedNames(path.join(root, 'src/index.ts'));
    expect(names).toEqual([...ROOT_API].sort());
    expect(names.length).toBeLessThanOrEqual(60);
  });

  it('every subpath is an entry file, an "exports" key with types/import/require/default, and a typedoc entry point', () => {
    const keys = Object.keys(pkg.exports).filter((k) => k !== './package.json');
    expect(keys.sort()).toEqual(['.', ...SUBPATHS.map((s) => `./${s}`)].sort());
    for (const sub of SUBPATHS) {
      const src = `src/${sub}/index.ts`;
      expect(existsSync(path.join(root, src)), src).toBe(true);
      expect(readFileSync(path.join(root, src), 'utf8')).toContain('@packageDocumentation');
      expect(typedoc.entryPoints).toContain(src);
      const conditions = pkg.exports[`./${sub}`] as Record<string, string>;
      expect(Object.keys(conditions)).toEqual(['types', 'import', 'require', 'default']);
      expect(conditions.types).toBe(`./dist/${sub}/index.d.ts`);
      for (const c of ['import', 'require', 'default']) expect(conditions[c]).toBe(`./dist/${sub}/index.js`);
      expect(exportedNames(path.join(root, src)).length).toBeGreaterThan(0);
    }
    expect(typedoc.entryPoints).toContain('src/index.ts');
  });

  it('no library layer imports the command line (src/cli); the handle-table JSON is a registrar export', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) {
          if (rel !== 'src/cli') walk(rel);
        } else if (e.name.endsWith('.ts')) {
          const text = readFileSync(path.join(root, rel), 'utf8');
          for (const m of text.matchAll(/from '(\.[^']*)'|import\('(\.[^']*)'\)/g)) {
            const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), m[1] ?? m[2]!));
            if (target.startsWith('src/cli/')) offenders.push(`${rel} → ${target}`);
          }
        }
      }
    };
    walk('src');
    expect(offenders).toEqual([]);
    expect(exportedNames(path.join(root, 'src/registrar/index.ts'))).toEqual(expect.arrayContaining(['handleTableToJson', 'HandleTableJson']));
  });

  it('the root and every subpath load by the package name from dist, through import and through require', async () => {
    requireBuild();
    const specifiers = [pkg.name, ...SUBPATHS.map((s) => `${pkg.name}/${s}`)];
    const esm = `const out = {}; for (const s of ${JSON.stringify(specifiers)}) out[s] = Object.keys(await import(s)).sort(); console.log(JSON.stringify(out));`;
    const cjs = `const out = {}; for (const s of ${JSON.stringify(specifiers)}) out[s] = Object.keys(require(s)).sort(); console.log(JSON.stringify(out));`;
    const [imported, required] = await Promise.all([
      run(process.execPath, ['--input-type=module', '-e', esm], { cwd: root, timeout: 60_000 }),
      run(process.execPath, ['--no-warnings', '-e', cjs], { cwd: root, timeout: 60_000 }),
    ]);
    const viaImport = JSON.parse(imported.stdout) as Record<string, string[]>;
    const viaRequire = JSON.parse(required.stdout) as Record<string, string[]>;
    for (const s of specifiers) {
      expect(viaImport[s]!.length, s).toBeGreaterThan(0);
      expect(viaRequire[s], s).toEqual(viaImport[s]);
    }
    // Runtime values of the root: the value names of the list above.
    expect(viaImport[pkg.name]).toContain('connect');
    expect(viaImport[pkg.name]).not.toContain('FakeClock');
    expect(viaImport[`${pkg.name}/testing`]).toEqual(expect.arrayContaining(['FakeClock', 'createMemorySessionPair']));
    expect(viaImport[`${pkg.name}/wire`]).toEqual(expect.arrayContaining(['decodeMessage', 'encodeMessage']));
    // The same class through the root and through its layer (one module instance).
    const same = await run(
      process.execPath,
      ['--input-type=module', '-e', `const a = await import('${pkg.name}'); const b = await import('${pkg.name}/session'); console.log(a.PoolSession === b.PoolSession && a.connect === b.connect);`],
      { cwd: root, timeout: 60_000 },
    );
    expect(same.stdout.trim()).toBe('true');
  }, 120_000);
});
