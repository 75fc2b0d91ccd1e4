/**
 * Update: changes the job in place, or replaces it when the server changes.
 */
import { GetReplicationJobsCommand, ReplicationJob } from '@aws-sdk/client-sms';
import type { CloudFormationCustomResourceUpdateEvent } from 'aws-lambda';
import { Budget } from './budget';
import { createOrAdopt } from './create';
import { deleteJob } from './delete';
import { adopt, sendUpdate, updateInput } from './job-update';
import { isOwnedBy } from './ownership';
import { isJobId } from './physical-id';
import { InvalidPropertyError, JobProperties, decodeProperties, serverIdOf } from './properties';
import { RefusedError, allJobs, call, describeError, liveJobOf, sms } from './sms';

/** Brings the job to the new properties: in place, or by a replacement when the server (or a failed Create's id) changes. */
export async function onUpdate(event: CloudFormationCustomResourceUpdateEvent, marker: string, budget: Budget): Promise<string> {
  const props = decodeProperties(event.ResourceProperties);
  const old = decodeOldProperties(event.OldResourceProperties);
  const jobId = event.PhysicalResourceId;

  if (props.serverId !== old.serverId || !isJobId(jobId)) {
    // A job belongs to one server: replace it. Returning a different PhysicalResourceId makes CloudFormation send
    // Delete for the old job once the whole stack update has succeeded, and skip it if the update rolls back.
    // Look before creating: during a rollback the server's job is this resource's own old job, to keep and bring
    // back to the old properties; a Create would carry a seed time long past.
    // One listing serves both servers: the new one's job, and a stray job on the old one.
    const jobs = await allJobs(budget.work);
    const own = liveJobOf(jobs, props.serverId);
    const replacement = own && isOwnedBy(own.description, marker)
      ? await adopt(own, props, marker, budget)
      : await createOrAdopt(props, marker, budget);
    if (old.serverId !== undefined && old.serverId !== props.serverId) {
      await deleteStrayJob(liveJobOf(jobs, old.serverId), [jobId, replacement], marker, budget);
    }
    return replacement;
  }

  if ((props.runOnce ?? false) !== (old.runOnce ?? false)) {
    // SMS cannot change runOnce. Compare with the job itself, not OldResourceProperties, so that the rollback of a
    // refused update (old and new properties swapped) finds nothing to change and succeeds.
    const current = await call('GetReplicationJobs', (abortSignal) =>
      sms.send(new GetReplicationJobsCommand({ replicationJobId: jobId }), { abortSignal }), budget.work);
    const job = current.replicationJobList?.find((j) => j.replicationJobId === jobId);
    if ((job?.runOnce ?? false) !== (props.runOnce ?? false)) {
      throw new RefusedError('RunOnceChangeNotSupported',
        `runOnce of replication job ${jobId} is ${job?.runOnce ?? false} and SMS cannot change it in place. ` +
        'Remove the ReplicationJob from the stack and deploy, then add it back with the new runOnce.');
    }
  }

  await sendUpdate(updateInput(jobId, props, marker, old), budget);
  return jobId;
}

/**
 * Deletes a job this resource made on the server it moves away from, if CloudFormation never learned its id: a
 * replacement whose CreateReplicationJob answer was lost and that then failed leaves one, and its rollback (this
 * Update, old and new swapped) is the last event that can see it. A job CloudFormation knows (the physical id, during
 * a forward replacement) is left to CloudFormation's cleanup Delete. Best effort: the rollback itself must not fail.
 */
async function deleteStrayJob(job: ReplicationJob | undefined, knownIds: string[], marker: string, budget: Budget): Promise<void> {
  const id = job?.replicationJobId;
  if (!id || !isOwnedBy(job.description, marker) || knownIds.includes(id)) {
    return;
  }
  console.log(JSON.stringify({ message: 'deleting the job a failed replacement left behind', replicationJobId: id }));
  try {
    await deleteJob(id, budget);
  } catch (e) {
    console.warn(JSON.stringify({ message: 'could not delete the job a failed replacement left behind', replicationJobId: id, error: describeError(e) }));
  }
}

/**
 * OldResourceProperties are only compared with. During a rollback they are the properties that failed, which may
 * not decode; then every field counts as changed.
 */
function decodeOldProperties(raw: Record<string, unknown> | undefined): Partial<JobProperties> {
  try {
    return decodeProperties(raw);
  } catch (e) {
    if (e instanceof InvalidPropertyError) {
      return { serverId: serverIdOf(raw) };
    }
    throw e;
  }
}
