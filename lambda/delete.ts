/**
 * Delete: removes the job, and only a job this resource made.
 */
import { DeleteReplicationJobCommand } from '@aws-sdk/client-sms';
import { Budget } from './budget';
import { isOwnedBy } from './ownership';
import { isJobId } from './physical-id';
import { call, jobOfServer, sms } from './sms';

/**
 * Deletes the job. A job already gone is fine. A physical id that is not a job id comes from a Create that failed:
 * if SMS made the job but its answer was lost, the job carries this resource's marker, and only then is it deleted.
 */
export async function onDelete(physicalId: string, serverId: string | undefined, marker: string, budget: Budget): Promise<string> {
  let jobId: string | undefined = physicalId;
  if (!isJobId(physicalId)) {
    const job = serverId ? await jobOfServer(serverId, budget.work) : undefined;
    jobId = job && isOwnedBy(job.description, marker) ? job.replicationJobId : undefined;
  }
  if (jobId) {
    await deleteJob(jobId, budget);
  }
  return physicalId;
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
