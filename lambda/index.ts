/**
 * The custom resource provider behind every `Custom::SmsReplicationJob` in a stack.
 *
 * CloudFormation invokes this function directly (it is the ServiceToken) and waits for the answer PUT to the
 * event's ResponseURL. The handler always answers, SUCCESS or FAILED, before the invocation's deadline.
 */
import {
  CreateReplicationJobCommand,
  DeleteReplicationJobCommand,
  GetReplicationJobsCommand,
  ReplicationJob,
  UpdateReplicationJobCommand,
  UpdateReplicationJobCommandInput,
} from '@aws-sdk/client-sms';
import type {
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
  Context,
} from 'aws-lambda';
import { Answer, redactUrl, sendAnswer } from './cfn-response';
import { describedWithMarker, isOwnedBy, markerOf, ownerMarker } from './ownership';
import { InvalidPropertyError, JobProperties, decodeProperties, serverIdOf } from './properties';
import { RefusedError, allJobs, call, describeError, isServiceAnswer, jobOfServer, liveJobOf, sms } from './sms';

/** Every id SMS gives a replication job has this form; anything else came from a Create that failed. */
const JOB_ID = /^sms-job-[0-9a-z]+$/i;

/** Time kept back at the end of the invocation, split between a last look-up after an ambiguous failure and the answer's PUT. */
interface Budget {
  /** Until when SMS calls that change something may run (epoch ms). */
  readonly work: number;
  /** Until when a look-up after an ambiguous failure may run. */
  readonly lookUp: number;
  /** Until when the answer's PUT may be retried. */
  readonly answer: number;
}

export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const budget = budgetOf(context.getRemainingTimeInMillis());
  console.log(JSON.stringify({
    message: 'event',
    RequestType: event.RequestType,
    LogicalResourceId: event.LogicalResourceId,
    PhysicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined,
    StackId: event.StackId,
    RequestId: event.RequestId,
    ResponseURL: redactUrl(event.ResponseURL),
    ResourceProperties: event.ResourceProperties,
  }));

  let answer: Answer;
  try {
    const jobId = await dispatch(event, budget);
    answer = { status: 'SUCCESS', physicalResourceId: jobId, data: { ReplicationJobId: jobId } };
  } catch (e) {
    answer = {
      status: 'FAILED',
      reason: describeError(e),
      // A failed Update or Delete keeps the id CloudFormation knows; a changed one would mean a replacement.
      physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : `create-failed-${event.RequestId}`,
    };
  }
  console.log(JSON.stringify({ message: 'answer', ...answer }));
  try {
    await sendAnswer(event, answer, budget.answer);
  } catch (e) {
    // Not rethrown: Lambda would run the whole event again minutes later, when the stack may have moved on (a Create
    // then makes a job no later event sees). Unanswered, CloudFormation fails the resource at its ServiceTimeout,
    // and the Delete that follows finds any job by its marker.
    console.error(JSON.stringify({ message: 'the answer could not be sent', error: (e as Error).message }));
  }
}

function dispatch(event: CloudFormationCustomResourceEvent, budget: Budget): Promise<string> {
  const marker = ownerMarker(event.StackId, event.LogicalResourceId);
  switch (event.RequestType) {
    case 'Create':
      return createOrAdopt(decodeProperties(event.ResourceProperties), marker, budget);
    case 'Update':
      return onUpdate(event, marker, budget);
    case 'Delete':
      return onDelete(event.PhysicalResourceId, serverIdOf(event.ResourceProperties), marker, budget);
    default:
      throw new RefusedError('UnknownRequestType', `Unknown RequestType ${(event as { RequestType: string }).RequestType}.`);
  }
}

/**
 * Creates the server's job, or adopts the one this resource created already: CloudFormation and Lambda may deliver
 * an event twice, and an answer from SMS may be lost after the job was made.
 */
async function createOrAdopt(props: JobProperties, marker: string, budget: Budget): Promise<string> {
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

async function onUpdate(event: CloudFormationCustomResourceUpdateEvent, marker: string, budget: Budget): Promise<string> {
  const props = decodeProperties(event.ResourceProperties);
  const old = decodeOldProperties(event.OldResourceProperties);
  const jobId = event.PhysicalResourceId;

  if (props.serverId !== old.serverId || !JOB_ID.test(jobId)) {
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
 * Takes over the job this resource created already (a second delivery, a lost answer, a rollback back to the old
 * server). If the template's properties have changed since it was made, the job is brought to them; a job that
 * already matches is left alone, so that a second delivery costs no update SMS might refuse in the job's state.
 */
async function adopt(job: ReplicationJob, props: JobProperties, marker: string, budget: Budget): Promise<string> {
  const jobId = job.replicationJobId!;
  const input = updateInput(jobId, props, marker, job);
  const changed = Object.entries(input).some(([key, value]) => key !== 'replicationJobId' && value !== undefined
    && (key === 'nextReplicationRunStartTime' || value !== job[key as keyof ReplicationJob]));
  console.log(JSON.stringify({ message: 'adopting the job this resource created already', replicationJobId: jobId, changed }));
  if (changed) {
    await sendUpdate(input, budget);
  }
  return jobId;
}

/**
 * UpdateReplicationJob with every field it can change, from the template's properties. `previous` (the old
 * properties, or the job itself) tells whether the seed time moved and whether encryption was on.
 */
function updateInput(jobId: string, props: JobProperties, marker: string, previous: Previous): UpdateReplicationJobCommandInput {
  const seed = props.seedReplicationTime;
  return {
    replicationJobId: jobId,
    frequency: props.frequency,
    licenseType: props.licenseType,
    roleName: props.roleName,
    description: describedWithMarker(props.description, marker),
    numberOfRecentAmisToKeep: props.numberOfRecentAmisToKeep,
    // Removing `encrypted: true` from the construct means false; SMS would otherwise keep encrypting.
    encrypted: props.encrypted ?? (previous.encrypted ? false : undefined),
    kmsKeyId: props.kmsKeyId,
    // A changed seed time moves the next run. A time already past (e.g. the old one, during a rollback) cannot be
    // scheduled, and the job keeps its schedule.
    nextReplicationRunStartTime: previous.seedReplicationTime?.getTime() !== seed.getTime() && seed.getTime() > Date.now() ? seed : undefined,
  };
}

async function sendUpdate(input: UpdateReplicationJobCommandInput, budget: Budget): Promise<void> {
  await call('UpdateReplicationJob', (abortSignal) => sms.send(new UpdateReplicationJobCommand(input), { abortSignal }), budget.work);
}

/** What an update compares with: the old properties, or the job as SMS describes it. */
interface Previous {
  readonly seedReplicationTime?: Date;
  readonly encrypted?: boolean;
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
 * Deletes the job. A job already gone is fine. A physical id that is not a job id comes from a Create that failed:
 * if SMS made the job but its answer was lost, the job carries this resource's marker, and only then is it deleted.
 */
async function onDelete(physicalId: string, serverId: string | undefined, marker: string, budget: Budget): Promise<string> {
  let jobId: string | undefined = physicalId;
  if (!JOB_ID.test(physicalId)) {
    const job = serverId ? await jobOfServer(serverId, budget.work) : undefined;
    jobId = job && isOwnedBy(job.description, marker) ? job.replicationJobId : undefined;
  }
  if (jobId) {
    await deleteJob(jobId, budget);
  }
  return physicalId;
}

/** DeleteReplicationJob; a job that is gone already counts as deleted. */
async function deleteJob(jobId: string, budget: Budget): Promise<void> {
  try {
    await call('DeleteReplicationJob', (abortSignal) =>
      sms.send(new DeleteReplicationJobCommand({ replicationJobId: jobId }), { abortSignal }), budget.work);
  } catch (e) {
    if ((e as Error).name !== 'ReplicationJobNotFoundException') {
      throw e;
    }
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

/** Splits the invocation's remaining time: most for SMS, then a look-up, then the answer (at least 1 s each). */
function budgetOf(remainingMs: number): Budget {
  const now = Date.now();
  const end = now + remainingMs;
  const answer = Math.min(5000, Math.max(1000, remainingMs * 0.1));
  const lookUp = Math.min(10000, Math.max(1000, remainingMs * 0.15));
  return { work: end - answer - lookUp, lookUp: end - answer, answer: end - 200 };
}
