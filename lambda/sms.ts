/**
 * The SMS client, bounded by the time the Lambda invocation has left, and the advice each SMS error gets.
 */
import { GetReplicationJobsCommand, SMSClient, paginateGetReplicationJobs, ReplicationJob } from '@aws-sdk/client-sms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ProviderError, retryStrategy } from './retry';
import { StackStatusError } from './stack-status';

/** Created once per Lambda container. AWS_ENDPOINT_URL_SMS (or AWS_ENDPOINT_URL) points it elsewhere, e.g. a local emulator. */
export const sms = new SMSClient({
  endpoint: process.env.AWS_ENDPOINT_URL_SMS ?? process.env.AWS_ENDPOINT_URL,
  // Transient errors are retried until `call`'s deadline, not for a count (retry.ts). Every SMS call, each page of a
  // listing included, goes through it.
  retryStrategy: retryStrategy(),
  requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 20000 }),
});

/**
 * The error SMS answered to the latest attempt of the call in progress. The handler makes one SMS call at a time, so
 * one variable serves; `call` clears it.
 */
let lastAnswerError: Error | undefined;

/** Whether an attempt of the call in progress ended without a modeled 4xx answer from SMS: its fate is unknown. */
let unansweredAttempt = false;

/**
 * The latest attempt's error that was no answer from SMS (a network fault, a timeout, CloudFormation's status check),
 * so that a call that never reached SMS says why in its Reason.
 */
let lastOtherError: Error | undefined;

/** Errors of calls whose every attempt SMS answered with a modeled client error: the call changed nothing. */
const refusedCalls = new WeakSet<object>();

// Inside the SDK's retry loop (which is at high priority in this step), so it sees every attempt's error: when the
// deadline cuts the retries short, the Reason can name what SMS kept answering rather than only "Timeout".
sms.middlewareStack.add((next) => async (args) => {
  try {
    const output = await next(args);
    // This attempt got through: an earlier attempt's fault no longer says why the call failed.
    lastOtherError = undefined;
    return output;
  } catch (e) {
    if (e instanceof ProviderError) {
      // Raised by the provider before the attempt was sent (a status check that failed, or refused the write): SMS
      // was not asked, and the call ends with this error itself.
      throw e;
    }
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== undefined && status >= 400) {
      lastAnswerError = e as Error;
    }
    if (!isServiceAnswer(e)) {
      unansweredAttempt = true;
    }
    // Not an AbortError: that is a deadline's own abort, maybe of an earlier call whose retry loop slept through it. And
    // not `instanceof Error`: an error made by Node's own modules may come from another realm (a test runner's).
    if (status === undefined && typeof (e as Error)?.message === 'string' && (e as Error).name !== 'AbortError') {
      lastOtherError = e as Error;
    }
    throw e;
  }
}, { step: 'finalizeRequest', priority: 'low', name: 'rememberAnswerError' });

/** An SMS call that did not finish before the invocation's deadline. */
export class DeadlineError extends Error {
  public readonly name = 'Timeout';
}

/** Something the provider refuses, with a message that says what to do. */
export class RefusedError extends ProviderError {
  constructor(public readonly name: string, message: string) {
    super(message);
  }
}

/**
 * Sends one SMS command (with the client's retries) and gives up at `deadline` (epoch ms), aborting the request in
 * flight. The SDK's retry loop does not know the deadline, so the race is ours; the abort also ends the retry loop,
 * which retries everything else transient without a count.
 */
export async function call<T>(operation: string, send: (abortSignal: AbortSignal) => Promise<T>, deadline: number): Promise<T> {
  const controller = new AbortController();
  lastAnswerError = undefined;
  lastOtherError = undefined;
  unansweredAttempt = false;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const answered = lastAnswerError;
      const other = lastOtherError;
      controller.abort();
      reject(answered
        // Named after SMS's error, but without its $fault and $metadata: the fate of the attempt cut short is unknown.
        ? Object.assign(new DeadlineError(`${answered.message.replace(/[.\s]*$/, '')}; SMS kept answering ${answered.name} to ${operation} ` +
          'until the provider\'s time ran out.'), { name: answered.name })
        : new DeadlineError(other
          // The attempt may have failed before SMS was asked (CloudFormation's status check): no "SMS did not answer".
          ? `${operation} did not complete before the provider's time ran out; the last attempt ended in ${other.name}: ${other.message.replace(/[.\s]*$/, '')}.`
          : `SMS did not answer ${operation} before the provider's time ran out.`));
    }, Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([send(controller.signal), expired]);
  } catch (e) {
    // A status check that failed before an attempt (stack-status.ts) sent nothing on that attempt either.
    if ((isServiceAnswer(e) || e instanceof StackStatusError) && !unansweredAttempt && typeof e === 'object' && e !== null) {
      refusedCalls.add(e);
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether the error ended a call that SMS refused outright: every attempt was answered with a modeled client error
 * (throttling included), so nothing was changed. A timeout, a network fault or a 5xx on any attempt leaves the
 * call's outcome unknown.
 */
export function wasRefusedOutright(e: unknown): boolean {
  return typeof e === 'object' && e !== null && refusedCalls.has(e);
}

/** Every job of the account, page by page. SMS has no filter by server. */
export async function allJobs(deadline: number): Promise<ReplicationJob[]> {
  return call('GetReplicationJobs', async (abortSignal) => {
    const jobs: ReplicationJob[] = [];
    for await (const page of paginateGetReplicationJobs({ client: sms, pageSize: 100 }, {}, { abortSignal })) {
      jobs.push(...page.replicationJobList ?? []);
    }
    return jobs;
  }, deadline);
}

/** The server's live job (SMS allows one per server), if any. */
export async function jobOfServer(serverId: string, deadline: number): Promise<ReplicationJob | undefined> {
  return liveJobOf(await allJobs(deadline), serverId);
}

/** The job with this id, if SMS still has it (live or not). */
export async function jobById(jobId: string, deadline: number): Promise<ReplicationJob | undefined> {
  try {
    const answer = await call('GetReplicationJobs', (abortSignal) =>
      sms.send(new GetReplicationJobsCommand({ replicationJobId: jobId }), { abortSignal }), deadline);
    return answer.replicationJobList?.find((job) => job.replicationJobId === jobId);
  } catch (e) {
    if ((e as Error).name !== 'ReplicationJobNotFoundException') {
      throw e;
    }
    return undefined;
  }
}

/** The server's live job among `jobs`, if any. */
export function liveJobOf(jobs: ReplicationJob[], serverId: string): ReplicationJob | undefined {
  return jobs.find((job) => job.serverId === serverId && isLive(job));
}

/** Whether the job still exists for SMS: not being deleted, nor deleted. */
export function isLive(job: ReplicationJob): boolean {
  return job.state !== 'DELETING' && job.state !== 'DELETED';
}

/** Whether the error is one SMS answered with (a modeled error), rather than a timeout, a network fault or a garbled answer. */
export function isServiceAnswer(e: unknown): boolean {
  const fault = (e as { $fault?: string }).$fault;
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return fault === 'client' && status !== undefined && status < 500;
}

const ADVICE: Record<string, string> = {
  InvalidParameterException: 'Check the ReplicationJob properties against the SMS API (a server ID from the SMS server catalog, a KMS key SMS can use, a frequency from 1 to 24 hours).',
  MissingRequiredParameterException: 'A required parameter was missing; this is a bug in cdk-sms-replication-job, please report it.',
  UnauthorizedOperationException: 'The provider\'s role, or the account, may not use SMS: SMS took new migration jobs only until January 1, 2022 (README, "Service status"). Check the role\'s permissions and the account\'s SMS access, or migrate with AWS MGN.',
  OperationNotPermittedException: 'SMS does not permit this operation on the job in its current state; check the job in the SMS console and retry.',
  ServerCannotBeReplicatedException: 'SMS cannot replicate this server; check it in the SMS server catalog (GetServers) and its connector.',
  NoConnectorsAvailableException: 'No SMS connector can reach this server; check the connector appliance is registered and healthy.',
  ReplicationJobNotFoundException: 'The replication job no longer exists (deleted outside CloudFormation, or ended by SMS); deploy again, and the provider creates it again.',
  InternalError: 'SMS kept failing with internal errors after retries; retry the deployment later.',
  TemporarilyUnavailableException: 'SMS stayed unavailable after retries; retry the deployment later.',
  ThrottlingException: 'SMS kept throttling after retries; deploy fewer replication jobs at once or retry later.',
  EventCancelled: 'CloudFormation no longer waits for this answer; the rollback\'s own event deals with what this one made.',
  Timeout: 'The provider answered before its Lambda deadline rather than leave the stack waiting; retry the deployment, and check SMS\'s health in the region.',
};

/**
 * A Reason for CloudFormation: the error's name first, then what happened and what to do. "Retry" only where a retry
 * can help: not after a refusal (a property that does not decode, a change SMS cannot make, another owner's job),
 * whose message says what to change.
 */
export function describeError(e: unknown): string {
  const error = e instanceof Error ? e : new Error(String(e));
  const name = error.name || 'Error';
  // A ProviderError's message says what to do: a refusal, or a stack status CloudFormation would not give.
  const refused = e instanceof ProviderError || name === 'InvalidProperty';
  const advice = ADVICE[name] ?? (refused || isServiceAnswer(e) ? '' : 'The request to SMS did not complete; retry the deployment.');
  const what = `${name}: ${error.message}`.trim();
  return advice ? `${what}${/[.!?]$/.test(what) ? '' : '.'} ${advice}` : what;
}
