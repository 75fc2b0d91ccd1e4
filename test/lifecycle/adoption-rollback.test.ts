import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { SmsEmulator } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed } from '../harness/world';
import { adoptedMarkerOf, adoptionFixture, StackOptions } from './adoption-fixture';

/**
 * Issues 11 and 27: the rollback of a stack operation that adopted a job (existingJob ADOPT), and the stack created
 * again after it. Each sequence ends with the jobs SMS holds and their markers: a rollback never deletes an adopted
 * job, and with the default removal policy (DeletionPolicy RetainExceptOnCreate) it leaves none marked by a stack whose
 * create failed, so that a stack created again adopts it under any name and any construct id.
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
    ['the default, RETAIN_ON_UPDATE_OR_DELETE (DeletionPolicy RetainExceptOnCreate)', undefined, false, 'deleteSent'],
    ['RETAIN_ON_UPDATE_OR_DELETE set explicitly', RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, false, 'deleteSent'],
    ['an explicit RETAIN (DeletionPolicy Retain)', RemovalPolicy.RETAIN, false, 'retained'],
    ['an explicit RETAIN, the operation run with RetainExceptOnCreate', RemovalPolicy.RETAIN, true, 'deleteSent'],
    ['an explicit DESTROY', RemovalPolicy.DESTROY, false, 'deleteSent'],
    ['an explicit DESTROY, the operation run with RetainExceptOnCreate', RemovalPolicy.DESTROY, true, 'deleteSent'],
  ])('adopt, then the stack\'s create rolls back, with %s: the job is kept, and handed back unmarked if the Delete is sent', async (_, removalPolicy, retainExceptOnCreate, expected) => {
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

describe('issue 32: the physical id says the job was adopted, and a Delete acts on what the job carries', () => {
  test('the rollback Delete delivered twice (Lambda delivers at least once): the second finds the job handed back, and keeps it', async () => {
    const existing = consoleJob();
    const { cfn } = await stackWith({ removalPolicy: RemovalPolicy.DESTROY });
    const created = await cfn.create();
    expect(created.physicalResourceId).toBe(`${existing.replicationJobId}/adopted`);
    const rollback = await cfn.rollbackCreate();
    if (rollback === 'retained') throw new Error('DESTROY retained the job');
    expect(rollback.status).toBe('SUCCESS');
    const again = await cfn.redeliver(rollback.event);
    expectAnsweredInTime(again);
    expect(again.status).toBe('SUCCESS');
    expect(again.logs).toContain('does not carry this resource\'s adopted marker');
    expect(emulator.requestsFor('DeleteReplicationJob')).toEqual([]);
    expect(jobNamed(existing.replicationJobId)).toEqual({ ...existing, frequency: 6, description: 'db' });
    expectNothingLeakedNothingLost(emulator, [cfn], [jobNamed(existing.replicationJobId)!]);
  });

  test('a Delete of the adopted id after another stack adopted the job: the other stack keeps it', async () => {
    const existing = consoleJob();
    const first = await stackWith({ removalPolicy: RemovalPolicy.DESTROY });
    expect((await first.cfn.create()).status).toBe('SUCCESS');
    const rollback = await first.cfn.rollbackCreate();
    if (rollback === 'retained') throw new Error('DESTROY retained the job');
    // The job, handed back, is adopted by another stack; then the first rollback's Delete arrives again, late.
    const other = await stackWith({}, { stackName: 'SmsJobsOther' });
    expect((await other.cfn.create()).status).toBe('SUCCESS');
    const late = await first.cfn.redeliver(rollback.event);
    expect(late.status).toBe('SUCCESS');
    expect(emulator.requestsFor('DeleteReplicationJob')).toEqual([]);
    expect(jobNamed(existing.replicationJobId)?.description).toMatch(/^db \[cfn:SmsJobsOther\/.*\/adopted\]$/);
  });
});

describe('issue 27: ADOPT, the stack\'s first create rolls back, and the stack is created again', () => {
  const again: Array<[string, StackOptions]> = [
    ['under the same name', {}],
    ['under another name', { stackName: 'SmsJobsRetry' }],
    ['with the construct under another id (another logical id)', { id: 'Database' }],
  ];

  test.each(again)('the default removal policy: the rollback hands the job back unmarked, and the stack created %s adopts it', async (_, where) => {
    const existing = consoleJob();
    const first = await stackWith();
    expect((await first.cfn.create()).status).toBe('SUCCESS');
    // DeletionPolicy RetainExceptOnCreate: the create that made the resource rolls back, so CloudFormation sends the
    // Delete, which keeps the adopted job and removes the marker of a stack that never came to exist.
    const rollback = await first.cfn.rollbackCreate();
    if (rollback === 'retained') throw new Error('no Delete was sent: the job keeps the marker of the stack whose create failed');
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(jobNamed(existing.replicationJobId)).toEqual({ ...existing, frequency: 6, description: 'db' });

    const second = await stackWith({}, where);
    expect(second.cfn.stackId).not.toBe(first.cfn.stackId);
    const readopted = await second.cfn.create();
    expectAnsweredInTime(readopted);
    expect(readopted.status).toBe('SUCCESS');
    expect(readopted.physicalResourceId).toBe(`${existing.replicationJobId}/adopted`);
    expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
    expect(emulator.requestsFor('DeleteReplicationJob')).toEqual([]);
    // What SMS holds at the end: the one job, its schedule untouched, marked by the stack that holds it now.
    expect(emulator.jobs()).toEqual([{ ...existing, frequency: 6, description: `db ${adoptedMarkerOf(second.cfn, readopted.event.RequestId)}` }]);
    expectNothingLeakedNothingLost(emulator, [first.cfn, second.cfn]);
  });

  test.each(again.map(([where, options], i) => [where, i === 0 ? 'adopts it again' : 'refuses it', options] as const))(
    'an explicit RETAIN, as before: the rollback sends no Delete, the job keeps its marker, and the stack created %s %s',
    async (_, outcome, where) => {
      const existing = consoleJob();
      const first = await stackWith({ removalPolicy: RemovalPolicy.RETAIN });
      const adopted = await first.cfn.create();
      expect(adopted.status).toBe('SUCCESS');
      expect(await first.cfn.rollbackCreate()).toBe('retained');
      const stranded = { ...existing, frequency: 6, description: `db ${adoptedMarkerOf(first.cfn, adopted.event.RequestId)}` };
      expect(jobNamed(existing.replicationJobId)).toEqual(stranded);

      const second = await stackWith({ removalPolicy: RemovalPolicy.RETAIN }, where);
      const created = await second.cfn.create();
      expectAnsweredInTime(created);
      if (outcome === 'adopts it again') {
        // The same logical id in a stack of the same name: the marker's stack is gone (c8383ea).
        expect(created.status).toBe('SUCCESS');
        expect(created.physicalResourceId).toBe(`${existing.replicationJobId}/adopted`);
        expect(emulator.jobs()).toEqual([{ ...existing, frequency: 6, description: `db ${adoptedMarkerOf(second.cfn, created.event.RequestId)}` }]);
        expectNothingLeakedNothingLost(emulator, [first.cfn, second.cfn]);
        return;
      }
      expect(created.status).toBe('FAILED');
      expect(created.reason).toMatch(/created by another CloudFormation resource/);
      expect(created.reason).toContain(existing.replicationJobId);
      const rollback = await second.cfn.delete();
      expect(rollback.status).toBe('SUCCESS');
      // What SMS holds at the end: the job, untouched since, still marked by the stack whose create rolled back.
      expect(emulator.jobs()).toEqual([stranded]);
      expectNothingLeakedNothingLost(emulator, [first.cfn, second.cfn], [stranded]);
    });

  test.each([
    ['the default removal policy: the rollback deletes it', undefined, 'deleted'],
    ['an explicit RETAIN, as before: it is kept, marked by the stack whose create failed', RemovalPolicy.RETAIN, 'kept'],
  ])('the server had no job, so the create made one; %s', async (_, removalPolicy, outcome) => {
    const { cfn } = await stackWith({ removalPolicy, seedReplicationTime: futureSeed(), frequency: Duration.hours(12) });
    const created = await cfn.create();
    expect(created.status).toBe('SUCCESS');
    expect(emulator.requestsFor('CreateReplicationJob')).toHaveLength(1);
    const made = jobNamed(created.physicalResourceId!)!;
    expect(made.description).toMatch(/^db \[cfn:SmsJobs\/Job[0-9A-F]{8}\/[0-9a-f]{8}\/[0-9a-f]{8}\]$/);

    const rollback = await cfn.rollbackCreate();
    if (outcome === 'deleted') {
      if (rollback === 'retained') throw new Error('no Delete was sent: the job the failed create made is left behind');
      expectAnsweredInTime(rollback);
      expect(rollback.status).toBe('SUCCESS');
      expect(emulator.requestsFor('DeleteReplicationJob').map((r) => r.body.replicationJobId)).toEqual([made.replicationJobId]);
      expect(emulator.jobs()).toEqual([]);
      expectNothingLeakedNothingLost(emulator, [cfn]);
    } else {
      expect(rollback).toBe('retained');
      expect(emulator.jobs()).toEqual([made]);
      expectNothingLeakedNothingLost(emulator, [cfn], [made]);
    }
  });
});
