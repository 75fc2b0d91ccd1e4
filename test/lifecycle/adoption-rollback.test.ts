import { RemovalPolicy } from 'aws-cdk-lib';
import { SmsEmulator } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost } from '../harness/world';
import { adoptedMarkerOf, adoptionFixture } from './adoption-fixture';

/**
 * Issues 11 and 27: the rollback of a stack operation that adopted a job (existingJob ADOPT), and the stack created
 * again after it. Each sequence ends with the jobs SMS holds: a rollback never deletes an adopted job.
 */

jest.setTimeout(60_000);

const fixture = adoptionFixture();
const { consoleJob, stackWith, jobNamed, changesTo } = fixture;
let emulator: SmsEmulator;
beforeEach(() => {
  emulator = fixture.emulator;
});

describe('the stack operation that adopted the job rolls back', () => {
  test.each([
    ['RETAIN (the default)', undefined, false, 'retained'],
    ['RETAIN (the default), the operation run with RetainExceptOnCreate', undefined, true, 'deleteSent'],
    ['an explicit DESTROY', RemovalPolicy.DESTROY, false, 'deleteSent'],
    ['an explicit DESTROY, the operation run with RetainExceptOnCreate', RemovalPolicy.DESTROY, true, 'deleteSent'],
    ['RETAIN_ON_UPDATE_OR_DELETE (DeletionPolicy RetainExceptOnCreate)', RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, false, 'deleteSent'],
  ])('adopt, then the stack\'s create rolls back, with %s: the job is kept and handed back unmarked', async (_, removalPolicy, retainExceptOnCreate, expected) => {
    const existing = consoleJob();
    const { cfn } = await stackWith({ removalPolicy });
    expect((await cfn.create()).status).toBe('SUCCESS');

    // Another resource of the stack failed: CloudFormation rolls back the job's successful Create.
    const rollback = await cfn.rollbackCreate(cfn.logicalIds[0], { retainExceptOnCreate });
    expect(rollback === 'retained' ? 'retained' : 'deleteSent').toBe(expected);
    if (rollback !== 'retained') {
      expectAnsweredInTime(rollback);
      expect(rollback.status).toBe('SUCCESS');
      expect(changesTo(existing.replicationJobId)).toEqual(['UpdateReplicationJob', 'UpdateReplicationJob']);
      // Kept, and without the marker of a stack whose create failed, so that the next attempt can adopt it.
      expect(jobNamed(existing.replicationJobId)).toEqual({ ...existing, frequency: 6, description: 'db' });
    } else {
      expect(changesTo(existing.replicationJobId)).toEqual(['UpdateReplicationJob']);
      expect(jobNamed(existing.replicationJobId)).toMatchObject({ frequency: 6 });
    }
    expect(emulator.jobs().map((j) => j.replicationJobId)).toEqual([existing.replicationJobId]);
    expectNothingLeakedNothingLost(emulator, [cfn], [jobNamed(existing.replicationJobId)!]);
  });

  test('the adopting update fails: the Create fails, and its rollback neither deletes the job nor leaves it marked', async () => {
    const existing = consoleJob();
    // A short function timeout keeps the retries short.
    const { cfn } = await stackWith({ removalPolicy: RemovalPolicy.DESTROY }, { functionTimeoutSeconds: 10 });
    // The first listing works; then every update lands and its answer is lost, and SMS fails the look-up after them.
    emulator.inject('GetReplicationJobs', { kind: 'delay', ms: 0 }, 1);
    emulator.inject('GetReplicationJobs', { kind: 'error', error: 'InternalError' }, 1000);
    emulator.inject('UpdateReplicationJob', { kind: 'loseAnswer', how: 'destroy' }, 1000);
    const failed = await cfn.create();
    emulator.clearFaults();
    expectAnsweredInTime(failed);
    expect(failed.status).toBe('FAILED');
    expect(failed.physicalResourceId).not.toMatch(/^sms-job-/);
    expect(jobNamed(existing.replicationJobId)?.description).toBe(`db ${adoptedMarkerOf(cfn, failed.event.RequestId)}`);

    const rollback = await cfn.delete();
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(emulator.requestsFor('DeleteReplicationJob')).toEqual([]);
    expect(jobNamed(existing.replicationJobId)).toEqual({ ...existing, frequency: 6, description: 'db' });
    expectNothingLeakedNothingLost(emulator, [cfn], [jobNamed(existing.replicationJobId)!]);
  }, 120_000);
});

describe('issue 27: a stack created again after a rollback', () => {
  test('ADOPT (RETAIN), the stack\'s first create rolls back: the stack created again under the same name adopts the job again', async () => {
    const existing = consoleJob();
    const first = await stackWith();
    const adopted = await first.cfn.create();
    expect(adopted.status).toBe('SUCCESS');
    // RETAIN: CloudFormation sends no Delete, and the job keeps the first stack's adopted marker.
    expect(await first.cfn.rollbackCreate()).toBe('retained');
    expect(jobNamed(existing.replicationJobId)?.description).toBe(`db ${adoptedMarkerOf(first.cfn, adopted.event.RequestId)}`);

    const again = await stackWith();
    expect(again.cfn.stackId).not.toBe(first.cfn.stackId);
    const readopted = await again.cfn.create();
    expectAnsweredInTime(readopted);
    expect(readopted.status).toBe('SUCCESS');
    expect(readopted.physicalResourceId).toBe(existing.replicationJobId);
    expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
    expect(jobNamed(existing.replicationJobId)?.description).toBe(`db ${adoptedMarkerOf(again.cfn, readopted.event.RequestId)}`);
    expectNothingLeakedNothingLost(emulator, [first.cfn, again.cfn]);
  });
});
