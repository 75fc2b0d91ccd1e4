import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { writeLeaseMs } from '../../lambda/budget';
import { ExistingJobPolicy, ReplicationJobProps, SmsServer } from '../../lib';
import { CfnDriver, CfnResult } from '../harness/cfn-driver';
import { EmulatedJob } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, world, World } from '../harness/world';

/**
 * Issue 22: the stack-status guard (DescribeStacks) when CloudFormation throttles, denies or does not answer. Each
 * sequence runs with DescribeStacks throttled for two attempts, throttled for the whole budget, denied, and
 * hanging, and ends with the jobs SMS holds and the Reason (or the log line) the user reads.
 *
 * The function's timeout is 60 s where DescribeStacks recovers (two throttled attempts back off for up to 18 s with
 * lambda/retry.ts's DESCRIBE_STACKS, and a Create may read for 36 s) and 20 s where it never answers (the whole budget
 * is spent), rather than the provider's 180 s: the rules are the same, only the waits are shorter.
 */

jest.setTimeout(240_000);

interface Mode {
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly arm: (cfn: CfnDriver) => void;
  /** The name of the error the handler logs or answers when no reading can be had. */
  readonly errorName?: string;
  /** What DescribeStacks answers while armed. */
  readonly answered: string;
  /** The Reason of a Create that could not read its status; undefined when DescribeStacks recovers. */
  readonly reason?: RegExp;
}

const STACK = 'SmsJobs';
const MODES: Mode[] = [
  { name: 'throttled 2 times', timeoutSeconds: 60, arm: (cfn) => cfn.throttleNextDescribeStacks(2), answered: 'Throttling' },
  {
    name: 'throttled for the whole budget', timeoutSeconds: 20, arm: (cfn) => cfn.throttleNextDescribeStacks(Infinity), answered: 'Throttling', errorName: 'CloudFormationThrottling',
    reason: new RegExp(`^CloudFormationThrottling: CloudFormation throttled DescribeStacks of stack ${STACK} \\(\\d+ attempts over [\\d.]+ s; `
      + 'the last answer Throttling: Rate exceeded\\)\\. Other callers share the account\'s CloudFormation API rate .*retry the deployment\\.$'),
  },
  {
    name: 'denied', timeoutSeconds: 20, arm: (cfn) => cfn.denyNextDescribeStacks(Infinity), answered: 'AccessDenied', errorName: 'CloudFormationAccessDenied',
    reason: new RegExp(`^CloudFormationAccessDenied: CloudFormation denied DescribeStacks of stack ${STACK} \\(AccessDenied: User is not authorized `
      + 'to perform: cloudformation:DescribeStacks\\): the provider\'s role needs cloudformation:DescribeStacks on its own stack \\(arn:aws:cloudformation:'
      + `us-west-2:123456789012:stack/${STACK}/[-0-9a-f]+\\)\\. A role given to ReplicationJobProvider\\.configure must allow it `
      + '\\(README, "Locked-down accounts"\\)\\.$'),
  },
  {
    name: 'hanging', timeoutSeconds: 20, arm: (cfn) => cfn.hangNextDescribeStacks(Infinity), answered: 'hang', errorName: 'CloudFormationNoAnswer',
    reason: new RegExp(`^CloudFormationNoAnswer: CloudFormation did not answer DescribeStacks of stack ${STACK} \\(\\d+ attempts? over [\\d.]+ s\\)\\. `
      + 'Check the function\'s route to the CloudFormation endpoint \\(cloudformation\\.us-west-2\\.amazonaws\\.com\\): a function in a VPC needs an '
      + 'interface VPC endpoint com\\.amazonaws\\.us-west-2\\.cloudformation or a route through a NAT gateway\\.$'),
  },
];

/** Words a Reason about CloudFormation must not hold: SMS was not the one that failed. */
const BLAMES_SMS = /SMS kept answering|SMS did not answer|SMS's health|request to SMS did not complete/;

const SERVER = 's-0000c0f5';
const pastSeed = new Date(Date.now() - 20 * 86_400_000);

const jobProps: ReplicationJobProps = { server: SmsServer.fromServerId(SERVER), seedReplicationTime: futureSeed(), frequency: Duration.hours(8), description: 'before' };
const adoptProps: ReplicationJobProps = {
  server: SmsServer.fromServerId(SERVER), seedReplicationTime: pastSeed, frequency: Duration.hours(6), description: 'db',
  existingJob: ExistingJobPolicy.ADOPT, removalPolicy: RemovalPolicy.DESTROY,
};

/** The sequences, in order; each gets a world of its own, built before any runs (a synth blocks this process). */
const planned: Array<{ name: string; props: ReplicationJobProps; timeoutSeconds: number }> = [];
let worlds: Promise<Map<string, World>> | undefined;

function allWorlds(): Promise<Map<string, World>> {
  worlds ??= (async () => {
    const built = new Map<string, World>();
    for (const p of planned) {
      built.set(p.name, await world({ stackName: STACK, jobs: { Job: p.props }, functionTimeoutSeconds: p.timeoutSeconds }));
    }
    return built;
  })();
  return worlds;
}

/** One sequence per mode, run at once (each spends most of its time waiting), each in a world of its own. */
function eachMode(what: string, props: ReplicationJobProps, body: (w: World, mode: Mode) => Promise<void>): void {
  for (const mode of MODES) {
    const name = `${what}, DescribeStacks ${mode.name}`;
    planned.push({ name, props, timeoutSeconds: mode.timeoutSeconds });
    test.concurrent(name, async () => {
      const built = await allWorlds();
      const w = built.get(name)!;
      built.delete(name);
      try {
        await body(w, mode);
      } finally {
        await w.close();
      }
    });
  }
}

afterAll(async () => {
  for (const w of (await worlds)?.values() ?? []) await w.close();
});

/** The DescribeStacks answers given while an invocation ran. */
function describeStacksDuring(cfn: CfnDriver, result: CfnResult): string[] {
  return cfn.describeStacksCalls().filter((c) => c.at >= result.startedAt && c.at <= result.endedAt).map((c) => c.answered);
}

function onlyJob(w: World): EmulatedJob {
  const jobs = w.emulator.jobs();
  expect(jobs).toHaveLength(1);
  return jobs[0];
}

/** A job made in the SMS console, for the adopting sequences. */
function consoleJob(w: World): EmulatedJob {
  return w.emulator.seedJob({
    serverId: SERVER, description: 'db', frequency: 24, seedReplicationTime: Math.floor(pastSeed.getTime() / 1000),
  });
}

describe('Create', () => {
  eachMode('a Create', jobProps, async (w, mode) => {
    mode.arm(w.cfn);
    const created = await w.cfn.create();
    expectAnsweredInTime(created);
    if (!mode.reason) {
      expect(created.status).toBe('SUCCESS');
      expect(describeStacksDuring(w.cfn, created)).toEqual(['Throttling', 'Throttling', 'CREATE_IN_PROGRESS']);
      expect(onlyJob(w).replicationJobId).toBe(created.physicalResourceId);
      expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
      return;
    }
    expect(created.status).toBe('FAILED');
    expect(created.reason).toMatch(mode.reason);
    expect(created.reason).not.toMatch(BLAMES_SMS);
    const answers = describeStacksDuring(w.cfn, created);
    expect(answers.every((a) => a === mode.answered)).toBe(true);
    // AccessDenied is not retried; throttling and silence are, until the deadline.
    if (mode.answered === 'AccessDenied') expect(answers).toHaveLength(1);
    else expect(answers.length).toBeGreaterThanOrEqual(2);
    // SMS was never asked to make a job, and none exists.
    expect(w.emulator.requestsFor('CreateReplicationJob')).toEqual([]);
    expect(w.emulator.jobs()).toEqual([]);

    // The rollback Delete of the failed Create's id: the Create made nothing, so it asks SMS nothing.
    const smsBefore = w.emulator.requests.length;
    const rollback = await w.cfn.delete();
    expect(rollback.status).toBe('SUCCESS');
    expect(w.emulator.requests.length).toBe(smsBefore);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });
});

describe('Update', () => {
  const changes = { Frequency: 2, Description: 'after' };

  eachMode('a forward in-place Update', jobProps, async (w, mode) => {
    expect((await w.cfn.create()).status).toBe('SUCCESS');
    mode.arm(w.cfn);
    const updated = await w.cfn.update(w.jobs.Job, changes);
    expectAnsweredInTime(updated);
    // Read, or taken as a rollback (which loses nothing and wedges nothing): the change is made either way.
    expect(updated.status).toBe('SUCCESS');
    if (mode.reason) {
      expect(updated.logs).toContain('the Update is taken as a rollback');
      expect(updated.logs).toContain('writing without a reading of the stack\'s status, as a rollback');
      expect(updated.durationMs).toBeGreaterThanOrEqual(writeLeaseMs(mode.timeoutSeconds * 1000));
    } else {
      // Read within its lease (10 s): after two throttles the third attempt goes out by 9 s, its last moment.
      expect(updated.logs).not.toContain('the Update is taken as a rollback');
      expect(describeStacksDuring(w.cfn, updated).slice(0, 3)).toEqual(['Throttling', 'Throttling', 'UPDATE_IN_PROGRESS']);
    }
    const job = onlyJob(w);
    expect([job.frequency, job.description?.split(' [cfn:')[0]]).toEqual([2, 'after']);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });

  eachMode('the rollback Update of an Update that succeeded', jobProps, async (w, mode) => {
    expect((await w.cfn.create()).status).toBe('SUCCESS');
    expect((await w.cfn.update(w.jobs.Job, changes)).status).toBe('SUCCESS');
    mode.arm(w.cfn);
    const rollback = await w.cfn.rollbackUpdate(w.jobs.Job);
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(rollback.durationMs).toBeGreaterThanOrEqual(writeLeaseMs(mode.timeoutSeconds * 1000));
    const job = onlyJob(w);
    expect([job.frequency, job.description?.split(' [cfn:')[0]]).toEqual([8, 'before']);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });

  eachMode('an in-place Update cancelled 0.5 s in, then its rollback Update', jobProps, async (w, mode) => {
    const created = await w.cfn.create();
    mode.arm(w.cfn);
    const race = await w.cfn.cancelUpdate(w.jobs.Job, changes, { afterMs: 500 });
    expect(race.rollback.sentAt).toBeLessThan(race.forward.endedAt);
    expectAnsweredInTime(race.forward);
    expectAnsweredInTime(race.rollback);
    expect(race.rollback.status).toBe('SUCCESS');
    // Whatever the cancelled Update did, the job ends with the values the stack rolled back to.
    const job = onlyJob(w);
    expect([job.replicationJobId, job.frequency, job.description?.split(' [cfn:')[0]]).toEqual([created.physicalResourceId, 8, 'before']);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });

  eachMode('an in-place Update cancelled 0.3 s after its write reached a slow SMS (4 s), then its rollback Update', jobProps, async (w, mode) => {
    const created = await w.cfn.create();
    mode.arm(w.cfn);
    w.emulator.inject('UpdateReplicationJob', { kind: 'delay', ms: 4000 });
    const race = await w.cfn.cancelUpdate(w.jobs.Job, changes, { once: () => w.emulator.requestsFor('UpdateReplicationJob').length > 0, afterMs: 300 });
    expectAnsweredInTime(race.forward);
    expectAnsweredInTime(race.rollback);
    expect(race.rollback.status).toBe('SUCCESS');
    // The cancelled write landed (4 s after it was sent) before the rollback looked at the job, which it restored.
    expect(w.emulator.requestsFor('UpdateReplicationJob').map((r) => [r.body.frequency, r.outcome])).toEqual([[2, 'ok'], [8, 'ok']]);
    const job = onlyJob(w);
    expect([job.replicationJobId, job.frequency, job.description?.split(' [cfn:')[0]]).toEqual([created.physicalResourceId, 8, 'before']);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });
});

describe('Delete of a job adopted with an explicit DESTROY', () => {
  eachMode('the stack is deleted (DELETE_IN_PROGRESS)', adoptProps, async (w, mode) => {
    const existing = consoleJob(w);
    expect((await w.cfn.create()).status).toBe('SUCCESS');
    mode.arm(w.cfn);
    const deleted = await w.cfn.deleteStack();
    if (deleted === 'retained') throw new Error('DESTROY retained the job');
    expectAnsweredInTime(deleted);
    expect(deleted.status).toBe('SUCCESS');
    if (!mode.reason) {
      // The status was read in the end: the user's removal deletes the job.
      expect(describeStacksDuring(w.cfn, deleted)).toEqual(['Throttling', 'Throttling', 'DELETE_IN_PROGRESS']);
      expect(w.emulator.jobs()).toEqual([]);
      expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
      return;
    }
    // No reading: the job is kept, handed back without its marker, and the log says which job and how to delete it.
    expect(w.emulator.requestsFor('DeleteReplicationJob')).toEqual([]);
    const kept = w.emulator.jobs().find((j) => j.replicationJobId === existing.replicationJobId)!;
    expect(kept).toEqual({ ...existing, frequency: 6, description: 'db' });
    expect(deleted.logs).toContain('keeping the adopted job');
    expect(deleted.logs).toContain(`DeleteReplicationJob with an SDK for replicationJobId ${existing.replicationJobId}`);
    expect(deleted.logs).toContain(`${mode.errorName}: `);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn], [kept]);

    // A new stack of the same name adopts the job again: no marker of the deleted stack is left on it.
    const again = await world({ stackName: STACK, emulator: w.emulator, jobs: { Job: adoptProps }, functionTimeoutSeconds: mode.timeoutSeconds });
    try {
      const adopted = await again.cfn.create();
      expect(adopted.status).toBe('SUCCESS');
      expect(adopted.physicalResourceId).toBe(`${existing.replicationJobId}/adopted`);
    } finally {
      await again.close();
    }
  });

  eachMode('the stack\'s create rolls back (ROLLBACK_IN_PROGRESS)', adoptProps, async (w, mode) => {
    const existing = consoleJob(w);
    expect((await w.cfn.create()).status).toBe('SUCCESS');
    mode.arm(w.cfn);
    const rollback = await w.cfn.rollbackCreate();
    if (rollback === 'retained') throw new Error('DESTROY retained the job');
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    if (!mode.reason) {
      expect(describeStacksDuring(w.cfn, rollback)).toEqual(['Throttling', 'Throttling', 'ROLLBACK_IN_PROGRESS']);
    } else {
      expect(rollback.logs).toContain(`DeleteReplicationJob with an SDK for replicationJobId ${existing.replicationJobId}`);
    }
    // A rollback never deletes an adopted job: kept, and handed back unmarked.
    expect(w.emulator.requestsFor('DeleteReplicationJob')).toEqual([]);
    const kept = w.emulator.jobs().find((j) => j.replicationJobId === existing.replicationJobId)!;
    expect(kept).toEqual({ ...existing, frequency: 6, description: 'db' });
    expectNothingLeakedNothingLost(w.emulator, [w.cfn], [kept]);
  });
});
