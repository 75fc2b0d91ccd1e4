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
 *
 * CloudFormation may throttle, deny or not answer DescribeStacks (stack-status.ts reads it with retries until the
 * deadline it serves, a lease before the work deadline). A Create that cannot read its status makes no write and
 * fails, naming CloudFormation. An Update that cannot read it within a lease of its start is taken as a rollback
 * (failing one would wedge the stack in UPDATE_ROLLBACK_FAILED): after its wait it tries once more, and then writes
 * as a forward event if the stack goes forward, as a rollback if it rolls back, not at all if the stack has moved on,
 * and, only when no reading was had at all, as a rollback, which it logs.
 *
 * An Update that reads a rolling-back status may still be a forward one: its reads were throttled until after the
 * rollback began, or Lambda delivered it late. CloudFormation sends the rollback's own Update after the rollback began,
 * so the Update compares when it was sent (its ResponseURL's signing time) with when the rollback began (the stack's
 * own event of that status): sent before, it is a forward Update that CloudFormation has moved on from, and it writes
 * nothing, answering SUCCESS with the id the stack holds (SentBeforeRollbackError says why SUCCESS). When either time
 * cannot be had, it acts as a rollback, as it did before (sentBeforeRollback).
 *
 * The case these rules cannot tell apart: an
 * Update that CloudFormation cancelled while answering neither it nor its rollback acts as a rollback too, a little
 * before the real one (which started later); if SMS applies its write after the real rollback has looked at the
 * job, the job keeps the cancelled values (README, "When CloudFormation cancels an event").
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Budget } from './budget';
import { RefusedError, describeError } from './errors';
import type { Invocation } from './invocation';
import { parsePhysicalId } from './physical-id';
import { ProviderError } from './retry';
import type { AttemptCheck, AttemptMiddleware } from './sms';
import { Reading, StackStatusError, StatusReader, isRollingBack } from './stack-status';

export { isRollingBack } from './stack-status';

/** What an event does about a cancelled event it may race. */
export interface Plan {
  /** How long to wait before acting (ms): a write lease when a cancelled event may still be writing, else 0. */
  readonly waitMs: number;
  /** The stack statuses in which this event may write to SMS; undefined when its writes are not checked. */
  readonly writesWhile?: readonly string[];
  /** True for an Update whose stack status could not be read: taken as a rollback, it reads again before each write. */
  readonly statusUnknown?: boolean;
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

/** Whether this handler answered with the physical id: a job's, or a failed Create's. */
function issuedHere(physicalId: string): boolean {
  return parsePhysicalId(physicalId).kind !== 'other';
}

/**
 * Until when a status read before a write may run: a lease before the work deadline, so that the write it allows
 * (which a forward event gives up a lease after the reading) and the answer still have their time.
 */
export function readDeadline(budget: Budget): number {
  return budget.work - budget.writeLease;
}

/**
 * Decides whether the event waits and whether its writes are checked; an Update reads the stack's status for it,
 * retrying until a lease after its start (the wait a rollback owes anyway). `startedAt`: when the invocation started.
 */
export async function planOf(event: CloudFormationCustomResourceEvent, invocation: Invocation, startedAt = Date.now()): Promise<Plan> {
  const { budget, reader } = invocation;
  switch (event.RequestType) {
    case 'Create':
      return { waitMs: 0, writesWhile: CREATE_GOES_FORWARD, why: 'a Create: it writes while the stack goes forward' };
    case 'Delete':
      return issuedHere(event.PhysicalResourceId)
        ? { waitMs: 0, why: 'a Delete of an id this handler issued: the event that issued it has answered' }
        : { waitMs: budget.writeLease, why: 'a Delete of an id CloudFormation made up: the Create it rolls back was cancelled and may still be writing' };
    case 'Update': {
      // A rollback waits a lease from its start: the time spent reading counts towards it.
      const leaseEnd = startedAt + budget.writeLease;
      let reading: Reading;
      try {
        reading = await reader.read(Math.min(Math.max(leaseEnd, Date.now()), readDeadline(budget)));
      } catch (e) {
        if (!(e instanceof StackStatusError)) throw e;
        // Failing here would wedge a rollback (UPDATE_ROLLBACK_FAILED).
        console.warn(JSON.stringify({
          message: 'could not read the stack\'s status; the Update is taken as a rollback and reads it again before each write',
          error: e.message,
        }));
        return { waitMs: Math.max(0, leaseEnd - Date.now()), statusUnknown: true, why: 'an Update whose stack status could not be read, taken as a rollback' };
      }
      if (!isRollingBack(reading.status)) {
        return { waitMs: 0, writesWhile: UPDATE_GOES_FORWARD, why: `an Update while the stack is ${reading.status}: it writes while the stack goes forward` };
      }
      await refuseIfSentBeforeRollback(event, reading, invocation, Math.min(Math.max(leaseEnd, Date.now() + EVIDENCE_MS), readDeadline(budget)));
      return { waitMs: Math.max(0, leaseEnd - Date.now()), rollingBack: true, why: `an Update while the stack is ${reading.status}: the Update it undoes may have been cancelled and still be writing` };
    }
    default:
      return { waitMs: 0, why: 'not a request type that writes' };
  }
}

/** What the check of an invocation's SMS writes reads: its event's, its budget's and its reader's. */
interface GuardSettings {
  readonly reader: StatusReader;
  /** Undefined for an Update taken as a rollback (Plan.statusUnknown). */
  readonly writesWhile?: readonly string[];
  readonly leaseMs: number;
  readonly readUntil: number;
  /** The work deadline: the SMS call's. */
  readonly workUntil: number;
  readonly requestType: string;
  /** Ends an Update taken as a rollback that the evidence shows is a forward one (refuseIfSentBeforeRollback). */
  readonly refuseIfForward: (reading: Reading) => Promise<void>;
}

/**
 * How long an Update taken as a rollback tries once more, after its wait, to read the status before it acts: short,
 * since the cancelled Update it may be, and the rollback it may race, both act at the end of their waits.
 */
const PROBE_MS = 1000;

/** Waits as the plan says (never past the budget's work deadline), then checks the invocation's writes as it says. */
export async function follow(plan: Plan, event: CloudFormationCustomResourceEvent, invocation: Invocation): Promise<void> {
  const { budget, reader } = invocation;
  invocation.guardWrites(plan.writesWhile || plan.statusUnknown
    ? writeGuard({
      reader, writesWhile: plan.writesWhile, leaseMs: budget.writeLease, readUntil: readDeadline(budget), workUntil: budget.work, requestType: event.RequestType,
      refuseIfForward: (reading) => refuseIfSentBeforeRollback(event, reading, invocation, Math.min(Date.now() + EVIDENCE_MS, readDeadline(budget))),
    })
    : undefined);
  const waitMs = Math.max(0, Math.min(plan.waitMs, budget.work - Date.now()));
  console.log(JSON.stringify({ message: 'rollback plan', why: plan.why, waitMs, writesChecked: invocation.writesGuarded }));
  if (waitMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  if (plan.statusUnknown) {
    // One more try before acting; its reading, if any, decides the writes that follow (writeOnlyWhileForward).
    const reading = await reader.read(Math.min(Date.now() + PROBE_MS, readDeadline(budget))).then(
      (r) => {
        console.log(JSON.stringify({ message: 'read the stack\'s status after the wait', stackStatus: r.status }));
        return r;
      },
      (e: Error) => {
        console.warn(JSON.stringify({ message: 'still no reading of the stack\'s status: the Update acts as a rollback', error: e.message }));
        return undefined;
      });
    if (reading && isRollingBack(reading.status)) {
      await refuseIfSentBeforeRollback(event, reading, invocation, Math.min(Date.now() + EVIDENCE_MS, readDeadline(budget)));
    }
  }
}

/** How long an Update that reads a rolling-back status may spend reading when the rollback began, at least. */
const EVIDENCE_MS = 5000;

/** AWS Signature Version 4's timestamp: X-Amz-Date, as in 20261207T120000Z. */
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * When CloudFormation sent the event (epoch ms, to the second): the signing time of its ResponseURL, the pre-signed S3
 * URL the answer goes to, which carries it as X-Amz-Date ("Authenticating Requests: Using Query Parameters (AWS
 * Signature Version 4)", Amazon S3 API Reference; the URL is "a presigned S3 bucket URL", CloudFormation's custom resource request and response
 * resource request reference). Undefined when the URL carries none.
 */
export function sentAt(event: CloudFormationCustomResourceEvent): number | undefined {
  let date: string | null;
  try {
    date = new URL(event.ResponseURL).searchParams.get('X-Amz-Date');
  } catch {
    return undefined;
  }
  const m = date === null ? null : AMZ_DATE.exec(date);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

/**
 * Whether an Update that found its stack rolling back (`reading`) was sent before that rollback began: then it is a
 * forward Update CloudFormation cancelled or Lambda delivered late, never the rollback's own, which CloudFormation sends
 * once the rollback has begun. The signing time has whole seconds, so the whole second it names must end before the
 * stack's event of the rollback status (DescribeStackEvents, its newest such event: "reverse chronological order").
 * When either time cannot be had before `deadline`, false: the Update acts as a rollback, as when no reading was had
 * (failing would wedge a rollback in UPDATE_ROLLBACK_FAILED), and says so in the log.
 */
export async function sentBeforeRollback(event: CloudFormationCustomResourceEvent, reading: Reading, invocation: Invocation, deadline: number): Promise<boolean> {
  const sent = sentAt(event);
  if (sent === undefined) {
    console.warn(JSON.stringify({ message: 'the ResponseURL carries no signing time: the Update is taken as the rollback', stackStatus: reading.status }));
    return false;
  }
  let began: number | undefined;
  try {
    // Events older than the signing second cannot show a rollback that began after it: the read stops there.
    began = await invocation.reader.enteredStatusAt(reading.status, deadline, sent);
  } catch (e) {
    console.warn(JSON.stringify({ message: 'could not read when the rollback began: the Update is taken as the rollback', stackStatus: reading.status, error: describeError(e) }));
    return false;
  }
  const before = began !== undefined && sent + 1000 <= began;
  console.log(JSON.stringify({
    message: before ? 'this Update was sent before the rollback began: a forward Update, which writes nothing'
      : began === undefined ? 'no event of the rollback\'s start was found: the Update is taken as the rollback' : 'this Update was sent after the rollback began: it is the rollback',
    sentAt: new Date(sent).toISOString(),
    rollbackBeganAt: began === undefined ? undefined : new Date(began).toISOString(),
  }));
  return before;
}

/**
 * A forward Update that found its stack rolling back, sent before the rollback began: it writes nothing, and the
 * handler answers SUCCESS with the physical id the stack holds (index.ts). CloudFormation ignores the answer of an
 * event it cancelled or has answered already; were the evidence ever wrong (the rollback's own Update taken for a
 * forward one), SUCCESS leaves the job's properties for the next deployment or `status` to see, where FAILED would
 * leave the stack in UPDATE_ROLLBACK_FAILED. A ProviderError: raised in a write's check, it ends the SDK's retries.
 */
export class SentBeforeRollbackError extends ProviderError {
  public readonly name = 'EventCancelled';
}

/** Ends a forward Update that found its stack rolling back (sentBeforeRollback), before any write. */
async function refuseIfSentBeforeRollback(event: CloudFormationCustomResourceEvent, reading: Reading, invocation: Invocation, deadline: number): Promise<void> {
  if (await sentBeforeRollback(event, reading, invocation, deadline)) {
    throw new SentBeforeRollbackError(`The stack is ${reading.status}, a rollback that began after CloudFormation sent this Update: ` +
      'CloudFormation has moved on from it (it was cancelled, or delivered late), so it makes no change in SMS.');
  }
}

/**
 * The reading that allows an attempt of a write: the latest, while at least half a lease of it is left (the attempt
 * is given up a lease after the reading, whichever attempt it was taken for), else a fresh one. A StackStatusError
 * ends the write's retries: the read had its own. Undefined for an Update taken as a rollback that never had a
 * reading: it writes as the rollback it most likely is, without reading again, so that it acts as promptly after its
 * wait as the rollback it may race.
 */
async function readingForWrite(checked: GuardSettings, operation: string): Promise<Reading | undefined> {
  const recent = checked.reader.recent(checked.leaseMs / 2);
  if (recent) {
    return recent;
  }
  if (!checked.writesWhile && !checked.reader.hasRead()) {
    console.warn(JSON.stringify({ message: 'writing without a reading of the stack\'s status, as a rollback', operation }));
    return undefined;
  }
  if (Date.now() >= checked.readUntil - MIN_READ_MS) {
    // Earlier attempts (SMS's retries) spent the time a reading and its write need (a read with less than
    // MIN_READ_MS left could only be cut short, and would blame CloudFormation for SMS's retries): no attempt is sent. A reading
    // can still say that the stack has moved on (the event was cancelled while SMS throttled it), and the call then
    // ends with EventCancelled at once. Otherwise, it ends at its own deadline with what SMS answered, which is not
    // CloudFormation's doing (a failed reading included).
    const late = await checked.reader.read(checked.workUntil).catch(() => undefined);
    if (late && !mayWriteWhile(checked, late.status)) {
      return late;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, checked.workUntil - Date.now()) + 1000).unref());
    throw new NoTimeToReadError('No time was left to read the stack\'s status before another attempt.');
  }
  return checked.reader.read(checked.readUntil);
}

/** The least time a fresh status read before a write is started with; with less left, there is no time to read. */
const MIN_READ_MS = 250;

/** Whether the stack's status allows this invocation's writes: it goes forward, or, for an Update taken as a rollback, rolls back. */
function mayWriteWhile(checked: GuardSettings, status: string): boolean {
  return (checked.writesWhile ?? UPDATE_GOES_FORWARD).includes(status) || (!checked.writesWhile && isRollingBack(status));
}

/**
 * The check of an invocation's SMS writes, which its calls add to each command (invocation.ts). Inside the SDK's
 * retry loop, so that every attempt of a write reads the status afresh (or reuses a reading young enough): a
 * throttled Create retried for seconds must not write once the stack has started to roll back.
 */
function writeGuard(checked: GuardSettings): AttemptCheck {
  return { name: 'writeOnlyWhileForward', middleware: writeOnlyWhileForward(checked) };
}

const writeOnlyWhileForward = (checked: GuardSettings): AttemptMiddleware => (next, context) => async (args) => {
  const operation = (context.commandName ?? '').replace(/Command$/, '');
  if (!WRITES.has(`${operation}Command`)) {
    return next(args);
  }
  const reading = await readingForWrite(checked, operation);
  if (!reading) {
    return next(args);
  }
  const forward = checked.writesWhile ?? UPDATE_GOES_FORWARD;
  if (forward.includes(reading.status)) {
    return withinLease(next(args), reading.at + checked.leaseMs, checked.leaseMs);
  }
  if (!checked.writesWhile && isRollingBack(reading.status)) {
    // Taken as a rollback, and the stack rolls back: a rollback's write, a lease after its start, unless the event was
    // sent before the rollback began.
    await checked.refuseIfForward(reading);
    return next(args);
  }
  throw new RefusedError('EventCancelled', `The stack is ${reading.status}: CloudFormation has moved on from this ${checked.requestType} ` +
    `(it was cancelled, or delivered late), so it makes no change in SMS (${operation} not sent).`);
};

/**
 * The attempt, or a TimeoutError at the lease's end (which the SDK retries, reading the status again). The rollback
 * looks at SMS a lease after the stack began to roll back: a write that SMS applies later than a lease after it was
 * sent is the one case these rules cannot see.
 */
function withinLease<T>(attempt: Promise<T>, leaseEnd: number, leaseMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LeaseExpiredError(`SMS did not answer a write within its ${leaseMs} ms lease.`)),
      Math.max(0, leaseEnd - Date.now()));
  });
  return Promise.race([attempt, expired]).finally(() => clearTimeout(timer));
}

/** An attempt of a write given up at its lease's end: a TimeoutError, which the SDK retries (reading the status again). */
class LeaseExpiredError extends Error {
  public readonly name = 'TimeoutError';
}

/** No attempt sent, for want of time to read the status first: an AbortError, which the SDK does not retry. */
class NoTimeToReadError extends Error {
  public readonly name = 'AbortError';
}
