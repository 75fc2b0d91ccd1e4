import { Duration } from 'aws-cdk-lib';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, smsCallsDuring, world, World } from '../harness/world';
import { SmsServer } from '../../lib';

/**
 * Issue 13: an Update sends only what SMS holds and differs, creates again a job that disappeared outside
 * CloudFormation, and every rollback finishes, bringing back SMS's default for what it added.
 */

jest.setTimeout(60_000);

const SERVER = 's-0000cafe';
const HOUR = 3_600_000;
/** A seed time three days past, at 02:00 UTC: the usual state of a job that has run for a while. */
const pastSeed = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 3 * 86_400_000 + 2 * HOUR);

let w: World;

afterEach(async () => {
  await w.close();
});

async function deployed(props: { frequency?: Duration; runOnce?: boolean; seedReplicationTime?: Date } = {}): Promise<World> {
  w = await world({ jobs: { Job: { server: SmsServer.fromServerId(SERVER), seedReplicationTime: futureSeed(), frequency: Duration.hours(12), ...props } } });
  const created = await w.cfn.create();
  expect(created.status).toBe('SUCCESS');
  return w;
}

describe('an Update reaches SMS only when a property SMS holds changes', () => {
  test('only ServiceTimeout changes: no SMS call, even while SMS would refuse an update', async () => {
    const { cfn, emulator } = await deployed();
    const [before] = emulator.jobs();
    emulator.failNext('UpdateReplicationJob', 'OperationNotPermittedException', { times: Infinity, message: 'A replication run is in progress' });
    const { result: updated, calls } = await smsCallsDuring(emulator, () => cfn.update(w.jobs.Job, { ServiceTimeout: '300' }));
    expectAnsweredInTime(updated);
    expect(updated.event.OldResourceProperties).toMatchObject({ ServiceTimeout: '600' });
    expect(updated.status).toBe('SUCCESS');
    expect(updated.physicalResourceId).toBe(before.replicationJobId);
    expect(calls).toEqual([]);
    expect(emulator.jobs()).toEqual([before]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('runOnce: false becomes absent, and back: no SMS call', async () => {
    const { cfn, emulator } = await deployed({ runOnce: false });
    expect(cfn.liveResources()[0].properties).toMatchObject({ RunOnce: 'false' });
    const dropped = await smsCallsDuring(emulator, () => cfn.update(w.jobs.Job, { RunOnce: undefined }));
    expect(dropped.result.status).toBe('SUCCESS');
    expect(dropped.calls).toEqual([]);
    const spelled = await smsCallsDuring(emulator, () => cfn.update(w.jobs.Job, { RunOnce: 'false' }));
    expect(spelled.result.status).toBe('SUCCESS');
    expect(spelled.calls).toEqual([]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('a change sends only the fields that differ from the job', async () => {
    const { cfn, emulator } = await deployed();
    const { result: updated, calls } = await smsCallsDuring(emulator, () => cfn.update(w.jobs.Job, { Frequency: 6, ServiceTimeout: '300' }));
    expect(updated.status).toBe('SUCCESS');
    expect(calls).toEqual(['GetReplicationJobs', 'UpdateReplicationJob']);
    expect(emulator.requestsFor('UpdateReplicationJob').map((r) => r.body)).toEqual([{ replicationJobId: updated.physicalResourceId, frequency: 6 }]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('the rollback of an Update that added numberOfRecentAmisToKeep goes back to keeping every AMI', async () => {
    const { cfn, emulator } = await deployed();
    const updated = await cfn.update(w.jobs.Job, { NumberOfRecentAmisToKeep: 3 });
    expect(updated.status).toBe('SUCCESS');
    expect(emulator.jobs()[0].numberOfRecentAmisToKeep).toBe(3);

    const { result: rollback } = await smsCallsDuring(emulator, () => cfn.rollbackUpdate(w.jobs.Job));
    expectAnsweredInTime(rollback);
    expect(rollback.event.ResourceProperties).not.toHaveProperty('NumberOfRecentAmisToKeep');
    expect(rollback.status).toBe('SUCCESS');
    // SMS's documented default: "0, meaning that all AMIs are kept".
    expect(emulator.requestsFor('UpdateReplicationJob').at(-1)!.body).toEqual({ replicationJobId: updated.physicalResourceId, numberOfRecentAmisToKeep: 0 });
    expect(emulator.jobs()[0].numberOfRecentAmisToKeep).toBe(0);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('the rollback of an Update SMS refused finds the job as it was and sends nothing', async () => {
    const { cfn, emulator } = await deployed();
    const [before] = emulator.jobs();
    emulator.failNext('UpdateReplicationJob', 'OperationNotPermittedException', { times: Infinity });
    const refused = await cfn.update(w.jobs.Job, { Frequency: 2 });
    expect(refused.status).toBe('FAILED');
    const { result: rollback, calls } = await smsCallsDuring(emulator, () => cfn.rollbackUpdate(w.jobs.Job));
    expect(rollback.status).toBe('SUCCESS');
    expect(calls).toEqual(['GetReplicationJobs']);
    expect(emulator.jobs()).toEqual([before]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });
});

describe('an Update whose job was deleted outside CloudFormation', () => {
  async function goneThenUpdated() {
    const { cfn, emulator } = await deployed({ seedReplicationTime: pastSeed, frequency: Duration.hours(6) });
    const [gone] = emulator.jobs();
    emulator.deleteJob(gone.replicationJobId);
    const updated = await cfn.update(w.jobs.Job, { Description: 'web server' });
    expectAnsweredInTime(updated);
    return { gone, updated };
  }

  test('creates the job again for the same server, on the template\'s schedule, with a new physical id; the cleanup Delete of the old id succeeds', async () => {
    const { gone, updated } = await goneThenUpdated();
    expect(updated.status).toBe('SUCCESS');
    expect(updated.physicalResourceId).toMatch(/^sms-job-/);
    expect(updated.physicalResourceId).not.toBe(gone.replicationJobId);
    const [again] = w.emulator.jobs();
    expect(again).toMatchObject({ replicationJobId: updated.physicalResourceId, serverId: SERVER, frequency: 6 });
    // The seed time had passed: the first run is the next one on the old schedule (02:00 UTC plus whole 6-hour periods).
    const next = again.seedReplicationTime * 1000;
    expect(next).toBeGreaterThan(Date.now());
    expect(next).toBeLessThanOrEqual(Date.now() + 6 * HOUR + 15 * 60_000);
    expect((next - pastSeed.getTime()) % (6 * HOUR)).toBe(0);

    const { result: cleanup, calls } = await smsCallsDuring(w.emulator, () => w.cfn.cleanup(w.jobs.Job));
    expect(cleanup.event.PhysicalResourceId).toBe(gone.replicationJobId);
    expect(cleanup.status).toBe('SUCCESS');
    // A job the resource made (its physical id says so: no /adopted) is deleted with one request, no read first
    // (issue 32); the job is gone, and the Delete still succeeds.
    expect(calls).toEqual(['DeleteReplicationJob']);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });

  test('its rollback by a Delete of the new job finishes, leaving the stack as it was before (no job)', async () => {
    const { updated } = await goneThenUpdated();
    const rollback = await w.cfn.rollbackUpdate(w.jobs.Job);
    expectAnsweredInTime(rollback);
    expect(rollback.event).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: updated.physicalResourceId });
    expect(rollback.status).toBe('SUCCESS');
    expect(w.emulator.jobs()).toEqual([]);
    expect(w.emulator.violations).toEqual([]);
  });

  test('its rollback by an Update (old and new swapped) finishes on the new job', async () => {
    const { updated } = await goneThenUpdated();
    const rollback = await w.cfn.rollbackUpdate(w.jobs.Job, { replacement: 'update' });
    expectAnsweredInTime(rollback);
    expect(rollback.event).toMatchObject({ RequestType: 'Update', PhysicalResourceId: updated.physicalResourceId });
    expect(rollback.status).toBe('SUCCESS');
    expect(rollback.physicalResourceId).toBe(updated.physicalResourceId);
    expect(w.emulator.jobs()).toEqual([expect.objectContaining({ replicationJobId: updated.physicalResourceId, serverId: SERVER })]);
    expect(w.emulator.jobs()[0].description).not.toMatch(/^web server/);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });

  test('gone, with SMS refusing a new job: the Update fails naming the job and why; its rollback completes on the stack\'s id and makes nothing', async () => {
    const { cfn, emulator } = await deployed({ seedReplicationTime: pastSeed, frequency: Duration.hours(6) });
    const [job] = emulator.jobs();
    emulator.deleteJob(job.replicationJobId);
    emulator.failNext('CreateReplicationJob', 'UnauthorizedOperationException', { times: Infinity });
    const forward = await cfn.update(w.jobs.Job, { Description: 'web server' });
    expectAnsweredInTime(forward);
    expect(forward.status).toBe('FAILED');
    expect(forward.reason).toContain(`Replication job ${job.replicationJobId} no longer exists (deleted outside CloudFormation, or ended by SMS), and creating it again`);
    // Before this, the rollback failed the same way: UPDATE_ROLLBACK_FAILED over a job deleted outside CloudFormation.
    const rollback = await cfn.rollbackUpdate(w.jobs.Job);
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(rollback.physicalResourceId).toBe(job.replicationJobId);
    expect(rollback.logs).toContain('a rollback could not make the gone job again');
    expect(emulator.jobs()).toEqual([]);
  });

  test('a job SMS ended (state DELETED) counts as gone', async () => {
    const { cfn, emulator } = await deployed();
    const [ended] = emulator.jobs();
    emulator.deleteJob(ended.replicationJobId);
    emulator.seedJob({ ...ended, state: 'DELETED' });
    const updated = await cfn.update(w.jobs.Job, { Frequency: 6 });
    expect(updated.status).toBe('SUCCESS');
    expect(updated.physicalResourceId).not.toBe(ended.replicationJobId);
    expect(emulator.jobs().find((j) => j.replicationJobId === updated.physicalResourceId)).toMatchObject({ serverId: SERVER, frequency: 6 });
  });
});
