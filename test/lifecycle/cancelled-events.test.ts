import { Duration } from 'aws-cdk-lib';
import { writeLeaseMs } from '../../lambda/budget';
import { Cancelled, CfnResult } from '../harness/cfn-driver';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, world, World } from '../harness/world';
import { SmsServer } from '../../lib';

/**
 * Issue 15: rollbacks that race a cancelled event. CloudFormation cancels a custom resource's event when another
 * resource fails, and sends the rollback event at once, while the first invocation still runs in another process.
 * Each row of the table, with SMS slow (the cancelled event's write answers after 4 s) and with SMS throttled
 * (it is throttled 5 times); each ends with the jobs SMS holds: no orphan, the rolled-back properties, the job
 * CloudFormation knows.
 *
 * The function's timeout here is 30 s rather than the provider's 180 s. The write lease is then the production one
 * (a third of the timeout, at most 10 s: 10 s), and SMS's latency and CloudFormation's delays are the issue's own
 * (4 s, 1 s, 0.3 s): the race runs at full scale, and only the time left after the rollback's work is shorter.
 */

jest.setTimeout(120_000);

const TIMEOUT_SECONDS = 30;
const LEASE_MS = writeLeaseMs(TIMEOUT_SECONDS * 1000);
const SLOW_MS = 4000;
const OLD_SERVER = 's-000000a1';
const NEW_SERVER = 's-000000b2';

/** What each rollback cost, printed after the run (README "How changes are applied" quotes it). */
const costs: Array<{ rollback: string; ms: number }> = [];

async function jobWorld(): Promise<World> {
  const w = await world({
    jobs: { Job: { server: SmsServer.fromServerId(OLD_SERVER), seedReplicationTime: futureSeed(), frequency: Duration.hours(8), description: 'before' } },
    functionTimeoutSeconds: TIMEOUT_SECONDS,
  });
  w.emulator.addServer(NEW_SERVER);
  return w;
}

/** The sequences' names, in order; each gets a world of its own. */
const names: string[] = [];
let worlds: Promise<Map<string, World>> | undefined;

/**
 * Builds every sequence's world, one after the other, before any sequence starts: synthesizing a stack blocks this
 * process for a second or more, which would delay the timers of the sequences already racing.
 */
function allWorlds(): Promise<Map<string, World>> {
  worlds ??= (async () => {
    const built = new Map<string, World>();
    for (const name of names) built.set(name, await jobWorld());
    return built;
  })();
  return worlds;
}

/** Runs a sequence in a world of its own; the sequences run at once, as each spends most of its time waiting. */
function sequence(name: string, body: (w: World) => Promise<void>): void {
  names.push(name);
  test.concurrent(name, async () => {
    const built = await allWorlds();
    const w = built.get(name)!;
    built.delete(name);
    try {
      await body(w);
    } finally {
      await w.close();
    }
  });
}

afterAll(async () => {
  // The worlds of sequences that did not run (filtered out with -t).
  for (const w of (await worlds)?.values() ?? []) await w.close();
});

/** The rollback was sent while the cancelled event ran; both answered in time; the rollback succeeded after a lease. */
function expectRaceWaitedOut({ forward, rollback }: Cancelled, what: string): void {
  expect(rollback.sentAt).toBeLessThan(forward.endedAt);
  expectAnsweredInTime(forward);
  expectAnsweredInTime(rollback);
  expect(rollback.status).toBe('SUCCESS');
  expect(rollback.durationMs).toBeGreaterThanOrEqual(LEASE_MS);
  costs.push({ rollback: what, ms: rollback.durationMs });
}

/** DescribeStacks calls made while an invocation ran (the forward event's included, when the two overlapped). */
function describeStacksDuring(w: World, result: CfnResult): number {
  return w.cfn.describeStacksCalls().filter((c) => c.at >= result.startedAt && c.at <= result.endedAt).length;
}

/** A Delete that succeeded at once, without reading the stack's status, and left nothing. */
function expectNoWait(w: World, deleted: CfnResult, what: string): void {
  expect(deleted.status).toBe('SUCCESS');
  expect(deleted.durationMs).toBeLessThan(LEASE_MS / 2);
  expect(describeStacksDuring(w, deleted)).toBe(0);
  costs.push({ rollback: what, ms: deleted.durationMs });
  expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
}

/** A first attempt of `operation` has reached SMS since now: the cancellation's trigger (CloudFormation cancels 0.3 s or 1 s after). */
function reached(w: World, operation: string): () => boolean {
  const before = w.emulator.requestsFor(operation).length;
  return () => w.emulator.requestsFor(operation).length > before;
}

/** The cancelled event was throttled, then read that the stack was rolling back, and sent no further attempt. */
function expectRefusedOnceRollingBack(w: World, forward: CfnResult, operation: string): void {
  expect(forward.status).toBe('FAILED');
  expect(forward.reason).toMatch(/^EventCancelled: The stack is (UPDATE_)?ROLLBACK_IN_PROGRESS/);
  expect(forward.reason).toContain(`${operation} not sent`);
  const sent = w.emulator.requestsFor(operation).filter((r) => r.at + w.emulator.startedAt >= forward.sentAt && r.at + w.emulator.startedAt <= forward.endedAt);
  expect(sent.length).toBeGreaterThan(0);
  expect(sent.every((r) => r.outcome === 'error:ThrottlingException')).toBe(true);
}

describe('a Create cancelled, then its rollback Delete with the id CloudFormation made up', () => {
  sequence('SMS slow: the Create\'s job appears 4 s in, after the Delete started; the Delete waits for it and deletes it', async (w) => {
    w.emulator.inject('CreateReplicationJob', { kind: 'delay', ms: SLOW_MS });
    const race = await w.cfn.cancelCreate(w.jobs.Job, { once: reached(w, 'CreateReplicationJob'), afterMs: 1000 });
    expect(race.rollback.event.PhysicalResourceId).toMatch(/^SmsJobs-Job[0-9A-F]{8}-[A-Z0-9]{12}$/);
    // The cancelled Create did make its job, 4 s in, while the rollback was already running.
    expect(race.forward.status).toBe('SUCCESS');
    expectRaceWaitedOut(race, 'Delete after a cancelled Create (SMS slow)');
    expect(w.emulator.requestsFor('DeleteReplicationJob').map((r) => r.body.replicationJobId)).toEqual([race.forward.physicalResourceId]);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
    expect(w.emulator.jobs()).toEqual([]);
  });

  sequence('SMS throttled 5 times, the Delete 0.3 s in: the Create stops writing, and nothing is left', async (w) => {
    w.emulator.failNext('CreateReplicationJob', 'ThrottlingException', { times: 5 });
    const race = await w.cfn.cancelCreate(w.jobs.Job, { once: reached(w, 'CreateReplicationJob'), afterMs: 300 });
    expectRefusedOnceRollingBack(w, race.forward, 'CreateReplicationJob');
    expectRaceWaitedOut(race, 'Delete after a cancelled Create (SMS throttled)');
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
    expect(w.emulator.jobs()).toEqual([]);
  });
});

describe('a replacement Update A to B cancelled, then its rollback Update B to A', () => {
  sequence('SMS slow: the job made for B after the rollback started is deleted; A\'s job, which CloudFormation knows, stays', async (w) => {
    const created = await w.cfn.create();
    w.emulator.inject('CreateReplicationJob', { kind: 'delay', ms: SLOW_MS });
    const race = await w.cfn.cancelUpdate(w.jobs.Job, { ServerId: NEW_SERVER }, { once: reached(w, 'CreateReplicationJob'), afterMs: 1000 });
    expect(race.forward.status).toBe('SUCCESS');
    expect(race.forward.physicalResourceId).not.toBe(created.physicalResourceId);
    expectRaceWaitedOut(race, 'Update rollback of a cancelled replacement (SMS slow)');
    expect(race.rollback.physicalResourceId).toBe(created.physicalResourceId);
    expect(w.emulator.requestsFor('DeleteReplicationJob').map((r) => r.body.replicationJobId)).toEqual([race.forward.physicalResourceId]);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
    expect(w.emulator.jobs().map((j) => [j.replicationJobId, j.serverId])).toEqual([[created.physicalResourceId, OLD_SERVER]]);
  });

  sequence('SMS throttled 5 times: the replacement makes no job for B, and A\'s job stays as it was', async (w) => {
    const created = await w.cfn.create();
    const before = w.emulator.jobs();
    w.emulator.failNext('CreateReplicationJob', 'ThrottlingException', { times: 5 });
    const race = await w.cfn.cancelUpdate(w.jobs.Job, { ServerId: NEW_SERVER }, { once: reached(w, 'CreateReplicationJob'), afterMs: 300 });
    expectRefusedOnceRollingBack(w, race.forward, 'CreateReplicationJob');
    expectRaceWaitedOut(race, 'Update rollback of a cancelled replacement (SMS throttled)');
    expect(race.rollback.physicalResourceId).toBe(created.physicalResourceId);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
    expect(w.emulator.jobs()).toEqual(before);
  });
});

describe('an in-place Update (description, frequency) cancelled, then its rollback Update', () => {
  const changes = { Description: 'after', Frequency: 2 };

  sequence('SMS slow: the cancelled values land 4 s in, after the rollback started; the job ends with the old ones', async (w) => {
    const created = await w.cfn.create();
    w.emulator.inject('UpdateReplicationJob', { kind: 'delay', ms: SLOW_MS });
    const race = await w.cfn.cancelUpdate(w.jobs.Job, changes, { once: reached(w, 'UpdateReplicationJob'), afterMs: 1000 });
    expect(race.forward.status).toBe('SUCCESS');
    expectRaceWaitedOut(race, 'Update rollback of a cancelled in-place Update (SMS slow)');
    // The cancelled Update's write landed first, the rollback's last.
    const updates = w.emulator.requestsFor('UpdateReplicationJob');
    expect(updates.map((r) => [r.body.frequency, r.outcome])).toEqual([[2, 'ok'], [8, 'ok']]);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
    const [job] = w.emulator.jobs();
    expect([job.replicationJobId, job.frequency, job.description?.split(' [cfn:')[0]]).toEqual([created.physicalResourceId, 8, 'before']);
  });

  sequence('SMS throttled 5 times: the cancelled Update stops writing, and the job ends with the old values', async (w) => {
    const created = await w.cfn.create();
    w.emulator.failNext('UpdateReplicationJob', 'ThrottlingException', { times: 5 });
    const race = await w.cfn.cancelUpdate(w.jobs.Job, changes, { once: reached(w, 'UpdateReplicationJob'), afterMs: 300 });
    expectRefusedOnceRollingBack(w, race.forward, 'UpdateReplicationJob');
    expectRaceWaitedOut(race, 'Update rollback of a cancelled in-place Update (SMS throttled)');
    // SMS applied no update with the cancelled values (the rollback, which changes only what differs from the job,
    // finds nothing to change).
    expect(w.emulator.requestsFor('UpdateReplicationJob').filter((r) => r.outcome === 'ok' && r.body.frequency === 2)).toEqual([]);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
    const [job] = w.emulator.jobs();
    expect([job.replicationJobId, job.frequency, job.description?.split(' [cfn:')[0]]).toEqual([created.physicalResourceId, 8, 'before']);
  });
});

describe('rollbacks that race nothing, and late deliveries', () => {
  sequence('a Delete after a Create that answered FAILED itself does not wait, and reads no stack status', async (w) => {
    w.emulator.failNext('CreateReplicationJob', 'InvalidParameterException');
    const failed = await w.cfn.create();
    expect(failed.status).toBe('FAILED');
    expectNoWait(w, await w.cfn.delete(), 'Delete after a Create that answered FAILED');
  });

  sequence('a Delete of a job (a rollback after the Create succeeded, or the stack\'s deletion) does not wait', async (w) => {
    await w.cfn.create();
    expectNoWait(w, await w.cfn.delete(), 'Delete of a job');
  });

  sequence('an Update rollback cannot tell whether the Update it undoes still runs: it waits a lease, then restores', async (w) => {
    await w.cfn.create();
    w.emulator.failNext('UpdateReplicationJob', 'InvalidParameterException');
    expect((await w.cfn.update(w.jobs.Job, { Frequency: 2 })).status).toBe('FAILED');
    const rollback = await w.cfn.rollbackUpdate(w.jobs.Job);
    expect(rollback.status).toBe('SUCCESS');
    expect(rollback.durationMs).toBeGreaterThanOrEqual(LEASE_MS);
    expect(describeStacksDuring(w, rollback)).toBe(1);
    costs.push({ rollback: 'Update rollback after an Update that answered', ms: rollback.durationMs });
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });

  sequence('a replacement Update Lambda delivers again while the stack still rolls back makes no job for B', async (w) => {
    const created = await w.cfn.create();
    w.emulator.failNext('CreateReplicationJob', 'ThrottlingException', { times: 5 });
    const race = await w.cfn.cancelUpdate(w.jobs.Job, { ServerId: NEW_SERVER }, { once: reached(w, 'CreateReplicationJob'), afterMs: 300 });
    expect(race.rollback.status).toBe('SUCCESS');
    // Other resources of the stack are still rolling back when the duplicate arrives.
    expect(w.cfn.stackStatus).toBe('UPDATE_ROLLBACK_IN_PROGRESS');
    const late = await w.cfn.redeliver(race.forward.event);
    expectAnsweredInTime(late);
    expect([late.status, late.physicalResourceId]).toEqual(['SUCCESS', created.physicalResourceId]);
    expect(w.emulator.requestsFor('CreateReplicationJob').filter((r) => r.outcome === 'ok' && r.body.serverId === NEW_SERVER)).toEqual([]);
    expect(w.emulator.jobs().map((j) => [j.replicationJobId, j.serverId])).toEqual([[created.physicalResourceId, OLD_SERVER]]);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });

  sequence('a cancelled Create whose rollback Delete cannot reach SMS answers SUCCESS before its deadline, and says what it looked for', async (w) => {
    w.emulator.inject('*', { kind: 'hang' }, Infinity);
    const race = await w.cfn.cancelCreate(w.jobs.Job, { once: reached(w, 'CreateReplicationJob'), afterMs: 300 });
    expectAnsweredInTime(race.rollback);
    expect(race.rollback.status).toBe('SUCCESS');
    expect(race.rollback.logs).toContain('could not look for a job the failed Create may have made');
    w.emulator.clearFaults();
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });

  sequence('a Create Lambda delivers again after the rollback is over makes no job', async (w) => {
    w.emulator.failNext('CreateReplicationJob', 'ThrottlingException', { times: 5 });
    const race = await w.cfn.cancelCreate(w.jobs.Job, { once: reached(w, 'CreateReplicationJob'), afterMs: 300 });
    expect(race.rollback.status).toBe('SUCCESS');
    w.cfn.stackStatus = 'ROLLBACK_COMPLETE';
    const late = await w.cfn.redeliver(race.forward.event);
    expect(late.status).toBe('FAILED');
    expect(late.reason).toMatch(/^EventCancelled: The stack is ROLLBACK_COMPLETE/);
    expect(w.emulator.requestsFor('CreateReplicationJob').filter((r) => r.outcome === 'ok')).toEqual([]);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });
});

afterAll(() => {
  const rows = costs.map((c) => `| ${c.rollback} | ${(c.ms / 1000).toFixed(1)} s |`);
  process.stdout.write(['', `What a rollback cost (function timeout ${TIMEOUT_SECONDS} s, write lease ${LEASE_MS / 1000} s):`,
    '| rollback | answered after |', '| --- | --- |', ...rows, ''].join('\n'));
});
