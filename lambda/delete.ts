/**
 * Delete: removes the job, and only a job this resource made.
 */
import { DeleteReplicationJobCommand } from '@aws-sdk/client-sms';
import { Budget } from './budget';
import { isMadeBy, isOwnedBy, markerText, tokenOf } from './ownership';
import { parsePhysicalId } from './physical-id';
import { call, describeError, jobOfServer, sms } from './sms';

/**
 * Deletes the job. A job already gone is fine. The id of a Create that SMS refused names no job: nothing to do, and no
 * SMS call that could fail the same way and leave the rollback stuck. The id of a Create whose outcome is unknown
 * names the event: if SMS made the job but its answer was lost, the job carries that event's token, and only such a
 * job is deleted, never one a later event of this resource made or adopted.
 */
export async function onDelete(physicalId: string, serverId: string | undefined, owner: string, budget: Budget): Promise<string> {
  const id = parsePhysicalId(physicalId);
  switch (id.kind) {
    case 'job':
      await deleteJob(id.jobId, budget);
      break;
    case 'refused':
      console.log(JSON.stringify({ message: 'the Create that this id names made no job: nothing to delete', physicalId }));
      break;
    case 'failed':
      await deleteJobMadeBy(serverId, owner, tokenOf(id.requestId), budget);
      break;
    default: {
      // Not an id this provider answers with (e.g. one CloudFormation made up for an unanswered Create): any job
      // with this resource's marker, as before tokens existed.
      const job = serverId ? await jobOfServer(serverId, budget.work) : undefined;
      if (job && isOwnedBy(job.description, owner)) {
        await deleteJob(job.replicationJobId!, budget);
      }
    }
  }
  return physicalId;
}

/**
 * Deletes the server's job if the failed Create with this token made it. When SMS cannot be asked within the budget
 * (unreachable, or refusing the provider), the Delete still succeeds: the Create most likely failed the same way and
 * made nothing, and a job it did make carries the resource's marker, by which the next deployment of this resource
 * adopts it and the user finds it (README, "Errors you may meet"). Failing instead would leave the rollback stuck
 * until SMS answers.
 */
async function deleteJobMadeBy(serverId: string | undefined, owner: string, token: string, budget: Budget): Promise<void> {
  if (!serverId) {
    return;
  }
  let job;
  try {
    job = await jobOfServer(serverId, budget.work);
  } catch (e) {
    console.warn(JSON.stringify({
      message: 'could not look for a job the failed Create may have made; answering SUCCESS. If it made one, the job remains, '
        + 'with this marker in its description',
      serverId,
      marker: markerText({ owner, token, adopted: false }),
      error: describeError(e),
    }));
    return;
  }
  if (job && isMadeBy(job.description, owner, token)) {
    await deleteJob(job.replicationJobId!, budget);
  }
}

/** DeleteReplicationJob; a job that is gone already counts as deleted. */
export async function deleteJob(jobId: string, budget: Budget): Promise<void> {
  try {
    await call('DeleteReplicationJob', (abortSignal) =>
      sms.send(new DeleteReplicationJobCommand({ replicationJobId: jobId }), { abortSignal }), budget.work);
  } catch (e) {
    if ((e as Error).name !== 'ReplicationJobNotFoundException') {
      throw e;
    }
  }
}
