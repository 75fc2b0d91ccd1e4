/**
 * The handler's errors, and the Reason each gives CloudFormation.
 *
 * An error's kind is its class (instanceof) and, for an SMS call, its `kind` field: nothing about an error is kept
 * beside it. An error that adds to another (WrappedError) keeps the other's name, and describeError advises on the
 * innermost one, so that the Reason reads as the error that ended the work, with what the provider knows added.
 */
import { ProviderError } from './retry';

/**
 * An error that tells more about another one (its `cause`), under the cause's name: describeError advises on the
 * cause, and a check of the name sees the cause's.
 */
export class WrappedError extends Error {
  constructor(message: string, public readonly cause: unknown) {
    super(message);
    this.name = (cause as Error | undefined)?.name || 'Error';
  }
}

/** The error inside any WrappedErrors: the one SMS, the network or the provider raised. */
export function rootCause(e: unknown): unknown {
  let error = e;
  while (error instanceof WrappedError) {
    error = error.cause;
  }
  return error;
}

/**
 * An SMS call that failed before its deadline, around the error that ended it (SMS's answer, a network fault, or a
 * check of the provider's), with its message. `kind` says what the call may have changed: `refused` when SMS answered
 * every attempt with a modeled client error (throttling included), or none was sent (a status check failed), so
 * nothing was changed; `unknown` when an attempt timed out, met a network fault or a 5xx, or was refused by the
 * provider after another, so that SMS may have acted on it.
 */
export class SmsCallError extends WrappedError {
  constructor(public readonly kind: 'refused' | 'unknown', cause: unknown) {
    super(String((cause as Error | undefined)?.message ?? cause), cause);
  }
}

/**
 * An SMS call that did not finish before its deadline: its outcome is unknown. Named Timeout, or after the error SMS
 * kept answering (without its $fault and $metadata: the fate of the attempt cut short is unknown).
 */
export class DeadlineError extends Error {
  public readonly kind = 'unknown';
  constructor(message: string, public readonly name: string = 'Timeout') {
    super(message);
  }
}

/**
 * Whether the error ended a call that SMS refused outright: every attempt was answered with a modeled client error
 * (throttling included), so nothing was changed. A timeout, a network fault or a 5xx on any attempt leaves the
 * call's outcome unknown.
 */
export function wasRefusedOutright(e: unknown): boolean {
  return e instanceof SmsCallError && e.kind === 'refused';
}

/** Something the provider refuses, with a message that says what to do. */
export class RefusedError extends ProviderError {
  constructor(public readonly name: string, message: string) {
    super(message);
  }
}

/**
 * Whether the error (inside any WrappedError) is one SMS answered with (a modeled error), rather than a timeout, a
 * network fault or a garbled answer.
 */
export function isServiceAnswer(e: unknown): boolean {
  const error = rootCause(e);
  const fault = (error as { $fault?: string } | undefined)?.$fault;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
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
  const refused = rootCause(e) instanceof ProviderError || name === 'InvalidProperty';
  const advice = ADVICE[name] ?? (refused || isServiceAnswer(e) ? '' : 'The request to SMS did not complete; retry the deployment.');
  const what = `${name}: ${error.message}`.trim();
  return advice ? `${what}${/[.!?]$/.test(what) ? '' : '.'} ${advice}` : what;
}

/**
 * A failure that certainly made no job, around the error that ended it: a server that was not found, a
 * CreateReplicationJob that SMS refused outright, a job that is someone else's, or one this resource made before
 * that it failed to adopt. A failed Create's id then tells its Delete that no SMS call is needed (index.ts).
 */
export class NoJobMadeError extends WrappedError {
  constructor(cause: unknown) {
    super(String((cause as Error | undefined)?.message ?? cause), cause);
  }
}

/** A job that disappeared outside CloudFormation and could not be created again: the message says which, the cause why. */
export class JobNotRecreatedError extends WrappedError {
  constructor(goneJobId: string, serverId: string, cause: unknown) {
    super(`Replication job ${goneJobId} no longer exists (deleted outside CloudFormation, or ended by SMS), and creating it again ` +
      `for server ${serverId} failed: ${String((cause as Error | undefined)?.message ?? cause)}`, cause);
  }
}
