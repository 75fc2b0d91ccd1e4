/**
 * The retry strategy lambda/sms.ts had before issue 9: ten attempts, full jitter from 200 ms doubling up to
 * 8 s. The benchmark bundles the handler with it in place of lambda/retry.ts to measure the old code beside the new;
 * it is not reachable from the shipped handler.
 */
import { ConfiguredRetryStrategy } from '@smithy/util-retry';

export function retryStrategy(): ConfiguredRetryStrategy {
  return new ConfiguredRetryStrategy(10, (attempt) => Math.random() * Math.min(8000, 200 * 2 ** attempt));
}
