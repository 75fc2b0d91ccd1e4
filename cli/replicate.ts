/**
 * `replicate`: an on-demand replication run (StartOnDemandReplicationRun) for each ReplicationJob of a stack, or the
 * ones named, then with --wait each run followed (GetReplicationRuns: state, stage and progress) until it ends. A job
 * already running a run is not started again: its run is followed. ReplicationRunLimitExceededException is reported
 * with when the job may run again (from its own on-demand runs of the last 24 hours), never retried.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ReplicationJob, ReplicationRun, SMSClient, StartOnDemandReplicationRunCommand, paginateGetReplicationRuns } from '@aws-sdk/client-sms';
import { WriteFlags, decide, interrupt, logWrite, sleep, withFix } from './confirm';
import { replicationJobsOf } from './inspect';
import { ReadError, read, readStack } from './read';
import { ReadFailure, describeFailure } from './report';
import { renderGrid } from './table';

/** Jobs read or started at once. */
const CONCURRENCY = 8;
const DAY_MS = 86_400_000;

export type Outcome =
  /** --dry-run: would be started. */
  | 'PLANNED'
  /** Without --wait: started. */
  | 'STARTED'
  /** Without --wait (or --dry-run): a run was already under way, and was not started again. */
  | 'ALREADY_RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  /** Still under way when --timeout ran out, or at Ctrl-C. */
  | 'RUNNING'
  | 'LIMIT_EXCEEDED'
  /** Not started: no job, the job gone, or SMS refused (the error says). */
  | 'NOT_STARTED'
  /** Started (or already running), but its runs could no longer be read. */
  | 'UNREAD';

export interface JobRun {
  readonly logicalId: string;
  readonly jobId: string | null;
  readonly serverId: string | null;
  readonly vmName: string | null;
  /** Whether a run of the job was already under way (ACTIVE, or an on-demand run PENDING): then not started again. */
  alreadyRunning: boolean;
  runId: string | null;
  /** The run's ReplicationRunState, as last read. */
  state: string | null;
  /** GetReplicationRuns' stageDetails, as last read. */
  stage: string | null;
  stageProgress: string | null;
  amiId: string | null;
  statusMessage: string | null;
  completedAt: string | null;
  outcome: Outcome;
  /** ReplicationRunLimitExceededException: SMS's message, and when the oldest of the job's on-demand runs of the last 24 hours leaves them. */
  limit: { readonly message: string; readonly notBefore: string | null } | null;
  error: ReadFailure | null;
}

export interface ReplicateReport {
  readonly formatVersion: 1;
  readonly region: string | null;
  /**
   * 0: every run completed with an AMI (without --wait: every run started or already under way); 1: a run failed;
   * 2: a run could not be started or read, or the stack could not be read (or usage); 3: --timeout ran out.
   */
  readonly exitCode: 0 | 1 | 2 | 3;
  readonly stackName: string;
  readonly wait: boolean;
  readonly dryRun: boolean;
  /** Whether Ctrl-C ended the command (exit 130): runs started go on in SMS. */
  readonly interrupted: boolean;
  readonly jobs: JobRun[];
  readonly errors: ReadFailure[];
}

export interface ReplicateOptions extends WriteFlags {
  readonly stackName: string;
  /** Logical ids to replicate; undefined: every ReplicationJob of the stack. */
  readonly logicalIds?: string[];
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly json: boolean;
}

/** A usage error found once the stack is read (--job naming no ReplicationJob of it). */
export class UsageError extends Error {}

export async function replicate(cfn: CloudFormationClient, sms: SMSClient, smsWrites: SMSClient, region: string | null,
  options: ReplicateOptions): Promise<ReplicateReport | 'refused'> {
  const errors: ReadFailure[] = [];
  const jobs: JobRun[] = [];
  let dryRun = false;
  const report = (): ReplicateReport => ({
    formatVersion: 1, region, exitCode: exitCodeOf(jobs, errors), stackName: options.stackName, wait: options.wait, dryRun,
    interrupted: interrupt.signal.aborted, jobs, errors,
  });
  let stack;
  try {
    stack = await readStack(cfn, options.stackName);
  } catch (e) {
    if (!(e instanceof ReadError)) throw e;
    errors.push(withFix(e.failure));
    return report();
  }
  const all = replicationJobsOf(stack);
  if (options.logicalIds) {
    const unknown = options.logicalIds.filter((id) => !all.some((r) => r.logicalId === id));
    if (unknown.length > 0) {
      throw new UsageError(`--job ${unknown.join(', ')}: no ReplicationJob of stack ${stack.stackName} has that logical id; ` +
        `its ReplicationJobs: ${all.map((r) => r.logicalId).join(', ') || 'none'}`);
    }
  }
  const chosen = options.logicalIds ? all.filter((r) => options.logicalIds!.includes(r.logicalId)) : all;
  if (chosen.length === 0) {
    errors.push({ service: 'CloudFormation', call: 'ListStackResources', stackName: stack.stackName, jobId: null, code: 'NoReplicationJobs',
      message: `stack ${stack.stackName} holds no Custom::SmsReplicationJob: nothing to replicate (check --stack)` });
    return report();
  }
  // What SMS holds for each: the job and its runs (GetReplicationRuns answers both).
  const known = new Map<JobRun, ReplicationRun[]>();
  for (const r of chosen) {
    jobs.push({
      logicalId: r.logicalId, jobId: r.jobId ?? null, serverId: null, vmName: null, alreadyRunning: false, runId: null, state: null,
      stage: null, stageProgress: null, amiId: null, statusMessage: null, completedAt: null, outcome: 'NOT_STARTED', limit: null,
      error: r.jobId ? null : {
        service: 'CloudFormation', call: 'ListStackResources', stackName: stack.stackName, jobId: null, code: 'NoJob',
        message: `${r.logicalId} names no replication job (physical id ${r.physicalId ?? 'none'}, ${r.resourceStatus}): deploy the stack first`,
      },
    });
  }
  await eachOf(jobs.filter((j) => j.jobId), async (job) => {
    try {
      const { replicationJob, runs } = await readJob(sms, job.jobId!);
      Object.assign(job, { serverId: replicationJob?.serverId ?? null, vmName: replicationJob?.vmServer?.vmName ?? null });
      known.set(job, runs);
      const under = runs.find((r) => r.state === 'ACTIVE' || (r.state === 'PENDING' && r.type === 'ON_DEMAND'));
      if (under) {
        job.alreadyRunning = true;
        see(job, under);
      } else if (replicationJob?.state === 'DELETED' || replicationJob?.state === 'DELETING') {
        job.error = { service: 'SMS', call: 'GetReplicationRuns', stackName: null, jobId: job.jobId, code: 'JobDeleted',
          message: `the job is ${replicationJob.state}: SMS starts no run on it (status shows the stack's jobs)` };
      }
    } catch (e) {
      if (!(e instanceof ReadError)) throw e;
      job.error = e.failure.code === 'ReplicationJobNotFoundException'
        ? { ...e.failure, message: `${e.failure.message}: the job was deleted outside CloudFormation (status reports it DELETED)` } : withFix(e.failure);
    }
  });
  const toStart = jobs.filter((j) => j.jobId && !j.error && !j.alreadyRunning);
  const plan = [
    ...toStart.map((j) => `StartOnDemandReplicationRun ${j.jobId} (${j.logicalId}, server ${j.serverId ?? '?'}${j.vmName ? ` ${j.vmName}` : ''})`),
    ...jobs.filter((j) => j.alreadyRunning).map((j) => `not start ${j.jobId} (${j.logicalId}): its run ${j.runId} is already ${j.state}` +
      `${options.wait ? '; follow it' : ''}`),
    ...jobs.filter((j) => j.error).map((j) => `not start ${j.jobId ?? '-'} (${j.logicalId}): ${j.error!.message}`),
  ];
  if (options.wait && toStart.length + jobs.filter((j) => j.alreadyRunning).length > 0) {
    plan.push(`then follow each run until it ends (at most ${options.timeoutMs / 1000} s)`);
  }
  if (toStart.length > 0) {
    const decision = await decide('replicate', `start ${toStart.length} on-demand replication run${toStart.length === 1 ? '' : 's'}`,
      plan, options, options.json);
    if (decision === 'refused' || decision === 'declined') return 'refused';
    if (decision === 'dry-run') {
      dryRun = true;
      for (const j of toStart) j.outcome = 'PLANNED';
      for (const j of jobs.filter((x) => x.alreadyRunning)) j.outcome = 'ALREADY_RUNNING';
      return report();
    }
  } else {
    process.stderr.write(`replicate starts no run:\n${plan.map((l) => `  ${l}`).join('\n')}\n`);
    if (options.dryRun) {
      dryRun = true;
      for (const j of jobs.filter((x) => x.alreadyRunning)) j.outcome = 'ALREADY_RUNNING';
      return report();
    }
  }
  await eachOf(toStart, async (job) => {
    if (interrupt.signal.aborted) {
      job.error = { service: 'SMS', call: 'StartOnDemandReplicationRun', stackName: null, jobId: job.jobId, code: 'Interrupted',
        message: 'not started: Ctrl-C came first' };
      return;
    }
    try {
      const started = await read('SMS', 'StartOnDemandReplicationRun', null, () => smsWrites.send(new StartOnDemandReplicationRunCommand({
        replicationJobId: job.jobId!, description: `cdk-sms-replication-job replicate, stack ${stack.stackName}`,
      })), job.jobId);
      Object.assign(job, { runId: started.replicationRunId ?? null, state: 'PENDING', outcome: 'STARTED' });
      logWrite('StartOnDemandReplicationRun', job.jobId, `started ${job.runId}`);
    } catch (e) {
      if (!(e instanceof ReadError)) throw e;
      if (e.failure.code === 'ReplicationRunLimitExceededException') {
        job.outcome = 'LIMIT_EXCEEDED';
        job.limit = { message: e.failure.message, notBefore: notBefore(known.get(job) ?? []) };
        logWrite('StartOnDemandReplicationRun', job.jobId, `refused: ReplicationRunLimitExceededException; not retried${job.limit.notBefore
          ? `; the job's oldest on-demand run of the last 24 hours leaves the count at ${job.limit.notBefore}` : ''}`);
      } else {
        job.error = unknownFate(withFix(e.failure));
        logWrite('StartOnDemandReplicationRun', job.jobId, `failed: ${e.failure.code}: ${job.error.message}`);
      }
    }
  });
  for (const j of jobs.filter((x) => x.alreadyRunning)) j.outcome = 'ALREADY_RUNNING';
  if (!options.wait || interrupt.signal.aborted) return report();
  await follow(sms, jobs.filter((j) => j.runId && (j.outcome === 'STARTED' || j.outcome === 'ALREADY_RUNNING')), options);
  return report();
}

/** Reads each followed run every interval until each has ended (COMPLETED or FAILED), --timeout, or Ctrl-C. */
async function follow(sms: SMSClient, followed: JobRun[], options: ReplicateOptions): Promise<void> {
  for (const j of followed) j.outcome = 'RUNNING';
  const view = liveView(followed);
  const started = Date.now();
  let open = followed.filter((j) => !ended(j));
  while (open.length > 0 && !interrupt.signal.aborted) {
    await eachOf(open, async (job) => {
      try {
        const { runs } = await readJob(sms, job.jobId!, job.runId!);
        const run = runs.find((r) => r.replicationRunId === job.runId);
        if (!run) {
          throw new ReadError({ service: 'SMS', call: 'GetReplicationRuns', stackName: null, jobId: job.jobId, code: 'RunNotFound',
            message: `SMS lists no run ${job.runId} of the job any more (deleted?)` });
        }
        see(job, run);
      } catch (e) {
        if (!(e instanceof ReadError)) throw e;
        job.outcome = 'UNREAD';
        job.error = e.failure.code === 'ReplicationJobNotFoundException'
          ? { ...e.failure, message: `${e.failure.message}: the job was deleted while its run was followed` } : withFix(e.failure);
      }
    });
    view();
    open = followed.filter((j) => !ended(j));
    const waited = Date.now() - started;
    if (open.length === 0) break;
    if (waited >= options.timeoutMs) {
      process.stderr.write(`--timeout: ${open.length} run${open.length === 1 ? '' : 's'} still under way after ${Math.round(waited / 1000)} s; ` +
        'they go on in SMS: follow them with replicate --wait again (it starts no run on a job already running one)\n');
      return;
    }
    await sleep(Math.min(options.intervalMs, options.timeoutMs - waited));
  }
}

function ended(job: JobRun): boolean {
  return job.outcome !== 'RUNNING';
}

/** What a read of the run says. */
function see(job: JobRun, run: ReplicationRun): void {
  job.runId = run.replicationRunId ?? job.runId;
  job.state = run.state ?? null;
  job.stage = run.stageDetails?.stage ?? null;
  job.stageProgress = run.stageDetails?.stageProgress ?? null;
  job.amiId = run.amiId ?? null;
  job.statusMessage = run.statusMessage ?? null;
  job.completedAt = run.completedTime?.toISOString() ?? null;
  if (job.outcome === 'RUNNING' && (run.state === 'COMPLETED' || run.state === 'FAILED')) job.outcome = run.state;
  // A run SMS dropped (MISSED, DELETING, DELETED) ends without an AMI.
  if (job.outcome === 'RUNNING' && ['MISSED', 'DELETING', 'DELETED'].includes(run.state ?? '')) job.outcome = 'FAILED';
}

/**
 * The progress of the followed runs on stderr: on a terminal tall enough, a block of one line per run rewritten in
 * place; otherwise a line each time a run's state or stage changes.
 */
function liveView(followed: JobRun[]): () => void {
  const tty = process.stderr.isTTY === true && followed.length < (process.stderr.rows ?? 24) - 2;
  const last = new Map<JobRun, string>();
  let drawn = 0;
  const line = (j: JobRun) => `${j.logicalId}  ${j.jobId}  ${j.runId}  ${j.state ?? '-'}${j.stage ? `  ${j.stage}` : ''}` +
    `${j.stageProgress ? ` ${j.stageProgress}` : ''}${j.amiId ? `  ${j.amiId}` : ''}${j.outcome === 'UNREAD' ? '  (not read)' : ''}`;
  return () => {
    if (tty) {
      process.stderr.write(`${drawn > 0 ? `\x1b[${drawn}A` : ''}${followed.map((j) => `\x1b[2K${line(j)}\n`).join('')}`);
      drawn = followed.length;
      return;
    }
    for (const j of followed) {
      const key = `${j.state} ${j.stage} ${j.outcome}`;
      if (last.get(j) !== key) process.stderr.write(`${line(j)}\n`);
      last.set(j, key);
    }
  };
}

/** GetReplicationRuns of one job: the job, and its runs (every page, or until the run `until` is found). */
async function readJob(sms: SMSClient, jobId: string, until?: string): Promise<{ replicationJob?: ReplicationJob; runs: ReplicationRun[] }> {
  return read('SMS', 'GetReplicationRuns', null, async () => {
    let replicationJob: ReplicationJob | undefined;
    const runs: ReplicationRun[] = [];
    for await (const page of paginateGetReplicationRuns({ client: sms, pageSize: 100 }, { replicationJobId: jobId })) {
      replicationJob ??= page.replicationJob;
      runs.push(...(page.replicationRunList ?? []));
      if (until && runs.some((r) => r.replicationRunId === until)) break;
    }
    return { replicationJob, runs };
  }, jobId);
}

/**
 * When the job's on-demand runs of the last 24 hours leave one fewer in SMS's count: 24 hours after the oldest one
 * started. SMS's error says no time, so this is the earliest it can be; null when no such run is known.
 */
function notBefore(runs: ReplicationRun[]): string | null {
  const starts = runs.filter((r) => r.type === 'ON_DEMAND' && r.scheduledStartTime && r.scheduledStartTime.getTime() > Date.now() - DAY_MS)
    .map((r) => r.scheduledStartTime!.getTime());
  return starts.length > 0 ? new Date(Math.min(...starts) + DAY_MS).toISOString() : null;
}

/** A start that failed without SMS refusing it for sure (a 5xx, a lost answer): it may have started a run. */
function unknownFate(failure: ReadFailure): ReadFailure {
  const maybe = /^(InternalError|ServiceUnavailable|TemporarilyUnavailableException|TimeoutError|ECONNRESET|RequestTimeout)/.test(failure.code) ||
    /^5/.test(failure.code);
  return maybe ? { ...failure, message: `${failure.message}; SMS may have started a run all the same: check with status before running replicate again` } : failure;
}

async function eachOf<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

export function exitCodeOf(jobs: JobRun[], errors: ReadFailure[]): 0 | 1 | 2 | 3 {
  if (errors.length > 0 || jobs.some((j) => ['LIMIT_EXCEEDED', 'NOT_STARTED', 'UNREAD'].includes(j.outcome))) return 2;
  if (jobs.some((j) => j.outcome === 'FAILED' || (j.outcome === 'COMPLETED' && !j.amiId))) return 1;
  return jobs.some((j) => j.outcome === 'RUNNING') ? 3 : 0;
}

/** The report for people. */
export function renderReplicate(report: ReplicateReport): string {
  const lines = [`Stack ${report.stackName}: ${report.jobs.length} replication job${report.jobs.length === 1 ? '' : 's'}${report.dryRun ? ' (--dry-run)' : ''}`];
  if (report.jobs.length > 0) {
    lines.push(...renderGrid(['RESOURCE', 'JOB', 'RUN', 'OUTCOME', 'STATE', 'AMI', 'NOTE'], report.jobs.map((j) => [
      j.logicalId, j.jobId ?? '-', j.runId ?? '-', j.outcome, `${j.state ?? '-'}${j.stage ? ` ${j.stage}` : ''}${j.stageProgress ? ` ${j.stageProgress}` : ''}`,
      j.amiId ?? '-', note(j),
    ]), [32, undefined, undefined, undefined, 40]));
  }
  const counts = new Map<string, number>();
  for (const j of report.jobs) counts.set(j.outcome, (counts.get(j.outcome) ?? 0) + 1);
  const meaning = {
    0: report.wait ? 'every run completed with an AMI' : 'every run started or under way',
    1: 'a run failed', 2: 'a run could not be started or read', 3: '--timeout ran out with runs under way',
  }[report.exitCode];
  lines.push('', `${[...counts].map(([o, n]) => `${n} ${o}`).join(', ') || 'no job'}. Exit ${report.exitCode}: ${meaning}.`);
  return lines.join('\n') + '\n';
}

function note(j: JobRun): string {
  if (j.limit) {
    return `on-demand run limit of 24 hours reached (SMS: ${j.limit.message}); ${j.limit.notBefore ? `not before ${j.limit.notBefore}` : 'SMS does not say when'}`;
  }
  if (j.error) return describeFailure(j.error);
  if (j.alreadyRunning) return 'was already running: not started again; its AMI may predate what changed since it started: replicate again once it ends';
  if (j.outcome === 'FAILED') return j.statusMessage ?? 'the run failed';
  if (j.outcome === 'COMPLETED' && !j.amiId) return 'completed without an AMI';
  return j.statusMessage ?? '';
}
