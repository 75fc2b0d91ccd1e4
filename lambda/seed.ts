/**
 * The seed replication time is intent, read when the job is created: "start the first run then", or, absent or
 * already past, "as soon as possible". Once the job exists it is not desired state: a new future time moves the next
 * run, a past one changes nothing. So the same template works in every stage, on every day.
 */

/**
 * How far ahead of now the first run of an "as soon as possible" job is scheduled: 5 minutes. CreateReplicationJob
 * needs a time that is still ahead when SMS reads it, and the request may reach SMS well after the time is computed:
 * the client retries throttling and 5xx answers until the invocation's work deadline, within the function's timeout
 * (budget.ts and the provider set it, a few minutes at most), and Lambda's and SMS's clocks may differ by a little.
 * 5 minutes outlasts that, while a replication run takes hours and runs at most hourly, so starting it 5 minutes later
 * costs nothing that matters. A test (replication-job.test.ts) keeps the margin above the function's timeout.
 */
export const SEED_MARGIN_MS = 5 * 60_000;

/**
 * The seed time to create the job with: the template's when it lies at least SEED_MARGIN_MS ahead; otherwise (none,
 * or a time that has passed or is about to) SEED_MARGIN_MS from now, in whole seconds, logged with the reason.
 */
export function seedForCreate(requested: Date | undefined, now = Date.now()): Date {
  const earliest = Math.ceil((now + SEED_MARGIN_MS) / 1000) * 1000;
  if (requested && requested.getTime() >= earliest) {
    return requested;
  }
  const sent = new Date(earliest);
  console.log(JSON.stringify({
    message: requested
      ? 'the seed time has passed (or is less than 5 minutes ahead): the first run starts as soon as possible'
      : 'no seed time: the first run starts as soon as possible',
    requested: requested?.toISOString(),
    seedReplicationTime: sent.toISOString(),
  }));
  return sent;
}

/**
 * When an existing job's next run should move to, if at all: the template's seed time when it changed and lies in the
 * future. A time already past (e.g. the old one, during a rollback) cannot be scheduled, and a removed one asks for
 * nothing: the job keeps its schedule.
 */
export function nextRunStart(requested: Date | undefined, previous: Date | undefined, now = Date.now()): Date | undefined {
  if (!requested || requested.getTime() === previous?.getTime() || requested.getTime() <= now) {
    return undefined;
  }
  return requested;
}
