/**
 * Update: changes the job in place (only what differs), replaces it when the server changes, and creates it again
 * when it disappeared outside CloudFormation.
 */
import { GetReplicationJobsCommand, ReplicationJob } from '@aws-sdk/client-sms';
import type { CloudFormationCustomResourceUpdateEvent } from 'aws-lambda';
import { createOrAdopt, seedForNewJob } from './create';
import { deleteJob, releaseJob } from './delete';
import { JobNotRecreatedError, describeError } from './errors';
import type { Invocation } from './invocation';
import { KEEP_EVERY_AMI, adopt, changesFor, markerToKeep, refuseRunOnceChange, sendUpdate } from './job-update';
import { Marker, isAdoptedBy, isMadeBy, isOwnedBy } from './ownership';
import { Replaced, jobIdOf, withReplaced } from './physical-id';
import { InvalidPropertyError, JobProperties, decodeProperties, serverIdOf } from './properties';
import { nextRunStart } from './seed';
import { allJobs, isLive, liveJobOf } from './sms';

/**
 * Brings the job to the new properties: in place, or by a replacement when the server (or a failed Create's id) changes.
 * `rollingBack`: the stack's status said that it is rolling back.
 */
export async function onUpdate(event: CloudFormationCustomResourceUpdateEvent, marker: Marker, invocation: Invocation,
  options: UpdateOptions = { rollingBack: false }): Promise<string> {
  const physicalId = await updateJob(event, marker, invocation, options);
  if (options.strayToken) {
    await deleteJobOfToken(options.strayToken, [jobIdOf(event.PhysicalResourceId), jobIdOf(physicalId)], marker.owner, invocation);
  }
  return physicalId;
}

/** How an Update is to treat its job, from its plan and its VM selector (server.ts's ResolvedEvent). */
export interface UpdateOptions {
  /** The stack's status said that it is rolling back. */
  readonly rollingBack: boolean;
  /** A forward move of a VM-named job to another server: the job it replaces, recorded in the new physical id. */
  readonly replacing?: Replaced;
  /** A rollback of a change of VM selector: the token of a job the forward Update may have left (deleted, or handed back). */
  readonly strayToken?: string;
}

async function updateJob(event: CloudFormationCustomResourceUpdateEvent, marker: Marker, invocation: Invocation, options: UpdateOptions): Promise<string> {
  const props = decodeProperties(event.ResourceProperties);
  const old = decodeOldProperties(event.OldResourceProperties);
  // The physical id (physical-id.ts) names the job, and says whether it was adopted; it is answered unchanged unless the
  // job changes.
  const physicalId = event.PhysicalResourceId;
  const jobId = jobIdOf(physicalId);

  if (props.serverId !== old.serverId || jobId === undefined) {
    // A job belongs to one server: replace it. Returning a different PhysicalResourceId makes CloudFormation send
    // Delete for the old job once the whole stack update has succeeded, and skip it if the update rolls back.
    // Look before creating: during a rollback the server's job is this resource's own old job, to keep and bring
    // back to the old properties; a Create would carry a seed time long past.
    // One listing serves both servers: the new one's job, and a stray job on the old one.
    const jobs = await allJobs(invocation, invocation.budget.work);
    const own = liveJobOf(jobs, props.serverId);
    if (options.rollingBack && jobId !== undefined && !(own && isOwnedBy(own.description, marker.owner))) {
      // A rollback brings the resource back to a server it held a job on, and finds that job. An Update that finds
      // none while the stack rolls back is a forward replacement Lambda delivered late or twice (its answer goes
      // nowhere): a job made now would be one CloudFormation never learns of, holding the server. Answer the id the
      // stack holds instead.
      console.warn(JSON.stringify({ message: 'the stack is rolling back and the server has no job of this resource: no job is made',
        serverId: props.serverId, replicationJobId: jobId }));
      return physicalId;
    }
    // Coming from a failed Create's id, the job is marked with this event's token, so that the cleanup Delete of that
    // id (which deletes only the job that Create made) leaves it.
    const made = own && isOwnedBy(own.description, marker.owner)
      ? await adopt(own, props, marker, invocation, { retoken: jobId === undefined })
      : await createOrAdopt(props, marker, invocation);
    if (old.serverId !== undefined && old.serverId !== props.serverId) {
      await deleteStrayJob(liveJobOf(jobs, old.serverId), [jobId, jobIdOf(made)], marker.owner, invocation);
    }
    // A VM-named job's replacement records the job it replaced, for its rollback (server.ts).
    return options.replacing && jobIdOf(made) !== jobId ? withReplaced(made, options.replacing) : made;
  }

  if (old.decoded && !holdsChanges(old.decoded, props)) {
    // Only CloudFormation's own properties (ServiceToken, ServiceTimeout) or the spelling of a default changed.
    console.log(JSON.stringify({ message: 'nothing SMS holds has changed: no SMS call', replicationJobId: jobId }));
    return physicalId;
  }

  // Compare with the job itself, not OldResourceProperties, so that the rollback of a refused update (old and new
  // properties swapped) finds nothing to change and succeeds.
  const job = await currentJob(jobId, invocation);
  if (!job) {
    return createAgain(jobId, physicalId, props, marker, invocation, options.rollingBack);
  }
  refuseRunOnceChange(job, props, 'update');
  const changes = changesFor(job, props, markerToKeep(job, marker), nextRunStart(props.seedReplicationTime, old.decoded?.seedReplicationTime));
  if (changes) {
    try {
      await sendUpdate(changes, invocation);
    } catch (e) {
      if ((e as Error).name !== 'ReplicationJobNotFoundException') {
        throw e;
      }
      return createAgain(jobId, physicalId, props, marker, invocation, options.rollingBack);
    }
  }
  return physicalId;
}

/**
 * Whether a property SMS holds differs between the old and the new properties, a default spelled out or left out
 * counting as the same (`runOnce: false` and no runOnce). The server is compared by the caller. A seed time counts
 * only when it moves the next run: one that has passed, or was removed, asks SMS for nothing (seed.ts).
 */
function holdsChanges(old: JobProperties, props: JobProperties): boolean {
  return nextRunStart(props.seedReplicationTime, old.seedReplicationTime) !== undefined
    || old.frequency !== props.frequency
    || (old.runOnce ?? false) !== (props.runOnce ?? false)
    || old.licenseType !== props.licenseType
    || old.roleName !== props.roleName
    || old.description !== props.description
    || (old.numberOfRecentAmisToKeep ?? KEEP_EVERY_AMI) !== (props.numberOfRecentAmisToKeep ?? KEEP_EVERY_AMI)
    || (old.encrypted ?? false) !== (props.encrypted ?? false)
    || old.kmsKeyId !== props.kmsKeyId;
}

/** The job as SMS describes it now; undefined when it no longer exists (deleted outside CloudFormation, or ended by SMS). */
async function currentJob(jobId: string, invocation: Invocation): Promise<ReplicationJob | undefined> {
  try {
    const answer = await invocation.call('GetReplicationJobs', (send) =>
      send(new GetReplicationJobsCommand({ replicationJobId: jobId })), invocation.budget.work);
    const job = answer.replicationJobList?.find((j) => j.replicationJobId === jobId);
    return job && isLive(job) ? job : undefined;
  } catch (e) {
    if ((e as Error).name === 'ReplicationJobNotFoundException') {
      return undefined;
    }
    throw e;
  }
}

/**
 * Creates the job again, for the same server, when it disappeared outside CloudFormation. The new job's id is the new
 * physical id: CloudFormation's cleanup Delete of the old id then finds nothing and succeeds, and a rollback deletes
 * the new job (or brings it back to the old properties). Its first run follows the template's schedule
 * (seedForNewJob).
 *
 * In a rollback, a job that cannot be made again (SMS refuses it, or does not answer in time) is left gone and the
 * stack's physical id answered: the rollback then completes (failing it would leave the stack UPDATE_ROLLBACK_FAILED
 * over a job that was deleted outside CloudFormation, not by it), and `status` reports the job as DELETED. A forward
 * Update fails instead, and its rollback comes here.
 */
async function createAgain(goneJobId: string, physicalId: string, props: JobProperties, marker: Marker, invocation: Invocation,
  rollingBack: boolean): Promise<string> {
  console.warn(JSON.stringify({ message: 'the job no longer exists; creating it again', replicationJobId: goneJobId, serverId: props.serverId }));
  try {
    return await createOrAdopt({ ...props, seedReplicationTime: seedForNewJob(props) }, marker, invocation);
  } catch (e) {
    const error = new JobNotRecreatedError(goneJobId, props.serverId, e);
    if (!rollingBack) throw error;
    console.error(JSON.stringify({ message: 'a rollback could not make the gone job again: the rollback completes without it (status reports it DELETED)',
      replicationJobId: goneJobId, error: error.message }));
    return physicalId;
  }
}

/**
 * Deletes a job this resource made on the server it moves away from, if CloudFormation never learned its id: a
 * replacement whose CreateReplicationJob answer was lost and that then failed leaves one, and its rollback (this
 * Update, old and new swapped) is the last event that can see it. A job CloudFormation knows (the physical id, during
 * a forward replacement) is left to CloudFormation's cleanup Delete. Best effort: the rollback itself must not fail.
 */
async function deleteStrayJob(job: ReplicationJob | undefined, knownIds: Array<string | undefined>, owner: string, invocation: Invocation): Promise<void> {
  const id = job?.replicationJobId;
  if (!id || !isOwnedBy(job.description, owner) || knownIds.includes(id)) {
    return;
  }
  if (isAdoptedBy(job.description, owner)) {
    // It existed before this resource: a rollback never deletes it, and hands it back unmarked.
    await releaseJob(job, invocation);
    return;
  }
  console.log(JSON.stringify({ message: 'deleting the job a failed replacement left behind', replicationJobId: id }));
  try {
    await deleteJob(id, invocation);
  } catch (e) {
    console.warn(JSON.stringify({ message: 'could not delete the job a failed replacement left behind', replicationJobId: id, error: describeError(e) }));
  }
}

/**
 * OldResourceProperties are only compared with. During a rollback they are the properties that failed, which may
 * not decode; then only the server is known, and every other field counts as changed.
 */
function decodeOldProperties(raw: Record<string, unknown> | undefined): { serverId?: string; decoded?: JobProperties } {
  try {
    const decoded = decodeProperties(raw);
    return { serverId: decoded.serverId, decoded };
  } catch (e) {
    if (e instanceof InvalidPropertyError) {
      return { serverId: serverIdOf(raw) };
    }
    throw e;
  }
}

/**
 * Deletes the live job of this resource that carries `token`, unless it is one of `knownIds` (the job the stack holds):
 * the job a forward Update of a VM-named job made on a server this rollback cannot name without the catalog, which
 * the Update then failed to report (its answer lost). A job adopted from outside is handed back instead. Best effort,
 * like deleteStrayJob: the rollback itself must not fail.
 */
async function deleteJobOfToken(token: string, knownIds: Array<string | undefined>, owner: string, invocation: Invocation): Promise<void> {
  let stray: ReplicationJob | undefined;
  try {
    stray = (await allJobs(invocation, invocation.budget.work)).find((j) => isLive(j) && isMadeBy(j.description, owner, token) && !knownIds.includes(j.replicationJobId));
  } catch (e) {
    console.warn(JSON.stringify({ message: 'could not look for a job the rolled-back Update may have left', token, error: describeError(e) }));
    return;
  }
  await deleteStrayJob(stray, knownIds, owner, invocation);
}
