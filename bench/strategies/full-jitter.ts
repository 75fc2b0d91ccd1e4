/** Alternative: the SDK standard mode's throttling backoff (full jitter from 500 ms doubling up to 20 s), without a count. */
import { FAILED, UntilDeadlineRetryStrategy, jitter } from '../../lambda/retry';

export function retryStrategy(): UntilDeadlineRetryStrategy {
  return new UntilDeadlineRetryStrategy((retry) => jitter(Math.min(20_000, 500 * 2 ** retry), 0), FAILED);
}
