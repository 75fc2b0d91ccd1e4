/**
 * How one invocation spends its time: SMS calls first, then a look-up after an ambiguous failure, then the answer.
 */

// The provider's clocks, decided together in one place (the construct sets them in the template): size every wait
// from these, never from a second literal.
export { FUNCTION_TIMEOUT_SECONDS, MAX_EVENT_AGE_SECONDS, SERVICE_TIMEOUT_SECONDS } from '../lib/private/timing';

/** Time kept back at the end of the invocation, split between a last look-up after an ambiguous failure and the answer's PUT. */
export interface Budget {
  /** Until when SMS calls that change something may run (epoch ms). */
  readonly work: number;
  /** Until when a look-up after an ambiguous failure may run. */
  readonly lookUp: number;
  /** Until when the answer's PUT may be retried. */
  readonly answer: number;
}

/** Splits the invocation's remaining time: most for SMS, then a look-up, then the answer (at least 1 s each). */
export function budgetOf(remainingMs: number): Budget {
  const now = Date.now();
  const end = now + remainingMs;
  const answer = Math.min(5000, Math.max(1000, remainingMs * 0.1));
  const lookUp = Math.min(10000, Math.max(1000, remainingMs * 0.15));
  return { work: end - answer - lookUp, lookUp: end - answer, answer: end - 200 };
}
