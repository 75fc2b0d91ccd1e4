/**
 * `orphans --stack NAME delete|release`: acts on the orphans `status` reports for the stack (inspect.ts's orphansOf,
 * the same jobs): deletes them (DeleteReplicationJob), or releases them (UpdateReplicationJob with the description
 * without this library's marker), so that another stack can adopt them. Never a job the stack holds, nor one whose
 * marker names another stack. Each job is read again just before its write: one whose marker changed meanwhile (a
 * deployment took it over) is left alone.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DeleteReplicationJobCommand, GetReplicationJobsCommand, SMSClient, UpdateReplicationJobCommand } from '@aws-sdk/client-sms';
import { markerOf, parseMarker, withoutMarker } from '../lambda/ownership';
import { WriteFlags, decide, interrupt, logWrite, withFix } from './confirm';
import { orphansOf, replicationJobsOf } from './inspect';
import { ReadError, listJobs, read, readStack } from './read';
import { ReadFailure, describeFailure } from './report';
import { UsageError } from './replicate';
import { renderGrid } from './table';

export type OrphanAction = 'delete' | 'release';

export interface OrphanOutcome {
  readonly jobId: string;
  readonly serverId: string | null;
  readonly vmName: string | null;
  readonly marker: string;
  readonly logicalId: string;
  readonly why: string;
  readonly call: 'DeleteReplicationJob' | 'UpdateReplicationJob';
  /** The description a release writes (the job's, without the marker); null for a delete. */
  readonly newDescription: string | null;
  /** PLANNED (--dry-run), DONE, GONE (no longer in SMS), CHANGED (its marker changed since it was listed: left alone), FAILED. */
  outcome: 'PLANNED' | 'DONE' | 'GONE' | 'CHANGED' | 'FAILED' | 'NOT_DONE';
  error: ReadFailure | null;
}

export interface OrphansReport {
  readonly formatVersion: 1;
  readonly region: string | null;
  /** 0: every write done (or none to do, or --dry-run); 2: a call failed, a job was not as listed, or Ctrl-C stopped it (or usage). */
  readonly exitCode: 0 | 2;
  readonly stackName: string;
  readonly action: OrphanAction;
  readonly dryRun: boolean;
  readonly jobs: OrphanOutcome[];
  readonly errors: ReadFailure[];
}

export interface OrphansOptions extends WriteFlags {
  readonly stackName: string;
  readonly action: OrphanAction;
  readonly jobIds?: string[];
  readonly json: boolean;
}

export async function orphans(cfn: CloudFormationClient, sms: SMSClient, smsWrites: SMSClient, region: string | null,
  options: OrphansOptions): Promise<OrphansReport | 'refused'> {
  const errors: ReadFailure[] = [];
  const jobs: OrphanOutcome[] = [];
  let dryRun = false;
  let stackName = options.stackName;
  const report = (): OrphansReport => ({
    formatVersion: 1, region, exitCode: errors.length > 0 || jobs.some((j) => !['DONE', 'PLANNED'].includes(j.outcome) &&
      !(j.outcome === 'GONE' && options.action === 'delete')) ? 2 : 0,
    stackName, action: options.action, dryRun, jobs, errors,
  });
  try {
    const stack = await readStack(cfn, options.stackName);
    stackName = stack.stackName;
    if (stack.stackStatus.endsWith('_IN_PROGRESS')) {
      // A resource being created has no physical id yet, and a replacement's old job is still the one a rollback
      // returns to: while the stack changes, a job that looks orphaned may be one it is about to hold again.
      throw new UsageError(`stack ${stack.stackName} is ${stack.stackStatus}: its resources may be about to hold the jobs that look ` +
        'orphaned now (a job made by a Create that has not answered yet, the job a rollback returns to); run orphans again once ' +
        'the stack\'s operation has ended');
    }
    const allJobs = await listJobs(sms);
    const holders = new Map(replicationJobsOf(stack).filter((r) => r.jobId).map((r) => [r.jobId!, r.logicalId]));
    const found = orphansOf(stack, allJobs, new Set(holders.keys()), region);
    for (const id of options.jobIds ?? []) {
      if (holders.has(id)) {
        throw new UsageError(`--job ${id}: the job is held by ${holders.get(id)} of stack ${stack.stackName}, not an orphan; ` +
          'orphans never touches a job its stack holds (remove the ReplicationJob from the stack to delete its job)');
      }
      if (!found.some((o) => o.jobId === id)) {
        const job = allJobs.find((j) => j.replicationJobId === id);
        const marker = markerOf(job?.description);
        throw new UsageError(`--job ${id}: not an orphan of stack ${stack.stackName}: ${!job ? 'SMS holds no such job'
          : marker ? `its marker ${marker} does not name this stack` : 'it carries no marker of this library'}; ` +
          `the stack's orphans: ${found.map((o) => o.jobId).join(', ') || 'none'}`);
      }
    }
    const chosen = options.jobIds ? found.filter((o) => options.jobIds!.includes(o.jobId)) : found;
    const descriptions = new Map(allJobs.map((j) => [j.replicationJobId, j.description]));
    for (const o of chosen) {
      jobs.push({
        jobId: o.jobId, serverId: o.serverId, vmName: o.vmName, marker: o.marker, logicalId: o.logicalId, why: o.why,
        call: options.action === 'delete' ? 'DeleteReplicationJob' : 'UpdateReplicationJob',
        newDescription: options.action === 'release' ? withoutMarker(descriptions.get(o.jobId)) : null,
        outcome: 'NOT_DONE', error: null,
      });
    }
    if (jobs.length === 0) {
      process.stderr.write(`stack ${stack.stackName} has no orphans${options.jobIds ? ' among the jobs named' : ''}: nothing to ${options.action}\n`);
      return report();
    }
    const plan = jobs.map((j) => j.call === 'DeleteReplicationJob'
      ? `DeleteReplicationJob ${j.jobId} (server ${j.serverId ?? '?'}${j.vmName ? ` ${j.vmName}` : ''}, ${j.marker}): ${j.why}`
      : `UpdateReplicationJob ${j.jobId} --description ${JSON.stringify(j.newDescription)} (removes ${j.marker}; server ${j.serverId ?? '?'}` +
        `${j.vmName ? ` ${j.vmName}` : ''})`);
    const decision = await decide(`orphans ${options.action}`, `${options.action} ${jobs.length} job${jobs.length === 1 ? '' : 's'}`, plan,
      options, options.json);
    if (decision === 'refused' || decision === 'declined') return 'refused';
    if (decision === 'dry-run') {
      dryRun = true;
      for (const j of jobs) j.outcome = 'PLANNED';
      return report();
    }
    for (const j of jobs) {
      if (interrupt.signal.aborted) break;
      await act(sms, smsWrites, j);
    }
  } catch (e) {
    if (!(e instanceof ReadError)) throw e;
    errors.push(withFix(e.failure));
  }
  return report();
}

/** Reads the job again, then writes, if it still carries the marker it was listed with. */
async function act(sms: SMSClient, smsWrites: SMSClient, j: OrphanOutcome): Promise<void> {
  try {
    const now = await read('SMS', 'GetReplicationJobs', null, () => sms.send(new GetReplicationJobsCommand({ replicationJobId: j.jobId })), j.jobId)
      .catch((e: unknown) => {
        if (e instanceof ReadError && e.failure.code === 'ReplicationJobNotFoundException') return { replicationJobList: [] };
        throw e;
      });
    const job = now.replicationJobList?.find((x) => x.replicationJobId === j.jobId);
    if (!job || job.state === 'DELETED') {
      j.outcome = 'GONE';
      process.stderr.write(`${j.jobId}: no longer in SMS (deleted since it was listed): nothing to ${j.call === 'DeleteReplicationJob' ? 'delete' : 'release'}\n`);
      return;
    }
    const marker = parseMarker(job.description);
    if (markerOf(job.description) !== j.marker) {
      j.outcome = 'CHANGED';
      j.error = { service: 'SMS', call: 'GetReplicationJobs', stackName: null, jobId: j.jobId, code: 'MarkerChanged',
        message: `its marker is now ${marker ? markerOf(job.description) : 'gone'}, not ${j.marker} as listed (a deployment took it over?): left alone; ` +
          'run status again' };
      process.stderr.write(`${j.jobId}: ${j.error.message}\n`);
      return;
    }
    if (j.call === 'DeleteReplicationJob') {
      await read('SMS', 'DeleteReplicationJob', null, () => smsWrites.send(new DeleteReplicationJobCommand({ replicationJobId: j.jobId })), j.jobId);
      logWrite('DeleteReplicationJob', j.jobId, 'deleted');
    } else {
      await read('SMS', 'UpdateReplicationJob', null, () => smsWrites.send(new UpdateReplicationJobCommand({
        replicationJobId: j.jobId, description: withoutMarker(job.description),
      })), j.jobId);
      logWrite('UpdateReplicationJob', j.jobId, `released: description ${JSON.stringify(withoutMarker(job.description))}, without ${j.marker}`);
    }
    j.outcome = 'DONE';
  } catch (e) {
    if (!(e instanceof ReadError)) throw e;
    if (e.failure.code === 'ReplicationJobNotFoundException') {
      j.outcome = 'GONE';
      return;
    }
    j.outcome = 'FAILED';
    j.error = withFix(e.failure);
    logWrite(j.call, j.jobId, `failed: ${e.failure.code}: ${e.failure.message}`);
  }
}

export function renderOrphans(report: OrphansReport): string {
  const lines = [`Stack ${report.stackName}: ${report.jobs.length} orphan${report.jobs.length === 1 ? '' : 's'} to ${report.action}` +
    `${report.dryRun ? ' (--dry-run)' : ''}`];
  if (report.jobs.length > 0) {
    lines.push(...renderGrid(['JOB', 'SERVER', 'MARKER', 'CALL', 'OUTCOME', 'NOTE'], report.jobs.map((j) => [
      j.jobId, `${j.serverId ?? '-'}${j.vmName ? ` ${j.vmName}` : ''}`, j.marker, j.call, j.outcome, j.error ? describeFailure(j.error) : j.why,
    ]), [undefined, 32]));
  }
  if (report.action === 'release' && report.jobs.some((j) => j.outcome === 'DONE')) {
    lines.push('', 'Released: declare a ReplicationJob for each server with existingJob: ExistingJobPolicy.ADOPT and deploy, to adopt its job.');
  }
  const meaning = report.exitCode === 0 ? (report.dryRun ? 'nothing written' : 'done') : 'a call failed or a job was not as listed';
  lines.push('', `Exit ${report.exitCode}: ${meaning}.`);
  return lines.join('\n') + '\n';
}
