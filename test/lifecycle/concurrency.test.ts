import { Duration } from 'aws-cdk-lib';
import { ReplicationJobProps } from '../../lib';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, world, World } from '../harness/world';

/** Sequence 11 of issue 3: fifty Creates at once against an SMS that throttles above 10 requests per second. */

jest.setTimeout(150_000);

const JOBS = 50;
const RATE_LIMIT = 10;

let w: World;

beforeAll(async () => {
  const jobs: Record<string, ReplicationJobProps> = {};
  for (let i = 0; i < JOBS; i++) {
    jobs[`Job${i}`] = { serverId: `s-${(0x5000 + i).toString(16).padStart(8, '0')}`, seedReplicationTime: futureSeed(), frequency: Duration.hours(12) };
  }
  w = await world({ jobs });
});

afterAll(async () => {
  await w.close();
});

test(`${JOBS} Creates at once, throttled above ${RATE_LIMIT} requests per second, all succeed, each with its own job`, async () => {
  const { cfn, emulator } = w;
  expect(cfn.logicalIds).toHaveLength(JOBS);
  emulator.throttleAbove(RATE_LIMIT);

  const created = await Promise.all(cfn.logicalIds.map((id) => cfn.create(id)));
  for (const result of created) expectAnsweredInTime(result);
  expect(created.map((r) => r.status)).toEqual(Array(JOBS).fill('SUCCESS'));

  // Throttling did happen, and every job is the one its own resource asked for.
  expect(emulator.requests.filter((r) => r.outcome === 'error:ThrottlingException').length).toBeGreaterThan(0);
  const jobs = emulator.jobs();
  expect(new Set(created.map((r) => r.physicalResourceId)).size).toBe(JOBS);
  for (const result of created) {
    const job = jobs.find((j) => j.replicationJobId === result.physicalResourceId)!;
    expect(job.serverId).toBe(result.event.ResourceProperties.ServerId);
    expect(job.description).toContain(result.event.LogicalResourceId);
  }
  expectNothingLeakedNothingLost(emulator, [cfn]);

  // The stack's deletion sends the fifty Deletes at once too.
  const beforeDeletes = emulator.requests.length;
  const deleted = await Promise.all(cfn.logicalIds.map((id) => cfn.delete(id)));
  for (const result of deleted) expectAnsweredInTime(result);
  expect(deleted.map((r) => r.status)).toEqual(Array(JOBS).fill('SUCCESS'));
  expect(emulator.jobs()).toEqual([]);
  // Issue 32: a Delete of a job its resource made (no /adopted in its physical id) sends DeleteReplicationJob alone,
  // no read of the job first, so that throttling costs a stack's deletion what its deletes cost.
  const deletes = emulator.requests.slice(beforeDeletes);
  expect(deletes.filter((r) => r.operation !== 'DeleteReplicationJob')).toEqual([]);
  expect(deletes.filter((r) => r.outcome === 'ok')).toHaveLength(JOBS);
  expectNothingLeakedNothingLost(emulator, [cfn]);
});
