import { SEED_MARGIN_MS } from '../../lambda/seed';
import { CfnResult } from '../harness/cfn-driver';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, smsCallsDuring, world, World } from '../harness/world';
import { SmsServer } from '../../lib';

/**
 * Issue 14: the seed time is intent, read when the job is created. None, or a time already past, means "as soon as
 * possible" (SMS receives a time a little ahead); once the job exists, a past time changes nothing.
 */

jest.setTimeout(60_000);

const DAY = 86_400_000;
const pastSeed = () => new Date(Math.floor((Date.now() - 30 * DAY) / 1000) * 1000);
let w: World;

afterEach(async () => {
  await w?.close();
});

/** Runs a Create and returns the seed time its CreateReplicationJob carried, with the wall clock around the call. */
async function createAndReadSeed(run: () => Promise<CfnResult>) {
  const before = Date.now();
  const result = await run();
  const after = Date.now();
  expectAnsweredInTime(result);
  expect(result.status).toBe('SUCCESS');
  const requests = w.emulator.requestsFor('CreateReplicationJob');
  const sent = requests[requests.length - 1].body.seedReplicationTime * 1000;
  return { result, before, after, sent };
}

/** SMS received a time a little ahead: the margin from the moment the handler ran, rounded up to a whole second. */
function expectAsSoonAsPossible({ before, after, sent }: { before: number; after: number; sent: number }) {
  expect(sent).toBeGreaterThanOrEqual(before + SEED_MARGIN_MS);
  expect(sent).toBeLessThanOrEqual(after + SEED_MARGIN_MS + 1000);
  expect(sent % 1000).toBe(0);
}

test('a Create with a seed time long past sends SMS a time a little ahead, and logs it', async () => {
  const past = pastSeed();
  w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-00000141'), seedReplicationTime: past } } });
  expect(w.cfn.propertiesOf(w.jobs.Job).SeedReplicationTime).toBe(past.toISOString());
  const created = await createAndReadSeed(() => w.cfn.create());
  expectAsSoonAsPossible(created);
  expect(w.emulator.jobs()[0].nextReplicationRunStartTime).toBe(created.sent / 1000);
  expect(created.result.logs).toContain(past.toISOString());
  expect(created.result.logs).toContain(new Date(created.sent).toISOString());
  await w.cfn.delete();
  expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
});

test('a Create with no seed time sends SMS a time a little ahead; the template has no SeedReplicationTime', async () => {
  w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-00000142') } } });
  expect(w.cfn.propertiesOf(w.jobs.Job)).not.toHaveProperty('SeedReplicationTime');
  const created = await createAndReadSeed(() => w.cfn.create());
  expectAsSoonAsPossible(created);
  expect(created.result.logs).toContain(new Date(created.sent).toISOString());
  await w.cfn.delete();
  expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
});

test('a Create with a future seed time sends that time', async () => {
  const seed = futureSeed(3);
  w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-00000143'), seedReplicationTime: seed } } });
  const created = await createAndReadSeed(() => w.cfn.create());
  expect(created.sent).toBe(seed.getTime());
  await w.cfn.delete();
});

describe('once the job exists', () => {
  beforeEach(async () => {
    w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-00000144'), seedReplicationTime: pastSeed() } } });
    w.emulator.addServer('s-00000145');
    expect((await w.cfn.create()).status).toBe('SUCCESS');
  });

  test('an Update from one past seed time to another makes no SMS call, and the job keeps its schedule', async () => {
    const before = w.emulator.jobs();
    const { result, calls } = await smsCallsDuring(w.emulator, () =>
      w.cfn.update(w.jobs.Job, { SeedReplicationTime: new Date(Date.now() - 3 * DAY).toISOString() }));
    expectAnsweredInTime(result);
    expect(result.status).toBe('SUCCESS');
    expect(result.physicalResourceId).toBe(before[0].replicationJobId);
    expect(calls).toEqual([]);
    expect(w.emulator.jobs()).toEqual(before);

    // Its rollback (old and new swapped, both past) has nothing to do either.
    const rollback = await smsCallsDuring(w.emulator, () => w.cfn.rollbackUpdate(w.jobs.Job));
    expect(rollback.result.status).toBe('SUCCESS');
    expect(rollback.calls).toEqual([]);
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });

  test('removing the seed time makes no SMS call', async () => {
    const { result, calls } = await smsCallsDuring(w.emulator, () => w.cfn.update(w.jobs.Job, { SeedReplicationTime: undefined }));
    expect(result.status).toBe('SUCCESS');
    expect(calls).toEqual([]);
  });

  test('a past seed time with another change updates the job without moving its next run', async () => {
    const before = w.emulator.jobs()[0];
    const updated = await w.cfn.update(w.jobs.Job, { SeedReplicationTime: new Date(Date.now() - 3 * DAY).toISOString(), Frequency: 6 });
    expect(updated.status).toBe('SUCCESS');
    const [request] = w.emulator.requestsFor('UpdateReplicationJob');
    expect(request.body).toMatchObject({ frequency: 6 });
    expect(request.body).not.toHaveProperty('nextReplicationRunStartTime');
    expect(w.emulator.jobs()[0].nextReplicationRunStartTime).toBe(before.nextReplicationRunStartTime);
  });

  test('a future seed time moves the next run', async () => {
    const later = futureSeed(5);
    const updated = await w.cfn.update(w.jobs.Job, { SeedReplicationTime: later.toISOString() });
    expect(updated.status).toBe('SUCCESS');
    const [request] = w.emulator.requestsFor('UpdateReplicationJob');
    expect(request.body.nextReplicationRunStartTime).toBe(later.getTime() / 1000);
  });

  test('a new serverId with the same past seed time creates the new server\'s job a little ahead', async () => {
    const replaced = await createAndReadSeed(() => w.cfn.update(w.jobs.Job, { ServerId: 's-00000145' }));
    expectAsSoonAsPossible(replaced);
    const job = w.emulator.jobs().find((j) => j.serverId === 's-00000145');
    expect(job).toMatchObject({ replicationJobId: replaced.result.physicalResourceId, nextReplicationRunStartTime: replaced.sent / 1000 });
    const cleanup = await w.cfn.cleanup(w.jobs.Job);
    expect(cleanup.status).toBe('SUCCESS');
    expectNothingLeakedNothingLost(w.emulator, [w.cfn]);
  });
});
