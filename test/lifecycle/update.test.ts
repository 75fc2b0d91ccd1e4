import { Duration } from 'aws-cdk-lib';
import { LicenseType, SmsServer } from '../../lib';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, world, World } from '../harness/world';

/** Sequence 2 of issue 3: updates in place, seed moves, replacement with cleanup, runOnce, failure and rollback. */

jest.setTimeout(60_000);

const seed = futureSeed();
let w: World;

beforeEach(async () => {
  w = await world({
    jobs: {
      Job: {
        server: SmsServer.fromServerId('s-0000000a'),
        seedReplicationTime: seed,
        frequency: Duration.hours(12),
        licenseType: LicenseType.AWS,
        description: 'web server',
        numberOfRecentAmisToKeep: 3,
      },
    },
  });
  w.emulator.addServer('s-0000000b');
  const created = await w.cfn.create();
  expect(created.status).toBe('SUCCESS');
});

afterEach(async () => {
  await w.close();
});

function onlyJob() {
  const jobs = w.emulator.jobs();
  expect(jobs).toHaveLength(1);
  return jobs[0];
}

test('an update in place changes the job with UpdateReplicationJob and keeps its id', async () => {
  const { cfn, emulator } = w;
  const before = onlyJob();
  const updated = await cfn.update(w.jobs.Job, {
    Frequency: 6,
    LicenseType: 'BYOL',
    Description: 'web server, moved to BYOL',
    NumberOfRecentAmisToKeep: 10,
  });
  expectAnsweredInTime(updated);
  expect(updated.status).toBe('SUCCESS');
  expect(updated.physicalResourceId).toBe(before.replicationJobId);
  expect(updated.data).toEqual({ ReplicationJobId: before.replicationJobId });

  expect(emulator.requestsFor('CreateReplicationJob')).toHaveLength(1);
  const [request] = emulator.requestsFor('UpdateReplicationJob');
  expect(request.body).toMatchObject({
    replicationJobId: before.replicationJobId,
    frequency: 6,
    licenseType: 'BYOL',
    numberOfRecentAmisToKeep: 10,
    description: expect.stringMatching(/^web server, moved to BYOL \S/),
  });
  // The seed time did not change: the schedule must not move.
  expect(request.body).not.toHaveProperty('nextReplicationRunStartTime');
  expect(onlyJob()).toMatchObject({
    replicationJobId: before.replicationJobId,
    frequency: 6,
    licenseType: 'BYOL',
    numberOfRecentAmisToKeep: 10,
    nextReplicationRunStartTime: before.nextReplicationRunStartTime,
  });
  // The marker survives an update of the description: a later duplicate Create must still recognise the job.
  expect(onlyJob().description).toContain(cfn.logicalIdOf(w.jobs.Job));
  expectNothingLeakedNothingLost(emulator, [cfn]);
  await cfn.delete();
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test('an update that moves the seed time into the future moves the next run', async () => {
  const { cfn, emulator } = w;
  const later = futureSeed(9);
  const updated = await cfn.update(w.jobs.Job, { SeedReplicationTime: later.toISOString() });
  expectAnsweredInTime(updated);
  expect(updated.status).toBe('SUCCESS');
  const [request] = emulator.requestsFor('UpdateReplicationJob');
  expect(request.body.nextReplicationRunStartTime).toBe(later.getTime() / 1000);
  expect(onlyJob().nextReplicationRunStartTime).toBe(later.getTime() / 1000);
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test('a new serverId creates a job for the new server; CloudFormation\'s cleanup Delete removes the old one', async () => {
  const { cfn, emulator } = w;
  const old = onlyJob();
  const replaced = await cfn.update(w.jobs.Job, { ServerId: 's-0000000b' });
  expectAnsweredInTime(replaced);
  expect(replaced.status).toBe('SUCCESS');
  expect(replaced.physicalResourceId).toMatch(/^sms-job-/);
  expect(replaced.physicalResourceId).not.toBe(old.replicationJobId);
  expect(emulator.jobs().map((j) => [j.replicationJobId, j.serverId])).toEqual([
    [old.replicationJobId, 's-0000000a'],
    [replaced.physicalResourceId, 's-0000000b'],
  ]);

  const cleanup = await cfn.cleanup(w.jobs.Job);
  expectAnsweredInTime(cleanup);
  expect(cleanup.event).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: old.replicationJobId });
  expect(cleanup.status).toBe('SUCCESS');
  expect(onlyJob()).toMatchObject({ replicationJobId: replaced.physicalResourceId, serverId: 's-0000000b' });
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test('a replacement rolled back (another resource failed) deletes the new job and keeps the old one', async () => {
  const { cfn, emulator } = w;
  const old = onlyJob();
  const replaced = await cfn.update(w.jobs.Job, { ServerId: 's-0000000b' });
  expect(replaced.status).toBe('SUCCESS');
  const rollback = await cfn.rollbackUpdate(w.jobs.Job);
  expectAnsweredInTime(rollback);
  expect(rollback.event).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: replaced.physicalResourceId });
  expect(rollback.status).toBe('SUCCESS');
  expect(onlyJob()).toEqual(old);
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test('a replacement rolled back with an Update (old and new swapped) returns to the old job, and the cleanup deletes the new one', async () => {
  const { cfn, emulator } = w;
  const old = onlyJob();
  const replaced = await cfn.update(w.jobs.Job, { ServerId: 's-0000000b', Frequency: 6 });
  expect(replaced.status).toBe('SUCCESS');
  // No CreateReplicationJob on the way back: the old server's job is this resource's own, and a Create would carry
  // the old seed time, which has often passed by then (SMS refuses a seed time in the past).
  const creates = emulator.requestsFor('CreateReplicationJob').length;

  const rollback = await cfn.rollbackUpdate(w.jobs.Job, { replacement: 'update' });
  expectAnsweredInTime(rollback);
  expect(rollback.event).toMatchObject({ RequestType: 'Update', PhysicalResourceId: replaced.physicalResourceId });
  expect(rollback.status).toBe('SUCCESS');
  expect(rollback.physicalResourceId).toBe(old.replicationJobId);
  expect(emulator.requestsFor('CreateReplicationJob')).toHaveLength(creates);

  const cleanup = await cfn.cleanup(w.jobs.Job);
  expect(cleanup.event).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: replaced.physicalResourceId });
  expect(cleanup.status).toBe('SUCCESS');
  expect(onlyJob()).toMatchObject({ replicationJobId: old.replicationJobId, serverId: 's-0000000a', frequency: 12 });
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test('a runOnce change is refused, naming runOnce, leaving the job as it was; its rollback Update succeeds', async () => {
  const { cfn, emulator } = w;
  const before = onlyJob();
  const refused = await cfn.update(w.jobs.Job, { RunOnce: true, Frequency: undefined });
  expectAnsweredInTime(refused);
  expect(refused.status).toBe('FAILED');
  expect(refused.reason).toMatch(/^RunOnceChangeNotSupported: .*runOnce/);
  // Retrying cannot help: the Reason says what to change instead.
  expect(refused.reason).not.toMatch(/retry/i);
  expect(refused.physicalResourceId).toBe(before.replicationJobId);
  expect(emulator.requestsFor('UpdateReplicationJob')).toEqual([]);
  expect(onlyJob()).toEqual(before);

  const rollback = await cfn.rollbackUpdate(w.jobs.Job);
  expectAnsweredInTime(rollback);
  expect(rollback.event.ResourceProperties).not.toHaveProperty('RunOnce');
  expect(rollback.event.OldResourceProperties).toMatchObject({ RunOnce: 'true' });
  expect(rollback.status).toBe('SUCCESS');
  expect(rollback.physicalResourceId).toBe(before.replicationJobId);
  expect(onlyJob()).toMatchObject({ runOnce: false, frequency: 12 });
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test('a failed Update keeps the physical id, and the rollback Update (old and new swapped) restores the old values', async () => {
  const { cfn, emulator } = w;
  const before = onlyJob();
  // SMS refuses the update (here: a KMS key it cannot use), so the job keeps its old values.
  emulator.failNext('UpdateReplicationJob', 'InvalidParameterException', { message: 'Invalid KMS key' });
  const failed = await cfn.update(w.jobs.Job, { Frequency: 2, Encrypted: true, KmsKeyId: 'alias/missing' });
  expectAnsweredInTime(failed);
  expect(failed.status).toBe('FAILED');
  expect(failed.reason).toMatch(/^InvalidParameterException/);
  expect(failed.physicalResourceId).toBe(before.replicationJobId);
  expect(onlyJob()).toEqual(before);

  const rollback = await cfn.rollbackUpdate(w.jobs.Job);
  expectAnsweredInTime(rollback);
  expect(rollback.status).toBe('SUCCESS');
  expect(rollback.physicalResourceId).toBe(before.replicationJobId);
  expect(onlyJob()).toMatchObject({ frequency: 12, licenseType: 'AWS', encrypted: false });
  expect(onlyJob()).not.toHaveProperty('kmsKeyId');
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test('an Update that SMS applied before a later resource failed is rolled back to the old values', async () => {
  const { cfn, emulator } = w;
  const before = onlyJob();
  const updated = await cfn.update(w.jobs.Job, { Frequency: 1, NumberOfRecentAmisToKeep: 20 });
  expect(updated.status).toBe('SUCCESS');
  expect(onlyJob()).toMatchObject({ frequency: 1, numberOfRecentAmisToKeep: 20 });
  const rollback = await cfn.rollbackUpdate(w.jobs.Job);
  expectAnsweredInTime(rollback);
  expect(rollback.status).toBe('SUCCESS');
  expect(onlyJob()).toMatchObject({ frequency: before.frequency, numberOfRecentAmisToKeep: before.numberOfRecentAmisToKeep });
  expectNothingLeakedNothingLost(emulator, [cfn]);
});
