/**
 * Bringing an existing job to the template's properties with UpdateReplicationJob: for an in-place Update, and for a
 * job this resource adopts. Only what differs between the template and the job is sent, and nothing when nothing
 * does: every UpdateReplicationJob is one SMS may refuse in the job's state (a run in progress).
 */
import { ReplicationJob, UpdateReplicationJobCommand, UpdateReplicationJobCommandInput } from '@aws-sdk/client-sms';
import { RefusedError } from './errors';
import type { Invocation } from './invocation';
import { Marker, describedWithMarker, parseMarker } from './ownership';
import { jobPhysicalId } from './physical-id';
import { JobProperties } from './properties';
import { nextRunStart } from './seed';

/**
 * SMS's documented default for numberOfRecentAmisToKeep ("By default, the value is set to zero, meaning that all AMIs
 * are kept", the ReplicationJob shape of the SMS model): what a template without the property asks for.
 */
export const KEEP_EVERY_AMI = 0;

/**
 * Takes over a job this resource made already (a second delivery, a lost answer, a job kept by RETAIN and added back,
 * a rollback back to the old server), bringing it to the template's properties. A job that already matches is left
 * alone, so that a second delivery costs no update SMS might refuse in the job's state. With `retoken`, the job is
 * marked with the adopting event's token (an update of its description if the token differs): a cleanup Delete of an
 * earlier failed Create's id then no longer takes it for that Create's job. Answers the job's physical id, `/adopted`
 * when its marker says it was adopted from outside CloudFormation.
 */
export async function adopt(job: ReplicationJob, props: JobProperties, event: Marker, invocation: Invocation,
  options: { retoken: boolean }): Promise<string> {
  const jobId = job.replicationJobId!;
  refuseRunOnceChange(job, props, 'adopt');
  const kept = parseMarker(job.description);
  const marker = options.retoken || !kept ? { ...event, adopted: kept?.adopted ?? false } : kept;
  const input = changesFor(job, props, marker, nextRunStart(props.seedReplicationTime, job.seedReplicationTime));
  console.log(JSON.stringify({ message: 'adopting the job this resource made already', replicationJobId: jobId, changes: input }));
  if (input) {
    await sendUpdate(input, invocation);
  }
  return jobPhysicalId(jobId, marker.adopted);
}

/**
 * Refuses a runOnce that differs from the job's: SMS cannot change it. Nothing is sent, so the job stays as it was,
 * and the rollback that follows (back to the job's own value) finds nothing to change.
 */
export function refuseRunOnceChange(job: ReplicationJob, props: JobProperties, how: 'update' | 'adopt'): void {
  const has = job.runOnce ?? false;
  if (has === (props.runOnce ?? false)) {
    return;
  }
  throw new RefusedError('RunOnceChangeNotSupported', how === 'update'
    ? `runOnce of replication job ${job.replicationJobId} is ${has} and SMS cannot change it in place; the job was left as it was. ` +
      'Remove the ReplicationJob from the stack (with the default removalPolicy, which deletes the job) and deploy, then add it back with the new runOnce.'
    : `Server ${job.serverId} already has replication job ${job.replicationJobId}, made by this resource before (kept by RETAIN), ` +
      `with runOnce ${has}; SMS cannot change runOnce, so this resource will not adopt it and left it as it was. ` +
      `Set runOnce to ${has} to adopt the job, or delete it in the SMS console first.`);
}

/**
 * The UpdateReplicationJob that brings `job` to the template's properties, with only the fields that differ, or
 * undefined when the job matches already. `marker` is the one the description must end with; `nextRun`, when the next
 * run should move to (seed.ts's nextRunStart: a changed seed time still ahead), if at all. A property absent from
 * the template asks for SMS's default where SMS has one (encrypted false, every AMI kept); SMS cannot unset the others
 * (frequency, licenseType, roleName, kmsKeyId), and the job keeps them.
 */
export function changesFor(job: ReplicationJob, props: JobProperties, marker: Marker, nextRun: Date | undefined): UpdateReplicationJobCommandInput | undefined {
  const description = describedWithMarker(props.description, marker);
  const amis = props.numberOfRecentAmisToKeep ?? KEEP_EVERY_AMI;
  const encrypted = props.encrypted ?? false;
  const changes: UpdateReplicationJobCommandInput = {
    replicationJobId: job.replicationJobId,
    frequency: differs(props.frequency, job.frequency),
    licenseType: differs(props.licenseType, job.licenseType),
    roleName: differs(props.roleName, job.roleName),
    description: description !== job.description ? description : undefined,
    numberOfRecentAmisToKeep: amis !== (job.numberOfRecentAmisToKeep ?? KEEP_EVERY_AMI) ? amis : undefined,
    encrypted: encrypted !== (job.encrypted ?? false) ? encrypted : undefined,
    kmsKeyId: differs(props.kmsKeyId, job.kmsKeyId),
    nextReplicationRunStartTime: nextRun && job.nextReplicationRunStartTime?.getTime() !== nextRun.getTime() ? nextRun : undefined,
  };
  const changed = Object.entries(changes).some(([key, value]) => key !== 'replicationJobId' && value !== undefined);
  return changed ? changes : undefined;
}

/** The marker an in-place update keeps: the job's own (its token and adopted flag), or, on a job without one, `event`. */
export function markerToKeep(job: ReplicationJob, event: Marker): Marker {
  return parseMarker(job.description) ?? event;
}

/** UpdateReplicationJob, with the client's retries, until the budget's work deadline. */
export async function sendUpdate(input: UpdateReplicationJobCommandInput, invocation: Invocation): Promise<void> {
  await invocation.call('UpdateReplicationJob', (send) => send(new UpdateReplicationJobCommand(input)), invocation.budget.work);
}

/** The template's value when it names one that differs from the job's; undefined (not sent) otherwise. */
function differs<T>(wanted: T | undefined, has: T | undefined): T | undefined {
  return wanted !== undefined && wanted !== has ? wanted : undefined;
}
