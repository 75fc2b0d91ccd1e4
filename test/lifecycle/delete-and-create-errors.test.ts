import { Duration } from 'aws-cdk-lib';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, expectSignatureNotLogged, futureSeed, world, World } from '../harness/world';
import { SmsServer } from '../../lib';

/** Sequence 3 of issue 3: Delete, Delete of a job already gone, and Create failing with each error SMS lists for it. */

jest.setTimeout(60_000);

/** Keeps the tests of errors that the handler retries until its time runs out short. */
const SHORT_TIMEOUT_SECONDS = 5;

let w: World;

beforeEach(async () => {
  w = await world({
    jobs: { Job: { server: SmsServer.fromServerId('s-0000c0de'), seedReplicationTime: futureSeed(), frequency: Duration.hours(24) } },
    functionTimeoutSeconds: SHORT_TIMEOUT_SECONDS,
  });
});

afterEach(async () => {
  await w.close();
});

test('Delete removes the job', async () => {
  const { cfn, emulator } = w;
  const created = await cfn.create();
  expect(created.status).toBe('SUCCESS');
  const deleted = await cfn.delete();
  expectAnsweredInTime(deleted);
  expect(deleted.status).toBe('SUCCESS');
  expect(deleted.physicalResourceId).toBe(created.physicalResourceId);
  expect(emulator.jobs()).toEqual([]);
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test('Delete of a job already deleted outside CloudFormation succeeds', async () => {
  const { cfn, emulator } = w;
  const created = await cfn.create();
  expect(emulator.deleteJob(created.physicalResourceId!)).toBe(true);
  const deleted = await cfn.delete();
  expectAnsweredInTime(deleted);
  expect(deleted.status).toBe('SUCCESS');
  expect(emulator.requestsFor('DeleteReplicationJob').map((r) => r.outcome)).toEqual(['error:ReplicationJobNotFoundException']);
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

/** The errors the SMS API lists for CreateReplicationJob, from the model itself. */
const CREATE_ERRORS = [
  'InvalidParameterException',
  'MissingRequiredParameterException',
  'UnauthorizedOperationException',
  'OperationNotPermittedException',
  'ServerCannotBeReplicatedException',
  'ReplicationJobAlreadyExistsException',
  'NoConnectorsAvailableException',
  'InternalError',
  'TemporarilyUnavailableException',
];

test('the list of errors here is the list the model gives CreateReplicationJob', () => {
  const model = require('../harness/sms-model').loadSmsModel();
  expect(model.operations.CreateReplicationJob.errors.map((e: { shape: string }) => e.shape).sort()).toEqual([...CREATE_ERRORS].sort());
});

test.each(CREATE_ERRORS)('Create failing with %s answers FAILED naming it; the rollback Delete with the id it carried succeeds', async (error) => {
  const { cfn, emulator } = w;
  // Every attempt fails: transient errors are retried, and must still end in a FAILED answer in time.
  emulator.failNext('CreateReplicationJob', error, { times: Infinity, message: `SMS says ${error}` });
  const failed = await cfn.create();
  expectAnsweredInTime(failed);
  expectSignatureNotLogged(failed);
  expect(failed.status).toBe('FAILED');
  expect(failed.reason).toMatch(new RegExp(`^${error}\\b`));
  expect(failed.physicalResourceId).not.toMatch(/^sms-job-/);
  expect(emulator.jobs()).toEqual([]);

  const rollback = await cfn.delete();
  expectAnsweredInTime(rollback);
  expect(rollback.event.PhysicalResourceId).toBe(failed.physicalResourceId);
  expect(rollback.status).toBe('SUCCESS');
  expect(emulator.requestsFor('DeleteReplicationJob')).toEqual([]);
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

describe('issue 32: a Delete that SMS lets no request through before the function\'s time runs out', () => {
  test('in a rollback, it keeps the job with its marker and answers SUCCESS, so that the rollback completes; the log names the job', async () => {
    const { cfn, emulator } = w;
    const created = await cfn.create();
    expect(created.status).toBe('SUCCESS');
    emulator.failNext('DeleteReplicationJob', 'ThrottlingException', { times: Infinity });
    // Another resource failed: the stack's creation rolls back, and sends this resource's Delete.
    const rollback = await cfn.rollbackCreate();
    emulator.clearFaults();
    if (rollback === 'retained') throw new Error('the default policy retained the job');
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(rollback.logs).toContain('could not delete the job during the stack\'s rollback (ROLLBACK_IN_PROGRESS): keeping it');
    expect(rollback.logs).toContain(created.physicalResourceId);
    expect(emulator.requestsFor('DeleteReplicationJob').length).toBeGreaterThan(0);
    // Kept, and marked by this resource: `status` lists it as an orphan, and nothing of it is lost.
    expect(emulator.jobs().map((j) => [j.replicationJobId, j.description?.includes(`[cfn:${cfn.stackName}/`)])).toEqual([[created.physicalResourceId, true]]);
  });

  test('when the stack is deleted, it fails as before (DELETE_FAILED), keeping the job; deleting the stack again deletes it', async () => {
    const { cfn, emulator } = w;
    const created = await cfn.create();
    emulator.failNext('DeleteReplicationJob', 'ThrottlingException', { times: Infinity });
    const deleted = await cfn.delete();
    emulator.clearFaults();
    expectAnsweredInTime(deleted);
    expect(deleted.status).toBe('FAILED');
    expect(deleted.reason).toMatch(/^ThrottlingException: /);
    expect(emulator.jobs().map((j) => j.replicationJobId)).toEqual([created.physicalResourceId]);
    const again = await cfn.delete();
    expect(again.status).toBe('SUCCESS');
    expect(emulator.jobs()).toEqual([]);
  });
});
