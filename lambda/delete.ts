/**
 * Delete: removes the job, and only a job this resource made; a job it adopted only when the user removes it.
 */
import { DeleteReplicationJobCommand, ReplicationJob } from '@aws-sdk/client-sms';
import type { CloudFormationCustomResourceDeleteEvent } from 'aws-lambda';
import { describeError } from './errors';
import type { Invocation } from './invocation';
import { sendUpdate } from './job-update';
import { isAdoptedBy, isMadeBy, isOwnedBy, markerOf, markerText, tokenOf, withoutMarker } from './ownership';
import { parsePhysicalId } from './physical-id';
import { adoptsExistingJob, serverIdOf } from './properties';
import { readDeadline } from './rollback';
import { ServerSelector, jobMatchesSelector, selectorOf } from './server';
import { allJobs, isLive, jobById, jobOfServer } from './sms';

/** What a Delete did to the job its physical id names, for what goes with the job (its latest-AMI parameter). */
export interface DeleteOutcome {
  /** Whether the job is gone: deleted now, or already. False for a job kept (adopted, or left in a rollback). */
  jobDeleted: boolean;
}

/**
 * Deletes the job. A job already gone is fine. A job this resource made is deleted with one SMS request; an adopted one
 * (its physical id says so) is read first, for its marker. The id of a Create that SMS refused names no job: nothing to do, and no
 * SMS call that could fail the same way and leave the rollback stuck. The id of a Create whose outcome is unknown
 * names the event: if SMS made the job but its answer was lost, the job carries that event's token, and only such a
 * job is deleted, never one a later event of this resource made or adopted. A job this resource adopted (ExistingJob
 * ADOPT) existed before the stack and is never deleted by a rollback: see keepsAdoptedJob.
 */
export async function onDelete(event: CloudFormationCustomResourceDeleteEvent, owner: string, invocation: Invocation,
  outcome: DeleteOutcome = { jobDeleted: false }): Promise<string> {
  const physicalId = event.PhysicalResourceId;
  const serverId = serverIdOf(event.ResourceProperties);
  const id = parsePhysicalId(physicalId);
  switch (id.kind) {
    case 'job': {
      if (!id.adopted && !adoptsExistingJob(event.ResourceProperties)) {
        // A job this resource made: its physical id would end in /adopted had the resource adopted it, whatever the
        // template says now (physical-id.ts). One SMS request, so that a stack's deletion under throttling costs what
        // its jobs' DeleteReplicationJobs cost (issue 32).
        outcome.jobDeleted = await deleteMadeJob(id.jobId, invocation);
        break;
      }
      // An adopted job, or one that ExistingJob ADOPT may have adopted before its id said so: its marker decides,
      // whatever the properties say now (existingJob ADOPT may have been removed since).
      const job = await jobById(invocation, id.jobId, invocation.budget.work);
      if (!job) {
        console.log(JSON.stringify({ message: 'the job is gone already: nothing to delete', replicationJobId: id.jobId }));
        outcome.jobDeleted = true;
      } else if (isAdoptedBy(job.description, owner)) {
        if (!adoptsExistingJob(event.ResourceProperties)) {
          // ADOPT's default keeps the job, and without ADOPT the properties cannot say an explicit DESTROY.
          console.log(JSON.stringify({
            message: 'the job was adopted (its marker says so) and the template no longer says ExistingJob ADOPT: keeping it. '
              + 'To delete an adopted job with its resource, keep existingJob ADOPT with removalPolicy DESTROY',
            replicationJobId: job.replicationJobId,
          }));
          await releaseJob(job, invocation);
        } else if (await keepsAdoptedJob(job, invocation)) {
          await releaseJob(job, invocation);
        } else {
          await deleteJob(id.jobId, invocation);
          outcome.jobDeleted = true;
        }
      } else if (!id.adopted && isOwnedBy(job.description, owner)) {
        outcome.jobDeleted = await deleteMadeJob(id.jobId, invocation);
      } else {
        // The job this resource adopted no longer carries its adopted marker: an earlier delivery of this Delete handed
        // it back already, or it was adopted since by another stack, or its marker was edited. It existed before the
        // stack: kept.
        console.log(JSON.stringify({
          message: 'the job does not carry this resource\'s adopted marker (handed back already, or someone else\'s since): keeping it',
          replicationJobId: id.jobId,
          marker: markerOf(job.description) ?? null,
        }));
      }
      break;
    }
    case 'refused':
      console.log(JSON.stringify({ message: 'the Create that this id names made no job: nothing to delete', physicalId }));
      break;
    case 'failed':
      await deleteJobMadeBy(serverId, owner, tokenOf(id.requestId), invocation, selectorOf(event.ResourceProperties));
      break;
    default:
      // Not an id this provider answers with (e.g. one CloudFormation made up for a Create it cancelled, or that never
      // answered): any job with this resource's marker on the server, as before tokens existed; for a VM, on the VM.
      await deleteJobMadeBy(serverId, owner, undefined, invocation, selectorOf(event.ResourceProperties));
  }
  return physicalId;
}

/**
 * Deletes the server's job if the failed Create with this token made it (with no token: if any event of this resource
 * made it). When SMS cannot be asked within the budget (unreachable, or refusing the provider), the Delete still
 * succeeds: the Create most likely failed the same way and made nothing, and a job it did make carries the resource's
 * marker, by which the next deployment of this resource adopts it and the user finds it (README, "Errors you may
 * meet"). Failing instead would leave the rollback stuck (ROLLBACK_FAILED) until SMS answers.
 */
async function deleteJobMadeBy(serverId: string | undefined, owner: string, token: string | undefined, invocation: Invocation,
  selector?: ServerSelector): Promise<void> {
  if (!serverId && !selector) {
    return;
  }
  let job;
  try {
    // A server named by its VM was never known to the template: the job is found by this resource's marker and the
    // Create's token; without a token (a Create CloudFormation cancelled), by the VM SMS records on the job, and only
    // if one job of the resource is on that VM, never a job of the resource kept by RETAIN on another server.
    if (serverId) {
      job = await jobOfServer(invocation, serverId, invocation.budget.work);
    } else {
      const own = (await allJobs(invocation, invocation.budget.work)).filter((j) => isLive(j) && isOwnedBy(j.description, owner));
      const candidates = token === undefined ? own.filter((j) => jobMatchesSelector(j.vmServer, selector!)) : own.filter((j) => isMadeBy(j.description, owner, token));
      if (candidates.length > 1) {
        console.warn(JSON.stringify({ message: 'several jobs of this resource are on the VM: deleting none', jobs: candidates.map((j) => j.replicationJobId) }));
        return;
      }
      job = candidates[0];
    }
  } catch (e) {
    console.warn(JSON.stringify({
      message: 'could not look for a job the failed Create may have made; answering SUCCESS. If it made one, the job remains, '
        + 'with this marker in its description',
      serverId,
      marker: token === undefined ? `[cfn:${owner}/…]` : markerText({ owner, token, adopted: false }),
      error: describeError(e),
    }));
    return;
  }
  if (job && (token === undefined ? isOwnedBy(job.description, owner) : isMadeBy(job.description, owner, token))) {
    // A failed adopting Create's Delete is a rollback: the job existed before, and stays.
    await (isAdoptedBy(job.description, owner) ? releaseJob(job, invocation) : deleteJob(job.replicationJobId!, invocation));
  }
}

/**
 * The statuses in which a Delete is the user's own removal: the stack is being deleted, or an update that succeeded
 * removes the resources taken out of the template (and the old ones of replacements). Every other status in which a
 * Delete arrives is a rollback: ROLLBACK_IN_PROGRESS (a create that failed), UPDATE_ROLLBACK_IN_PROGRESS and
 * UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS (an update that failed), IMPORT_ROLLBACK_IN_PROGRESS.
 */
const REMOVAL_BY_USER = ['DELETE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'];

/**
 * Whether an adopted job, of a resource that says ExistingJob ADOPT, stays. It goes only when the user removes it:
 * ADOPT's default DeletionPolicy, RetainExceptOnCreate, sends a Delete only in the rollback of the operation that
 * created the resource, so a Delete outside a rollback means an explicit DESTROY, and the stack is being deleted or is
 * cleaning up after an update that succeeded. A Delete in any other status is a rollback (CloudFormation sends one with
 * DESTROY and RetainExceptOnCreate, and with the operation's RetainExceptOnCreate whatever the policy), and the job
 * stays. The Delete event does not say which it is, so the stack's status is read (stack-status.ts), with retries until
 * a lease before the work deadline, which keeps the time to remove the job's marker or delete it. If it cannot be read,
 * the job stays (a job kept by mistake can be deleted by hand, a job deleted by mistake is gone with its history), and
 * the log says which job was kept and how to delete it.
 */
async function keepsAdoptedJob(job: ReplicationJob, invocation: Invocation): Promise<boolean> {
  const stack = await invocation.reader.read(readDeadline(invocation.budget)).catch((e) => {
    const jobId = job.replicationJobId;
    console.warn(JSON.stringify({
      message: 'could not read the stack\'s status, so this Delete cannot tell a removal from a rollback: keeping the adopted job '
        + '(its marker is removed). If the stack is being deleted and the job should go, delete it yourself: the SMS console, or '
        + `DeleteReplicationJob with an SDK for replicationJobId ${jobId} (the AWS CLI has no SMS commands since botocore 1.40.31)`,
      replicationJobId: jobId,
      serverId: job.serverId,
      error: describeError(e),
    }));
    return undefined;
  });
  // A nested stack is deleted both when its parent is deleted and when its parent's create or update that added it
  // rolls back; its own DELETE_IN_PROGRESS cannot tell which, and reading the parent needs more than its own stack.
  const nestedDeletion = stack?.status === 'DELETE_IN_PROGRESS' && stack.parentId !== undefined;
  const removal = stack !== undefined && REMOVAL_BY_USER.includes(stack.status) && !nestedDeletion;
  console.log(JSON.stringify({
    message: removal ? 'deleting the adopted job' : 'keeping the adopted job',
    stackStatus: stack?.status,
    ...(nestedDeletion ? { why: 'a nested stack\'s deletion may be its parent\'s rollback', parentId: stack.parentId } : {}),
  }));
  return !removal;
}

/**
 * Hands an adopted job back: its marker is removed, so that a later stack (or a retry of this one under a new stack
 * id) may adopt it again. Best effort: the job stays either way, and a failure must not fail a rollback.
 */
export async function releaseJob(job: ReplicationJob, invocation: Invocation): Promise<void> {
  console.log(JSON.stringify({ message: 'keeping the adopted job and removing its marker', replicationJobId: job.replicationJobId }));
  try {
    await sendUpdate({ replicationJobId: job.replicationJobId, description: withoutMarker(job.description) }, invocation);
  } catch (e) {
    console.warn(JSON.stringify({ message: 'could not remove the marker of the adopted job', replicationJobId: job.replicationJobId, error: describeError(e) }));
  }
}

/**
 * Deletes a job this resource made. When SMS cannot be asked in time (throttled past the work deadline, unreachable,
 * or refusing the provider), a Delete in a rollback keeps the job instead of failing, since FAILED there leaves the
 * stack in ROLLBACK_FAILED or UPDATE_ROLLBACK_FAILED: the job keeps this resource's marker, the log names it and how to
 * delete it, and `status` lists it as an orphan. Outside a rollback (the stack's deletion, the cleanup after an
 * update) the Delete fails as before: the stack's deletion ends DELETE_FAILED, and deleting the stack again deletes
 * the jobs left (one that is gone already counts as deleted); an update's cleanup leaves the old job and completes.
 * The stack's status is read after the failure, in the look-up time kept after the work deadline.
 */
async function deleteMadeJob(jobId: string, invocation: Invocation): Promise<boolean> {
  try {
    await deleteJob(jobId, invocation);
    return true;
  } catch (e) {
    const stack = await invocation.reader.read(invocation.budget.lookUp).catch(() => undefined);
    if (!stack?.status.includes('ROLLBACK')) {
      throw e;
    }
    console.warn(JSON.stringify({
      message: `could not delete the job during the stack's rollback (${stack.status}): keeping it, with its marker, rather than leave the `
        + 'stack in a failed rollback. Delete it once SMS answers: the SMS console, or the replication job\'s DeleteReplicationJob',
      replicationJobId: jobId,
      error: describeError(e),
    }));
    return false;
  }
}

/** DeleteReplicationJob; a job that is gone already counts as deleted. */
export async function deleteJob(jobId: string, invocation: Invocation): Promise<void> {
  try {
    await invocation.call('DeleteReplicationJob', (send) =>
      send(new DeleteReplicationJobCommand({ replicationJobId: jobId })), invocation.budget.work);
  } catch (e) {
    if ((e as Error).name !== 'ReplicationJobNotFoundException') {
      throw e;
    }
  }
}
