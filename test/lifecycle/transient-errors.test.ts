import { Duration } from 'aws-cdk-lib';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, world, World } from '../harness/world';
import { SmsServer } from '../../lib';

/** Sequence 4 of issue 3: transient errors retried to success on Create, Update and Delete; permanent ones not. */

// Three throttles in a row wait 1-21 s with the backoff after a throttle (lambda/retry.ts), for each of three events.
jest.setTimeout(120_000);

let w: World;

beforeEach(async () => {
  w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-0000fa17'), seedReplicationTime: futureSeed(), frequency: Duration.hours(12) } } });
});

afterEach(async () => {
  await w.close();
});

const TRANSIENT = ['InternalError', 'TemporarilyUnavailableException', 'ThrottlingException'];
/** How many answers in a row fail: more than the SDK's default of 3 attempts would absorb. */
const FAILURES_IN_A_ROW = 3;

describe.each(TRANSIENT)('%s', (error) => {
  test(`on Create, Update and Delete is retried to success`, async () => {
    const { cfn, emulator } = w;
    emulator.failNext('CreateReplicationJob', error, { times: FAILURES_IN_A_ROW });
    const created = await cfn.create();
    expectAnsweredInTime(created);
    expect(created.status).toBe('SUCCESS');
    expect(emulator.requestsFor('CreateReplicationJob').map((r) => r.outcome))
      .toEqual([...Array(FAILURES_IN_A_ROW).fill(`error:${error}`), 'ok']);
    expectNothingLeakedNothingLost(emulator, [cfn]);

    emulator.failNext('UpdateReplicationJob', error, { times: FAILURES_IN_A_ROW });
    const updated = await cfn.update(w.jobs.Job, { Frequency: 6 });
    expectAnsweredInTime(updated);
    expect(updated.status).toBe('SUCCESS');
    expect(emulator.jobs()[0].frequency).toBe(6);
    expect(emulator.requestsFor('UpdateReplicationJob').map((r) => r.outcome))
      .toEqual([...Array(FAILURES_IN_A_ROW).fill(`error:${error}`), 'ok']);

    emulator.failNext('DeleteReplicationJob', error, { times: FAILURES_IN_A_ROW });
    const deleted = await cfn.delete();
    expectAnsweredInTime(deleted);
    expect(deleted.status).toBe('SUCCESS');
    expect(emulator.requestsFor('DeleteReplicationJob').map((r) => r.outcome))
      .toEqual([...Array(FAILURES_IN_A_ROW).fill(`error:${error}`), 'ok']);
    expectNothingLeakedNothingLost(emulator, [cfn]);
  });
});

test('throttling by rate (ThrottlingException above 1 request per second) is waited out', async () => {
  const { cfn, emulator } = w;
  emulator.throttleAbove(1);
  const created = await cfn.create();
  expectAnsweredInTime(created);
  expect(created.status).toBe('SUCCESS');
  const updated = await cfn.update(w.jobs.Job, { Frequency: 4 });
  expect(updated.status).toBe('SUCCESS');
  const deleted = await cfn.delete();
  expect(deleted.status).toBe('SUCCESS');
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

const PERMANENT: Array<[string, string]> = [
  ['CreateReplicationJob', 'ServerCannotBeReplicatedException'],
  ['CreateReplicationJob', 'UnauthorizedOperationException'],
  ['UpdateReplicationJob', 'OperationNotPermittedException'],
  ['UpdateReplicationJob', 'InvalidParameterException'],
  ['DeleteReplicationJob', 'UnauthorizedOperationException'],
  ['DeleteReplicationJob', 'OperationNotPermittedException'],
];

test.each(PERMANENT)('a permanent error on %s (%s) is not retried, and fails fast', async (operation, error) => {
  const { cfn, emulator } = w;
  if (operation !== 'CreateReplicationJob') {
    expect((await cfn.create()).status).toBe('SUCCESS');
  }
  emulator.failNext(operation, error, { times: Infinity });
  const result = operation === 'CreateReplicationJob' ? await cfn.create()
    : operation === 'UpdateReplicationJob' ? await cfn.update(w.jobs.Job, { Frequency: 3 })
      : await cfn.delete();
  expectAnsweredInTime(result);
  expect(result.status).toBe('FAILED');
  expect(result.reason).toMatch(new RegExp(`^${error}\\b`));
  expect(emulator.requestsFor(operation)).toHaveLength(1);
  // Well under the function's timeout: no backoff was spent on it.
  expect(result.durationMs).toBeLessThan(5000);

  emulator.clearFaults();
  if (operation === 'CreateReplicationJob') {
    expect((await cfn.delete()).status).toBe('SUCCESS');
  } else if (operation === 'UpdateReplicationJob') {
    expect((await cfn.rollbackUpdate(w.jobs.Job)).status).toBe('SUCCESS');
  }
  // A failed Delete leaves the resource, and its job, in the stack (DELETE_FAILED).
  expectNothingLeakedNothingLost(emulator, [cfn]);
});
