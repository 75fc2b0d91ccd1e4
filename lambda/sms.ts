/**
 * The SMS client (one per Lambda container), and the calls an invocation makes with it.
 *
 * Nothing of one call, or of one invocation, is kept in this module: what SMS answered the attempts of a call lives in
 * that call's own record (Attempts), kept by a middleware added to each command the call sends; the checks of an
 * invocation's writes come with the call (invocation.ts).
 */
import { GetReplicationJobsCommand, ReplicationJob, SMSClient, SMSClientResolvedConfig, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-sms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Command, FinalizeHandler, HandlerExecutionContext, RetryStrategyV2 } from '@smithy/types';
import { DeadlineError, SmsCallError, isServiceAnswer } from './errors';
import type { Invocation } from './invocation';
import { CATALOG_PAGE, FAILED, ProviderError, UntilDeadlineRetryStrategy, retryStrategy } from './retry';
import { StackStatusError } from './stack-status';

/**
 * Created once per Lambda container, and shared by its invocations (one at a time in Lambda) for its connections.
 * AWS_ENDPOINT_URL_SMS (or AWS_ENDPOINT_URL) points it elsewhere, e.g. a local emulator. Sent to through `call` only.
 */
export const sms = smsClient(retryStrategy());

let catalogClient: SMSClient | undefined;

/**
 * The client of the stack's read of the server catalog (catalog-read.ts): the container's settings, with the backoff
 * of a lone reader of pages (retry.ts's CATALOG_PAGE). Made on first use, by the invocations that read the catalog.
 */
export function catalogReader(): SMSClient {
  catalogClient ??= smsClient(new UntilDeadlineRetryStrategy(CATALOG_PAGE, FAILED));
  return catalogClient;
}

/** An SMS client with the container's settings and `strategy` for retries. */
function smsClient(strategy: RetryStrategyV2): SMSClient {
  return new SMSClient({
    endpoint: process.env.AWS_ENDPOINT_URL_SMS ?? process.env.AWS_ENDPOINT_URL,
    // Transient errors are retried until `call`'s deadline, not for a count (retry.ts). Every SMS call, each page of a
    // listing included, goes through it.
    retryStrategy: strategy,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 20000 }),
  });
}

/** An SMS command, such as a GetReplicationJobsCommand. */
export type SmsCommand<I extends ServiceInputTypes, O extends ServiceOutputTypes> =
  Command<ServiceInputTypes, I, ServiceOutputTypes, O, SMSClientResolvedConfig>;

/** Sends one command of a call: with the call's abort signal, its record of SMS's answers and its checks. */
export type Send = <I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: SmsCommand<I, O>) => Promise<O>;

/** The client a call sends with: the container's, or a test's. */
export type SmsSender = Pick<SMSClient, 'send'>;

/** A middleware of the finalizeRequest step, for a command of any input and output. */
export type AttemptMiddleware = <I extends object, O extends object>(next: FinalizeHandler<I, O>, context: HandlerExecutionContext) => FinalizeHandler<I, O>;

/**
 * A check that every attempt of each command of a call passes, inside the SDK's retry loop (rollback.ts's write
 * guard): it may refuse an attempt with a ProviderError, which ends the call.
 */
export interface AttemptCheck {
  readonly name: string;
  readonly middleware: AttemptMiddleware;
}

/** How one call is made: with which client, and which checks its attempts pass. */
export interface CallOptions {
  readonly client: SmsSender;
  readonly checks?: readonly AttemptCheck[];
}

/** What SMS answered the attempts of one call. */
class Attempts {
  /** The error SMS answered to the latest attempt that got an HTTP error status. */
  answered?: Error;

  /** Whether an attempt ended without a modeled 4xx answer from SMS: its fate is unknown. */
  unanswered = false;

  /**
   * The latest attempt's error that was no answer from SMS (a network fault, a timeout, CloudFormation's status
   * check), so that a call that never reached SMS says why in its Reason; cleared by an attempt that got through.
   */
  other?: Error;

  /**
   * Added to each command of the call, inside the SDK's retry loop (which is at high priority in this step), so it
   * sees every attempt's error: when the deadline cuts the retries short, the Reason can name what SMS kept answering
   * rather than only "Timeout".
   */
  readonly middleware: AttemptMiddleware = (next) => async (args) => {
    try {
      const output = await next(args);
      // This attempt got through: an earlier attempt's fault no longer says why the call failed.
      this.other = undefined;
      return output;
    } catch (e) {
      if (e instanceof ProviderError) {
        // Raised by the provider before the attempt was sent (a status check that failed, or refused the write): SMS
        // was not asked, and the call ends with this error itself.
        throw e;
      }
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== undefined && status >= 400) {
        this.answered = e as Error;
      }
      if (!isServiceAnswer(e)) {
        this.unanswered = true;
      }
      // Not an AbortError: that is a deadline's own abort. And not `instanceof Error`: an error made by Node's own
      // modules may come from another realm (a test runner's).
      if (status === undefined && typeof (e as Error)?.message === 'string' && (e as Error).name !== 'AbortError') {
        this.other = e as Error;
      }
      throw e;
    }
  };
}

/**
 * Makes one SMS call: `run` sends its commands (one, or each page of a listing) with `send`, and the client's
 * retries; the call gives up at `deadline` (epoch ms), aborting the request in flight. The SDK's retry loop does not
 * know the deadline, so the race is ours; the abort also ends the retry loop, which retries everything else transient
 * without a count. It fails with a DeadlineError at the deadline, else with an SmsCallError around what ended it.
 * An invocation calls through its own `call` (invocation.ts), which adds its checks.
 */
export async function call<T>(operation: string, run: (send: Send) => Promise<T>, deadline: number, options: CallOptions): Promise<T> {
  const controller = new AbortController();
  const attempts = new Attempts();
  const send: Send = (command) => {
    // A command is sent once: its stack keeps what is added to it.
    command.middlewareStack.add(attempts.middleware, { step: 'finalizeRequest', priority: 'low', name: 'rememberAnswerError' });
    for (const check of options.checks ?? []) {
      command.middlewareStack.add(check.middleware, { step: 'finalizeRequest', priority: 'low', name: check.name });
    }
    return options.client.send(command, { abortSignal: controller.signal });
  };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const answered = attempts.answered;
      const other = attempts.other;
      controller.abort();
      reject(answered
        ? new DeadlineError(`${answered.message.replace(/[.\s]*$/, '')}; SMS kept answering ${answered.name} to ${operation} ` +
          'until the provider\'s time ran out.', answered.name)
        : new DeadlineError(other
          // The attempt may have failed before SMS was asked (CloudFormation's status check): no "SMS did not answer".
          ? `${operation} did not complete before the provider's time ran out; the last attempt ended in ${other.name}: ${other.message.replace(/[.\s]*$/, '')}.`
          : `SMS did not answer ${operation} before the provider's time ran out.`));
    }, Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([run(send), expired]);
  } catch (e) {
    if (e instanceof DeadlineError || typeof e !== 'object' || e === null) {
      throw e;
    }
    // A status check that failed before an attempt (stack-status.ts) sent nothing on that attempt either.
    const refused = (isServiceAnswer(e) || e instanceof StackStatusError) && !attempts.unanswered;
    throw new SmsCallError(refused ? 'refused' : 'unknown', e);
  } finally {
    clearTimeout(timer);
  }
}

/** The most jobs SMS gives on one page of a listing. */
const PAGE_SIZE = 100;

/** Every job of the account, page by page, in one call. SMS has no filter by server. */
export async function allJobs(invocation: Invocation, deadline: number): Promise<ReplicationJob[]> {
  return invocation.call('GetReplicationJobs', async (send) => {
    const jobs: ReplicationJob[] = [];
    let nextToken: string | undefined;
    do {
      const page = await send(new GetReplicationJobsCommand({ nextToken, maxResults: PAGE_SIZE }));
      jobs.push(...page.replicationJobList ?? []);
      nextToken = page.nextToken;
    } while (nextToken);
    return jobs;
  }, deadline);
}

/** The server's live job (SMS allows one per server), if any. */
export async function jobOfServer(invocation: Invocation, serverId: string, deadline: number): Promise<ReplicationJob | undefined> {
  return liveJobOf(await allJobs(invocation, deadline), serverId);
}

/** The job with this id, if SMS still has it (live or not). */
export async function jobById(invocation: Invocation, jobId: string, deadline: number): Promise<ReplicationJob | undefined> {
  try {
    const answer = await invocation.call('GetReplicationJobs', (send) => send(new GetReplicationJobsCommand({ replicationJobId: jobId })), deadline);
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
