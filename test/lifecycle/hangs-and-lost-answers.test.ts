import { Duration } from 'aws-cdk-lib';
import { CfnResult } from '../harness/cfn-driver';
import { Fault } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, world, World } from '../harness/world';
import { SmsServer } from '../../lib';

/** Sequences 5 and 6 of issue 3: SMS never answering, and answers lost after SMS did the work. */

jest.setTimeout(60_000);

/** The function's Timeout in these tests: short, so that waiting for a hang costs seconds. */
const TIMEOUT_SECONDS = 4;

let w: World;

beforeEach(async () => {
  w = await world({
    jobs: { Job: { server: SmsServer.fromServerId('s-00000bad'), seedReplicationTime: futureSeed(), frequency: Duration.hours(8) } },
    functionTimeoutSeconds: TIMEOUT_SECONDS,
  });
  w.emulator.addServer('s-00000bee');
});

afterEach(async () => {
  await w.close();
});

describe('sequence 5: SMS never answering', () => {
  test('on Create: a FAILED answer arrives before the deadline, and the rollback Delete leaves nothing behind', async () => {
    const { cfn, emulator } = w;
    emulator.inject('*', { kind: 'hang' }, Infinity);
    const failed = await cfn.create();
    expectAnsweredInTime(failed);
    expect(failed.status).toBe('FAILED');
    expect(failed.physicalResourceId).not.toMatch(/^sms-job-/);

    emulator.clearFaults();
    const rollback = await cfn.delete();
    expect(rollback.status).toBe('SUCCESS');
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('on Update and Delete: FAILED before the deadline, the physical id kept, the job kept', async () => {
    const { cfn, emulator } = w;
    const created = await cfn.create();
    emulator.inject('*', { kind: 'hang' }, Infinity);
    const update = await cfn.update(w.jobs.Job, { Frequency: 2 });
    expectAnsweredInTime(update);
    expect(update.status).toBe('FAILED');
    expect(update.physicalResourceId).toBe(created.physicalResourceId);

    const deleted = await cfn.delete();
    expectAnsweredInTime(deleted);
    expect(deleted.status).toBe('FAILED');
    expect(deleted.physicalResourceId).toBe(created.physicalResourceId);
    emulator.clearFaults();
    expectNothingLeakedNothingLost(emulator, [cfn]);
    expect((await cfn.delete()).status).toBe('SUCCESS');
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('a slow SMS (each answer delayed 1 s) still gets a SUCCESS in time', async () => {
    const { cfn, emulator } = w;
    emulator.inject('*', { kind: 'delay', ms: 1000 }, Infinity);
    const created = await cfn.create();
    expectAnsweredInTime(created);
    expect(created.status).toBe('SUCCESS');
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });
});

/**
 * Follows CloudFormation after a Create whose SMS answer was lost: a SUCCESS must name the job SMS made; a FAILED is
 * followed by the rollback Delete, which must remove it. Either way, the emulator ends with what the stack holds.
 */
async function createThenSettle(): Promise<CfnResult> {
  const { cfn, emulator } = w;
  const result = await cfn.create();
  expectAnsweredInTime(result);
  if (result.status === 'SUCCESS') {
    expect(emulator.jobs().map((j) => j.replicationJobId)).toEqual([result.physicalResourceId]);
  } else {
    emulator.clearFaults();
    expect((await cfn.delete()).status).toBe('SUCCESS');
  }
  expectNothingLeakedNothingLost(emulator, [cfn]);
  return result;
}

describe('sequence 6: an answer lost after SMS created the job', () => {
  const lost: Array<[string, Fault]> = [
    ['the connection reset', { kind: 'loseAnswer', how: 'destroy' }],
    ['a truncated (malformed) answer', { kind: 'loseAnswer', how: 'malformed' }],
    ['no answer until the deadline (timeout)', { kind: 'loseAnswer', how: 'hang' }],
  ];

  test.each(lost)('after %s: SUCCESS with that job, or FAILED and the rollback Delete removes it', async (_, fault) => {
    w.emulator.inject('CreateReplicationJob', fault);
    await createThenSettle();
    expect(w.emulator.requestsFor('CreateReplicationJob')[0].outcome).toMatch(/^lost:/);
  });

  test('after a timeout, when the look-up for the job also hangs: FAILED, and the rollback Delete still removes the job', async () => {
    w.emulator.inject('CreateReplicationJob', { kind: 'loseAnswer', how: 'hang' });
    w.emulator.inject('GetReplicationJobs', { kind: 'hang' }, Infinity);
    const result = await createThenSettle();
    expect(result.status).toBe('FAILED');
  });

  test('after the job was made and every retry of Create is refused as a duplicate: the job is adopted', async () => {
    w.emulator.inject('CreateReplicationJob', { kind: 'loseAnswer', how: 'destroy' });
    w.emulator.failNext('GetReplicationJobs', 'InternalError', { times: 2 });
    const result = await createThenSettle();
    expect(result.status).toBe('SUCCESS');
  });

  test('a replacement whose Create answer is lost: the new job is adopted or removed, the old one kept', async () => {
    const { cfn, emulator } = w;
    const created = await cfn.create();
    emulator.inject('CreateReplicationJob', { kind: 'loseAnswer', how: 'malformed' });
    const replaced = await cfn.update(w.jobs.Job, { ServerId: 's-00000bee' });
    expectAnsweredInTime(replaced);
    if (replaced.status === 'SUCCESS') {
      expect(replaced.physicalResourceId).not.toBe(created.physicalResourceId);
      expect((await cfn.cleanup(w.jobs.Job)).status).toBe('SUCCESS');
    } else {
      expect(replaced.physicalResourceId).toBe(created.physicalResourceId);
      // CloudFormation rolls back the failed Update with old and new swapped: the job made for s-00000bee must go.
      const rollback = await cfn.rollbackUpdate(w.jobs.Job);
      expect(rollback.status).toBe('SUCCESS');
    }
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('a replacement whose Create answer is lost and whose look-up hangs: FAILED, and the rollback leaves no orphan', async () => {
    const { cfn, emulator } = w;
    const created = await cfn.create();
    emulator.inject('CreateReplicationJob', { kind: 'loseAnswer', how: 'hang' });
    // The replacement looks at the new server once before creating (it has no job); every look-up after hangs.
    emulator.inject('GetReplicationJobs', { kind: 'delay', ms: 0 });
    emulator.inject('GetReplicationJobs', { kind: 'hang' }, Infinity);
    const replaced = await cfn.update(w.jobs.Job, { ServerId: 's-00000bee' });
    expectAnsweredInTime(replaced);
    expect(replaced.status).toBe('FAILED');
    expect(replaced.physicalResourceId).toBe(created.physicalResourceId);
    // SMS did make a job for s-00000bee, which CloudFormation does not know about.
    expect(emulator.jobs().map((j) => j.serverId)).toEqual(['s-00000bad', 's-00000bee']);

    emulator.clearFaults();
    const rollback = await cfn.rollbackUpdate(w.jobs.Job);
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(rollback.physicalResourceId).toBe(created.physicalResourceId);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test.each([
    ['UpdateReplicationJob', { kind: 'loseAnswer', how: 'destroy' }],
    ['DeleteReplicationJob', { kind: 'loseAnswer', how: 'destroy' }],
    ['DeleteReplicationJob', { kind: 'loseAnswer', how: 'malformed' }],
  ] as Array<[string, Fault]>)('a lost answer to %s (%j) ends with the stack and SMS agreeing', async (operation, fault) => {
    const { cfn, emulator } = w;
    await cfn.create();
    emulator.inject(operation, fault);
    const result = operation === 'UpdateReplicationJob' ? await cfn.update(w.jobs.Job, { Frequency: 3 }) : await cfn.delete();
    expectAnsweredInTime(result);
    if (operation === 'UpdateReplicationJob' && result.status === 'SUCCESS') {
      expect(emulator.jobs()[0].frequency).toBe(3);
    }
    if (operation === 'UpdateReplicationJob' && result.status === 'FAILED') {
      expect((await cfn.rollbackUpdate(w.jobs.Job)).status).toBe('SUCCESS');
      expect(emulator.jobs()[0].frequency).toBe(8);
    }
    if (operation === 'DeleteReplicationJob' && result.status === 'FAILED') {
      // DELETE_FAILED: the resource stays; a retried stack deletion must then succeed.
      expect((await cfn.delete()).status).toBe('SUCCESS');
    }
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });
});
