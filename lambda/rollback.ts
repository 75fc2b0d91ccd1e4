/**
 * Rollbacks that race a cancelled event.
 *
 * When another resource of the stack fails, CloudFormation marks a custom resource whose event is still running as
 * cancelled and starts the rollback at once: the rollback event (a Delete after a cancelled Create; an Update with old
 * and new swapped after a cancelled Update) runs in another invocation while the first may still be writing to SMS
 * (aws-cdk issue 26139, cloudformation-coverage-roadmap issue 1730). Two rules keep them from undoing each other:
 *
 * - A forward event (a Create, or an Update while the stack goes forward) reads its stack's status right before each
 *   SMS write, writes only while the stack still goes forward, and gives up on a write that SMS has not answered one
 *   write lease after that reading (budget.ts).
 * - A rollback event that may race such an event waits one lease before it looks at SMS, then acts on what SMS holds:
 *   every write that read a forward status has been answered or given up by then, and none is sent after.
 *
 * How the handler knows it is in such a rollback: a Delete whose physical id this handler never issued follows a
 * Create that CloudFormation cancelled (CloudFormation makes up an id for it); an Update reads the stack's status
 * (DescribeStacks on its own stack), since a rollback Update carries the same job id as a forward one. A Delete of an
 * id this handler issued (a job, or a Create that answered FAILED) races nothing and does not wait: the event that
 * issued the id had answered.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Budget } from './budget';
import { parsePhysicalId } from './physical-id';
import { RefusedError, sms } from './sms';
import { stackStatus } from './stack-status';

/** What an event does about a cancelled event it may race. */
export interface Plan {
  /** How long to wait before acting (ms): a write lease when a cancelled event may still be writing, else 0. */
  readonly waitMs: number;
  /** The stack statuses in which this event may write to SMS; undefined when its writes are not checked. */
  readonly writesWhile?: readonly string[];
  /** Why, for the log. */
  readonly why: string;
  /** True when the stack's status said it is rolling back (an Update only). */
  readonly rollingBack?: boolean;
}

/** The statuses in which a Create goes forward: the stack's creation, or an update that adds the resource. */
const CREATE_GOES_FORWARD = ['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS'];
const UPDATE_GOES_FORWARD = ['UPDATE_IN_PROGRESS'];

/** The SMS operations that change something. */
const WRITES = new Set(['CreateReplicationJobCommand', 'UpdateReplicationJobCommand', 'DeleteReplicationJobCommand']);

/** Whether the stack is rolling back: ROLLBACK_IN_PROGRESS (a creation) or UPDATE_ROLLBACK_IN_PROGRESS. */
export function isRollingBack(status: string): boolean {
  return status.endsWith('ROLLBACK_IN_PROGRESS');
}

/** Whether this handler answered with the physical id: a job's, or a failed Create's. */
function issuedHere(physicalId: string): boolean {
  return parsePhysicalId(physicalId).kind !== 'other';
}

/** Decides whether the event waits and whether its writes are checked; an Update reads the stack's status for it. */
export async function planOf(event: CloudFormationCustomResourceEvent, budget: Budget): Promise<Plan> {
  switch (event.RequestType) {
    case 'Create':
      return { waitMs: 0, writesWhile: CREATE_GOES_FORWARD, why: 'a Create: it writes while the stack goes forward' };
    case 'Delete':
      return issuedHere(event.PhysicalResourceId)
        ? { waitMs: 0, why: 'a Delete of an id this handler issued: the event that issued it has answered' }
        : { waitMs: budget.writeLease, why: 'a Delete of an id CloudFormation made up: the Create it rolls back was cancelled and may still be writing' };
    case 'Update': {
      let status: string;
      try {
        status = await stackStatus(event.StackId, Date.now() + budget.writeLease);
      } catch (e) {
        // Failing here would wedge a rollback (UPDATE_ROLLBACK_FAILED). Taken as one, a forward Update costs a lease
        // and writes unchecked, as it did before this check existed.
        console.warn(JSON.stringify({ message: 'could not read the stack\'s status; the Update is taken as a rollback', error: (e as Error).message }));
        return { waitMs: budget.writeLease, why: 'an Update whose stack status could not be read, taken as a rollback' };
      }
      return isRollingBack(status)
        ? { waitMs: budget.writeLease, rollingBack: true, why: `an Update while the stack is ${status}: the Update it undoes may have been cancelled and still be writing` }
        : { waitMs: 0, writesWhile: UPDATE_GOES_FORWARD, why: `an Update while the stack is ${status}: it writes while the stack goes forward` };
    }
    default:
      return { waitMs: 0, why: 'not a request type that writes' };
  }
}

/** The check every SMS write of this invocation passes; none when undefined. One event per invocation, so one variable. */
let guard: { readonly stackId: string; readonly writesWhile: readonly string[]; readonly leaseMs: number; readonly requestType: string } | undefined;

/** Waits as the plan says (never past the budget's work deadline), then checks this invocation's writes as it says. */
export async function follow(plan: Plan, event: CloudFormationCustomResourceEvent, budget: Budget): Promise<void> {
  guard = plan.writesWhile && { stackId: event.StackId, writesWhile: plan.writesWhile, leaseMs: budget.writeLease, requestType: event.RequestType };
  const waitMs = Math.max(0, Math.min(plan.waitMs, budget.work - Date.now()));
  console.log(JSON.stringify({ message: 'rollback plan', why: plan.why, waitMs, writesChecked: guard !== undefined }));
  if (waitMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

// Inside the SDK's retry loop, so that every attempt of a write reads the status afresh: a throttled Create retried
// for seconds must not write once the stack has started to roll back.
sms.middlewareStack.add((next, context) => async (args) => {
  const checked = guard;
  if (!checked || !WRITES.has(context.commandName ?? '')) {
    return next(args);
  }
  const readAt = Date.now();
  const leaseEnd = readAt + checked.leaseMs;
  const status = await stackStatus(checked.stackId, leaseEnd);
  if (!checked.writesWhile.includes(status)) {
    throw new RefusedError('EventCancelled', `The stack is ${status}: CloudFormation has moved on from this ${checked.requestType} ` +
      `(it was cancelled, or delivered late), so it makes no change in SMS (${context.commandName?.replace(/Command$/, '')} not sent).`);
  }
  return withinLease(next(args), leaseEnd, checked.leaseMs);
}, { step: 'finalizeRequest', priority: 'low', name: 'writeOnlyWhileForward' });

/**
 * The attempt, or a TimeoutError at the lease's end (which the SDK retries, reading the status again). The rollback
 * looks at SMS a lease after the stack began to roll back: a write that SMS applies later than a lease after it was
 * sent is the one case these rules cannot see.
 */
function withinLease<T>(attempt: Promise<T>, leaseEnd: number, leaseMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`SMS did not answer a write within its ${leaseMs} ms lease.`), { name: 'TimeoutError' })),
      Math.max(0, leaseEnd - Date.now()));
  });
  return Promise.race([attempt, expired]).finally(() => clearTimeout(timer));
}
