/**
 * Deploys under CloudFormation throttling (issue 22): fifty Creates at once, each in its own process, against an SMS
 * emulator throttling above S requests per second and a DescribeStacks that throttles above C requests per second, as
 * the account's CloudFormation API rate does when pipelines and `cdk deploy` share it. The handler reads its stack's
 * status before each SMS write (lambda/rollback.ts), so both rates bound a deploy.
 *
 * Measured for the shipped handler and, in the same run, for two handlers of main bundled from git with the shipped
 * build options: SMS_BACKOFF, whose status reads were retried until their deadline with the SMS backoff, and BEFORE,
 * before issue 22, whose status reads had the SDK's three attempts.
 *
 *   npm run bench:describe-stacks   (runs these rows alone and rewrites their section of bench/RESULTS.md)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BuildOptions, build } from 'esbuild';
import { FUNCTION_TIMEOUT_SECONDS } from '../lib/private/timing';
import { SmsEmulator } from '../test/harness/sms-emulator';
import { EventTemplate, HANDLER_SOURCES, HandlerBench, HandlerPool } from './handlers';
import { seedTime } from './stacks';
import { deployEvents } from './throttling';

/** main before issue 22: the handler whose status reads had the SDK's three attempts. */
export const BEFORE = '7a7a987';
/** main before DESCRIBE_STACKS: status reads retried until their deadline, with THROTTLED, the SMS backoff. */
export const SMS_BACKOFF = 'e97666c';
const REPO = path.resolve(__dirname, '..');
const SHIPPED_BUILD: BuildOptions = JSON.parse(fs.readFileSync(path.join(REPO, 'scripts', 'handler-build.json'), 'utf8'));

/** The rates measured, requests per second: DescribeStacks (C) and SMS (S). */
export const RATES: Array<{ cfn: number; sms: number }> = [
  { cfn: 1, sms: 5 }, { cfn: 1, sms: 2 }, { cfn: 3, sms: 5 }, { cfn: 3, sms: 2 },
];

export const SECTION = '## Deploys under CloudFormation throttling';

export interface CfnRun {
  readonly handler: string;
  readonly cfnRate: number;
  readonly smsRate: number;
  readonly events: number;
  readonly succeeded: number;
  readonly lastAnswerMs: number;
  readonly smsRequests: number;
  readonly describeStacks: number;
  readonly describeStacksThrottled: number;
  /** CreateReplicationJob requests that made a job, and the jobs SMS holds after the batch. */
  readonly jobsMade: number;
  readonly jobsHeld: number;
  readonly failure?: string;
}

/** Bundles lambda/ as it was at `commit` (with the timing constants it imports) into `workDir`. */
export async function bundleAt(commit: string, workDir: string): Promise<string> {
  const src = path.join(workDir, `src-${commit}`);
  fs.mkdirSync(src, { recursive: true });
  let archive: Buffer;
  try {
    archive = execFileSync('git', ['archive', commit, 'lambda', 'lib/private/timing.ts'], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    throw new Error(`the baseline needs commit ${commit} in this clone's history (a full clone, not a shallow one): ${(e as Error).message}`);
  }
  execFileSync('tar', ['-x', '-C', src], { input: archive });
  const outfile = path.join(workDir, `task-${commit}`, 'index.js');
  await build({ ...SHIPPED_BUILD, entryPoints: [path.join(src, 'lambda', 'index.ts')], absWorkingDir: src, nodePaths: [path.join(REPO, 'node_modules')], outfile });
  return outfile;
}

const WARM_UP: Pick<EventTemplate, 'RequestType' | 'PhysicalResourceId'> = { RequestType: 'Delete', PhysicalResourceId: 'sms-job-0000warmup' };

/** Every rate for each handler: one pool of processes and one emulator per handler, as in throttling.ts. */
export async function describeStacksMatrix(bench: HandlerBench, workDir: string, creates: EventTemplate[], servers: string[],
  progress: (message: string) => void): Promise<CfnRun[]> {
  const handlers: Array<[string, string]> = [['new', HANDLER_SOURCES.ours], [`main ${SMS_BACKOFF}`, await bundleAt(SMS_BACKOFF, workDir)],
    [`main ${BEFORE}`, await bundleAt(BEFORE, workDir)]];
  const runs: CfnRun[] = [];
  for (const [name, file] of handlers) {
    const sms = await SmsEmulator.start({ servers });
    const pool = await bench.pool(file, sms, creates.length, FUNCTION_TIMEOUT_SECONDS * 1000, { ...creates[0], ...WARM_UP });
    try {
      for (const rates of RATES) {
        const run = await measure(pool, sms, name, rates, creates);
        runs.push(run);
        progress(`DescribeStacks at ${rates.cfn}/s, SMS at ${rates.sms}/s, ${name}: ${run.succeeded}/${run.events} in ${(run.lastAnswerMs / 1000).toFixed(1)} s, `
          + `${(run.describeStacks / run.events).toFixed(1)} DescribeStacks and ${(run.smsRequests / run.events).toFixed(1)} SMS requests per job`);
        for (const job of sms.jobs()) sms.deleteJob(job.replicationJobId);
      }
    } finally {
      pool.close();
      await sms.close();
    }
  }
  return runs;
}

async function measure(pool: HandlerPool, sms: SmsEmulator, handler: string, rates: { cfn: number; sms: number }, creates: EventTemplate[]): Promise<CfnRun> {
  pool.stack.status = 'CREATE_IN_PROGRESS';
  // A second without requests, so that the batch starts with both whole rates.
  sms.throttleAbove(undefined);
  pool.cloudFormation.throttleAbove(undefined);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  sms.throttleAbove(rates.sms);
  pool.cloudFormation.throttleAbove(rates.cfn);
  const firstSms = sms.requests.length;
  const firstCfn = pool.cloudFormation.describeStacksCalls().length;
  try {
    const results = await pool.batch(creates);
    const answers = results.map((r) => r.answer);
    const described = pool.cloudFormation.describeStacksCalls().slice(firstCfn);
    return {
      handler, cfnRate: rates.cfn, smsRate: rates.sms, events: creates.length,
      succeeded: answers.filter((a) => a.Status === 'SUCCESS').length,
      lastAnswerMs: Math.max(...results.map((r) => r.ms)),
      smsRequests: sms.requests.length - firstSms,
      describeStacks: described.length,
      describeStacksThrottled: described.filter((c) => c.answered === 'Throttling').length,
      jobsMade: sms.requests.slice(firstSms).filter((r) => r.operation === 'CreateReplicationJob' && r.outcome === 'ok').length,
      jobsHeld: sms.jobs().length,
      failure: answers.find((a) => a.Status !== 'SUCCESS')?.Reason,
    };
  } finally {
    pool.cloudFormation.throttleAbove(undefined);
    sms.throttleAbove(undefined);
  }
}

/** The section of RESULTS.md: a table with the targets checked, and the first failure Reason of each batch. */
export function renderDescribeStacks(runs: CfnRun[], note = ''): string {
  const table = (header: string[], body: string[][]) => [header, header.map(() => '---'), ...body].map((row) => `| ${row.join(' | ')} |`).join('\n');
  const mark = (ok: boolean, text: string) => (ok ? text : `**${text}** ✗`);
  const rows = runs.map((r) => {
    const n = r.events;
    const bound = n / Math.min(r.cfnRate, r.smsRate);
    return [String(r.cfnRate), String(r.smsRate), bound.toFixed(1).replace(/\.0$/, ''), r.handler,
      mark(r.succeeded === n, `${r.succeeded}/${n}`),
      mark(r.lastAnswerMs <= 1.5 * bound * 1000, (r.lastAnswerMs / 1000).toFixed(1)),
      mark(r.describeStacks / n <= 6, (r.describeStacks / n).toFixed(1)),
      (r.describeStacksThrottled / n).toFixed(1),
      (r.smsRequests / n).toFixed(1),
      mark(r.jobsMade === n && r.jobsHeld === n, `${r.jobsMade} (${r.jobsHeld} held)`)];
  });
  const failures = runs.filter((r) => r.failure).map((r) => `- ${r.handler}, DescribeStacks at ${r.cfnRate}/s, SMS at ${r.smsRate}/s: ${r.failure}`);
  return [
    SECTION, '',
    `${runs[0]?.events ?? 0} Creates at once, as in the SMS rows above (one process per event, each warmed by one unthrottled request, a batch after a second without requests), `
      + 'against the SMS emulator throttling above S requests per second and a DescribeStacks (test/harness/cfn-api.ts) throttling above C requests per second, '
      + 'which the handler reads before each SMS write. "new" is the shipped bundle; '
      + `"main ${SMS_BACKOFF}" retried its status reads until their deadline with the SMS backoff (THROTTLED in lambda/retry.ts) before DESCRIBE_STACKS replaced it; `
      + `"main ${BEFORE}" is the handler of main before issue 22 (its status reads had the SDK's three attempts). Both are bundled from git with the same build options and measured in this run, after "new". `
      + 'N / min(C, S) is the least time the batch can take: each Create needs one reading and one SMS request.',
    ...(note ? ['', note] : []), '',
    'Targets (✗ marks a miss): every Create succeeds, the last answer within 1.5 x N / min(C, S), at most 6 DescribeStacks per job on average, every job made once.', '',
    table(['C: DescribeStacks (req/s)', 'S: SMS (req/s)', 'N / min(C, S) (s)', 'handler', 'Creates succeeded', 'last Create answer (s)',
      'DescribeStacks per job', 'of which throttled', 'SMS requests per job', 'jobs made'], rows), '',
    ...(failures.length ? ['First failure Reason of each batch that had one:', '', ...failures, ''] : []),
  ].join('\n');
}

/** `markdown` with the section headed `heading` (this bench's by default) replaced by `section` (or added before "## Method"). */
export function spliceSection(markdown: string, section: string, heading = SECTION): string {
  const start = markdown.indexOf(`${heading}\n`);
  if (start >= 0) {
    const next = markdown.indexOf('\n## ', start + heading.length);
    return markdown.slice(0, start) + section.trimEnd() + '\n' + (next >= 0 ? markdown.slice(next) : '');
  }
  const method = markdown.indexOf('## Method');
  return method >= 0 ? `${markdown.slice(0, method)}${section.trimEnd()}\n\n${markdown.slice(method)}` : `${markdown.trimEnd()}\n\n${section}`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const progress = (message: string) => process.stderr.write(`[describe-stacks ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-describe-stacks-'));
  try {
    const { creates, servers } = deployEvents(50, seedTime(), path.join(workDir, 'cdk.out'));
    const bench = await HandlerBench.start(workDir);
    let runs: CfnRun[];
    try {
      runs = await describeStacksMatrix(bench, workDir, creates, servers, progress);
    } finally {
      await bench.close();
    }
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO }).toString().trim();
    const note = `These rows were measured alone, by \`npm run bench:describe-stacks\` (bench/describe-stacks.ts) on ${new Date().toISOString().slice(0, 10)}, `
      + `commit ${commit}, ${os.cpus()[0]?.model.trim()}, ${os.cpus().length} cores, 1-minute load ${os.loadavg()[0].toFixed(1)} at the end, shared with other work: `
      + 'the full `npm run bench` is too long for the shared machine, and the rest of this file is from its last full run (see Environment).';
    const section = renderDescribeStacks(runs, note);
    const file = path.join(__dirname, 'RESULTS.md');
    fs.writeFileSync(file, spliceSection(fs.readFileSync(file, 'utf8'), section));
    process.stdout.write(section);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
