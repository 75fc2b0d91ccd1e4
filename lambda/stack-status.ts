/**
 * The status of the handler's own stack, from CloudFormation's DescribeStacks, and, for an Update that finds its stack
 * rolling back, when the rollback began, from DescribeStackEvents; for an AMI event, which job the stack's resource
 * holds, from DescribeStackResource (latest-ami.ts). These are the only CloudFormation calls the provider may make, and
 * only on its own stack.
 *
 * DescribeStacks shares the account's CloudFormation API rate with everything else (pipelines polling their stacks,
 * `cdk deploy` watching events, the other events of the same deployment), so a reading is as durable as an SMS call:
 * retried with backoff until the deadline it serves, not for the SDK's three attempts. One reader per invocation
 * keeps its latest reading, which a write may reuse while the write lease allows (rollback.ts).
 */
import type { CloudFormationClient, DescribeStackEventsCommand, DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { Backoff, DESCRIBE_STACKS, FAILED, ProviderError } from './retry';

/**
 * Created on first use, once per Lambda container, and loaded then: the client's modules are a third of the bundle,
 * and a Delete reads the status only for a job adopted with ExistingJob ADOPT. AWS_ENDPOINT_URL_CLOUDFORMATION (or
 * AWS_ENDPOINT_URL) points it elsewhere. One attempt per send: the reader retries (the SDK's three attempts would end
 * a read long before the deadline it serves while CloudFormation throttles).
 */
let client: Promise<{
  cloudFormation: CloudFormationClient;
  DescribeStacks: typeof DescribeStacksCommand;
  DescribeStackEvents: typeof DescribeStackEventsCommand;
  DescribeStackResource: typeof DescribeStackResourceCommand;
}> | undefined;

function cloudFormationClient(): NonNullable<typeof client> {
  client ??= import('@aws-sdk/client-cloudformation').then(({
    CloudFormationClient: Client, DescribeStacksCommand: DescribeStacks, DescribeStackEventsCommand: DescribeStackEvents,
    DescribeStackResourceCommand: DescribeStackResource,
  }) => ({
    cloudFormation: new Client({ endpoint: process.env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? process.env.AWS_ENDPOINT_URL, maxAttempts: 1 }),
    DescribeStacks,
    DescribeStackEvents,
    DescribeStackResource,
  }));
  return client;
}

/**
 * The pages of stack events read, at most, for the start of a rollback: the events come newest first (DescribeStackEvents,
 * "in reverse chronological order"), and the start is older than only the events of the rollback itself, a few per
 * resource it has reached so far.
 */
const MAX_EVENT_PAGES = 5;

/** The longest one DescribeStacks attempt may take before it is given up and tried again. */
const ATTEMPT_MS = 5000;

/**
 * The last attempt is sent at least this long before the read's deadline: a backoff that would wait past that point
 * is cut short to it, so that a read retries until its deadline rather than until a wait no longer fits (an Update's
 * first reading has only a lease, 10 s, and the DescribeStacks windows grow to 24 s).
 */
const LAST_ATTEMPT_MS = 1000;

/** One reading of the stack. */
export interface Reading {
  /** Such as CREATE_IN_PROGRESS or UPDATE_ROLLBACK_IN_PROGRESS. */
  readonly status: string;
  /** The parent's stack id, for a nested stack. */
  readonly parentId?: string;
  /** When the request that answered it was sent (epoch ms): the reading is true from then on at the earliest. */
  readonly at: number;
}

/** How a status read failed. */
export type StatusFailure = 'throttled' | 'denied' | 'no-answer' | 'no-route' | 'failed';

const NAMES: Record<StatusFailure, string> = {
  'throttled': 'CloudFormationThrottling',
  'denied': 'CloudFormationAccessDenied',
  'no-answer': 'CloudFormationNoAnswer',
  'no-route': 'CloudFormationUnreachable',
  'failed': 'CloudFormationError',
};

/**
 * A status that could not be read before its deadline. A ProviderError: raised inside an SMS write's retry loop
 * (rollback.ts), it ends that loop at once, since the read already had its retries; no SMS request was sent for
 * the attempt it guarded. Its message names CloudFormation, the call, how it failed, and the fix.
 */
export class StackStatusError extends ProviderError {
  public readonly name: string;
  constructor(public readonly failure: StatusFailure, message: string) {
    super(message);
    this.name = NAMES[failure];
  }
}

/** Reads one stack's status for one invocation, and keeps its latest reading. */
export class StatusReader {
  private latest?: Reading;
  /** When the stack entered each status, as its events said, or how reading them failed (enteredStatusAt). */
  private readonly entered = new Map<string, Promise<number | undefined>>();

  constructor(private readonly stackId: string, private readonly backoff: { throttled: Backoff; failed: Backoff } = { throttled: DESCRIBE_STACKS, failed: FAILED }) {}

  /** Whether any reading was had in this invocation. */
  hasRead(): boolean {
    return this.latest !== undefined;
  }

  /** The latest reading, if it was taken less than `maxAgeMs` ago. */
  recent(maxAgeMs: number): Reading | undefined {
    return this.latest && Date.now() - this.latest.at < maxAgeMs ? this.latest : undefined;
  }

  /**
   * The stack's status, read before `deadline` (epoch ms): throttling, 5xx, timeouts and network errors are retried
   * with backoff until then, the last attempt sent LAST_ATTEMPT_MS before it; AccessDenied, and a stack that does not
   * exist, are not. Throws StackStatusError.
   */
  async read(deadline: number): Promise<Reading> {
    const { cloudFormation, DescribeStacks } = await cloudFormationClient();
    return this.retried('DescribeStacks', deadline, async (signal, at) => {
      const described = await cloudFormation.send(new DescribeStacks({ StackName: this.stackId }), { abortSignal: signal });
      const stack = described.Stacks?.find((s) => s.StackId === this.stackId);
      if (!stack?.StackStatus) {
        throw new StackStatusError('failed', `CloudFormation answered DescribeStacks without the status of ${this.stackId}.`);
      }
      this.latest = { status: stack.StackStatus, parentId: stack.ParentId, at };
      return this.latest;
    });
  }

  /**
   * The physical id of the stack's resource `logicalId` now (DescribeStackResource), for an AMI event: undefined when
   * the stack no longer has the resource (deleted, or the stack itself gone), which CloudFormation answers with a
   * ValidationError "... does not exist". Read before `deadline` as `read` is; throws StackStatusError.
   */
  async physicalIdOf(logicalId: string, deadline: number): Promise<string | undefined> {
    const { cloudFormation, DescribeStackResource } = await cloudFormationClient();
    return this.retried('DescribeStackResource', deadline, async (signal) => {
      try {
        const described = await cloudFormation.send(new DescribeStackResource({ StackName: this.stackId, LogicalResourceId: logicalId }),
          { abortSignal: signal });
        const detail = described.StackResourceDetail;
        return detail?.ResourceStatus === 'DELETE_COMPLETE' ? undefined : detail?.PhysicalResourceId;
      } catch (e) {
        if ((e as Error).name === 'ValidationError' && /does not exist/.test((e as Error).message ?? '')) {
          return undefined;
        }
        throw e;
      }
    });
  }

  /**
   * When the stack last entered `status` (epoch ms), from its own event of that status, the newest one: for a
   * rollback status, when the rollback CloudFormation is running now began. Undefined when none was found in the
   * first MAX_EVENT_PAGES pages, or among the events since `since` (epoch ms) when given: the read stops at an older
   * one. Read before `deadline` as `read` is; throws StackStatusError. Read once per invocation: its answer, or its
   * failure, is kept, so that the writes of an Update taken as a rollback do not wait for it again.
   */
  enteredStatusAt(status: string, deadline: number, since?: number): Promise<number | undefined> {
    let entered = this.entered.get(status);
    if (!entered) {
      entered = this.readEnteredStatusAt(status, deadline, since ?? -Infinity);
      this.entered.set(status, entered);
    }
    return entered;
  }

  private async readEnteredStatusAt(status: string, deadline: number, since: number): Promise<number | undefined> {
    const { cloudFormation, DescribeStackEvents } = await cloudFormationClient();
    const stackName = this.stackId.split('/')[1] ?? this.stackId;
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_EVENT_PAGES; page++) {
      const answer = await this.retried('DescribeStackEvents', deadline, (signal) =>
        cloudFormation.send(new DescribeStackEvents({ StackName: this.stackId, NextToken: nextToken }), { abortSignal: signal }));
      const own = answer.StackEvents?.find((e) => e.ResourceType === 'AWS::CloudFormation::Stack' && e.LogicalResourceId === stackName
        && (e.PhysicalResourceId ?? e.StackId) === this.stackId && e.ResourceStatus === status && e.Timestamp !== undefined);
      if (own) {
        return new Date(own.Timestamp!).getTime();
      }
      nextToken = answer.NextToken;
      const oldest = answer.StackEvents?.at(-1)?.Timestamp;
      if (!nextToken || (oldest !== undefined && new Date(oldest).getTime() < since)) {
        return undefined;
      }
    }
    return undefined;
  }

  /**
   * One CloudFormation call, retried with backoff until `deadline` as `read` says. `send` gets the attempt's abort
   * signal and when the attempt was sent.
   */
  private async retried<T>(operation: string, deadline: number, send: (signal: AbortSignal, at: number) => Promise<T>): Promise<T> {
    const started = Date.now();
    let last: { failure: StatusFailure; error: Error } | undefined;
    let throttles = 0;
    let failures = 0;
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw this.failed(operation, last ?? { failure: 'no-answer', error: new Error('no time was left to ask') }, attempt - 1, started);
      }
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Math.min(ATTEMPT_MS, remaining));
      try {
        return await send(controller.signal, Date.now());
      } catch (e) {
        if (e instanceof StackStatusError) throw e;
        last = { failure: controller.signal.aborted ? 'no-answer' : classify(e), error: e as Error };
        if (last.failure === 'denied' || isFinal(e)) {
          throw this.failed(operation, last, attempt, started);
        }
      } finally {
        clearTimeout(timer);
      }
      const wait = last.failure === 'throttled' ? this.backoff.throttled(++throttles) : this.backoff.failed(++failures);
      const lastAttempt = deadline - LAST_ATTEMPT_MS;
      if (Date.now() >= lastAttempt) {
        throw this.failed(operation, last, attempt, started);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, lastAttempt - Date.now())));
    }
  }

  private failed(operation: string, last: { failure: StatusFailure; error: Error }, attempts: number, started: number): StackStatusError {
    const stackName = this.stackId.split('/')[1] ?? this.stackId;
    const region = this.stackId.split(':')[3] || process.env.AWS_REGION || '<region>';
    const over = `${attempts} attempt${attempts === 1 ? '' : 's'} over ${((Date.now() - started) / 1000).toFixed(1)} s`;
    const cause = `${last.error.name}: ${(last.error.message || 'no message').replace(/[.\s]*$/, '')}`;
    const route = `Check the function's route to the CloudFormation endpoint (cloudformation.${region}.amazonaws.com): ` +
      `a function in a VPC needs an interface VPC endpoint com.amazonaws.${region}.cloudformation or a route through a NAT gateway.`;
    const what = {
      'throttled': `CloudFormation throttled ${operation} of stack ${stackName} (${over}; the last answer ${cause}). ` +
        'Other callers share the account\'s CloudFormation API rate (pipelines polling stacks, cdk deploy, other stacks\' providers): ' +
        'deploy when fewer of them run, or ask for a higher CloudFormation API quota, and retry the deployment.',
      'denied': `CloudFormation denied ${operation} of stack ${stackName} (${cause}): the provider's role needs ` +
        `cloudformation:${operation} on its own stack (${this.stackId}). A role given to ReplicationJobProvider.configure must allow it ` +
        '(README, "Locked-down accounts").',
      'no-answer': `CloudFormation did not answer ${operation} of stack ${stackName} (${over}). ${route}`,
      'no-route': `${operation} of stack ${stackName} could not reach CloudFormation (${over}; the last attempt ended in ${cause}). ${route}`,
      'failed': `CloudFormation ${operation} of stack ${stackName} failed (${over}; the last answer ${cause}); retry the deployment later.`,
    }[last.failure];
    return new StackStatusError(last.failure, what);
  }
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnrecognizedClientException', 'InvalidClientTokenId',
  'ExpiredToken', 'ExpiredTokenException', 'SignatureDoesNotMatch']);

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function classify(e: unknown): StatusFailure {
  const name = (e as Error).name;
  const status = httpStatus(e);
  if (THROTTLING.has(name) || status === 429) return 'throttled';
  if (DENIED.has(name) || status === 403) return 'denied';
  if (name === 'TimeoutError' || name === 'AbortError') return 'no-answer';
  if (status === undefined) return 'no-route';
  return 'failed';
}

/** An answer that a retry would only repeat: a 4xx other than throttling (a stack that does not exist, a bad request). */
function isFinal(e: unknown): boolean {
  const status = httpStatus(e);
  return status !== undefined && status >= 400 && status < 500 && classify(e) === 'failed';
}

/** Whether the stack is rolling back: ROLLBACK_IN_PROGRESS (a creation) or UPDATE_ROLLBACK_IN_PROGRESS. */
export function isRollingBack(status: string): boolean {
  return status.endsWith('ROLLBACK_IN_PROGRESS');
}
