/**
 * Create: makes the server's job, or adopts the one this resource made already, or (ExistingJob ADOPT) one made
 * outside CloudFormation.
 */
import { CreateReplicationJobCommand, ReplicationJob } from '@aws-sdk/client-sms';
import { NoJobMadeError, RefusedError, isServiceAnswer, wasRefusedOutright } from './errors';
import type { Invocation } from './invocation';
import { adopt, changesFor, sendUpdate } from './job-update';
import { Marker, describedWithMarker, isAdoptedBy, isMadeBy, isOwnedBy, markerOf, parseMarker } from './ownership';
import { jobPhysicalId } from './physical-id';
import { InvalidPropertyError, JobProperties } from './properties';
import { nextRunStart, seedForCreate } from './seed';
import { jobOfServer } from './sms';

/**
 * The states in which a job made outside CloudFormation is adopted. Which states SMS refuses UpdateReplicationJob in
 * is not documented; a job that failed, is failing, paused on failure or completed its one run is refused before any
 * change rather than half-adopted.
 */
const ADOPTABLE_STATES = ['PENDING', 'ACTIVE'];

/**
 * Whether a failed Create certainly made no job, so that its Delete needs no SMS call: a property that does not
 * decode, a server not found (server.ts), a CreateReplicationJob that SMS refused outright, a server that has another
 * owner's job, or a job this resource made before (kept by RETAIN) that it failed to adopt: a NoJobMadeError. Anything else (a timeout, a network fault, a 5xx, a
 * lost answer, or the job this very event made) may have left a job.
 */
export function createMadeNoJob(e: unknown): boolean {
  return e instanceof InvalidPropertyError || e instanceof NoJobMadeError;
}

/**
 * Creates the server's job, or adopts the one this resource created already: CloudFormation and Lambda may deliver
 * an event twice, an answer from SMS may be lost after the job was made, and a job kept by RETAIN may be added back.
 * The job carries `marker`, whose token names this event. Answers the job's physical id (physical-id.ts): the id of a
 * job it made or that this resource made before, with `/adopted` for a job adopted from outside CloudFormation.
 * `adopted` is given the job as it was read when the Create takes a job that exists (with its runs and latest AMI).
 */
export async function createOrAdopt(props: JobProperties, marker: Marker, invocation: Invocation,
  adopted?: (job: ReplicationJob) => void): Promise<string> {
  if (props.existingJob === 'ADOPT') {
    // Look first: the job to adopt is the likely case, and one listing finds it; a CreateReplicationJob for a server
    // that has a job could fail on another parameter before SMS says that the job exists.
    const job = await jobOfServer(invocation, props.serverId, invocation.budget.work);
    if (job) {
      const physicalId = await (isOwnedBy(job.description, marker.owner) ? adoptOwn(job, props, marker, invocation) : adoptFromOutside(job, props, marker, invocation));
      adopted?.(job);
      return physicalId;
    }
  }
  try {
    const created = await invocation.call('CreateReplicationJob', (send) => send(new CreateReplicationJobCommand({
      serverId: props.serverId,
      seedReplicationTime: seedForCreate(props.seedReplicationTime),
      frequency: props.frequency,
      runOnce: props.runOnce,
      licenseType: props.licenseType,
      roleName: props.roleName,
      description: describedWithMarker(props.description, marker),
      numberOfRecentAmisToKeep: props.numberOfRecentAmisToKeep,
      encrypted: props.encrypted,
      kmsKeyId: props.kmsKeyId,
    })), invocation.budget.work);
    if (!created.replicationJobId) {
      throw new Error('CreateReplicationJob answered without a replicationJobId.');
    }
    return jobPhysicalId(created.replicationJobId, false);
  } catch (e) {
    const exists = (e as Error).name === 'ReplicationJobAlreadyExistsException';
    if (!exists && wasRefusedOutright(e)) {
      throw madeNothing(e);
    }
    // The job may exist: SMS said so, or the fate of an attempt is unknown (timeout, network, 5xx, a garbled answer).
    const job = await jobOfServer(invocation, props.serverId, exists ? invocation.budget.work : invocation.budget.lookUp).catch(() => undefined);
    if (job && isOwnedBy(job.description, marker.owner)) {
      const physicalId = await adoptOwn(job, props, marker, invocation);
      adopted?.(job);
      return physicalId;
    }
    if (exists && job) {
      if (props.existingJob === 'ADOPT') {
        // Made between the look and the create.
        const physicalId = await adoptFromOutside(job, props, marker, invocation);
        adopted?.(job);
        return physicalId;
      }
      throw madeNothing(alreadyExists(job, props, marker));
    }
    throw e;
  }
}

/** Adopts the job this resource made (or adopted) already. */
async function adoptOwn(job: ReplicationJob, props: JobProperties, marker: Marker, invocation: Invocation): Promise<string> {
  // This very event made the job (a lost answer, a second delivery), or an earlier one did (kept by RETAIN).
  const madeByThisEvent = isMadeBy(job.description, marker.owner, marker.token!);
  try {
    return await adopt(job, props, marker, invocation, { retoken: true });
  } catch (adoptError) {
    throw madeByThisEvent ? adoptError : madeNothing(adoptError);
  }
}

/**
 * Takes over a job made outside CloudFormation (ExistingJob ADOPT): one UpdateReplicationJob brings what differs to
 * the template's properties and writes `[cfn:<owner>/<token>/adopted]`. The job is never recreated: its runs,
 * schedule and AMIs carry on, and a past seed time leaves the schedule alone. A job with any marker is someone
 * else's and is refused; so, before any change, are a runOnce SMS cannot change and a state it may not update in.
 */
async function adoptFromOutside(job: ReplicationJob, props: JobProperties, marker: Marker, invocation: Invocation): Promise<string> {
  const jobId = job.replicationJobId!;
  const kept = parseMarker(job.description);
  if (kept !== undefined && !(kept.adopted && isStrandedBy(kept.owner, marker.owner))) {
    throw madeNothing(alreadyExists(job, props, marker));
  }
  if (!ADOPTABLE_STATES.includes(job.state ?? '')) {
    throw madeNothing(new RefusedError('ExistingJobNotAdoptable',
      `Replication job ${jobId} of server ${props.serverId} is ${job.state}${job.statusMessage ? ` (${job.statusMessage})` : ''}; ` +
      `it is adopted only when ${ADOPTABLE_STATES.join(' or ')}, and it was left as it was. ` +
      'Bring the job back to ACTIVE in the SMS console, or delete it, then deploy again.'));
  }
  if ((job.runOnce ?? false) !== (props.runOnce ?? false)) {
    throw madeNothing(new RefusedError('ExistingJobRunOnceDiffers',
      `Replication job ${jobId} of server ${props.serverId} has runOnce ${job.runOnce ?? false}, the template ${props.runOnce ?? false}, ` +
      `and SMS cannot change runOnce; the job was left as it was. Set runOnce: ${job.runOnce ?? false} on the ReplicationJob to adopt it, ` +
      'or delete the job to have a new one created.'));
  }
  const input = changesFor(job, props, { ...marker, adopted: true }, nextRunStart(props.seedReplicationTime, job.seedReplicationTime))!;
  console.log(JSON.stringify({ message: 'adopting a job made outside CloudFormation', replicationJobId: jobId, changes: input }));
  try {
    await sendUpdate(input, invocation);
  } catch (e) {
    if (wasRefusedOutright(e)) {
      throw madeNothing(e);
    }
    // The update's fate is unknown (timeout, network, a garbled answer): if the marker landed, so did the rest. If it
    // did not, the failed Create's Delete finds the job adopted by this event, and keeps it (delete.ts).
    const now = isServiceAnswer(e) ? undefined : await jobOfServer(invocation, props.serverId, invocation.budget.lookUp).catch(() => undefined);
    if (now?.replicationJobId !== jobId || !isAdoptedBy(now.description, marker.owner) || !isMadeBy(now.description, marker.owner, marker.token!)) {
      throw e;
    }
  }
  return jobPhysicalId(jobId, true);
}

/**
 * Whether a marker's owner is this resource in an earlier stack of the same name: that stack is gone, since a stack's
 * name is unique among the stacks that exist. An adopted job it left marked (its create rolled back, or it was deleted,
 * with RETAIN, which sends CloudFormation no Delete) existed before it and is adopted again.
 */
function isStrandedBy(owner: string, ours: string): boolean {
  const [stackName, logicalId] = ours.split('/');
  return owner !== ours && owner.startsWith(`${stackName}/${logicalId}/`);
}

/** The refusal of a job this resource may not take: someone else's, or made outside CloudFormation without ADOPT. */
function alreadyExists(job: ReplicationJob, props: JobProperties, marker: Marker): RefusedError {
  const prefix = `Server ${props.serverId} already has replication job ${job.replicationJobId}, `;
  const owner = parseMarker(job.description)?.owner;
  const [stackName, logicalId] = marker.owner.split('/');
  let what: string;
  if (owner === undefined) {
    what = 'created outside CloudFormation, and SMS allows one replication job per server. ' +
      'Set existingJob: ExistingJobPolicy.ADOPT on the ReplicationJob to take it over, or delete that job first.';
  } else if (owner.startsWith(`${stackName}/${logicalId}/`)) {
    what = `marked ${markerOf(job.description)} by an earlier stack of this name (deleted, or whose create rolled back, leaving the job). ` +
      'This resource will not adopt, change or delete a job another stack marked. If that stack is gone, remove the marker from the ' +
      `job's description (UpdateReplicationJob of replication job ${job.replicationJobId}) and deploy again.`;
  } else {
    what = `created by another CloudFormation resource ${markerOf(job.description)}, and SMS allows one replication job per server. ` +
      'This resource will not adopt, change or delete it. Delete that job (or the resource that owns it) first, or replicate another server.';
  }
  return new RefusedError('ReplicationJobAlreadyExistsException', prefix + what);
}

/** The earliest lead SMS is given for the first run of a job created again. */
const NEW_JOB_LEAD_MS = 15 * 60_000;

/**
 * The seed time for a job created again after it disappeared outside CloudFormation: the template's, if still ahead;
 * else the next time on the template's schedule (the seed time plus whole periods of `frequency` hours, or of a day
 * without one) that is at least 15 minutes ahead, since SMS refuses a seed time in the past. Without a seed time, none:
 * the new job's first run starts as soon as possible (seedForCreate).
 */
export function seedForNewJob(props: JobProperties, now = Date.now()): Date | undefined {
  if (!props.seedReplicationTime) {
    return undefined;
  }
  const seed = props.seedReplicationTime.getTime();
  if (seed >= now + NEW_JOB_LEAD_MS) {
    return props.seedReplicationTime;
  }
  const period = (props.runOnce ? 24 : props.frequency ?? 24) * 3_600_000;
  return new Date(seed + Math.ceil((now + NEW_JOB_LEAD_MS - seed) / period) * period);
}

/** The failure, as one that certainly made no job. */
function madeNothing(e: unknown): NoJobMadeError {
  return new NoJobMadeError(e);
}
