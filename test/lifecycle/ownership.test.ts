import { Duration } from 'aws-cdk-lib';
import { ownerMarker } from '../../lambda/ownership';
import { SmsEmulator } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, world, World } from '../harness/world';
import { SmsServer } from '../../lib';

/** Sequences 7 and 8 of issue 3: duplicate deliveries, jobs someone else owns, and a renamed construct. */

jest.setTimeout(60_000);

const SERVER = 's-0000a11c';
const seed = futureSeed();
const worlds: World[] = [];

async function open(options: Parameters<typeof world>[0]): Promise<World> {
  const w = await world(options);
  worlds.push(w);
  return w;
}

afterEach(async () => {
  // Drivers first, then the emulators they share.
  for (const w of worlds.splice(0).reverse()) await w.close();
});

describe('sequence 7: at-least-once delivery and jobs this stack does not own', () => {
  test('the same Create delivered twice, one after the other: one job, both answers SUCCESS with its id', async () => {
    const { cfn, emulator } = await open({ jobs: { Job: { server: SmsServer.fromServerId(SERVER), seedReplicationTime: seed } } });
    const first = await cfn.create();
    const second = await cfn.redeliver(first.event);
    expectAnsweredInTime(first);
    expectAnsweredInTime(second);
    expect([first.status, second.status]).toEqual(['SUCCESS', 'SUCCESS']);
    expect(second.physicalResourceId).toBe(first.physicalResourceId);
    expect(emulator.jobs().map((j) => j.replicationJobId)).toEqual([first.physicalResourceId]);
    // The adopted job already matches the template: no update SMS might refuse in the job's state.
    expect(emulator.requestsFor('UpdateReplicationJob')).toEqual([]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('the same Create delivered twice at once: one job, both answers SUCCESS with its id', async () => {
    const { cfn, emulator } = await open({ jobs: { Job: { server: SmsServer.fromServerId(SERVER), seedReplicationTime: seed } } });
    const deliveries = await cfn.createDelivered(2);
    const answers = cfn.putsFor(deliveries[0].event).filter((p) => p.answered === 200).map((p) => JSON.parse(p.body));
    expect(deliveries.flatMap((d) => d.protocolViolations)).toEqual([]);
    expect(deliveries.map((d) => d.timedOut)).toEqual([false, false]);
    expect(answers.map((a) => a.Status)).toEqual(['SUCCESS', 'SUCCESS']);
    const jobs = emulator.jobs();
    expect(jobs).toHaveLength(1);
    expect(answers.map((a) => a.PhysicalResourceId)).toEqual([jobs[0].replicationJobId, jobs[0].replicationJobId]);
    // Both deliveries asked SMS for the job: one was refused as a duplicate and adopted the other's.
    expect(emulator.requestsFor('CreateReplicationJob').map((r) => r.outcome).sort())
      .toEqual(['error:ReplicationJobAlreadyExistsException', 'ok']);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('a job this resource made before (kept by RETAIN, then added back) is adopted and brought to the template', async () => {
    const emulator = await SmsEmulator.start();
    const { cfn, jobs } = await open({ emulator, jobs: { Job: { server: SmsServer.fromServerId(SERVER), seedReplicationTime: seed, frequency: Duration.hours(6) } } });
    const marker = ownerMarker(cfn.stackId, cfn.logicalIdOf(jobs.Job));
    const kept = emulator.seedJob({ serverId: SERVER, description: marker, frequency: 24 });
    try {
      const adopted = await cfn.create();
      expectAnsweredInTime(adopted);
      expect(adopted.status).toBe('SUCCESS');
      expect(adopted.physicalResourceId).toBe(kept.replicationJobId);
      expect(emulator.requestsFor('UpdateReplicationJob').map((r) => r.body)).toEqual([
        expect.objectContaining({ replicationJobId: kept.replicationJobId, frequency: 6 }),
      ]);
      expect(emulator.jobs()).toEqual([expect.objectContaining({ replicationJobId: kept.replicationJobId, frequency: 6 })]);
      expectNothingLeakedNothingLost(emulator, [cfn]);
    } finally {
      await emulator.close();
    }
  });

  test.each([
    ['created by hand', 'Database server, replicated by hand'],
    ['owned by another stack', 'web [cfn:OtherStack/Job/0badc0de]'],
    ['owned by another resource of this stack name', 'web [cfn:SmsJobs/OtherJob/0badc0de]'],
  ])('a Create for a server whose job was %s fails, saying so; neither it nor the rollback Delete touch the job', async (_, description) => {
    const emulator = await SmsEmulator.start();
    const foreign = emulator.seedJob({ serverId: SERVER, description, frequency: 24 });
    const { cfn } = await open({ emulator, jobs: { Job: { server: SmsServer.fromServerId(SERVER), seedReplicationTime: seed, frequency: Duration.hours(1) } } });
    try {
      const failed = await cfn.create();
      expectAnsweredInTime(failed);
      expect(failed.status).toBe('FAILED');
      expect(failed.reason).toMatch(/^ReplicationJobAlreadyExistsException\b/);
      expect(failed.reason).toContain(SERVER);
      expect(failed.reason).toContain(foreign.replicationJobId);
      expect(failed.physicalResourceId).not.toMatch(/^sms-job-/);

      const rollback = await cfn.delete();
      expectAnsweredInTime(rollback);
      expect(rollback.status).toBe('SUCCESS');

      const touching = emulator.requests.filter((r) => r.body?.replicationJobId === foreign.replicationJobId
        && ['UpdateReplicationJob', 'DeleteReplicationJob'].includes(r.operation));
      expect(touching).toEqual([]);
      expectNothingLeakedNothingLost(emulator, [cfn], [foreign]);
    } finally {
      await emulator.close();
    }
  });

  test('a stack deleted and created again under the same name does not adopt the old stack\'s job', async () => {
    const emulator = await SmsEmulator.start();
    try {
      const old = await open({ emulator, jobs: { Job: { server: SmsServer.fromServerId(SERVER), seedReplicationTime: seed } } });
      // The old stack's deletion was skipped (RETAIN, or the job was left behind): its job is now someone else's.
      expect((await old.cfn.create()).status).toBe('SUCCESS');
      const [leftBehind] = emulator.jobs();
      const recreated = await open({ emulator, jobs: { Job: { server: SmsServer.fromServerId(SERVER), seedReplicationTime: seed } } });
      expect(recreated.cfn.stackId).not.toBe(old.cfn.stackId);
      const failed = await recreated.cfn.create();
      expect(failed.status).toBe('FAILED');
      expect(failed.reason).toMatch(/^ReplicationJobAlreadyExistsException\b/);
      expect((await recreated.cfn.delete()).status).toBe('SUCCESS');
      expectNothingLeakedNothingLost(emulator, [old.cfn, recreated.cfn], []);
      expect(emulator.jobs()).toEqual([leftBehind]);
    } finally {
      await emulator.close();
    }
  });
});

describe('sequence 8: a construct renamed in the app (new logical id, same server)', () => {
  test('the new resource\'s Create fails clearly and its rollback Delete leaves the old resource\'s job alone', async () => {
    const emulator = await SmsEmulator.start();
    try {
      const v1 = await open({ emulator, jobs: { Job: { server: SmsServer.fromServerId(SERVER), seedReplicationTime: seed, description: 'db' } } });
      const created = await v1.cfn.create();
      expect(created.status).toBe('SUCCESS');
      const [job] = emulator.jobs();

      // Version 2 of the same stack renames the construct: CloudFormation creates the new logical id first.
      const v2 = await open({ emulator, sameStackAs: v1.cfn, jobs: { Renamed: { server: SmsServer.fromServerId(SERVER), seedReplicationTime: seed, description: 'db' } } });
      expect(v2.cfn.stackId).toBe(v1.cfn.stackId);
      const newId = v2.cfn.logicalIdOf(v2.jobs.Renamed);
      expect(newId).not.toBe(v1.cfn.logicalIdOf(v1.jobs.Job));
      const renamed = await v2.cfn.create(newId);
      expectAnsweredInTime(renamed);

      if (renamed.status === 'SUCCESS') {
        // Adopting is allowed only if the stack stays whole: the cleanup Delete of the old logical id must not
        // remove the job the new one now points at.
        expect((await v1.cfn.delete()).status).toBe('SUCCESS');
        expect(emulator.jobs().map((j) => j.replicationJobId)).toEqual([renamed.physicalResourceId]);
        expectNothingLeakedNothingLost(emulator, [v2.cfn]);
      } else {
        expect(renamed.reason).toMatch(/^ReplicationJobAlreadyExistsException\b/);
        expect(renamed.reason).toContain(job.replicationJobId);
        expect(renamed.physicalResourceId).not.toMatch(/^sms-job-/);
        const rollback = await v2.cfn.delete(newId);
        expect(rollback.status).toBe('SUCCESS');
        expect(emulator.jobs()).toEqual([job]);
        expectNothingLeakedNothingLost(emulator, [v1.cfn, v2.cfn]);
      }
      // The rule this handler chose: fail clearly.
      expect(renamed.status).toBe('FAILED');
    } finally {
      await emulator.close();
    }
  });
});
