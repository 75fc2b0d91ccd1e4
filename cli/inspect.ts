/**
 * From what was read to what is reported: each ReplicationJob of a stack with its job, runs and drift, and the
 * orphans, jobs that carry one of the stack's ownership markers (lambda/ownership.ts) while the stack holds them not.
 */
import type { ReplicationJob, ReplicationRun } from '@aws-sdk/client-sms';
import { ownerOf, parseMarker, markerText } from '../lambda/ownership';
import { parsePhysicalId } from '../lambda/physical-id';
import { driftOf } from './drift';
import { RESOURCE_TYPE, StackRead } from './read';
import { JobReport, OrphanReport, RunReport } from './report';
import { ResolveContext } from './resolve';

const FAILED_JOB_STATES = ['FAILED', 'FAILING', 'PAUSED_ON_FAILURE'];

/** The ReplicationJobs of a stack, in the template's order, with the physical ids of their jobs. */
export function replicationJobsOf(stack: StackRead): Array<{ logicalId: string; physicalId?: string; resourceStatus: string; jobId?: string }> {
  return stack.resources
    .filter((r) => r.ResourceType === RESOURCE_TYPE && r.LogicalResourceId)
    .map((r) => {
      const parsed = r.PhysicalResourceId ? parsePhysicalId(r.PhysicalResourceId) : undefined;
      return {
        logicalId: r.LogicalResourceId!,
        physicalId: r.PhysicalResourceId,
        resourceStatus: r.ResourceStatus ?? 'UNKNOWN',
        jobId: parsed?.kind === 'job' ? parsed.jobId : undefined,
      };
    });
}

/** The report of each ReplicationJob of the stack. */
export function jobReports(stack: StackRead, jobs: Map<string, ReplicationJob>, runs: Map<string, ReplicationRun[]>): JobReport[] {
  const ctx: ResolveContext = {
    stackId: stack.stackId,
    stackName: stack.stackName,
    parameters: stack.parameters,
    resources: new Map(stack.resources.map((r) => [r.LogicalResourceId!, { physicalId: r.PhysicalResourceId, type: r.ResourceType }])),
  };
  return replicationJobsOf(stack).map((resource) => {
    const definition = stack.template.Resources?.[resource.logicalId];
    const job = resource.jobId ? jobs.get(resource.jobId) : undefined;
    const { lastRun, nextRun } = runsOf(runs.get(resource.jobId ?? '') ?? []);
    const path = definition?.Metadata?.['aws:cdk:path'];
    return {
      logicalId: resource.logicalId,
      constructPath: typeof path === 'string' ? path : null,
      resourceStatus: resource.resourceStatus,
      physicalResourceId: resource.physicalId ?? null,
      jobId: resource.jobId ?? null,
      server: { id: job?.serverId ?? serverOfTemplate(definition?.Properties), vmName: job?.vmServer?.vmName ?? null },
      state: job?.state ?? null,
      statusMessage: job?.statusMessage ?? null,
      lastRun,
      nextRun,
      nextRunAt: iso(job?.nextReplicationRunStartTime),
      latestAmiId: job?.latestAmiId ?? null,
      healthy: !FAILED_JOB_STATES.includes(job?.state ?? '') && lastRun?.state !== 'FAILED',
      drift: driftOf(resource.logicalId, definition?.Properties ?? {}, ctx, resource.jobId, job),
    };
  });
}

/**
 * Jobs whose marker names one of these stacks (by name: an earlier stack of the same name counts, its jobs are in the
 * way of this one's) and that no resource of the stacks holds. A deleted stack (named by its ARN) has only its own:
 * the jobs of a live stack of its name are that stack's, not its orphans.
 */
export function orphansOf(stack: StackRead, allJobs: ReplicationJob[], held: Set<string>, region: string | null): OrphanReport[] {
  const out: OrphanReport[] = [];
  for (const job of allJobs) {
    const marker = parseMarker(job.description);
    const jobId = job.replicationJobId;
    if (!marker || !jobId || held.has(jobId) || job.state === 'DELETED' || !marker.owner.startsWith(`${stack.stackName}/`)) continue;
    const logicalId = marker.owner.split('/')[1];
    const deleted = stack.stackStatus === 'DELETE_COMPLETE';
    if (deleted && marker.owner !== ownerOf(stack.stackId, logicalId)) continue;
    const regionFlag = region ? ` --region ${region}` : '';
    // This package's own commands (cli/orphans.ts): the AWS CLI has had no SMS commands since botocore 1.40.31. A
    // deleted stack is named by its ARN, which DescribeStacks still answers.
    const command = (action: 'delete' | 'release') => `npx cdk-sms-replication-job orphans --stack ${stack.stackStatus === 'DELETE_COMPLETE'
      ? stack.stackId : stack.stackName} ${action} --job ${jobId}${regionFlag}`;
    const release = command('release');
    const holder = replicationJobsOf(stack).find((r) => r.logicalId === logicalId);
    let why: string;
    let adopt: string;
    if (deleted) {
      why = `marked by ${logicalId} of this stack, which is deleted (the job was kept by RETAIN, or its Delete could not reach SMS)`;
      adopt = `remove the marker (${release}), then declare a ReplicationJob for server` +
        ` ${job.serverId} with existingJob: ExistingJobPolicy.ADOPT and deploy`;
    } else if (marker.owner !== ownerOf(stack.stackId, logicalId)) {
      why = `marked by an earlier stack named ${stack.stackName} (deleted, or its Create rolled back), not by this one`;
      adopt = `remove the marker (${release}), then declare a ReplicationJob for server` +
        ` ${job.serverId} with existingJob: ExistingJobPolicy.ADOPT and deploy`;
    } else if (holder) {
      why = `marked by ${logicalId}, which now holds ${holder.jobId ?? holder.physicalId ?? 'no job'} instead`;
      adopt = `${logicalId} holds another job: remove the marker (${release}) and adopt it from another ReplicationJob with existingJob ADOPT`;
    } else {
      why = `marked by ${logicalId}, which the stack no longer holds (removed with RETAIN, or a Create that failed and kept it)`;
      adopt = `add the ReplicationJob back so that its logical id is ${logicalId} again (server ${job.serverId}) and deploy:` +
        ' it takes over its own job';
    }
    out.push({
      jobId,
      serverId: job.serverId ?? null,
      vmName: job.vmServer?.vmName ?? null,
      state: job.state ?? null,
      marker: markerText(marker),
      logicalId,
      why,
      deleteCommand: command('delete'),
      adopt,
    });
  }
  return out;
}

/**
 * The states of a run that has ended (the SMS model's ReplicationRunState: PENDING, MISSED, ACTIVE, FAILED, COMPLETED,
 * DELETING, DELETED): its outcome is known. A job's health is judged on the latest of these.
 */
const ENDED = ['COMPLETED', 'FAILED'];
/** The states of a run still to come (PENDING) or under way (ACTIVE). */
const TO_COME = ['ACTIVE', 'PENDING'];

/**
 * The run that ended last (COMPLETED or FAILED, by completedTime), whatever is scheduled after it: a job's next run is
 * almost always scheduled, and must not hide a failed one. And the run under way, or else the next one scheduled.
 * MISSED, DELETING and DELETED runs are neither.
 */
export function runsOf(runs: ReplicationRun[]): { lastRun: RunReport | null; nextRun: RunReport | null } {
  const time = (d: Date | undefined) => d?.getTime() ?? 0;
  const ended = runs.filter((r) => ENDED.includes(r.state ?? ''))
    .sort((a, b) => time(b.completedTime ?? b.scheduledStartTime) - time(a.completedTime ?? a.scheduledStartTime))[0];
  const next = runs.filter((r) => TO_COME.includes(r.state ?? ''))
    .sort((a, b) => TO_COME.indexOf(a.state!) - TO_COME.indexOf(b.state!) || time(a.scheduledStartTime) - time(b.scheduledStartTime))[0];
  return {
    lastRun: ended ? runReport(ended, ended.completedTime ?? ended.scheduledStartTime) : null,
    nextRun: next ? runReport(next, next.scheduledStartTime) : null,
  };
}

function runReport(run: ReplicationRun, at: Date | undefined): RunReport {
  return {
    id: run.replicationRunId ?? null,
    state: run.state ?? null,
    type: run.type ?? null,
    at: iso(at),
    amiId: run.amiId ?? null,
    statusMessage: run.statusMessage ?? null,
  };
}

/** The template's ServerId, for a resource whose job SMS does not hold; null when it is not a plain value. */
function serverOfTemplate(properties: Record<string, unknown> | undefined): string | null {
  const value = properties?.ServerId;
  return typeof value === 'string' ? value : null;
}

function iso(date: Date | undefined): string | null {
  return date ? date.toISOString() : null;
}
