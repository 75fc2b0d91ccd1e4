/**
 * The latest AMI of each job, kept in the job's SSM parameter (lib/private/latest-ami.ts names it) by the provider of
 * a stack whose jobs offer it; the construct then sets LATEST_AMI_STACK_ID, the stack's id, on the function.
 *
 * SMS's AMI events reach the function through one EventBridge rule per stack, for every job of the account and region:
 * the function keeps the events of the jobs its stack owns, known by the marker in the job's description
 * (ownership.ts), whose logical id names the parameter, and of those only the job the stack's resource holds now
 * (DescribeStackResource): not the old job of a replaced resource, which carries the same marker. Such an event is
 * no CloudFormation event: it gets no answer, and whatever it cannot handle (an unknown shape, a job gone, someone
 * else's, or not the job its resource holds) changes nothing and is logged. A
 * write, or a read of the job or of its resource, that fails after its retries is logged and rethrown, so that Lambda
 * retries the event (twice, within the function's 5-minute event age) and then hands it to the dead-letter queue, if
 * the provider has one. An AMI event works for AMI_EVENT_MS at most: it shares the function's instances with
 * CloudFormation's events.
 *
 * The CloudFormation side: a Create that takes an existing job (ADOPT, or this resource's own) writes the job's latest
 * AMI at once; a Delete that deletes the job deletes its parameter if the job wrote it, and a job kept keeps it. Neither
 * fails its event for the parameter: the job is what CloudFormation waits for, and the next AMI event writes it again.
 *
 * Each write names its job in the parameter's description. The parameter is named after the logical id, so the old and
 * the new job of a replaced resource share it: the Delete of the new job, when the replacement rolls back, leaves the
 * parameter that names the old job (which stays); the cleanup Delete of the old job, when it goes forward, drops the
 * parameter that still holds the old job's AMI (the launch stack then waits for the new job's first AMI), and keeps
 * one the new job wrote already.
 */
import type { ReplicationJob } from '@aws-sdk/client-sms';
import { LATEST_AMI_STACK_ENV, latestAmiParameterName } from '../lib/private/latest-ami';
import { JOB_STATE_CHANGE, SMS_EVENT_SOURCE } from '../lib/private/sms-events';
import { describeError } from './errors';
import { Invocation } from './invocation';
import { ownerOf, parseMarker } from './ownership';
import { jobIdOf } from './physical-id';
import { SmsSender, isLive, jobById } from './sms';
import { SsmSender, deleteLatestAmi, putLatestAmi, writerOfLatestAmi } from './ssm';

/** The part of an EventBridge event the provider reads. */
export interface SmsEvent {
  readonly source: string;
  readonly 'detail-type'?: unknown;
  readonly detail?: Record<string, unknown>;
}

/** The clients to send with: the container's, unless a test gives others. */
export interface Clients {
  readonly sms?: SmsSender;
  readonly ssm?: SsmSender;
}

/** Whether the event is one CloudFormation sends a custom resource: its type of request and the URL of its answer. */
export function isCustomResourceEvent(event: unknown): boolean {
  const e = event as Record<string, unknown> | null;
  return typeof e?.RequestType === 'string' && typeof e.ResponseURL === 'string';
}

/** The stack whose jobs' latest AMIs this provider keeps (its id), if any. */
export function keepingStack(): string | undefined {
  return process.env[LATEST_AMI_STACK_ENV] || undefined;
}

/** The parameter of the job of the resource with this logical id in this stack. */
export function parameterOf(stackId: string, logicalId: string): string {
  return latestAmiParameterName(stackNameOf(stackId), logicalId);
}

/** arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid> */
function stackNameOf(stackId: string): string {
  return stackId.split('/')[1] ?? stackId;
}

/**
 * The time an AMI event may work, whatever the function's timeout (which is sized for CloudFormation's events): the
 * events share the function's concurrency with CloudFormation's, so an event that cannot be handled quickly (SMS or
 * CloudFormation throttled, an endpoint that does not answer) fails within this and leaves the instance to them;
 * Lambda retries it a minute, then two, later.
 */
export const AMI_EVENT_MS = 20_000;

const AMI_ID = /^ami-[0-9a-f]{8,17}$/;
const JOB_ID = /^sms-job-[0-9a-z]+$/i;

/**
 * An event that is not CloudFormation's: an SMS AMI event is kept when it is of a job this stack owns; anything else
 * is logged and left. Throws only when a call failed after its retries (logged first), for Lambda to retry the event.
 */
export async function onOtherEvent(event: unknown, remainingMs: number, clients: Clients = {}): Promise<void> {
  const e = event as SmsEvent | null;
  const detail = e?.detail ?? {};
  const jobId = detail['replication-job-id'];
  const amiId = detail['ami-id'];
  const seen = { source: e?.source, detailType: e?.['detail-type'], replicationJobId: jobId, amiId, replicationRunId: detail['replication-run-id'] };
  const ignore = (why: string) => console.log(JSON.stringify({ message: `event ignored: ${why}`, ...seen }));
  if (e?.source !== SMS_EVENT_SOURCE || e['detail-type'] !== JOB_STATE_CHANGE) {
    return ignore('neither a CloudFormation custom resource event nor an SMS job state change');
  }
  if (typeof jobId !== 'string' || !JOB_ID.test(jobId) || typeof amiId !== 'string' || !AMI_ID.test(amiId)) {
    return ignore('the event carries no replication job id or no AMI id');
  }
  const stackId = keepingStack();
  if (stackId === undefined) {
    return ignore(`this provider keeps no latest AMI (no ${LATEST_AMI_STACK_ENV}: no job of its stack offers it)`);
  }
  console.log(JSON.stringify({ message: 'AMI event', ...seen }));

  const invocation = new Invocation(stackId, Math.min(remainingMs, AMI_EVENT_MS), clients.sms);
  let job: ReplicationJob | undefined;
  try {
    job = await jobById(invocation, jobId, invocation.budget.work);
  } catch (err) {
    console.error(JSON.stringify({ message: 'could not read the job of the AMI event; Lambda retries the event', ...seen, error: describeError(err) }));
    throw err;
  }
  if (!job || !isLive(job)) {
    return ignore('the job is gone (deleted since the event)');
  }
  const marker = parseMarker(job.description);
  const logicalId = marker?.owner.split('/')[1];
  if (marker === undefined || logicalId === undefined || marker.owner !== ownerOf(stackId, logicalId)) {
    return ignore(`the job is not one this stack owns (its marker names ${marker ? marker.owner : 'no owner'})`);
  }
  // The marker names the resource, not the job: the old job of a replaced resource carries the same one, and keeps it
  // when it is retained (RETAIN, ADOPT's UpdateReplacePolicy) or until the cleanup deletes it. Only the job the
  // resource holds now writes the parameter the two share.
  let physicalId: string | undefined;
  try {
    physicalId = await invocation.reader.physicalIdOf(logicalId, invocation.budget.work);
  } catch (err) {
    console.error(JSON.stringify({
      message: 'could not read which job the stack\'s resource holds; Lambda retries the event', logicalId, ...seen, error: describeError(err),
    }));
    throw err;
  }
  const held = physicalId === undefined ? undefined : jobIdOf(physicalId);
  if (held !== jobId) {
    return ignore(`the stack's resource ${logicalId} holds ${held ?? (physicalId === undefined ? 'nothing' : `no job (${physicalId})`)}, not this job `
      + '(a job it replaced, retained or not yet deleted)');
  }
  const latest = latestAmiOf(job, amiId) ?? amiId;
  const name = parameterOf(stackId, logicalId);
  if (latest !== amiId) {
    console.log(JSON.stringify({ message: 'the job has a newer AMI than the event\'s (events may arrive out of order): writing the newer', ...seen, latest }));
  }
  try {
    await putLatestAmi(name, latest, jobId, invocation.budget.work, clients.ssm);
  } catch (err) {
    console.error(JSON.stringify({
      message: 'could not write the job\'s latest AMI to its parameter; Lambda retries the event', parameter: name, ...seen, latest, error: ssmErrorText(err),
    }));
    throw err;
  }
  console.log(JSON.stringify({ message: 'latest AMI written', parameter: name, replicationJobId: jobId, amiId: latest }));
  await undoIfDeletedMeanwhile(invocation, jobId, name, clients);
}

/**
 * A Delete of the job may have run between the read of the job and the write: it deleted the job, then the parameter,
 * and the write made it again. Read the job once more: if it is gone, this event deletes the parameter itself, but only
 * while the parameter still names this job (a Delete after this read deletes it after the write, as it should). The
 * new job of a replaced resource may have written it since: its AMI stays. Best effort: a failure is logged.
 */
async function undoIfDeletedMeanwhile(invocation: Invocation, jobId: string, name: string, clients: Clients): Promise<void> {
  try {
    const job = await jobById(invocation, jobId, invocation.budget.lookUp);
    if (job && isLive(job)) {
      return;
    }
    const writer = await writerOfLatestAmi(name, invocation.budget.lookUp, clients.ssm);
    if (!writer.exists || writer.jobId !== jobId) {
      console.log(JSON.stringify({
        message: `the job was deleted while its AMI was written; the parameter kept: it names ${writer.exists ? writer.jobId ?? '(none)' : 'nothing (deleted)'} now`,
        parameter: name, replicationJobId: jobId,
      }));
      return;
    }
    await deleteLatestAmi(name, invocation.budget.lookUp, clients.ssm);
    console.log(JSON.stringify({ message: 'the job was deleted while its AMI was written: parameter deleted', parameter: name, replicationJobId: jobId }));
  } catch (err) {
    console.warn(JSON.stringify({ message: 'could not check that the job still exists after writing its AMI', parameter: name, replicationJobId: jobId, error: describeError(err) }));
  }
}

/**
 * The job's newest AMI, given an event that carries `eventAmi`: the AMI of the job's completed run that completed last,
 * if the event's AMI is among its runs (an older event, delivered late, does not undo a newer AMI); else the event's
 * (SMS lists no run with it yet: it is the newest). SMS's events carry no time of their run.
 */
export function latestAmiOf(job: ReplicationJob, eventAmi: string | undefined): string | undefined {
  const runs = (job.replicationRunList ?? []).filter((r) => r.amiId && r.completedTime);
  if (eventAmi !== undefined && !runs.some((r) => r.amiId === eventAmi)) {
    return eventAmi;
  }
  const newest = runs.reduce<typeof runs[number] | undefined>((a, r) => (!a || r.completedTime! > a.completedTime! ? r : a), undefined);
  return newest?.amiId ?? eventAmi ?? job.latestAmiId;
}

/**
 * After a Create took an existing job: writes its latest AMI at once, if the stack keeps them and the job has one.
 * Best effort: a failure is logged, and the job's next AMI writes the parameter.
 */
export async function keepAdoptedAmi(job: ReplicationJob | undefined, stackId: string, logicalId: string, deadline: number,
  clients: Clients = {}): Promise<void> {
  if (job === undefined || keepingStack() === undefined) {
    return;
  }
  const latest = latestAmiOf(job, undefined);
  if (latest === undefined) {
    return;
  }
  const name = parameterOf(stackId, logicalId);
  try {
    await putLatestAmi(name, latest, job.replicationJobId!, deadline, clients.ssm);
    console.log(JSON.stringify({ message: 'latest AMI of the adopted job written', parameter: name, replicationJobId: job.replicationJobId, amiId: latest }));
  } catch (err) {
    console.warn(JSON.stringify({
      message: 'could not write the latest AMI of the adopted job; its next AMI writes it', parameter: name, replicationJobId: job.replicationJobId,
      amiId: latest, error: ssmErrorText(err),
    }));
  }
}

/**
 * After a Delete that deleted the job: deletes its parameter, if the stack keeps them and the parameter names that job
 * (see above: a replaced resource's jobs share it). Best effort, logged: a parameter whose writer cannot be read is kept,
 * since it may be the AMI of the job that stays.
 */
export async function dropDeletedJobAmi(stackId: string, logicalId: string, jobId: string | undefined, deadline: number,
  clients: Clients = {}): Promise<void> {
  if (keepingStack() === undefined) {
    return;
  }
  const name = parameterOf(stackId, logicalId);
  let writer;
  try {
    writer = await writerOfLatestAmi(name, deadline, clients.ssm);
  } catch (err) {
    console.warn(JSON.stringify({
      message: 'could not read which job wrote the latest-AMI parameter: kept (if it names the deleted job, delete it yourself: aws ssm delete-parameter --name ...)',
      parameter: name, replicationJobId: jobId, error: ssmErrorText(err),
    }));
    return;
  }
  if (!writer.exists) {
    return;
  }
  if (jobId === undefined || writer.jobId !== jobId) {
    console.log(JSON.stringify({
      message: `latest-AMI parameter kept: it names job ${writer.jobId ?? '(none)'}, not the deleted ${jobId ?? '(unknown)'}`, parameter: name,
    }));
    return;
  }
  try {
    await deleteLatestAmi(name, deadline, clients.ssm);
    console.log(JSON.stringify({ message: 'latest-AMI parameter of the deleted job deleted', parameter: name, replicationJobId: jobId }));
  } catch (err) {
    console.warn(JSON.stringify({
      message: 'could not delete the latest-AMI parameter of the deleted job; delete it yourself (aws ssm delete-parameter --name ...)',
      parameter: name, error: ssmErrorText(err),
    }));
  }
}

/** What SSM answered, or why it did not. */
function ssmErrorText(e: unknown): string {
  const error = e instanceof Error ? e : new Error(String(e));
  return `${error.name}: ${error.message}`;
}
