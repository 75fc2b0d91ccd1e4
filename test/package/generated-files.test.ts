/**
 * Files generated from others and committed: each must be what its generator makes now, or CI fails.
 * (`npm test` compiles the assembly and extracts the README examples with jsii-rosetta before jest runs.)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);

test('API.md is what jsii-docgen generates from the assembly (else run `npm run build` and commit API.md)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docgen-'));
  try {
    execFileSync(bin('jsii-docgen'), ['-o', path.join(dir, 'API.md')], { cwd: ROOT, stdio: 'pipe' });
    expect(fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8')).toEqual(fs.readFileSync(path.join(dir, 'API.md'), 'utf8'));
    // And it documents this build's assembly: every public type and method of .jsii is in it (jsii-docgen reads every
    // .jsii of the project, and a second assembly of this name, such as an API baseline, would take its place).
    const assembly = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8'));
    const generated = fs.readFileSync(path.join(dir, 'API.md'), 'utf8');
    const documented = Object.values(assembly.types).flatMap((t: any) => [t.fqn, ...(t.methods ?? []).map((m: any) => `${t.fqn}.${m.name}`),
      ...(t.properties ?? []).map((p: any) => `${t.fqn}.property.${p.name}`)]);
    expect(documented.filter((fqn) => !generated.includes(`id="${fqn}"`))).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test('NOTICE lists every package bundled in the handler (else run `npm run notice` and commit NOTICE)', () => {
  execFileSync(process.execPath, ['scripts/notice.mjs', '--check'], { cwd: ROOT, stdio: 'pipe' });
  const bundled: { name: string; version: string }[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'assets', 'handler-packages.json'), 'utf8'));
  const notice = fs.readFileSync(path.join(ROOT, 'NOTICE'), 'utf8');
  expect(bundled.map((p) => p.name)).toContain('@aws-sdk/client-sms');
  for (const p of bundled) {
    expect(notice).toContain(`${p.name}@${p.version}`);
  }
});

/**
 * The README's headline example in a language: the first fenced block of that language; Python's is the first after
 * "### In other languages" (the section on naming a server by its VM, before it, has its own, readme-server.test.ts).
 */
function readmeBlock(language: string): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const from = language === 'python' ? readme.indexOf('### In other languages') : 0;
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(readme.slice(from));
  if (!match) {
    throw new Error(`README.md has no ${language} block`);
  }
  return match[1];
}

test('README\'s Python example is jsii-rosetta\'s translation of the TypeScript one on the first screen', () => {
  const tablet = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii.tabl.json'), 'utf8'));
  const typescript = readmeBlock('ts');
  const snippet = Object.values<any>(tablet.snippets).find((s) => s.translations.$.source.trim() === typescript.trim());
  expect(snippet).toBeDefined();
  expect(snippet.didCompile).toBe(true);
  expect(readmeBlock('python').trim()).toEqual(snippet.translations.python.source.trim());
});

test('README\'s adoption example compiles with jsii-rosetta, and the Python after it is its translation', () => {
  const tablet = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii.tabl.json'), 'utf8'));
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const snippet = Object.values<any>(tablet.snippets).find((s) => s.translations.$.source.includes('existingJob: ExistingJobPolicy.ADOPT')
    && readme.includes(s.translations.$.source.trim()));
  expect(snippet?.didCompile).toBe(true);
  const after = readme.slice(readme.indexOf(snippet.translations.$.source.trim()));
  const python = /```python\n([\s\S]*?)```/.exec(after)?.[1];
  expect(python?.trim()).toEqual(snippet.translations.python.source.trim());
  expect(python).toContain('existing_job=ExistingJobPolicy.ADOPT');
});

test('README\'s Python example is valid Python', () => {
  execFileSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: readmeBlock('python'), stdio: ['pipe', 'pipe', 'pipe'] });
});
