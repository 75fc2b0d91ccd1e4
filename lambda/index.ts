/**
 * The custom resource provider behind every `Custom::SmsReplicationJob` in a stack, and its reads of the server
 * catalog (`Custom::SmsServerCatalog`, catalog-read.ts).
 *
 * CloudFormation invokes this function directly (it is the ServiceToken) and waits for the answer PUT to the
 * event's ResponseURL. The handler always answers, SUCCESS or FAILED, before the invocation's deadline. Each request
 * type is a file of its own: create.ts, update.ts, delete.ts; rollback.ts keeps a rollback and the event it cancelled
 * from undoing each other.
 *
 * State. What a Lambda container keeps from one invocation to the next is only what costs time to make and says
 * nothing about an event: the loaded modules, and the SDK clients with their connections (sms.ts's SMS client, made
 * when the module loads; stack-status.ts's CloudFormation client, made on first use). Everything else belongs to one
 * invocation and is passed to what needs it, never kept in a module: the Invocation made below (invocation.ts) holds
 * the invocation's budget, its reader of the stack's status and the check of its SMS writes (rollback.ts); each SMS
 * call keeps its own record of what SMS answered its attempts (sms.ts), carried by middleware added to the call's own
 * commands, so that the shared client's middleware reads no state. What is known of an error travels in its class
 * (errors.ts: an SmsCallError's `kind`, a NoJobMadeError), not in a set beside it or in a rewritten message. So the
 * handler is correct without the rules Lambda happens to keep (one invocation per container at a time, one SMS call
 * at a time): test/handler/invocations.test.ts runs two events interleaved in one process.
 */
import type { ReplicationJob } from '@aws-sdk/client-sms';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { CATALOG_READ_TYPE, onCatalogRead } from './catalog-read';
import { Answer, redactUrl, sendAnswer } from './cfn-response';
import { createMadeNoJob, createOrAdopt } from './create';
import { DeleteOutcome, onDelete } from './delete';
import { RefusedError, describeError, rootCause } from './errors';
import { Invocation } from './invocation';
import { dropDeletedJobAmi, isCustomResourceEvent, keepAdoptedAmi, onOtherEvent } from './latest-ami';
import { eventMarker } from './ownership';
import { failedCreateId, jobIdOf } from './physical-id';
import { decodeProperties } from './properties';
import { Plan, SentBeforeRollbackError, follow, planOf } from './rollback';
import { ResolvedEvent, resolveServers } from './server';
import { catalogReader } from './sms';
import { onUpdate } from './update';

export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  // EventBridge invokes the function too, with SMS's AMI events, in stacks whose jobs offer their latest AMI
  // (latest-ami.ts): such an event is no CloudFormation event, and never gets a CloudFormation answer.
  if (!isCustomResourceEvent(event)) {
    return onOtherEvent(event, context.getRemainingTimeInMillis());
  }
  // Everything this invocation knows and keeps, passed to whatever needs it; nothing of it outlives the invocation.
  // The stack's read of the catalog sends its pages through a client with a lone reader's backoff (sms.ts).
  const catalogRead = event.ResourceType === CATALOG_READ_TYPE;
  const invocation = new Invocation(event.StackId, context.getRemainingTimeInMillis(), catalogRead ? catalogReader() : undefined);
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

  // The stack's read of the server catalog (catalog-read.ts) makes no job, and answers SUCCESS on every path.
  const answer = catalogRead ? await onCatalogRead(event, invocation) : await onJobEvent(event, invocation);
  console.log(JSON.stringify({ message: 'answer', ...answer }));
  try {
    await sendAnswer(event, answer, invocation.budget.answer);
  } catch (e) {
    // Not rethrown: Lambda would run the whole event again minutes later, when the stack may have moved on (a Create
    // then makes a job no later event sees). Unanswered, CloudFormation fails the resource at its ServiceTimeout,
    // and the Delete that follows finds any job by its marker.
    console.error(JSON.stringify({ message: 'the answer could not be sent', error: (e as Error).message }));
  }
}

async function onJobEvent(event: CloudFormationCustomResourceEvent, invocation: Invocation): Promise<Answer> {
  try {
    // A rollback that may race a cancelled event waits it out first; a forward event writes only while it is one.
    // One reader of the stack's status per invocation: its latest reading may serve the next write (rollback.ts).
    const plan = await planOf(event, invocation);
    await follow(plan, event, invocation);
    // A server named by its VM is found now, after the plan and before any write (server.ts); a rollback returns to
    // the server it came from without the catalog.
    const resolved = await resolveServers(event, invocation, plan.rollingBack ? 'confirmed' : plan.statusUnknown ? 'assumed' : undefined);
    const physicalId = await dispatch(resolved, plan, invocation);
    // The job's id, which the construct's replicationJobId reads (Fn::GetAtt): the physical id may say more (physical-id.ts).
    const data: Record<string, string> = { ReplicationJobId: jobIdOf(physicalId) ?? physicalId };
    if (resolved.serverId !== undefined) {
      data.ServerId = resolved.serverId;
    }
    return { status: 'SUCCESS', physicalResourceId: physicalId, data };
  } catch (e) {
    if (rootCause(e) instanceof SentBeforeRollbackError && 'PhysicalResourceId' in event) {
      // A forward Update sent before its stack's rollback began: nothing written, the id the stack holds (rollback.ts).
      const physicalId = event.PhysicalResourceId;
      console.log(JSON.stringify({ message: (e as Error).message }));
      return { status: 'SUCCESS', physicalResourceId: physicalId, data: { ReplicationJobId: jobIdOf(physicalId) ?? physicalId } };
    }
    return {
      status: 'FAILED',
      reason: describeError(e),
      // A failed Update or Delete keeps the id CloudFormation knows; a changed one would mean a replacement. A failed
      // Create's id tells its Delete whether the Create may have made a job.
      physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : failedCreateId(event.RequestId, !createMadeNoJob(e)),
    };
  }
}

async function dispatch(resolved: ResolvedEvent, plan: Plan, invocation: Invocation): Promise<string> {
  const { event } = resolved;
  // The owner is this resource; the token names this event, on any job it makes or adopts, unless the event moves a
  // VM-named job to another server, whose rollback must find the job without the catalog (server.ts's replacementToken).
  const byEvent = eventMarker(event.StackId, event.LogicalResourceId, event.RequestId);
  const marker = resolved.token ? { ...byEvent, token: resolved.token } : byEvent;
  switch (event.RequestType) {
    case 'Create': {
      // A job that existed (adopted, or this resource's own kept by RETAIN) may have AMIs: its parameter gets the latest.
      let adopted: ReplicationJob | undefined;
      const physicalId = await createOrAdopt(decodeProperties(event.ResourceProperties), marker, invocation, (job) => (adopted = job));
      await keepAdoptedAmi(adopted, event.StackId, event.LogicalResourceId, invocation.budget.work);
      return physicalId;
    }
    case 'Update':
      if (resolved.nothingToDo) {
        return event.PhysicalResourceId;
      }
      return onUpdate(event, marker, invocation, { rollingBack: plan.rollingBack === true, replacing: resolved.replacing, strayToken: resolved.strayToken });
    case 'Delete': {
      const outcome: DeleteOutcome = { jobDeleted: false };
      const physicalId = await onDelete(event, marker.owner, invocation, outcome);
      if (outcome.jobDeleted) {
        await dropDeletedJobAmi(event.StackId, event.LogicalResourceId, jobIdOf(event.PhysicalResourceId), invocation.budget.work);
      }
      return physicalId;
    }
    default:
      throw new RefusedError('UnknownRequestType', `Unknown RequestType ${(event as { RequestType: string }).RequestType}.`);
  }
}
