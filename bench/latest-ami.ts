/**
 * Latest AMIs at scale (issue 37): the provider of a stack whose jobs offer `latestAmi` keeps each job's latest AMI in
 * an SSM parameter (lambda/latest-ami.ts). Two batches, each event in its own process with the provider's timeout
 * (HandlerPool), against the SMS emulator throttling above R requests a second and the SSM double
 * (test/harness/ssm-double.ts) throttling each operation above its own rate:
 *
 * - Deletes at scale: N jobs, each with its parameter written by its own AMI event, deleted at once as CloudFormation
 *   deletes a stack (DeleteReplicationJob, then GetParameterHistory and DeleteParameter). The baseline, in the same run:
 *   the same N jobs of a stack whose jobs do not offer latestAmi (no LATEST_AMI_STACK_ID: DeleteReplicationJob alone).
 * - AMI events at scale: N SMS AMI events sent at once, as EventBridge invokes its target asynchronously (one process
 *   per event), each reading its job from SMS and writing its parameter with PutParameter.
 *
 *   npm run bench:latest-ami   (rewrites its section of bench/RESULTS.md)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { jobIdOf } from '../lambda/physical-id';
import { LATEST_AMI_STACK_ENV, latestAmiParameterName } from '../lib/private/latest-ami';
import { FUNCTION_TIMEOUT_SECONDS } from '../lib/private/timing';
import { SmsEmulator } from '../test/harness/sms-emulator';
import { SsmDouble } from '../test/harness/ssm-double';
import { spliceSection } from './describe-stacks';
import { EventTemplate, HANDLER_SOURCES, HandlerBench, HandlerPool } from './handlers';
import { STACK_NAME, seedTime } from './stacks';
import { stackIdOf } from './template';
import { deployEvents } from './throttling';
import { amiEvent } from '../test/harness/ami-event';

export const SECTION = '## Latest AMIs at scale (issue 37)';

/** The stack every event names (the bench's template's AWS::StackId). */
const STACK_ID = stackIdOf(STACK_NAME);

/**
 * SSM's limits in the bench, per operation. SSM publishes a "standard throughput" of 40 TPS shared by GetParameter,
 * GetParameters and GetParametersByPath per account and region, and no per-operation figure for GetParameterHistory,
 * DeleteParameter or PutParameter. The bench takes a quarter of the shared 40 for the history reads (the account's
 * other readers share it) and 3 a second for the writes, a low guess of a mutating API's limit.
 */
export const SSM_RATES: Readonly<Record<string, number>> = { GetParameterHistory: 10, DeleteParameter: 3, PutParameter: 3 };

/** N Deletes at once, SMS throttled above R requests a second. */
export const DELETE_CELLS: Array<{ jobs: number; rate: number }> = [
  { jobs: 50, rate: 2 }, { jobs: 100, rate: 2 }, { jobs: 50, rate: 5 }, { jobs: 100, rate: 5 },
];
/** N AMI events at once, SMS throttled above R requests a second. */
export const EVENT_CELLS: Array<{ events: number; rate: number }> = [{ events: 100, rate: 2 }, { events: 100, rate: 5 }, { events: 480, rate: 5 }];

export type Variant = 'latestAmi' | 'baseline';

export interface DeleteRun {
  readonly variant: Variant;
  readonly jobs: number;
  readonly rate: number;
  readonly succeeded: number;
  readonly lastAnswerMs: number;
  /** Parameters written before the Deletes (one per job for latestAmi). */
  readonly parametersBefore: number;
  /** Parameters of the N jobs still in SSM after the Deletes. */
  readonly parametersLeft: number;
  readonly jobsLeft: number;
  readonly smsRequests: number;
  /** SSM requests by operation, throttled ones included. */
  readonly ssm: Record<string, number>;
  readonly ssmThrottled: number;
  /** Deletes whose log says the parameter was kept because its writer could not be read (or it could not be deleted). */
  readonly keptUnread: number;
  readonly failure?: string;
}

export interface EventRun {
  readonly events: number;
  readonly rate: number;
  /** Parameters that hold their job's AMI, their description naming the job. */
  readonly right: number;
  /** Parameters that hold something else. */
  readonly wrong: number;
  /** Invocations that threw (Lambda retries them), and ones that ran past the function's timeout. */
  readonly failed: number;
  readonly timedOut: number;
  readonly lastEndMs: number;
  readonly smsRequests: number;
  readonly ssm: Record<string, number>;
  readonly ssmThrottled: number;
  /** The first error thrown, with how many threw it. */
  readonly errors: Record<string, number>;
}

/** Job i's AMI: 17 hex digits, unique per batch. */
function amiOf(batch: number, i: number): string {
  return `ami-0${batch.toString(16).padStart(4, '0')}${i.toString(16).padStart(12, '0')}`;
}

/** The AMI event of the run the bench added for this AMI (its run id). */
export function amiEventOf(jobId: string, amiId: string): Record<string, unknown> {
  return amiEvent(jobId, amiId, `sms-run-${amiId.slice(4)}`);
}

function count(operations: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of operations) out[o] = (out[o] ?? 0) + 1;
  return out;
}

function throttledTotal(ssm: SsmDouble): number {
  return [...ssm.throttled.values()].reduce((a, b) => a + b, 0);
}

function setSsmThrottle(ssm: SsmDouble, on: boolean): void {
  for (const [operation, rate] of Object.entries(SSM_RATES)) ssm.throttleAbove(on ? rate : undefined, operation);
}

let batchNumber = 0;
/** How long each batch waits, SMS unthrottled, before it starts (deletes.ts's quietSecond: SMS's rate unused); the smoke test waits none. */
let quietMs = 1000;

async function quiet(sms: SmsEmulator): Promise<void> {
  sms.throttleAbove(undefined);
  await new Promise((resolve) => setTimeout(resolve, quietMs));
}

/** Creates the jobs of `events` unthrottled; for latestAmi, completes a run of each and writes its parameter by its own AMI event. */
async function deploy(pool: HandlerPool, sms: SmsEmulator, ssm: SsmDouble, events: EventTemplate[], writeAmis: boolean):
Promise<{ jobIds: string[]; physicalIds: string[]; amis: string[]; names: string[] }> {
  pool.stack.status = 'CREATE_IN_PROGRESS';
  await quiet(sms);
  setSsmThrottle(ssm, false);
  const created = await pool.batch(events);
  const failed = created.find((c) => c.answer.Status !== 'SUCCESS');
  if (failed) throw new Error(`an unthrottled Create failed: ${failed.answer.Reason}`);
  const physicalIds = created.map((c) => c.answer.PhysicalResourceId);
  // The stack now holds these jobs: DescribeStackResource answers them to the AMI events.
  events.forEach((e, i) => pool.stack.physicalIds.set(e.LogicalResourceId, physicalIds[i]));
  const jobIds = physicalIds.map((p) => jobIdOf(p)!);
  const batch = ++batchNumber;
  const amis = jobIds.map((_, i) => amiOf(batch, i));
  const names = events.map((e) => latestAmiParameterName(STACK_NAME, e.LogicalResourceId));
  jobIds.forEach((jobId, i) => {
    sms.addRun(jobId, { replicationRunId: `sms-run-${amis[i].slice(4)}`, state: 'COMPLETED', type: 'AUTOMATIC', amiId: amis[i], completedTime: Math.floor(Date.now() / 1000) });
    ssm.images.add(amis[i]);
  });
  if (writeAmis) {
    const written = await pool.invoke(jobIds.map((jobId, i) => amiEventOf(jobId, amis[i])));
    const bad = written.find((w) => w.error || w.timedOut);
    if (bad) throw new Error(`an unthrottled AMI event failed: ${bad.error ? `${bad.error.name}: ${bad.error.message}` : 'timed out'}`);
    const missing = names.filter((n, i) => ssm.parameter(n)?.value !== amis[i]);
    if (missing.length) throw new Error(`${missing.length} parameters not written before the Deletes`);
  }
  return { jobIds, physicalIds, amis, names };
}

function cleanUp(sms: SmsEmulator, ssm: SsmDouble, names: string[]): void {
  sms.throttleAbove(undefined);
  setSsmThrottle(ssm, false);
  for (const job of sms.jobs()) sms.deleteJob(job.replicationJobId);
  for (const name of names) ssm.removeParameter(name);
}

/** N Deletes at once of jobs made (and, for latestAmi, whose parameters were written) unthrottled. */
async function measureDeletes(pool: HandlerPool, sms: SmsEmulator, ssm: SsmDouble, variant: Variant, cell: { jobs: number; rate: number },
  creates: EventTemplate[]): Promise<DeleteRun> {
  const events = creates.slice(0, cell.jobs);
  const { physicalIds, names } = await deploy(pool, sms, ssm, events, variant === 'latestAmi');
  const parametersBefore = names.filter((n) => ssm.parameter(n)).length;
  const deletes = events.map((event, i): EventTemplate => ({ ...event, RequestType: 'Delete', PhysicalResourceId: physicalIds[i] }));
  pool.stack.status = 'DELETE_IN_PROGRESS';
  await quiet(sms);
  sms.throttleAbove(cell.rate);
  setSsmThrottle(ssm, true);
  ssm.throttled.clear();
  const firstSms = sms.requests.length;
  const firstSsm = ssm.requests.length;
  const logMark = pool.logMark();
  try {
    const results = await pool.batch(deletes);
    const answers = results.map((r) => r.answer);
    const logs = pool.logsSince(logMark);
    return {
      variant, jobs: cell.jobs, rate: cell.rate,
      succeeded: answers.filter((a) => a.Status === 'SUCCESS').length,
      lastAnswerMs: Math.max(...results.map((r) => r.ms)),
      parametersBefore,
      parametersLeft: names.filter((n) => ssm.parameter(n)).length,
      jobsLeft: sms.jobs().length,
      smsRequests: sms.requests.length - firstSms,
      ssm: count(ssm.requests.slice(firstSsm).map((r) => r.operation)),
      ssmThrottled: throttledTotal(ssm),
      keptUnread: (logs.match(/could not read which job wrote the latest-AMI parameter|could not delete the latest-AMI parameter/g) ?? []).length,
      failure: answers.find((a) => a.Status !== 'SUCCESS')?.Reason,
    };
  } finally {
    cleanUp(sms, ssm, names);
  }
}

async function measureEvents(pool: HandlerPool, sms: SmsEmulator, ssm: SsmDouble, cell: { events: number; rate: number },
  creates: EventTemplate[]): Promise<EventRun> {
  const events = creates.slice(0, cell.events);
  const { jobIds, amis, names } = await deploy(pool, sms, ssm, events, false);
  await quiet(sms);
  sms.throttleAbove(cell.rate);
  setSsmThrottle(ssm, true);
  ssm.throttled.clear();
  const firstSms = sms.requests.length;
  const firstSsm = ssm.requests.length;
  try {
    const results = await pool.invoke(jobIds.map((jobId, i) => amiEventOf(jobId, amis[i])));
    const errors: Record<string, number> = {};
    for (const r of results) {
      const key = r.error ? `${r.error.name}: ${r.error.message}` : r.timedOut ? 'ran past the function timeout' : undefined;
      if (key) errors[key] = (errors[key] ?? 0) + 1;
    }
    const right = names.filter((n, i) => ssm.parameter(n)?.value === amis[i] && ssm.parameter(n)?.description?.includes(`job ${jobIds[i]},`)).length;
    return {
      events: cell.events, rate: cell.rate,
      right,
      wrong: names.filter((n) => ssm.parameter(n)).length - right,
      failed: results.filter((r) => r.error).length,
      timedOut: results.filter((r) => r.timedOut).length,
      lastEndMs: Math.max(...results.map((r) => r.ms)),
      smsRequests: sms.requests.length - firstSms,
      ssm: count(ssm.requests.slice(firstSsm).map((r) => r.operation)),
      ssmThrottled: throttledTotal(ssm),
      errors,
    };
  } finally {
    cleanUp(sms, ssm, names);
  }
}

export interface LatestAmiCells {
  readonly deletes?: Array<{ jobs: number; rate: number }>;
  readonly events?: Array<{ events: number; rate: number }>;
  /** The wait before each batch (1,000 ms). */
  readonly quietMs?: number;
}

/** Every cell: the latestAmi stack's provider (Deletes, then AMI events), then the baseline's (Deletes). */
export async function latestAmiMatrix(bench: HandlerBench, creates: EventTemplate[], servers: string[], progress: (message: string) => void,
  cells: LatestAmiCells = {}): Promise<{ deletes: DeleteRun[]; events: EventRun[] }> {
  const deleteCells = cells.deletes ?? DELETE_CELLS;
  const eventCells = cells.events ?? EVENT_CELLS;
  quietMs = cells.quietMs ?? 1000;
  const deletes: DeleteRun[] = [];
  const events: EventRun[] = [];
  const ssm = await SsmDouble.start();
  try {
    for (const variant of ['latestAmi', 'baseline'] as Variant[]) {
      const size = Math.max(...deleteCells.map((c) => c.jobs), ...(variant === 'latestAmi' ? eventCells.map((c) => c.events) : []));
      const sms = await SmsEmulator.start({ servers });
      const env = { AWS_ENDPOINT_URL_SSM: ssm.endpoint, ...(variant === 'latestAmi' ? { [LATEST_AMI_STACK_ENV]: STACK_ID } : {}) };
      const warmUp: EventTemplate = { ...creates[0], RequestType: 'Delete', PhysicalResourceId: 'sms-job-0000warmup' };
      progress(`${variant}: starting ${size} processes`);
      const pool = await bench.pool(HANDLER_SOURCES.ours, sms, size, FUNCTION_TIMEOUT_SECONDS * 1000, warmUp, env);
      try {
        for (const cell of deleteCells) {
          const run = await measureDeletes(pool, sms, ssm, variant, cell, creates);
          deletes.push(run);
          progress(`${cell.jobs} Deletes, SMS at ${cell.rate}/s, ${variant}: ${run.succeeded}/${run.jobs} in ${(run.lastAnswerMs / 1000).toFixed(1)} s, `
            + `${run.parametersLeft}/${run.parametersBefore} parameters left, ${run.jobsLeft} jobs left, SSM ${JSON.stringify(run.ssm)}, `
            + `${run.ssmThrottled} SSM throttled, ${run.keptUnread} kept unread`);
        }
        if (variant === 'latestAmi') {
          for (const cell of eventCells) {
            const run = await measureEvents(pool, sms, ssm, cell, creates);
            events.push(run);
            progress(`${cell.events} AMI events, SMS at ${cell.rate}/s: ${run.right} right, ${run.failed} failed, ${run.timedOut} timed out, `
              + `last ${(run.lastEndMs / 1000).toFixed(1)} s, SSM ${JSON.stringify(run.ssm)}, errors ${JSON.stringify(run.errors)}`);
          }
        }
      } finally {
        pool.close();
        await sms.close();
      }
    }
  } finally {
    await ssm.close();
  }
  return { deletes, events };
}

const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perOne = (n: number, of: number) => (n / of).toFixed(2);
const table = (header: string[], rows: string[][]) => [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');

export function renderLatestAmi(deletes: DeleteRun[], events: EventRun[], note = ''): string {
  const cells = [...new Map(deletes.map((r) => [`${r.jobs}/${r.rate}`, { jobs: r.jobs, rate: r.rate }])).values()];
  const deleteRows = cells.map((c) => {
    const ours = deletes.find((r) => r.variant === 'latestAmi' && r.jobs === c.jobs && r.rate === c.rate);
    const base = deletes.find((r) => r.variant === 'baseline' && r.jobs === c.jobs && r.rate === c.rate);
    const bound = c.jobs / c.rate;
    const answered = (r: DeleteRun | undefined) => (r ? `${r.succeeded}/${r.jobs}, ${r.jobsLeft} jobs left` : 'not run');
    const time = (r: DeleteRun | undefined) => (r ? `${s1(r.lastAnswerMs)} (${(r.lastAnswerMs / 1000 / bound).toFixed(2)} x)` : '');
    return [String(c.jobs), String(c.rate), String(bound),
      answered(ours), ours ? `${ours.parametersLeft}/${ours.parametersBefore}${ours.keptUnread ? ` (${ours.keptUnread} kept: writer unread)` : ''}` : '',
      time(ours), ours ? perOne(ours.smsRequests, ours.jobs) : '',
      ours ? `${perOne((ours.ssm.GetParameterHistory ?? 0) + (ours.ssm.DeleteParameter ?? 0), ours.jobs)} (${perOne(ours.ssm.GetParameterHistory ?? 0, ours.jobs)} + ${perOne(ours.ssm.DeleteParameter ?? 0, ours.jobs)}; ${ours.ssmThrottled} throttled)` : '',
      answered(base), time(base), base ? perOne(base.smsRequests, base.jobs) : ''];
  });
  const eventRows = events.map((r) => [String(r.events), String(r.rate), `${r.right}/${r.events}${r.wrong ? ` (${r.wrong} wrong)` : ''}`,
    `${r.failed + r.timedOut}${r.timedOut ? ` (${r.timedOut} past the timeout)` : ''}`, s1(r.lastEndMs), `${(r.lastEndMs / 1000 / (r.events * 2 / r.rate)).toFixed(2)} x`,
    perOne(r.smsRequests, r.events), `${perOne(r.ssm.PutParameter ?? 0, r.events)} (${r.ssmThrottled} throttled)`]);
  const errorLines = events.flatMap((r) => Object.entries(r.errors).map(([e, n]) => `- ${r.events} events at ${r.rate}/s: ${n} x ${e}`));
  const failures = deletes.filter((r) => r.failure).map((r) => `- ${r.variant}, ${r.jobs} Deletes at ${r.rate}/s: ${r.failure}`);
  const rates = Object.entries(SSM_RATES).map(([o, r]) => `${o} ${r}/s`).join(', ');
  return [
    SECTION, '',
    'The provider of a stack whose jobs offer `latestAmi` (LATEST_AMI_STACK_ID set on its function) against the SMS emulator throttling above R '
      + `requests a second (all operations together) and the SSM double throttling each operation on its own: ${rates}. SSM publishes a standard `
      + 'throughput of 40 TPS shared by GetParameter, GetParameters and GetParametersByPath per account and Region, and no per-operation figure for '
      + 'GetParameterHistory, DeleteParameter or PutParameter: the bench gives the history read a quarter of the shared 40 (other readers of the '
      + 'account share it) and each write 3 a second, a low guess. Every event runs in its own process with the provider\'s '
      + `${FUNCTION_TIMEOUT_SECONDS} s timeout; a throttled request is answered ThrottlingException and counted.`,
    ...(note ? ['', note] : []), '',
    '### Deletes', '',
    'N jobs created unthrottled, each with a completed run whose AMI its own AMI event wrote to its parameter (unthrottled), then their N Deletes '
      + 'at once (DELETE_IN_PROGRESS). The baseline, in the same run and on the same template: the same N jobs from a provider without '
      + 'LATEST_AMI_STACK_ID (the jobs offer no latestAmi: no parameter, and a Delete sends DeleteReplicationJob alone). "parameters left" counts the N '
      + 'jobs\' parameters still in SSM after the Deletes, of those written before; each job wrote its own, so none should be left. SSM requests per '
      + 'job: GetParameterHistory + DeleteParameter, throttled ones included.', '',
    table(['N Deletes', 'R: SMS (req/s)', 'N / R (s)', 'latestAmi: answered SUCCESS', 'parameters left', 'last answer (x N / R)', 'SMS req/job',
      'SSM req/job', 'baseline: answered SUCCESS', 'last answer (x N / R)', 'SMS req/job'], deleteRows), '',
    ...(failures.length ? ['First failure Reason of each batch that had one:', '', ...failures, ''] : []),
    '### AMI events', '',
    'N jobs of the stack created unthrottled, each with a completed run and its AMI, then N AMI events ("Server Migration Job State Change" with '
      + '`ami-id`) sent at once, one process per event, as Lambda invokes an EventBridge rule\'s target asynchronously. Each event reads its job '
      + '(GetReplicationJobs), writes the parameter (PutParameter), and reads the job again (whether a Delete ran meanwhile): 2 SMS requests '
      + 'an event at the least, so N events take at least 2 N / R. "right AMI": parameters that hold their job\'s AMI and name the job. "failed": '
      + 'invocations that threw; Lambda retries an asynchronous event that fails twice (within the function\'s maximum event age), then drops it, or '
      + 'sends it to the provider\'s dead-letter queue or on-failure destination if it has one. The bench sends each event once: its retries are not run.', '',
    table(['N events', 'R: SMS (req/s)', 'right AMI', 'failed', 'last end', 'over 2 N / R', 'SMS req/event', 'PutParameter/event'], eventRows), '',
    ...(errorLines.length ? ['What the failed invocations threw:', '', ...errorLines, ''] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const progress = (message: string) => process.stderr.write(`[latest-ami ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-latest-ami-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: path.resolve(__dirname, '..'), encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'lambda', 'lib') !== '';
  try {
    const size = Math.max(...DELETE_CELLS.map((c) => c.jobs), ...EVENT_CELLS.map((c) => c.events));
    const { creates, servers } = deployEvents(size, seedTime(), path.join(workDir, 'cdk.out'));
    progress(`synthesized ${creates.length} jobs`);
    const bench = await HandlerBench.start(workDir);
    let result: { deletes: DeleteRun[]; events: EventRun[] };
    try {
      result = await latestAmiMatrix(bench, creates, servers, progress);
    } finally {
      await bench.close();
    }
    const note = `Measured by \`npm run bench:latest-ami\` (bench/latest-ami.ts) on ${new Date().toISOString().slice(0, 10)}, `
      + `commit ${commit}${dirty ? ' with uncommitted changes in lambda/ or lib/' : ''}, ${os.cpus()[0]?.model.trim()}, ${os.cpus().length} cores, `
      + `1-minute load ${os.loadavg()[0].toFixed(1)} at the end; ${((Date.now() - started) / 60000).toFixed(1)} min. One batch per cell.`;
    const section = renderLatestAmi(result.deletes, result.events, note);
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
