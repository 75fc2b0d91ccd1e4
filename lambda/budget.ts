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
  /** How long one SMS write of a forward event may take, from the reading of the stack's status that allowed it (ms). */
  readonly writeLease: number;
}

/** The longest write lease, whatever the function's timeout. */
const MAX_WRITE_LEASE_MS = 10_000;

/** Splits the invocation's remaining time: most for SMS, then a look-up, then the answer (at least 1 s each). */
export function budgetOf(remainingMs: number): Budget {
  const now = Date.now();
  const end = now + remainingMs;
  const answer = Math.min(5000, Math.max(1000, remainingMs * 0.1));
  const lookUp = Math.min(10000, Math.max(1000, remainingMs * 0.15));
  return { work: end - answer - lookUp, lookUp: end - answer, answer: end - 200, writeLease: writeLeaseMs(remainingMs) };
}

/**
 * The write lease: a third of the function's timeout, at most 10 s (10 s for the provider's 180 s, FUNCTION_TIMEOUT_SECONDS).
 *
 * A forward event (Create, Update) sends each SMS write only after reading that its stack is still going forward, and
 * gives up on the write when SMS has not answered it a lease after that reading. A rollback that may race a cancelled
 * event waits one lease before it looks at SMS (rollback.ts): by then every write that read a forward status has been
 * answered or given up. Both sides compute the same lease: they are invocations of one function, which start with its
 * whole timeout (Lambda's timeouts are whole seconds, so the few milliseconds already spent are rounded away).
 */
export function writeLeaseMs(remainingMs: number): number {
  const timeout = Math.ceil(remainingMs / 1000) * 1000;
  return Math.min(MAX_WRITE_LEASE_MS, timeout / 3);
}
