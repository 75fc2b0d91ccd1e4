/**
 * The provider's three clocks, decided together: the function's timeout, how long Lambda may hold an event back, and
 * how long CloudFormation waits for an answer. The construct writes them into the template; the handler
 * (lambda/budget.ts re-exports them) sizes its waits from them. Plain numbers, so that the handler's bundle needs no
 * aws-cdk-lib.
 *
 * - The function runs at most FUNCTION_TIMEOUT_SECONDS; the handler answers before then (lambda/budget.ts keeps the
 *   last 15 s for a look-up and the answer). Retries under throttling run until then, so this bounds the stack size
 *   and SMS rate that still deploy: fifty jobs need 50 / R seconds of SMS time at R requests per second, and
 *   bench/RESULTS.md measured the last answer within about twice that. 180 s serves fifty jobs down to about
 *   0.6 requests per second; a real SMS outage is reported after 3 minutes per event.
 * - Lambda drops an event older than MAX_EVENT_AGE_SECONDS (it may hold one back when throttled, or retry one after
 *   a crash), so the last run of any event ends by MAX_EVENT_AGE_SECONDS + FUNCTION_TIMEOUT_SECONDS = 8 minutes.
 * - CloudFormation gives up on an unanswered event after SERVICE_TIMEOUT_SECONDS (10 minutes, unchanged since 0.1.0:
 *   it is a property of every job, and changing it would send every job of every stack an Update), 2 minutes after
 *   any run of it has ended: no event runs after CloudFormation has moved on.
 */

/** The provider function's timeout. */
export const FUNCTION_TIMEOUT_SECONDS = 180;

/** The oldest event Lambda still runs (its EventInvokeConfig). */
export const MAX_EVENT_AGE_SECONDS = 300;

/** How long CloudFormation waits for each job's answer (the custom resource's ServiceTimeout). */
export const SERVICE_TIMEOUT_SECONDS = 600;
