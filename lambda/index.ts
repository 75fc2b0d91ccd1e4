/**
 * The custom resource provider behind every `Custom::SmsReplicationJob` in a stack.
 *
 * CloudFormation invokes this function directly (it is the ServiceToken) and waits for the answer PUT to the
 * event's ResponseURL. The handler always answers, SUCCESS or FAILED, before the invocation's deadline. Each request
 * type is a file of its own: create.ts, update.ts, delete.ts; rollback.ts keeps a rollback and the event it cancelled
 * from undoing each other.
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { Budget, budgetOf } from './budget';
import { Answer, redactUrl, sendAnswer } from './cfn-response';
import { createMadeNoJob, createOrAdopt } from './create';
import { onDelete } from './delete';
import { eventMarker } from './ownership';
import { failedCreateId } from './physical-id';
import { decodeProperties } from './properties';
import { Plan, follow, planOf } from './rollback';
import { resolveServers } from './server';
import { RefusedError, describeError } from './sms';
import { StatusReader } from './stack-status';
import { onUpdate } from './update';

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
    // A rollback that may race a cancelled event waits it out first; a forward event writes only while it is one.
    // One reader of the stack's status per invocation: its latest reading may serve the next write (rollback.ts).
    const reader = new StatusReader(event.StackId);
    const plan = await planOf(event, budget, reader);
    await follow(plan, event, budget, reader);
    // A server named by its VM is found now, after the plan and before any write (server.ts).
    const resolved = await resolveServers(event, budget);
    const jobId = await dispatch(resolved.event, plan, budget, reader);
    const data: Record<string, string> = { ReplicationJobId: jobId };
    if (resolved.serverId !== undefined) {
      data.ServerId = resolved.serverId;
    }
    answer = { status: 'SUCCESS', physicalResourceId: jobId, data };
  } catch (e) {
    answer = {
      status: 'FAILED',
      reason: describeError(e),
      // A failed Update or Delete keeps the id CloudFormation knows; a changed one would mean a replacement. A failed
      // Create's id tells its Delete whether the Create may have made a job.
      physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : failedCreateId(event.RequestId, !createMadeNoJob(e)),
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

function dispatch(event: CloudFormationCustomResourceEvent, plan: Plan, budget: Budget, reader: StatusReader): Promise<string> {
  // The owner is this resource; the token names this event, on any job it makes or adopts.
  const marker = eventMarker(event.StackId, event.LogicalResourceId, event.RequestId);
  switch (event.RequestType) {
    case 'Create':
      return createOrAdopt(decodeProperties(event.ResourceProperties), marker, budget);
    case 'Update':
      return onUpdate(event, marker, budget, { rollingBack: plan.rollingBack === true });
    case 'Delete':
      return onDelete(event, marker.owner, budget, reader);
    default:
      throw new RefusedError('UnknownRequestType', `Unknown RequestType ${(event as { RequestType: string }).RequestType}.`);
  }
}
