import { Duration } from 'aws-cdk-lib';
import { writeLeaseMs } from '../../lambda/budget';
import { ReplicationJobProps, SmsServer } from '../../lib';
import { CfnDriver } from '../harness/cfn-driver';
import { EmulatedJob } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, world, World } from '../harness/world';

/**
 * Issue 32: an Update that learns its stack's status late tells forward from rollback by evidence, not by what the
 * stack is doing when it reads. Each sequence runs with CloudFormation (DescribeStacks and DescribeStackEvents alike:
 * the account's API rate) throttled for three requests, and throttled through the forward Update's whole lease, and
 * ends with the properties of the job SMS holds and the SMS writes that were made.
 *
 * The function's timeout is 60 s (a lease of 10 s, as with the provider's 180 s), as in stack-status-faults.test.ts.
 */

jest.setTimeout(240_000);

const TIMEOUT_SECONDS = 60;
const LEASE_MS = writeLeaseMs(TIMEOUT_SECONDS * 1000);

interface Mode {
  readonly name: string;
  /** Starts the faults; returns what stops them, if anything does later. */
  readonly arm: (cfn: CfnDriver) => void;
}

const MODES: Mode[] = [
  { name: 'CloudFormation throttled 3 times', arm: (cfn) => cfn.throttleNextDescribeStacks(3) },
  {
    // Every read of the next invocation's lease is throttled (its last attempt goes out 1 s before the lease ends);
    // CloudFormation answers again from the end of that lease.
    name: 'CloudFormation throttled through a whole lease',
    arm: (cfn) => {
      cfn.throttleNextDescribeStacks(Infinity);
      setTimeout(() => cfn.clearDescribeStacksFaults(), LEASE_MS).unref();
    },
  },
];

const SERVER = 's-00001a7e';
const jobProps: ReplicationJobProps = { server: SmsServer.fromServerId(SERVER), seedReplicationTime: futureSeed(), frequency: Duration.hours(8), description: 'before' };
const changes = { Frequency: 2, Description: 'after' };

const SENT_BEFORE = 'this Update was sent before the rollback began: a forward Update, which writes nothing';
const IS_ROLLBACK = 'this Update was sent after the rollback began: it is the rollback';

/** The sequences, in order; each gets a world of its own, built before any runs (a synth blocks this process). */
const planned: string[] = [];
let worlds: Promise<Map<string, World>> | undefined;

function allWorlds(): Promise<Map<string, World>> {
  worlds ??= (async () => {
    const built = new Map<string, World>();
    for (const name of planned) {
      built.set(name, await world({ stackName: 'LateReads', jobs: { Job: jobProps }, functionTimeoutSeconds: TIMEOUT_SECONDS }));
    }
    return built;
  })();
  return worlds;
}

function sequence(name: string, body: (w: World) => Promise<void>): void {
  planned.push(name);
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
  for (const w of (await worlds)?.values() ?? []) await w.close();
});

function onlyJob(w: World): EmulatedJob {
  const jobs = w.emulator.jobs();
  expect(jobs).toHaveLength(1);
  return jobs[0];
}

/** The job's frequency and the user's part of its description. */
function propertiesOf(job: EmulatedJob): [number | undefined, string | undefined] {
  return [job.frequency, job.description?.split(' [cfn:')[0]];
}

/** The frequencies of the UpdateReplicationJobs SMS accepted, in order. */
function writes(w: World): unknown[] {
  return w.emulator.requestsFor('UpdateReplicationJob').filter((r) => r.outcome === 'ok').map((r) => r.body.frequency);
}

for (const mode of MODES) {
  describe(mode.name, () => {
    sequence(`${mode.name}: a forward in-place Update alone makes its change`, async (w) => {
      expect((await w.cfn.create()).status).toBe('SUCCESS');
      mode.arm(w.cfn);
      const updated = await w.cfn.update(w.jobs.Job, changes);
      expectAnsweredInTime(updated);
      expect(updated.status).toBe('SUCCESS');
      expect(updated.logs).not.toContain(SENT_BEFORE);
      expect(propertiesOf(onlyJob(w))).toEqual([2, 'after']);
      expect(writes(w)).toEqual([2]);
      expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
    });

    sequence(`${mode.name}: an in-place Update cancelled 2.5 s in, then its rollback: the forward one writes nothing`, async (w) => {
      const created = await w.cfn.create();
      mode.arm(w.cfn);
      const race = await w.cfn.cancelUpdate(w.jobs.Job, changes, { afterMs: 2500 });
      expectAnsweredInTime(race.forward);
      expectAnsweredInTime(race.rollback);
      // The forward Update read its stack's status only after the rollback began: it was sent before, so it is not
      // the rollback, and it wrote nothing. Its answer, which CloudFormation ignores, keeps the id the stack holds.
      expect(race.forward.logs).toContain(SENT_BEFORE);
      expect([race.forward.status, race.forward.physicalResourceId]).toEqual(['SUCCESS', created.physicalResourceId]);
      expect(race.rollback.status).toBe('SUCCESS');
      expect(race.rollback.logs).toContain(IS_ROLLBACK);
      const job = onlyJob(w);
      expect([job.replicationJobId, ...propertiesOf(job)]).toEqual([created.physicalResourceId, 8, 'before']);
      expect(writes(w)).toEqual([]);
      expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
    });

    sequence(`${mode.name}: the rollback Update alone, after an Update that succeeded, restores the old properties`, async (w) => {
      expect((await w.cfn.create()).status).toBe('SUCCESS');
      expect((await w.cfn.update(w.jobs.Job, changes)).status).toBe('SUCCESS');
      mode.arm(w.cfn);
      const rollback = await w.cfn.rollbackUpdate(w.jobs.Job);
      expectAnsweredInTime(rollback);
      expect(rollback.status).toBe('SUCCESS');
      expect(rollback.logs).toContain(IS_ROLLBACK);
      expect(rollback.logs).not.toContain(SENT_BEFORE);
      expect(propertiesOf(onlyJob(w))).toEqual([8, 'before']);
      expect(writes(w)).toEqual([2, 8]);
      expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
    });
  });
}

sequence('a forward Update that Lambda delivers after its rollback answered writes nothing', async (w) => {
  const created = await w.cfn.create();
  const race = await w.cfn.lateUpdate(w.jobs.Job, changes, { afterMs: 1500 });
  expect(race.rollback.status).toBe('SUCCESS');
  expect(race.rollback.endedAt).toBeLessThan(race.forward.startedAt);
  expect(race.forward.logs).toContain(SENT_BEFORE);
  expect([race.forward.status, race.forward.physicalResourceId]).toEqual(['SUCCESS', created.physicalResourceId]);
  const job = onlyJob(w);
  expect([job.replicationJobId, ...propertiesOf(job)]).toEqual([created.physicalResourceId, 8, 'before']);
  expect(writes(w)).toEqual([]);
  expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
});

sequence('the rollback Update alone, its role denied DescribeStackEvents: taken as the rollback, as before, and the old properties restored', async (w) => {
  expect((await w.cfn.create()).status).toBe('SUCCESS');
  expect((await w.cfn.update(w.jobs.Job, changes)).status).toBe('SUCCESS');
  w.cfn.denyNextDescribeStackEvents(Infinity);
  const rollback = await w.cfn.rollbackUpdate(w.jobs.Job);
  expectAnsweredInTime(rollback);
  expect(rollback.status).toBe('SUCCESS');
  expect(rollback.logs).toContain('could not read when the rollback began: the Update is taken as the rollback');
  expect(rollback.logs).toContain('CloudFormationAccessDenied');
  expect(propertiesOf(onlyJob(w))).toEqual([8, 'before']);
  expect(writes(w)).toEqual([2, 8]);
  expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
});
