/** Alternative: full jitter with a wider start and a higher cap (2 s doubling up to 30 s), without a count. */
import { FAILED, UntilDeadlineRetryStrategy, jitter } from '../../lambda/retry';

export function retryStrategy(): UntilDeadlineRetryStrategy {
  return new UntilDeadlineRetryStrategy((retry) => jitter(Math.min(30_000, 2000 * 2 ** (retry - 1)), 0), FAILED);
}
