/**
 * Deletes at scale under SMS throttling (issue 32): N jobs created unthrottled, then their N Deletes at once, each in its
 * own process (as CloudFormation deletes a stack's custom resources and Lambda runs them), against an SMS emulator
 * throttling above R requests per second, with the provider's 180 s function timeout.
 *
 * Measured for the shipped handler and, in the same run, for two handlers of main bundled from git with the shipped
 * build options: BEFORE_27 (7a7a987, one DeleteReplicationJob per Delete) and MARKER_READ (2259fee, which read every
 * job's marker with GetReplicationJobs before deleting it).
 *
 *   npm run bench:deletes   (rewrites its section of bench/RESULTS.md)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FUNCTION_TIMEOUT_SECONDS } from '../lib/private/timing';
import { SmsEmulator } from '../test/harness/sms-emulator';
import { bundleAt, spliceSection } from './describe-stacks';
import { EventTemplate, HANDLER_SOURCES, HandlerBench, HandlerPool } from './handlers';
import { seedTime } from './stacks';
import { deployEvents } from './throttling';

const REPO = path.resolve(__dirname, '..');
/** main before issue 27: a Delete sent DeleteReplicationJob alone. */
export const BEFORE_27 = '7a7a987';
/** main after issue 27: every Delete read the job's marker first. */
export const MARKER_READ = '2259fee';

/** The batches measured: N Deletes at once, SMS throttled above R requests per second. */
export const CELLS: Array<{ jobs: number; rate: number }> = [
  { jobs: 50, rate: 2 }, { jobs: 50, rate: 1 }, { jobs: 80, rate: 1 }, { jobs: 100, rate: 1 },
];

export const SECTION = '## Deletes at scale under SMS throttling';

export interface DeleteRun {
  readonly handler: string;
  readonly jobs: number;
  readonly rate: number;
  readonly succeeded: number;
  readonly lastAnswerMs: number;
  readonly smsRequests: number;
  /** GetReplicationJobs requests of the batch, throttled ones included. */
  readonly reads: number;
  /** Jobs SMS still holds after the batch. */
  readonly jobsLeft: number;
  readonly failure?: string;
}

const WARM_UP: Pick<EventTemplate, 'RequestType' | 'PhysicalResourceId'> = { RequestType: 'Delete', PhysicalResourceId: 'sms-job-0000warmup' };

/** Lifts the throttle and waits a second, so that a batch starts with SMS's rate unused. */
export async function quietSecond(sms: SmsEmulator): Promise<void> {
  sms.throttleAbove(undefined);
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

async function measure(pool: HandlerPool, sms: SmsEmulator, handler: string, cell: { jobs: number; rate: number }, creates: EventTemplate[]): Promise<DeleteRun> {
  const events = creates.slice(0, cell.jobs);
  pool.stack.status = 'CREATE_IN_PROGRESS';
  await quietSecond(sms);
  const created = await pool.batch(events);
  const failed = created.find((c) => c.answer.Status !== 'SUCCESS');
  if (failed) throw new Error(`${handler}: an unthrottled Create failed: ${failed.answer.Reason}`);
  const deletes = events.map((event, i): EventTemplate => ({ ...event, RequestType: 'Delete', PhysicalResourceId: created[i].answer.PhysicalResourceId }));
  pool.stack.status = 'DELETE_IN_PROGRESS';
  await quietSecond(sms);
  sms.throttleAbove(cell.rate);
  const first = sms.requests.length;
  try {
    const results = await pool.batch(deletes);
    const answers = results.map((r) => r.answer);
    const requests = sms.requests.slice(first);
    return {
      handler, jobs: cell.jobs, rate: cell.rate,
      succeeded: answers.filter((a) => a.Status === 'SUCCESS').length,
      lastAnswerMs: Math.max(...results.map((r) => r.ms)),
      smsRequests: requests.length,
      reads: requests.filter((r) => r.operation === 'GetReplicationJobs').length,
      jobsLeft: sms.jobs().length,
      failure: answers.find((a) => a.Status !== 'SUCCESS')?.Reason,
    };
  } finally {
    sms.throttleAbove(undefined);
    for (const job of sms.jobs()) sms.deleteJob(job.replicationJobId);
  }
}

/** Every cell for each handler: one pool of processes and one emulator per handler. */
export async function deletesMatrix(bench: HandlerBench, workDir: string, creates: EventTemplate[], servers: string[],
  progress: (message: string) => void, cells = CELLS): Promise<DeleteRun[]> {
  const handlers: Array<[string, string]> = [['new', HANDLER_SOURCES.ours], [`main ${MARKER_READ}`, await bundleAt(MARKER_READ, workDir)],
    [`main ${BEFORE_27}`, await bundleAt(BEFORE_27, workDir)]];
  const size = Math.max(...cells.map((c) => c.jobs));
  const runs: DeleteRun[] = [];
  for (const [name, file] of handlers) {
    const sms = await SmsEmulator.start({ servers });
    const pool = await bench.pool(file, sms, size, FUNCTION_TIMEOUT_SECONDS * 1000, { ...creates[0], ...WARM_UP });
    try {
      for (const cell of cells) {
        const run = await measure(pool, sms, name, cell, creates);
        runs.push(run);
        progress(`${cell.jobs} Deletes, SMS at ${cell.rate}/s, ${name}: ${run.succeeded}/${run.jobs} in ${(run.lastAnswerMs / 1000).toFixed(1)} s, `
          + `${(run.smsRequests / run.jobs).toFixed(1)} SMS requests per job, ${run.jobsLeft} jobs left`);
      }
    } finally {
      pool.close();
      await sms.close();
    }
  }
  return runs;
}

/** The section of RESULTS.md: one row per cell, the handlers side by side, the targets checked for "new". */
export function renderDeletes(runs: DeleteRun[], note = ''): string {
  const handlers = [...new Set(runs.map((r) => r.handler))];
  const cells = [...new Map(runs.map((r) => [`${r.jobs}/${r.rate}`, { jobs: r.jobs, rate: r.rate }])).values()];
  const cellText = (r: DeleteRun | undefined, target: boolean) => {
    if (!r) return 'not run';
    const bound = r.jobs / r.rate;
    const ratio = r.lastAnswerMs / 1000 / bound;
    const perJob = r.smsRequests / r.jobs;
    const mark = (ok: boolean, text: string) => (ok || !target ? text : `**${text}** ✗`);
    return [
      mark(r.succeeded === r.jobs && r.jobsLeft === 0, `${r.succeeded}/${r.jobs}, ${r.jobsLeft} left`),
      mark(r.jobs > 50 || ratio <= 2.3, `${(r.lastAnswerMs / 1000).toFixed(1)} s (${ratio.toFixed(2)} x)`),
      mark(r.jobs > 50 || perJob <= 6, `${perJob.toFixed(1)} req/job`),
      `${(r.reads / r.jobs).toFixed(1)} reads/job`,
    ].join(', ');
  };
  const rows = cells.map((c) => [String(c.jobs), String(c.rate), String(c.jobs / c.rate),
    ...handlers.map((h) => cellText(runs.find((r) => r.handler === h && r.jobs === c.jobs && r.rate === c.rate), h === 'new'))]);
  const header = ['N Deletes at once', 'R: SMS (req/s)', 'N / R (s)', ...handlers];
  const failures = runs.filter((r) => r.failure).map((r) => `- ${r.handler}, ${r.jobs} Deletes at ${r.rate}/s: ${r.failure}`);
  return [
    SECTION, '',
    'N jobs created unthrottled by the handler, then their N Deletes at once (DELETE_IN_PROGRESS), one process per event with the provider\'s '
      + `${FUNCTION_TIMEOUT_SECONDS} s timeout, against the SMS emulator throttling above R requests per second. Each cell: Deletes answered SUCCESS and jobs SMS still holds, `
      + 'the last answer (and over N / R, the least time N single requests take), SMS requests per job (throttled ones included), and of them GetReplicationJobs. '
      + `"new" is the shipped bundle; "main ${MARKER_READ}" read every job's marker before deleting it (issue 27); "main ${BEFORE_27}" sent DeleteReplicationJob alone. `
      + 'Both are bundled from git with the same build options and measured in this run, after "new".',
    ...(note ? ['', note] : []), '',
    'Targets for "new" (issue 32; ✗ marks a miss): every Delete answered SUCCESS with no job left; 50 Deletes within 2.3 x N / R and at most 6 SMS requests per job.', '',
    [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n'), '',
    ...(failures.length ? ['First failure Reason of each batch that had one:', '', ...failures, ''] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const progress = (message: string) => process.stderr.write(`[deletes ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-deletes-'));
  // What is measured is the bundle made when the bench starts: its commit, and whether lambda/ or lib/ differed from it.
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'lambda', 'lib') !== '';
  try {
    const { creates, servers } = deployEvents(Math.max(...CELLS.map((c) => c.jobs)), seedTime(), path.join(workDir, 'cdk.out'));
    const bench = await HandlerBench.start(workDir);
    let runs: DeleteRun[];
    try {
      runs = await deletesMatrix(bench, workDir, creates, servers, progress);
    } finally {
      await bench.close();
    }
    const note = `Measured by \`npm run bench:deletes\` (bench/deletes.ts) on ${new Date().toISOString().slice(0, 10)}, `
      + `commit ${commit}${dirty ? ' with uncommitted changes in lambda/ or lib/' : ''}, ${os.cpus()[0]?.model.trim()}, ${os.cpus().length} cores, `
      + `1-minute load ${os.loadavg()[0].toFixed(1)} at the end; ${((Date.now() - started) / 60000).toFixed(1)} min. One batch per cell.`;
    const section = renderDeletes(runs, note);
    const file = path.join(__dirname, 'RESULTS.md');
    fs.writeFileSync(file, spliceSection(fs.readFileSync(file, 'utf8'), section, SECTION));
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
