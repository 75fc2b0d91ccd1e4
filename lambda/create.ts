/**
 * Create: makes the server's job, or adopts the one this resource made already.
 */
import { CreateReplicationJobCommand } from '@aws-sdk/client-sms';
import { Budget } from './budget';
import { adopt } from './job-update';
import { Marker, describedWithMarker, isMadeBy, isOwnedBy, markerOf } from './ownership';
import { InvalidPropertyError, JobProperties } from './properties';
import { RefusedError, call, jobOfServer, sms, wasRefusedOutright } from './sms';

/** Errors after which the Create that threw them certainly made no job. */
const nothingMade = new WeakSet<object>();

/**
 * Whether a failed Create certainly made no job, so that its Delete needs no SMS call: a property that does not
 * decode, a CreateReplicationJob that SMS refused outright, a server that has another owner's job, or a job this
 * resource made before (kept by RETAIN) that it failed to adopt. Anything else (a timeout, a network fault, a 5xx, a
 * lost answer, or the job this very event made) may have left a job.
 */
export function createMadeNoJob(e: unknown): boolean {
  return e instanceof InvalidPropertyError || (typeof e === 'object' && e !== null && nothingMade.has(e));
}

/**
 * Creates the server's job, or adopts the one this resource created already: CloudFormation and Lambda may deliver
 * an event twice, an answer from SMS may be lost after the job was made, and a job kept by RETAIN may be added back.
 * The job carries `marker`, whose token names this event.
 */
export async function createOrAdopt(props: JobProperties, marker: Marker, budget: Budget): Promise<string> {
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
    if (!exists && wasRefusedOutright(e)) {
      throw madeNothing(e);
    }
    // The job may exist: SMS said so, or the fate of an attempt is unknown (timeout, network, 5xx, a garbled answer).
    const job = await jobOfServer(props.serverId, exists ? budget.work : budget.lookUp).catch(() => undefined);
    if (job && isOwnedBy(job.description, marker.owner)) {
      // This very event made the job (a lost answer, a second delivery), or an earlier one did (kept by RETAIN).
      const madeByThisEvent = isMadeBy(job.description, marker.owner, marker.token!);
      try {
        return await adopt(job, props, marker, budget, { retoken: true });
      } catch (adoptError) {
        throw madeByThisEvent ? adoptError : madeNothing(adoptError);
      }
    }
    if (exists && job) {
      const owner = markerOf(job.description);
      throw madeNothing(new RefusedError('ReplicationJobAlreadyExistsException',
        `Server ${props.serverId} already has replication job ${job.replicationJobId}, ` +
        (owner ? `created by another CloudFormation resource ${owner}` : 'created outside this stack') +
        ', and SMS allows one replication job per server. This resource will not adopt, change or delete it. ' +
        'Delete that job (or the resource that owns it) first, or replicate another server.'));
    }
    throw e;
  }
}

/** The earliest lead SMS is given for the first run of a job created again. */
const NEW_JOB_LEAD_MS = 15 * 60_000;

/**
 * The seed time for a job created again after it disappeared outside CloudFormation: the template's, if still ahead;
 * else the next time on the template's schedule (the seed time plus whole periods of `frequency` hours, or of a day
 * without one) that is at least 15 minutes ahead, since SMS refuses a seed time in the past.
 */
export function seedForNewJob(props: JobProperties, now = Date.now()): Date {
  const seed = props.seedReplicationTime.getTime();
  if (seed >= now + NEW_JOB_LEAD_MS) {
    return props.seedReplicationTime;
  }
  const period = (props.runOnce ? 24 : props.frequency ?? 24) * 3_600_000;
  return new Date(seed + Math.ceil((now + NEW_JOB_LEAD_MS - seed) / period) * period);
}

function madeNothing<T>(e: T): T {
  if (typeof e === 'object' && e !== null) {
    nothingMade.add(e);
  }
  return e;
}
