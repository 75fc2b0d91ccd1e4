import { Duration } from 'aws-cdk-lib';
import { markerText, ownerOf, tokenOf } from '../../lambda/ownership';
import { SmsEmulator } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, smsCallsDuring, world, World } from '../harness/world';
import { SmsServer } from '../../lib';

/**
 * Issue 13: the Delete that follows a failed Create deletes only a job that very Create made, makes no SMS call after
 * a Create SMS refused outright, and answers even when SMS cannot be reached; adopting a kept job never changes what
 * SMS cannot change; and a refusal's Reason says "retry" only where a retry can help.
 */

jest.setTimeout(60_000);

/** Short, so that waiting out an SMS that never answers costs seconds. */
const TIMEOUT_SECONDS = 5;
const SERVER = 's-0000f00d';
const seed = futureSeed();

let emulator: SmsEmulator;
let w: World;

beforeEach(async () => {
  emulator = await SmsEmulator.start();
});

afterEach(async () => {
  await w?.close();
  await emulator.close();
});

async function open(props: { frequency?: Duration; runOnce?: boolean } = { frequency: Duration.hours(6) }): Promise<World> {
  w = await world({ emulator, jobs: { Job: { server: SmsServer.fromServerId(SERVER), seedReplicationTime: seed, ...props } }, functionTimeoutSeconds: TIMEOUT_SECONDS });
  return w;
}

/** A job this resource made in an earlier life, kept by RETAIN when it left the stack: its marker, an old token. */
function keptJob(fields: { frequency?: number; runOnce?: boolean }) {
  const marker = markerText({ owner: ownerOf(w.cfn.stackId, w.cfn.logicalIdOf(w.jobs.Job)), token: tokenOf('an-earlier-create'), adopted: false });
  return emulator.seedJob({ serverId: SERVER, description: `web ${marker}`, ...fields });
}

describe('the Delete after a Create SMS refused outright makes no SMS call', () => {
  const DEFINITIVE = [
    'InvalidParameterException',
    'MissingRequiredParameterException',
    'UnauthorizedOperationException',
    'OperationNotPermittedException',
    'ServerCannotBeReplicatedException',
    'NoConnectorsAvailableException',
  ];

  test.each(DEFINITIVE)('Create refused with %s, then its Delete: no SMS call, SUCCESS', async (error) => {
    const { cfn } = await open();
    emulator.failNext('CreateReplicationJob', error, { times: Infinity });
    const failed = await cfn.create();
    expectAnsweredInTime(failed);
    expect(failed.status).toBe('FAILED');
    expect(failed.physicalResourceId).toBe(`create-refused-${failed.event.RequestId}`);

    const { result: rollback, calls } = await smsCallsDuring(emulator, () => cfn.delete());
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(calls).toEqual([]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('Create refused, then its Delete while SMS cannot be reached at all: SUCCESS at once, no SMS call', async () => {
    const { cfn } = await open();
    // An account that may not use SMS: what the README says an account that never used SMS gets.
    emulator.failNext('CreateReplicationJob', 'UnauthorizedOperationException');
    const failed = await cfn.create();
    expect(failed.physicalResourceId).toMatch(/^create-refused-/);

    emulator.inject('*', { kind: 'hang' }, Infinity);
    const { result: rollback, calls } = await smsCallsDuring(emulator, () => cfn.delete());
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(calls).toEqual([]);
    expect(rollback.durationMs).toBeLessThan(2000);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });
});

describe('the Delete after a Create whose outcome is unknown', () => {
  test('SMS unreachable for the Create and for its Delete: the Delete looks, then answers SUCCESS before its deadline', async () => {
    const { cfn } = await open();
    emulator.inject('*', { kind: 'hang' }, Infinity);
    const failed = await cfn.create();
    expectAnsweredInTime(failed);
    expect(failed.status).toBe('FAILED');
    expect(failed.physicalResourceId).toBe(`create-failed-${failed.event.RequestId}`);

    const { result: rollback, calls } = await smsCallsDuring(emulator, () => cfn.delete());
    expectAnsweredInTime(rollback);
    // The documented outcome (README, "Errors you may meet"): the rollback finishes; a job the Create may have made
    // would keep its marker, by which the next deployment adopts it.
    expect(rollback.status).toBe('SUCCESS');
    expect(calls.every((c) => c === 'GetReplicationJobs')).toBe(true);
    expect(calls.length).toBeGreaterThan(0);
    expect(rollback.logs).toContain('could not look for a job the failed Create may have made');
    emulator.clearFaults();
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('a Create whose answer was lost and whose look-up failed: its Delete deletes the job it made', async () => {
    const { cfn } = await open();
    emulator.inject('CreateReplicationJob', { kind: 'loseAnswer', how: 'hang' });
    emulator.inject('GetReplicationJobs', { kind: 'hang' }, Infinity);
    const failed = await cfn.create();
    expect(failed.status).toBe('FAILED');
    expect(failed.physicalResourceId).toMatch(/^create-failed-/);
    const [made] = emulator.jobs();
    expect(made.description).toContain(`/${tokenOf(failed.event.RequestId)}]`);

    emulator.clearFaults();
    const { result: rollback, calls } = await smsCallsDuring(emulator, () => cfn.delete());
    expect(rollback.status).toBe('SUCCESS');
    expect(calls).toEqual(['GetReplicationJobs', 'DeleteReplicationJob']);
    expect(emulator.jobs()).toEqual([]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });
});

describe('a stack kept after a failed Create ("preserve successfully provisioned resources"), then updated', () => {
  test('the Create made nothing: the Update creates the job, and the cleanup Delete of the failed id leaves it', async () => {
    const { cfn } = await open();
    emulator.inject('CreateReplicationJob', { kind: 'hang' }, Infinity);
    const failed = await cfn.create();
    expect(failed.physicalResourceId).toMatch(/^create-failed-/);
    cfn.keepFailedCreate();

    emulator.clearFaults();
    const updated = await cfn.update(w.jobs.Job, { Frequency: 12 });
    expectAnsweredInTime(updated);
    expect(updated.status).toBe('SUCCESS');
    expect(updated.physicalResourceId).toMatch(/^sms-job-/);

    const { result: cleanup, calls } = await smsCallsDuring(emulator, () => cfn.cleanup(w.jobs.Job));
    expect(cleanup.event.PhysicalResourceId).toBe(failed.physicalResourceId);
    expect(cleanup.status).toBe('SUCCESS');
    expect(calls).toEqual(['GetReplicationJobs']);
    expect(emulator.jobs().map((j) => j.replicationJobId)).toEqual([updated.physicalResourceId]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });

  test('the Create made the job but its answer was lost: the Update adopts it, and the cleanup Delete leaves it', async () => {
    const { cfn } = await open();
    emulator.inject('CreateReplicationJob', { kind: 'loseAnswer', how: 'hang' });
    emulator.inject('GetReplicationJobs', { kind: 'hang' }, Infinity);
    const failed = await cfn.create();
    expect(failed.physicalResourceId).toMatch(/^create-failed-/);
    const [made] = emulator.jobs();
    cfn.keepFailedCreate();

    emulator.clearFaults();
    const updated = await cfn.update(w.jobs.Job, { Frequency: 12 });
    expect(updated.status).toBe('SUCCESS');
    expect(updated.physicalResourceId).toBe(made.replicationJobId);
    // Adopted under the Update's token: no longer the failed Create's job.
    expect(emulator.jobs()[0].description).toContain(`/${tokenOf(updated.event.RequestId)}]`);

    const { result: cleanup, calls } = await smsCallsDuring(emulator, () => cfn.cleanup(w.jobs.Job));
    expect(cleanup.status).toBe('SUCCESS');
    expect(calls).toEqual(['GetReplicationJobs']);
    expect(emulator.jobs()).toEqual([expect.objectContaining({ replicationJobId: made.replicationJobId, frequency: 12 })]);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });
});

describe('a job kept by RETAIN, then added back', () => {
  test('SMS refuses the adoption\'s update: the Create fails, and its Delete leaves the kept job as it was', async () => {
    const { cfn } = await open();
    const kept = keptJob({ frequency: 24 });
    emulator.failNext('UpdateReplicationJob', 'OperationNotPermittedException', { message: 'A replication run is in progress' });
    const failed = await cfn.create();
    expectAnsweredInTime(failed);
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toMatch(/^OperationNotPermittedException\b/);
    expect(failed.physicalResourceId).toMatch(/^create-refused-/);

    const { result: rollback, calls } = await smsCallsDuring(emulator, () => cfn.delete());
    expect(rollback.status).toBe('SUCCESS');
    expect(calls).toEqual([]);
    expectNothingLeakedNothingLost(emulator, [cfn], [kept]);
  });

  test('the adoption\'s update times out (it may have applied): the Delete still leaves the kept job', async () => {
    const { cfn } = await open();
    const kept = keptJob({ frequency: 24 });
    emulator.inject('UpdateReplicationJob', { kind: 'loseAnswer', how: 'hang' }, Infinity);
    const failed = await cfn.create();
    expectAnsweredInTime(failed);
    expect(failed.status).toBe('FAILED');
    expect(failed.physicalResourceId).toMatch(/^create-refused-/);

    emulator.clearFaults();
    const { result: rollback, calls } = await smsCallsDuring(emulator, () => cfn.delete());
    expect(rollback.status).toBe('SUCCESS');
    expect(calls).toEqual([]);
    expect(emulator.jobs().map((j) => j.replicationJobId)).toEqual([kept.replicationJobId]);
  });

  test.each([
    ['runOnce: true over a recurring job', { runOnce: true }, { frequency: 12, runOnce: false }],
    ['no runOnce over a job that runs once', { frequency: Duration.hours(12) }, { runOnce: true }],
  ])('%s: the adoption is refused, nothing sent, the job left as it was', async (_, props, job) => {
    const { cfn } = await open(props);
    const kept = keptJob(job);
    const { result: failed, calls } = await smsCallsDuring(emulator, () => cfn.create());
    expectAnsweredInTime(failed);
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toMatch(/^RunOnceChangeNotSupported: /);
    expect(failed.reason).toContain(kept.replicationJobId);
    expect(failed.reason).not.toMatch(/retry/i);
    expect(calls).not.toContain('UpdateReplicationJob');
    expect(failed.physicalResourceId).toMatch(/^create-refused-/);

    const rollback = await cfn.delete();
    expect(rollback.status).toBe('SUCCESS');
    expectNothingLeakedNothingLost(emulator, [cfn], [kept]);
  });
});

describe('a Reason says "retry" only where a retry can help', () => {
  test('a property that does not decode: no SMS call, no "retry"', async () => {
    const { cfn } = await open();
    const { result: failed, calls } = await smsCallsDuring(emulator, () => cfn.create(w.jobs.Job, { NumberOfRecentAmisToKeep: 'lots' }));
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toMatch(/^InvalidProperty: Property NumberOfRecentAmisToKeep must be .*, got "lots"\.$/);
    expect(calls).toEqual([]);
    expect(failed.physicalResourceId).toMatch(/^create-refused-/);
    expect((await cfn.delete()).status).toBe('SUCCESS');
  });

  test('another owner\'s job on the server: no "retry"', async () => {
    const { cfn } = await open();
    const foreign = emulator.seedJob({ serverId: SERVER, description: 'made by hand' });
    const failed = await cfn.create();
    expect(failed.reason).toMatch(/^ReplicationJobAlreadyExistsException: /);
    expect(failed.reason).not.toMatch(/retry/i);
    expect(failed.physicalResourceId).toMatch(/^create-refused-/);
    expect((await cfn.delete()).status).toBe('SUCCESS');
    expectNothingLeakedNothingLost(emulator, [cfn], [foreign]);
  });

  test('SMS that never answers: the Reason says to retry', async () => {
    const { cfn } = await open();
    emulator.inject('*', { kind: 'hang' }, Infinity);
    const failed = await cfn.create();
    expect(failed.reason).toMatch(/^Timeout: .*retry the deployment/);
  });
});
