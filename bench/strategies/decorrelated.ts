/** Alternative: decorrelated jitter (each wait random between 1 s and three times the last, up to 30 s), without a count. */
import { FAILED, UntilDeadlineRetryStrategy } from '../../lambda/retry';

export function retryStrategy(): UntilDeadlineRetryStrategy {
  let last = 1000;
  return new UntilDeadlineRetryStrategy((retry) => {
    last = retry === 1 ? 1000 : last;
    last = Math.min(30_000, 1000 + Math.random() * (last * 3 - 1000));
    return last;
  }, FAILED);
}
