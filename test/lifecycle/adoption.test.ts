import { RemovalPolicy } from 'aws-cdk-lib';
import { ReplicationJobProps } from '../../lib';
import { CfnDriver } from '../harness/cfn-driver';
import { EmulatedJob, SmsEmulator } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost } from '../harness/world';
import { adoptedMarkerOf, adoptionFixture, pastSeed, SERVER } from './adoption-fixture';

/**
 * Issue 11: a job made outside CloudFormation, adopted with existingJob ADOPT. Each sequence ends with the jobs SMS
 * holds: an adopted job outlives every rollback, and goes only when the user removes it with an explicit DESTROY.
 * The rollbacks of an adopting create, and the stacks that adopt the job again after one: adoption-rollback.test.ts.
 */

jest.setTimeout(60_000);

const fixture = adoptionFixture();
const { consoleJob, stackWith, jobNamed, changesTo } = fixture;
let emulator: SmsEmulator;
beforeEach(() => {
  emulator = fixture.emulator;
});

describe('adopting a job made outside CloudFormation', () => {
  test('adopt, update, remove with the default RETAIN_ON_UPDATE_OR_DELETE: the job is taken as it runs, changed in place, and kept', async () => {
    const existing = consoleJob();
    const { cfn } = await stackWith();

    const adopted = await cfn.create();
    expectAnsweredInTime(adopted);
    expect(adopted.status).toBe('SUCCESS');
    expect(adopted.physicalResourceId).toBe(`${existing.replicationJobId}/adopted`);
    // Never recreated: no CreateReplicationJob, and one update of what differs, with the adopted marker.
    expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
    expect(emulator.requestsFor('UpdateReplicationJob').map((r) => r.body)).toEqual([{
      replicationJobId: existing.replicationJobId,
      frequency: 6,
      description: `db ${adoptedMarkerOf(cfn, adopted.event.RequestId)}`,
    }]);
    // The past seed time leaves the schedule alone.
    expect(jobNamed(existing.replicationJobId)).toEqual({
      ...existing, frequency: 6, description: `db ${adoptedMarkerOf(cfn, adopted.event.RequestId)}`,
    });

    const updated = await cfn.update(cfn.logicalIds[0], { Frequency: 12, Description: 'primary db' });
    expect(updated.status).toBe('SUCCESS');
    expect(updated.physicalResourceId).toBe(`${existing.replicationJobId}/adopted`);
    // The adopted marker survives the update: a later rollback still knows the job was adopted.
    expect(jobNamed(existing.replicationJobId)).toMatchObject({
      frequency: 12, description: `primary db ${adoptedMarkerOf(cfn, adopted.event.RequestId)}`, nextReplicationRunStartTime: existing.nextReplicationRunStartTime,
    });

    const requestsBefore = emulator.requests.length;
    expect(await cfn.removeFromStack()).toBe('retained');
    expect(emulator.requests.length).toBe(requestsBefore);
    expect(jobNamed(existing.replicationJobId)).toMatchObject({ frequency: 12 });
    expectNothingLeakedNothingLost(emulator, [cfn], [jobNamed(existing.replicationJobId)!]);
  });

  test.each([
    ['the stack is deleted', (cfn: CfnDriver) => cfn.deleteStack(), 'DELETE_IN_PROGRESS'],
    ['the job is removed from the stack', (cfn: CfnDriver) => cfn.removeFromStack(), 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'],
  ])('adopt with an explicit DESTROY, then %s: the job is deleted', async (_, remove, status) => {
    const existing = consoleJob();
    const { cfn } = await stackWith({ removalPolicy: RemovalPolicy.DESTROY });
    expect((await cfn.create()).status).toBe('SUCCESS');

    const before = cfn.describeStacksCalls().length;
    const removed = await remove(cfn);
    expect(removed).not.toBe('retained');
    expect(removed !== 'retained' && removed.status).toBe('SUCCESS');
    expect(cfn.describeStacksCalls().slice(before).map((c) => c.answered)).toEqual([status]);
    expect(changesTo(existing.replicationJobId)).toEqual(['UpdateReplicationJob', 'DeleteReplicationJob']);
    expect(emulator.jobs()).toEqual([]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test.each([
    ['the stack\'s status cannot be read (no permission): an explicit DESTROY keeps the job rather than guess',
      (cfn: CfnDriver) => cfn.denyNextDescribeStacks(1), 'AccessDenied'],
    ['in a nested stack, whose deletion may be its parent\'s rollback, an explicit DESTROY keeps the job',
      (cfn: CfnDriver) => { cfn.parentStackId = 'arn:aws:cloudformation:us-west-2:123456789012:stack/Parent/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'; },
      'DELETE_IN_PROGRESS'],
  ])('%s', async (_, arrange, answered) => {
    const existing = consoleJob();
    const { cfn } = await stackWith({ removalPolicy: RemovalPolicy.DESTROY });
    expect((await cfn.create()).status).toBe('SUCCESS');
    arrange(cfn);
    const before = cfn.describeStacksCalls().length;
    const deleted = await cfn.deleteStack();
    expect(deleted !== 'retained' && deleted.status).toBe('SUCCESS');
    expect(cfn.describeStacksCalls().slice(before).map((c) => c.answered)).toEqual([answered]);
    expect(emulator.requestsFor('DeleteReplicationJob')).toEqual([]);
    expect(jobNamed(existing.replicationJobId)).toEqual({ ...existing, frequency: 6, description: 'db' });
  });

  test('a replacement onto a server with a job adopts it; the update\'s rollback keeps both jobs', async () => {
    const old = consoleJob();
    const other = emulator.seedJob({ serverId: 's-0000beef', description: 'web', frequency: 24, seedReplicationTime: Math.floor(pastSeed.getTime() / 1000) });
    const { cfn } = await stackWith({ removalPolicy: RemovalPolicy.DESTROY });
    expect((await cfn.create()).status).toBe('SUCCESS');

    const replaced = await cfn.update(cfn.logicalIds[0], { ServerId: 's-0000beef' });
    expect(replaced.status).toBe('SUCCESS');
    expect(replaced.physicalResourceId).toBe(`${other.replicationJobId}/adopted`);
    expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);

    // The stack update fails later: the replacement is deleted in UPDATE_ROLLBACK_IN_PROGRESS, which keeps it.
    const rollback = await cfn.rollbackUpdate(cfn.logicalIds[0]);
    expect(rollback.status).toBe('SUCCESS');
    expect(cfn.describeStacksCalls().map((r) => r.answered)).toContain('UPDATE_ROLLBACK_IN_PROGRESS');
    expect(emulator.requestsFor('DeleteReplicationJob')).toEqual([]);
    expect(jobNamed(other.replicationJobId)).toEqual({ ...other, frequency: 6, description: 'db' });
    expectNothingLeakedNothingLost(emulator, [cfn], [jobNamed(other.replicationJobId)!]);
    expect(jobNamed(old.replicationJobId)?.serverId).toBe(SERVER);
  });
});

describe('issue 27: adoption as the job\'s marker says, whatever the properties say now', () => {
  test('existingJob ADOPT removed after the adoption, then the stack deleted: the job is kept, as adopted', async () => {
    const existing = consoleJob();
    const { cfn } = await stackWith({ removalPolicy: RemovalPolicy.DESTROY });
    expect((await cfn.create()).status).toBe('SUCCESS');
    const updated = await cfn.update(cfn.logicalIds[0], { ExistingJob: undefined });
    expect(updated.status).toBe('SUCCESS');
    const deleted = await cfn.deleteStack();
    if (deleted === 'retained') throw new Error('DESTROY retained the job');
    expectAnsweredInTime(deleted);
    expect(deleted.status).toBe('SUCCESS');
    expect(deleted.logs).toContain('the template no longer says ExistingJob ADOPT: keeping it');
    expect(emulator.requestsFor('DeleteReplicationJob')).toEqual([]);
    // Kept, and handed back without the marker of the stack that is gone.
    expect(jobNamed(existing.replicationJobId)).toEqual({ ...existing, frequency: 6, description: 'db' });
    expectNothingLeakedNothingLost(emulator, [cfn], [jobNamed(existing.replicationJobId)!]);
  });
});

describe('refusals: the Create fails before any change, and the job is left exactly as it was', () => {
  async function expectRefused(seed: (cfn: CfnDriver) => EmulatedJob, props: Partial<ReplicationJobProps>, reason: RegExp): Promise<void> {
    const { cfn } = await stackWith(props);
    const existing = seed(cfn);
    const failed = await cfn.create();
    expectAnsweredInTime(failed);
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toMatch(reason);
    expect(failed.reason).toContain(existing.replicationJobId);
    const rollback = await cfn.delete();
    expect(rollback.status).toBe('SUCCESS');
    expect(changesTo(existing.replicationJobId)).toEqual([]);
    expectNothingLeakedNothingLost(emulator, [cfn], [existing]);
  }

  test.each([
    ['another stack', 'web [cfn:OtherStack/Job/0badc0de]', /created by another CloudFormation resource \[cfn:OtherStack\/Job\/0badc0de\]/],
    ['another resource of this stack', 'web [cfn:SmsJobs/OtherJob/0badc0de/12345678/adopted]', /created by another CloudFormation resource/],
    ['an earlier stack of this name', 'web [cfn:SmsJobs/<logical id>/0badc0de]', /earlier stack of this name.*remove the marker/],
  ])('a job that carries the marker of %s is never adopted', async (_, description, reason) => {
    await expectRefused((cfn) => consoleJob({ description: description.replace('<logical id>', cfn.logicalIds[0]) }), {}, reason);
  });

  test('runOnce differs from the job\'s', async () => {
    await expectRefused(() => consoleJob({ runOnce: true, frequency: undefined }), { frequency: undefined },
      /^ExistingJobRunOnceDiffers: .* has runOnce true, the template false, .* Set runOnce: true on the ReplicationJob to adopt it/);
  });

  test.each(['FAILED', 'PAUSED_ON_FAILURE', 'COMPLETED'] as const)('the job is %s', async (state) => {
    await expectRefused(() => consoleJob({ state, statusMessage: 'Connector unreachable' }), {}, new RegExp(`^ExistingJobNotAdoptable: .* is ${state} \\(Connector unreachable\\).*Bring the job back to ACTIVE`));
  });

  test('without ADOPT, a job made outside CloudFormation is refused, and the Reason says how to adopt it', async () => {
    await expectRefused(() => consoleJob(), { existingJob: undefined, seedReplicationTime: new Date(Date.now() + 86_400_000) },
      /^ReplicationJobAlreadyExistsException: .*created outside CloudFormation.*existingJob: ExistingJobPolicy.ADOPT/);
  });
});

describe('at-least-once delivery of the adopting Create', () => {
  test('delivered twice, one after the other: one job, adopted once, both answers SUCCESS with its id', async () => {
    const existing = consoleJob();
    const { cfn } = await stackWith();
    const first = await cfn.create();
    const second = await cfn.redeliver(first.event);
    expect([first.status, second.status]).toEqual(['SUCCESS', 'SUCCESS']);
    expect([first.physicalResourceId, second.physicalResourceId]).toEqual([`${existing.replicationJobId}/adopted`, `${existing.replicationJobId}/adopted`]);
    expect(changesTo(existing.replicationJobId)).toEqual(['UpdateReplicationJob']);
    expect(jobNamed(existing.replicationJobId)?.description).toBe(`db ${adoptedMarkerOf(cfn, first.event.RequestId)}`);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('delivered twice at once: one job, marked once, both answers SUCCESS with its id', async () => {
    const existing = consoleJob();
    const { cfn } = await stackWith();
    const deliveries = await cfn.createDelivered(2);
    const answers = cfn.putsFor(deliveries[0].event).filter((p) => p.answered === 200).map((p) => JSON.parse(p.body));
    expect(answers.map((a) => [a.Status, a.PhysicalResourceId])).toEqual([
      ['SUCCESS', `${existing.replicationJobId}/adopted`], ['SUCCESS', `${existing.replicationJobId}/adopted`],
    ]);
    expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
    expect(emulator.jobs()).toEqual([{ ...existing, frequency: 6, description: `db ${adoptedMarkerOf(cfn, deliveries[0].event.RequestId)}` }]);
  });
});
