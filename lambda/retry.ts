/**
 * How the SMS client retries: every transient error, for as long as the invocation has time (`call` in sms.ts holds
 * the deadline), with a backoff that spreads many independent clients over the rate SMS allows.
 *
 * CloudFormation sends every Create of a stack at once and Lambda runs each in its own execution environment, with
 * its own client: fifty clients that know nothing of each other compete for one account's SMS rate. bench/RESULTS.md
 * ("Throttling") measures this strategy against the alternatives it was chosen from.
 */
import type { RetryErrorInfo, RetryStrategyV2, StandardRetryToken } from '@smithy/types';

/** Milliseconds to wait before retry number `retry` (1 for the first retry). */
export type Backoff = (retry: number) => number;

/**
 * After a throttle: a window that starts at 3 s and doubles up to 20 s, waiting a random 30-100% of it. A wide first
 * window spreads the burst of a whole stack's first attempts; 30% of the window at least keeps a client from coming
 * back at once; the 20 s cap keeps the last clients from sleeping through time SMS has left idle.
 */
export const THROTTLED: Backoff = (retry) => jitter(Math.min(20_000, 3000 * 2 ** (retry - 1)), 0.3);

/**
 * After CloudFormation throttles DescribeStacks (stack-status.ts): a window that starts at 6 s and doubles to 24 s, then
 * shrinks by 30% with each further throttle down to 1 s, waiting a random 30-100% of it.
 *
 * Every event of a deployment reads its stack's status once before its first SMS write, against an account-wide rate
 * that pipelines polling their stacks and `cdk deploy` share: the first burst meets a rate that others have already
 * used. The growing windows spread that burst over half a minute; a client throttled many times has waited long
 * enough that most of the batch has its reading, and coming back sooner takes the rate the others left idle (a
 * backoff by throttle count cannot see that directly, but the count grows with the time spent). In the model
 * (bench/DESCRIBE-STACKS-MODEL.md), 50 reads at 1 a second end within 1.42 x the 50 s they need, with 5.3 requests
 * each; THROTTLED, which these reads used before, takes 1.91 x, and no exponential backoff of the 216 tried meets
 * both 1.5 x and 6 requests.
 */
export const DESCRIBE_STACKS: Backoff = (retry) =>
  jitter(retry <= 3 ? 6000 * 2 ** (retry - 1) : Math.max(1000, 24_000 * 0.7 ** (retry - 3)), 0.3);

/**
 * After a throttle of one page of the stack's read of the server catalog (catalog-read.ts), a lone reader whose pages go
 * one after the other, before any job of its stack starts: 1 s, the span of a rate per second, plus up to 20%, doubling
 * with each throttle of the same page up to 20 s (for a rate others are using too). THROTTLED's 3 s window, made for a
 * burst of a whole stack's events, would idle a lone reader: in the model, a reader of 20 pages at 2 requests a second
 * takes 11.0 s (90th percentile) with this and 21.3 s with THROTTLED (bench/MODEL.md, "VM-named Creates").
 */
export const CATALOG_PAGE: Backoff = (retry) => Math.min(20_000, 1000 * 2 ** (retry - 1)) * (1 + 0.2 * Math.random());

/** After a 5xx, a timeout or a network error (nothing says SMS is busy): full jitter from 200 ms, doubling up to 8 s. */
export const FAILED: Backoff = (retry) => jitter(Math.min(8000, 200 * 2 ** retry), 0);

/** A random delay between `floor` x `window` and `window`. */
export function jitter(window: number, floor: number): number {
  return window * (floor + (1 - floor) * Math.random());
}

/**
 * Retries throttling, 5xx, timeouts and network errors without a count: the retries end when `call` aborts the
 * request at its deadline (an aborted request is not retried). A Retry-After header, if SMS ever sends one, is a
 * lower bound on the wait.
 */
export class UntilDeadlineRetryStrategy implements RetryStrategyV2 {
  constructor(private readonly throttled: Backoff = THROTTLED, private readonly failed: Backoff = FAILED) {}

  async acquireInitialRetryToken(): Promise<StandardRetryToken> {
    return token(0, 0);
  }

  async refreshRetryTokenForRetry(previous: StandardRetryToken, info: RetryErrorInfo): Promise<StandardRetryToken> {
    if (!isRetryable(info)) {
      // The SDK rethrows the request's own error, not this one.
      throw new Error('not retryable');
    }
    const retry = previous.getRetryCount() + 1;
    const backoff = info.errorType === 'THROTTLING' ? this.throttled(retry) : this.failed(retry);
    return token(retry, Math.max(backoff, retryAfterMs(info) ?? 0));
  }

  recordSuccess(): void {
    // No retry quota to refill: each invocation makes one SMS call at a time, and the deadline bounds its retries.
  }
}

/** The retry strategy of the handler's SMS client. */
export function retryStrategy(): RetryStrategyV2 {
  return new UntilDeadlineRetryStrategy();
}

function token(retryCount: number, delay: number): StandardRetryToken {
  return {
    getRetryCount: () => retryCount,
    getRetryDelay: () => Math.round(delay),
    getRetryCost: () => undefined,
  };
}

/**
 * An error the provider raises itself inside the retry loop, before anything is sent (rollback.ts refuses a write once
 * the stack has moved on): never retried.
 */
export class ProviderError extends Error {}

/** Throttling, 5xx, timeouts, and a request that got no answer at all (network), unless we aborted it or refused it. */
export function isRetryable(info: RetryErrorInfo): boolean {
  if (info.error instanceof ProviderError) {
    return false;
  }
  if (info.errorType !== 'CLIENT_ERROR') {
    return true;
  }
  const error = info.error as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return error?.$metadata?.httpStatusCode === undefined && error?.name !== 'AbortError';
}

/**
 * Retry-After from the throttled answer, in milliseconds: delay-seconds or an HTTP date. Read here rather than from
 * the SDK's `retryAfterHint`, which takes delay-seconds for seconds since 1970 (@smithy/middleware-retry 2.3).
 */
export function retryAfterMs(info: RetryErrorInfo): number | undefined {
  const headers = (info.error as { $response?: { headers?: Record<string, string> } } | undefined)?.$response?.headers ?? {};
  const name = Object.keys(headers).find((key) => key.toLowerCase() === 'retry-after');
  const value = name === undefined ? undefined : headers[name].trim();
  if (!value) {
    return undefined;
  }
  const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
