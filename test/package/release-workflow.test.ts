/**
 * The release workflow (.github/workflows/release.yml) publishes every language that package.json's jsii targets
 * build, only what it has built and tagged, each registry with only its own secrets, and skips a registry whose
 * secrets are missing instead of failing the others.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';

interface Step {
  readonly id?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly env?: Record<string, string>;
  readonly with?: Record<string, string>;
}
interface Job {
  readonly needs?: string | string[];
  readonly if?: string;
  readonly permissions?: Record<string, string>;
  readonly steps: Step[];
}

const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const workflow = parse(fs.readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8'));
const jobs: Record<string, Job> = workflow.jobs;

/** The publib command that publishes each jsii target's folder of dist/. */
const PUBLISHERS: Record<string, string> = {
  js: 'publib-npm',
  python: 'publib-pypi',
  java: 'publib-maven',
  dotnet: 'publib-nuget',
  go: 'publib-golang',
};
const TARGETS = ['js', ...Object.keys(pkg.jsii.targets)];
const publishStep = (job: Job) => job.steps.find((s) => /\bpublib-\w+/.test(s.run ?? ''));
const publishJobs = Object.entries(jobs).filter(([, job]) => publishStep(job));
const secretsOf = (step: Step) => [...JSON.stringify(step.env ?? {}).matchAll(/\$\{\{ secrets\.(\w+) \}\}/g)].map((m) => m[1]).sort();

test.each(TARGETS)('the jsii target %s is published by a job that waits for the release and downloads its dist/', (target) => {
  const publisher = PUBLISHERS[target];
  if (!publisher) throw new Error(`no publib command is known for the jsii target "${target}": add its publish job to release.yml and to PUBLISHERS`);
  const publishing = publishJobs.filter(([, job]) => publishStep(job)!.run!.includes(publisher));
  expect(publishing.map(([name]) => name)).toHaveLength(1);
  const [, job] = publishing[0];
  expect(job.needs).toEqual('release');
  expect(job.if).toEqual("needs.release.outputs.released == 'true'");
  expect(job.steps.some((s) => s.uses?.startsWith('actions/download-artifact@') && s.with?.name === 'dist' && s.with?.path === 'dist')).toBe(true);
});

test('every publish job publishes a jsii target of package.json', () => {
  const targetsPublished = publishJobs.map(([, job]) => Object.keys(PUBLISHERS).find((t) => publishStep(job)!.run!.includes(PUBLISHERS[t])));
  expect(targetsPublished.sort()).toEqual([...TARGETS].sort());
});

test('the release job builds every target before it pushes the tag, and uploads what it built', () => {
  const steps = jobs.release.steps;
  const bump = steps.findIndex((s) => s.run?.includes('bash scripts/bump.sh'));
  const build = steps.findIndex((s) => s.run === 'npm run package -- --require-all');
  const push = steps.findIndex((s) => s.run?.startsWith('git push --atomic'));
  const upload = steps.findIndex((s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.name === 'dist');
  expect(bump).toBeGreaterThanOrEqual(0);
  expect([bump, build, push, upload]).toEqual([...[bump, build, push, upload]].sort((a, b) => a - b));
  expect(new Set([bump, build, push, upload]).size).toBe(4);
});

test.each(publishJobs.map(([name]) => name))('the %s job checks every secret it publishes with before any other step', (name) => {
  const job = jobs[name];
  const [check, ...rest] = job.steps;
  expect(check.id).toBe('secrets');
  const required = check.env!.REQUIRED.split(/\s+/).sort();
  expect(required).toEqual(secretsOf(publishStep(job)!));
  for (const secret of required) expect(check.env![secret]).toBe(`\${{ secrets.${secret} }}`);
  for (const step of rest) expect(step.if).toBe("steps.secrets.outputs.ready == 'true'");
});

describe.each(publishJobs.map(([name]) => name))('the %s job\'s secret check, run by bash', (name) => {
  const check = jobs[name].steps[0];
  const required = check.env!.REQUIRED.split(/\s+/);
  const run = (values: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secrets-'));
    try {
      const output = path.join(dir, 'output');
      fs.writeFileSync(output, '');
      const env = { PATH: process.env.PATH, REQUIRED: check.env!.REQUIRED, GITHUB_OUTPUT: output, ...values };
      const stdout = execFileSync('bash', ['--norc', '--noprofile', '-e', '-c', check.run!], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { stdout, output: fs.readFileSync(output, 'utf8') };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  test('with every secret set, it lets the job publish', () => {
    const result = run(Object.fromEntries(required.map((s) => [s, 'value'])));
    expect(result.output).toBe('ready=true\n');
    expect(result.stdout).toBe('');
  });

  test('with none set, it skips the registry with a warning that names each missing secret, and succeeds', () => {
    const result = run({});
    expect(result.output).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^::warning::Not publishing .+: repository secrets not set: ${required.join(' ')} \\n$`));
  });
});

test('jobs get only the permissions they need: nothing by default, contents: write to release, id-token: write to npm', () => {
  expect(workflow.permissions).toEqual({});
  const writes = Object.entries(jobs).flatMap(([name, job]) => {
    expect(job.permissions).toBeDefined();
    return Object.entries(job.permissions ?? {}).filter(([, level]) => level === 'write').map(([scope]) => `${name}: ${scope}`);
  });
  // npm provenance signs with the workflow's OIDC token; the release job pushes its commit and tag.
  expect(writes.sort()).toEqual(['npm: id-token', 'release: contents']);
});
