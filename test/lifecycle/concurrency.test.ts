import { Duration } from 'aws-cdk-lib';
import { deleteCell } from '../../bench/model';
import { ReplicationJobProps, SmsServer } from '../../lib';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, world, World } from '../harness/world';

/** Sequence 11 of issue 3: fifty Creates at once against an SMS that throttles above 10 requests per second. */

jest.setTimeout(150_000);

const JOBS = 50;
const RATE_LIMIT = 10;

let w: World;

beforeAll(async () => {
  const jobs: Record<string, ReplicationJobProps> = {};
  for (let i = 0; i < JOBS; i++) {
    jobs[`Job${i}`] = { server: SmsServer.fromServerId(`s-${(0x5000 + i).toString(16).padStart(8, '0')}`), seedReplicationTime: futureSeed(), frequency: Duration.hours(12) };
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

/**
 * Issue 32: the stack's deletion sends every Delete at once, and SMS throttles at 2 requests a second. A Delete of a
 * job its resource made costs SMS one request (no read of the job's marker first): the batch's requests a job are
 * nearer what bench/model.ts computes, in this run, for Deletes of one request than for Deletes of two (a read, then
 * the delete, as main 2259fee did: 3.40 and 6.05 a job at 30 Deletes; 2259fee measured 6.1 here), and every job is
 * deleted.
 */
test('30 Deletes at once, throttled above 2 requests per second: all answered SUCCESS, every job deleted, one request\'s cost a job', async () => {
  const { cfn, emulator } = w;
  const ids = cfn.logicalIds.slice(0, 30);
  emulator.throttleAbove(undefined);
  const created = await Promise.all(ids.map((id) => cfn.create(id)));
  expect(created.map((r) => r.status)).toEqual(Array(ids.length).fill('SUCCESS'));
  // A second without requests, so that the batch starts with the whole rate.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  emulator.throttleAbove(2);
  const before = emulator.requests.length;
  const started = Date.now();
  const deleted = await Promise.all(ids.map((id) => cfn.delete(id)));
  const seconds = (Date.now() - started) / 1000;
  emulator.throttleAbove(undefined);
  for (const result of deleted) expectAnsweredInTime(result);
  expect(deleted.map((r) => r.status)).toEqual(Array(ids.length).fill('SUCCESS'));
  expect(emulator.jobs()).toEqual([]);
  const perJob = (emulator.requests.length - before) / ids.length;
  console.log(`30 Deletes at SMS 2/s: last answer ${seconds.toFixed(1)} s (${(seconds / 15).toFixed(2)} x N/R), ${perJob.toFixed(1)} SMS requests a job`);
  const oneRequest = deleteCell(ids.length, 2, 1).requests;
  const readThenDelete = deleteCell(ids.length, 2, 2).requests;
  expect(perJob).toBeLessThan((oneRequest + readThenDelete) / 2);
  expectNothingLeakedNothingLost(emulator, [cfn]);
});
