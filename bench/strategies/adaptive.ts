/**
 * Alternative: the SDK's adaptive mode (a client-side token bucket that slows on throttling, over the standard
 * backoff), with attempts bounded by the deadline rather than a count (the retry quota still applies).
 */
import { AdaptiveRetryStrategy } from '@smithy/util-retry';

export function retryStrategy(): AdaptiveRetryStrategy {
  return new AdaptiveRetryStrategy(async () => Number.MAX_SAFE_INTEGER);
}
