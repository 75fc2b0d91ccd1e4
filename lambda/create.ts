/**
 * Create: makes the server's job, or adopts the one this resource made already.
 */
import { CreateReplicationJobCommand } from '@aws-sdk/client-sms';
import { Budget } from './budget';
import { adopt } from './job-update';
import { describedWithMarker, isOwnedBy, markerOf } from './ownership';
import { JobProperties } from './properties';
import { RefusedError, call, isServiceAnswer, jobOfServer, sms } from './sms';

/**
 * Creates the server's job, or adopts the one this resource created already: CloudFormation and Lambda may deliver
 * an event twice, and an answer from SMS may be lost after the job was made.
 */
export async function createOrAdopt(props: JobProperties, marker: string, budget: Budget): Promise<string> {
  try {
    const created = await call('CreateReplicationJob', (abortSignal) => sms.send(new CreateReplicationJobCommand({
      serverId: props.serverId,
      seedReplicationTime: props.seedReplicationTime,
      frequency: props.frequency,
      runOnce: props.runOnce,
      licenseType: props.licenseType,
      roleName: props.roleName,
      description: describedWithMarker(props.description, marker),
      numberOfRecentAmisToKeep: props.numberOfRecentAmisToKeep,
      encrypted: props.encrypted,
      kmsKeyId: props.kmsKeyId,
    }), { abortSignal }), budget.work);
    if (!created.replicationJobId) {
      throw new Error('CreateReplicationJob answered without a replicationJobId.');
    }
    return created.replicationJobId;
  } catch (e) {
    const exists = (e as Error).name === 'ReplicationJobAlreadyExistsException';
    if (!exists && isServiceAnswer(e)) {
      throw e;
    }
    // The job may exist: SMS said so, or the request's fate is unknown (timeout, network, a garbled answer).
    const job = await jobOfServer(props.serverId, exists ? budget.work : budget.lookUp).catch(() => undefined);
    if (job && isOwnedBy(job.description, marker)) {
      return adopt(job, props, marker, budget);
    }
    if (exists && job) {
      const owner = markerOf(job.description);
      throw new RefusedError('ReplicationJobAlreadyExistsException',
        `Server ${props.serverId} already has replication job ${job.replicationJobId}, ` +
        (owner ? `created by another CloudFormation resource ${owner}` : 'created outside this stack') +
        ', and SMS allows one replication job per server. This resource will not adopt, change or delete it. ' +
        'Delete that job (or the resource that owns it) first, or replicate another server.');
    }
    throw e;
  }
}
