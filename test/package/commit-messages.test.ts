/**
 * scripts/check-commits.sh, which .ci/run runs: every commit after the cut-over to Conventional Commits must follow
 * them (commitlint, @commitlint/config-conventional), and a clone without the cut-over fails rather than passes. Run on
 * small repositories made here, so that it is the script's verdict that is tested, not this repository's history.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'check-commits.sh');
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1',
};

let dir: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8' }).trim();
const commit = (message: string) => {
  git('commit', '--quiet', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
};
const check = (cutover: string) => {
  const result = spawnSync('bash', [SCRIPT], { cwd: dir, env: { ...GIT_ENV, COMMITLINT_CUTOVER: cutover }, encoding: 'utf8' });
  // commitlint colours its report when CI is set, even without a terminal: compare the text, not the escapes.
  return { status: result.status, output: (result.stdout + result.stderr).replace(/\u001b\[[0-9;]*m/g, '') };
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commits-'));
  git('init', '--quiet');
  commit('Something before the convention');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('commits after the cut-over that follow the convention pass, whatever came before it', () => {
  commit('An old message that does not follow it');
  const cutover = commit('The cut-over, not following it either');
  commit('feat: add a setting');
  commit('fix(provider)!: name the policy per stack\n\nBREAKING CHANGE: the policy is replaced on the next deployment');
  const result = check(cutover);
  expect(result.output).toContain('2 commits after the cut-over');
  expect(result.status).toBe(0);
});

test.each([
  ['no type', 'Add a setting', /type may not be empty/],
  ['an unknown type', 'feature: add a setting', /type must be one of/],
  ['a subject in sentence case', 'feat: Add a setting', /subject must not be sentence-case/],
  ['a trailing period', 'feat: add a setting.', /subject may not end with full stop/],
  ['a header over 100 characters', `feat: ${'a'.repeat(95)}`, /header must not be longer than 100 characters/],
])('a commit after the cut-over with %s fails, named with the rule it breaks', (_, message, rule) => {
  const cutover = commit('The cut-over');
  commit('feat: add a setting');
  commit(message);
  const result = check(cutover);
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(rule);
  expect(result.output).toContain(`input: ${message}`);
});

test('a history without the cut-over fails, saying so', () => {
  commit('feat: add a setting');
  const result = check('0123456789abcdef0123456789abcdef01234567');
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/the cut-over commit 0123456 \(0123456789abcdef0123456789abcdef01234567\) is not in the history of HEAD/);
});

test('a shallow clone that does not reach the cut-over is deepened from its remote, then checked', () => {
  const cutover = commit('The cut-over');
  commit('feat: add a setting');
  commit('Not conventional');
  commit('fix: repair it');
  const origin = dir;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commits-shallow-'));
  try {
    git('clone', '--quiet', '--depth', '1', `file://${origin}`, '.');
    expect(git('rev-parse', '--is-shallow-repository')).toBe('true');
    const result = check(cutover);
    expect(result.output).toContain('fetching the full history');
    expect(result.output).toContain('input: Not conventional');
    expect(result.status).not.toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    dir = origin;
  }
});

test('.ci/run checks the commits and prints the release dry run before its offline build and tests', () => {
  const lines = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8').split('\n');
  const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
  const install = at(/^npm ci$/);
  const commits = at(/^bash scripts\/check-commits\.sh$/);
  const dryRun = at(/^GITHUB_OUTPUT= bash scripts\/bump\.sh --dry-run$/);
  const offline = at(/^unshare -n /);
  expect(install).toBeGreaterThanOrEqual(0);
  expect([install, commits, dryRun, offline]).toEqual([...[install, commits, dryRun, offline]].sort((a, b) => a - b));
  expect(new Set([install, commits, dryRun, offline]).size).toBe(4);
});
