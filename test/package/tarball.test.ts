/**
 * What ships: the npm tarball as `npm pack` would build it (`npm test` compiles first), with the compiled library,
 * the jsii assembly, the bundled handler and the documents, and nothing that only developing needs.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

interface PackResult {
  readonly size: number;
  readonly unpackedSize: number;
  readonly entryCount: number;
  readonly files: { readonly path: string; readonly size: number }[];
}

// --ignore-scripts: `prepack` (the build) would rebuild assets/handler while other test files read it.
const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-'));
afterAll(() => fs.rmSync(packDir, { recursive: true, force: true }));
const pack: PackResult & { filename: string } = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: ROOT, encoding: 'utf8' }))[0];
const files = pack.files.map((f) => f.path).sort();

test('the tarball holds the assembly, the compiled library with its typings, the handler bundle and the documents', () => {
  expect(files).toEqual(expect.arrayContaining([
    '.jsii',
    'API.md',
    'LICENSE',
    'NOTICE',
    'README.md',
    'assets/handler/index.js',
    'assets/cli/index.js',
    'cli/status.schema.json',
    'cli/servers.schema.json',
    'cli/replicate.schema.json',
    'cli/orphans.schema.json',
    'lib/index.d.ts',
    'lib/index.js',
    'lib/replication-job.d.ts',
    'lib/replication-job.js',
    'package.json',
    // Construct Hub compiles the examples itself, with the package's fixture (README, "A seed time").
    'rosetta/default.ts-fixture',
  ]));
});

test('every TypeScript source of lib/ ships as .js and .d.ts', () => {
  const sources = execFileSync('git', ['ls-files', 'lib/*.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => f && !f.endsWith('.d.ts'));
  expect(sources.length).toBeGreaterThan(0);
  for (const source of sources) {
    expect(files).toContain(source.replace(/\.ts$/, '.js'));
    expect(files).toContain(source.replace(/\.ts$/, '.d.ts'));
  }
});

test('the tarball holds no tests, handler sources, TypeScript sources, cdk.out or node_modules', () => {
  const unwanted = files.filter((f) =>
    /^(test|lambda|example|bench|scripts|cdk\.out|node_modules|\.ci|assets\/(handler|cli)-packages)/.test(f)
    || (f.startsWith('rosetta/') && !f.endsWith('.ts-fixture'))
    || /(^|\/)node_modules\//.test(f)
    || (f.endsWith('.ts') && !f.endsWith('.d.ts'))
    || f.endsWith('.tsbuildinfo')
    || f.endsWith('.tgz'));
  expect(unwanted).toEqual([]);
  expect(files.filter((f) => f.startsWith('assets/'))).toEqual(['assets/cli/index.js', 'assets/handler/index.js']);
});

test('no compiled file carries a source map or names one: stack traces point at the .js that ships', () => {
  // jsii's default inlines a map with the TypeScript source into every .js (package.json's jsii.tsc turns it off).
  const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'unpack-'));
  try {
    execFileSync('tar', ['-xzf', path.join(packDir, pack.filename), '-C', unpacked]);
    const compiled = files.filter((f) => f.startsWith('lib/') && f.endsWith('.js'));
    expect(compiled.length).toBeGreaterThan(0);
    const withMaps = compiled.filter((f) => /sourceMappingURL|sourcesContent/.test(fs.readFileSync(path.join(unpacked, 'package', f), 'utf8')));
    expect(withMaps).toEqual([]);
  } finally {
    fs.rmSync(unpacked, { recursive: true, force: true });
  }
  expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
});

test('the bin is the bundled status command, with its shebang and nothing to install', () => {
  const shipped = JSON.parse(execFileSync('tar', ['-xzOf', path.join(packDir, pack.filename), 'package/package.json'], { encoding: 'utf8' }));
  expect(shipped.bin).toEqual({ 'cdk-sms-replication-job': 'assets/cli/index.js' });
  const bin = execFileSync('tar', ['-xzOf', path.join(packDir, pack.filename), 'package/assets/cli/index.js'], { encoding: 'utf8' });
  expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
  expect(bin).not.toMatch(/require\("@aws-sdk\//);
});

test('the tarball stays under 1 MB', () => {
  expect(pack.size).toBeLessThan(1_000_000);
});

test('the package.json that ships runs nothing when installed (npm 11 would ask every user to approve it)', () => {
  const shipped = JSON.parse(execFileSync('tar', ['-xzOf', path.join(packDir, pack.filename), 'package/package.json'], { encoding: 'utf8' }));
  expect(Object.keys(shipped.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(s))).toEqual([]);
  expect(shipped.dependencies ?? {}).toEqual({});
});
