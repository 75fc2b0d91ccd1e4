import { RemovalPolicy } from 'aws-cdk-lib';
import { ExistingJobPolicy, ReplicationJobProps, SmsServer } from '../../lib';
import { SSMClient } from '@aws-sdk/client-ssm';
import { jobIdOf } from '../../lambda/physical-id';
import { latestAmiDescription, putLatestAmi, writerOfLatestAmi } from '../../lambda/ssm';
import { DirectResult } from '../harness/cfn-driver';
import { SmsEmulator } from '../harness/sms-emulator';
import { SsmDouble } from '../harness/ssm-double';
import { World, expectNothingLeakedNothingLost, world } from '../harness/world';
import { amiEvent } from '../harness/ami-event';

/**
 * Issue 37: the provider keeps each job's latest AMI in the job's SSM parameter. SMS's AMI events reach the function as
 * EventBridge sends them (an asynchronous invocation in a process of its own, no ResponseURL); the parameter is written
 * through the real @aws-sdk/client-ssm, bundled in the handler, to a double of SSM's wire protocol (ssm-double.ts).
 */

jest.setTimeout(60_000);

const HOUR = 3600;
const now = () => Math.floor(Date.now() / 1000);

let emulator: SmsEmulator;
let ssm: SsmDouble;
const worlds: World[] = [];
beforeEach(async () => {
  emulator = await SmsEmulator.start();
  ssm = await SsmDouble.start();
});
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close();
  await emulator.close();
  await ssm.close();
});

/** A stack of jobs on servers s-0000a001, s-0000a002, ..., each reading its latest AMI (or none when `latestAmi` is false). */
async function stack(jobs: Record<string, Partial<ReplicationJobProps>>, options: { latestAmi?: boolean; functionTimeoutSeconds?: number } = {}) {
  const names: Record<string, string> = {};
  const w = await world({
    emulator,
    ssm,
    functionTimeoutSeconds: options.functionTimeoutSeconds,
    stackName: 'Migration',
    jobs: Object.fromEntries(Object.entries(jobs).map(([id, props], i) => [id, { server: SmsServer.fromServerId(`s-0000a00${i + 1}`), ...props }])),
    declare: (declared) => {
      if (options.latestAmi === false) return;
      for (const [id, job] of Object.entries(declared)) names[id] = job.latestAmiParameterName;
    },
  });
  worlds.push(w);
  return { ...w, names };
}

/** A replication run of the job that completed `hoursAgo` with a new AMI, which the account now holds. */
function completeRun(jobId: string, amiId: string, hoursAgo: number): void {
  emulator.addRun(jobId, { replicationRunId: `sms-run-${amiId.slice(4)}`, state: 'COMPLETED', type: 'AUTOMATIC', amiId, completedTime: now() - hoursAgo * HOUR });
  ssm.images.add(amiId);
}

/** The invocation returned without sending CloudFormation anything (no answer is attempted for an EventBridge event). */
function expectHandledQuietly(result: DirectResult): void {
  expect(result.timedOut).toBe(false);
  expect(result.outcome).toEqual({ kind: 'returned' });
  expect(result.logs).not.toContain('"message":"answer"');
}

test('an AMI event of a job of the stack makes that job\'s parameter hold the AMI; an older AMI delivered late does not undo it', async () => {
  const { cfn, names } = await stack({ Database: {}, Web: {} });
  expect(names).toEqual({
    Database: `/cdk-sms-replication-job/Migration/${cfn.logicalIds[0]}/latest-ami`,
    Web: `/cdk-sms-replication-job/Migration/${cfn.logicalIds[1]}/latest-ami`,
  });
  const database = jobIdOf((await cfn.create(cfn.logicalIds[0])).physicalResourceId!)!;
  const web = jobIdOf((await cfn.create(cfn.logicalIds[1])).physicalResourceId!)!;
  // Nothing before the first AMI: a launch stack's deployment fails, naming the parameter.
  expect(ssm.names()).toEqual([]);

  completeRun(database, 'ami-0aaaaaaaaaaaaaaa1', 2);
  expectHandledQuietly(await cfn.invokeDirect(amiEvent(database, 'ami-0aaaaaaaaaaaaaaa1')));
  expect(ssm.parameter(names.Database)).toMatchObject({ value: 'ami-0aaaaaaaaaaaaaaa1', type: 'String', dataType: 'aws:ec2:image' });
  expect(ssm.names()).toEqual([names.Database]);

  completeRun(web, 'ami-0bbbbbbbbbbbbbbb1', 1);
  expectHandledQuietly(await cfn.invokeDirect(amiEvent(web, 'ami-0bbbbbbbbbbbbbbb1')));
  expect(ssm.parameter(names.Web)?.value).toBe('ami-0bbbbbbbbbbbbbbb1');
  expect(ssm.parameter(names.Database)?.value).toBe('ami-0aaaaaaaaaaaaaaa1');

  // A newer run of the database, then its event and the older one again, out of order.
  completeRun(database, 'ami-0aaaaaaaaaaaaaaa2', 0);
  expectHandledQuietly(await cfn.invokeDirect(amiEvent(database, 'ami-0aaaaaaaaaaaaaaa2')));
  const late = await cfn.invokeDirect(amiEvent(database, 'ami-0aaaaaaaaaaaaaaa1'));
  expectHandledQuietly(late);
  expect(late.logs).toContain('the job has a newer AMI than the event\'s');
  expect(ssm.parameter(names.Database)?.value).toBe('ami-0aaaaaaaaaaaaaaa2');
  expect(ssm.violations).toEqual([]);
  expect(ssm.rejectedAsync).toEqual([]);
});

test('events the provider does not own or cannot read change nothing, and each is logged', async () => {
  const { cfn } = await stack({ Database: {} });
  const ours = jobIdOf((await cfn.create()).physicalResourceId!)!;
  const console = emulator.seedJob({ serverId: 's-0000c001', description: 'made in the console' });
  // A job of a stack of the same name that was deleted and made again: another stack id, another hash in its marker.
  const former = emulator.seedJob({ serverId: 's-0000c002', description: `db [cfn:Migration/${cfn.logicalIds[0]}/0badf00d/12345678]` });
  const other = emulator.seedJob({ serverId: 's-0000c003', description: '[cfn:OtherStack/Database1234/89abcdef/12345678]' });
  for (const job of [console, former, other]) completeRun(job.replicationJobId, `ami-0c${job.serverId.slice(-4)}00000000000`, 1);
  const requestsBefore = emulator.requests.length;

  const cases: Array<[unknown, string]> = [
    [amiEvent(console.replicationJobId, `ami-0c${console.serverId.slice(-4)}00000000000`), 'the job is not one this stack owns (its marker names no owner)'],
    [amiEvent(former.replicationJobId, `ami-0c${former.serverId.slice(-4)}00000000000`), `its marker names Migration/${cfn.logicalIds[0]}/0badf00d`],
    [amiEvent(other.replicationJobId, `ami-0c${other.serverId.slice(-4)}00000000000`), 'its marker names OtherStack/Database1234/89abcdef'],
    [amiEvent('sms-job-0123456789abcdef0', 'ami-0ddddddddddddddd1'), 'the job is gone'],
    [amiEvent(ours), 'the event carries no replication job id or no AMI id'],
    [{ ...amiEvent(ours, 'ami-0ddddddddddddddd1'), 'detail-type': 'Server Migration Job Deleted' }, 'neither a CloudFormation custom resource event nor an SMS job state change'],
    [{ hello: 'world' }, 'neither a CloudFormation custom resource event nor an SMS job state change'],
  ];
  for (const [event, why] of cases) {
    const result = await cfn.invokeDirect(event);
    expectHandledQuietly(result);
    expect(result.logs).toContain('event ignored');
    expect(result.logs).toContain(why);
  }
  expect(ssm.requests).toEqual([]);
  // Read only: the job of each event that names one, by its id.
  expect(emulator.requests.slice(requestsBefore).map((r) => r.operation)).toEqual(Array(4).fill('GetReplicationJobs'));
  expectNothingLeakedNothingLost(emulator, [cfn], emulator.jobs().filter((j) => j.replicationJobId !== ours));
});

test('a throttled PutParameter is retried; a denied one is logged with its AMI and fails the invocation for Lambda to retry', async () => {
  const { cfn, names } = await stack({ Database: {} });
  const job = jobIdOf((await cfn.create()).physicalResourceId!)!;
  completeRun(job, 'ami-0aaaaaaaaaaaaaaa1', 1);

  ssm.failNext('PutParameter', 'ThrottlingException');
  expectHandledQuietly(await cfn.invokeDirect(amiEvent(job, 'ami-0aaaaaaaaaaaaaaa1')));
  expect(ssm.operations()).toEqual(['PutParameter', 'PutParameter']);
  expect(ssm.parameter(names.Database)?.value).toBe('ami-0aaaaaaaaaaaaaaa1');

  completeRun(job, 'ami-0aaaaaaaaaaaaaaa2', 0);
  ssm.failNext('PutParameter', 'AccessDeniedException');
  const denied = await cfn.invokeDirect(amiEvent(job, 'ami-0aaaaaaaaaaaaaaa2'));
  expect(denied.outcome).toMatchObject({ kind: 'error', error: { errorType: 'AccessDeniedException' } });
  const logged = denied.logs.split('\n').find((line) => line.includes('could not write the job\'s latest AMI'));
  expect(logged).toContain('\tERROR\t');
  expect(logged).toContain('"latest":"ami-0aaaaaaaaaaaaaaa2"');
  expect(logged).toContain(names.Database);
  expect(logged).toContain('AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/provider/handler is not authorized');
  // Not retried by the client (a refusal), and nothing written: the parameter keeps the AMI before.
  expect(ssm.operations()).toEqual(['PutParameter', 'PutParameter', 'PutParameter']);
  expect(ssm.parameter(names.Database)?.value).toBe('ami-0aaaaaaaaaaaaaaa1');
});

test('a job whose SMS read stays throttled: the event is logged and fails for Lambda to retry, nothing written', async () => {
  // A short function timeout, so that the retries end within the test: the budget is the function's, as in Lambda.
  const { cfn } = await stack({ Database: {} }, { functionTimeoutSeconds: 5 });
  const job = jobIdOf((await cfn.create()).physicalResourceId!)!;
  completeRun(job, 'ami-0aaaaaaaaaaaaaaa1', 1);
  emulator.failNext('GetReplicationJobs', 'ThrottlingException', { times: 1000, message: 'Rate exceeded' });
  const result = await cfn.invokeDirect(amiEvent(job, 'ami-0aaaaaaaaaaaaaaa1'));
  expect(result.outcome).toMatchObject({ kind: 'error' });
  expect(result.logs).toContain('could not read the job of the AMI event; Lambda retries the event');
  expect(ssm.requests).toEqual([]);
});

test('a Delete of the job between the event\'s read of the job and its write: the event deletes the parameter it wrote', async () => {
  const { cfn, names } = await stack({ Database: {} });
  const job = jobIdOf((await cfn.create()).physicalResourceId!)!;
  completeRun(job, 'ami-0aaaaaaaaaaaaaaa1', 1);
  // The Delete's own work (DeleteReplicationJob, then DeleteParameter of a parameter not yet written) while the write is on its way.
  ssm.beforePut = () => emulator.deleteJob(job);
  const result = await cfn.invokeDirect(amiEvent(job, 'ami-0aaaaaaaaaaaaaaa1'));
  expectHandledQuietly(result);
  expect(result.logs).toContain('the job was deleted while its AMI was written: parameter deleted');
  // It still names the job: nobody wrote it since.
  expect(ssm.operations()).toEqual(['PutParameter', 'GetParameterHistory', 'DeleteParameter']);
  expect(ssm.parameter(names.Database)).toBeUndefined();
});

describe('only the job the stack\'s resource holds now writes the parameter', () => {
  /** A resource whose server changed: its old job and the new one carry the same marker and share the parameter. */
  async function replaced(props: Partial<ReplicationJobProps>) {
    const s = await stack({ Database: props });
    const old = jobIdOf((await s.cfn.create()).physicalResourceId!)!;
    emulator.addServer('s-0000b001');
    const update = await s.cfn.update(s.cfn.logicalIds[0], { ServerId: 's-0000b001' });
    expect(update.status).toBe('SUCCESS');
    const fresh = jobIdOf(update.physicalResourceId!)!;
    expect(fresh).not.toBe(old);
    completeRun(fresh, 'ami-0bbbbbbbbbbbbbbb1', 2);
    expectHandledQuietly(await s.cfn.invokeDirect(amiEvent(fresh, 'ami-0bbbbbbbbbbbbbbb1')));
    expect(ssm.parameter(s.names.Database)?.value).toBe('ami-0bbbbbbbbbbbbbbb1');
    return { ...s, old, fresh, name: s.names.Database };
  }

  test('a job replaced and kept by RETAIN (CloudFormation sends no cleanup Delete): its AMI events are ignored, the parameter keeps the new job\'s', async () => {
    const { cfn, old, fresh, name } = await replaced({ removalPolicy: RemovalPolicy.RETAIN });
    completeRun(old, 'ami-0aaaaaaaaaaaaaaa9', 0);
    const result = await cfn.invokeDirect(amiEvent(old, 'ami-0aaaaaaaaaaaaaaa9'));
    expectHandledQuietly(result);
    expect(result.logs).toContain(`event ignored: the stack's resource ${cfn.logicalIds[0]} holds ${fresh}, not this job`);
    expect(ssm.parameter(name)).toMatchObject({ value: 'ami-0bbbbbbbbbbbbbbb1', description: latestAmiDescription(fresh) });
    expect(ssm.operations()).toEqual(['PutParameter']);
    // One read of the resource per event, by its logical id, on the stack's own id.
    expect(cfn.describeStackResourceCalls().map((c) => [c.params.StackName, c.params.LogicalResourceId])).toEqual(
      Array(2).fill([cfn.stackId, cfn.logicalIds[0]]));
  });

  test('between a replacement and its cleanup, the old job\'s AMI event is ignored; after the cleanup the parameter is the new job\'s', async () => {
    const { cfn, old, fresh, name } = await replaced({});
    completeRun(old, 'ami-0aaaaaaaaaaaaaaa9', 0);
    const result = await cfn.invokeDirect(amiEvent(old, 'ami-0aaaaaaaaaaaaaaa9'));
    expectHandledQuietly(result);
    expect(result.logs).toContain(`holds ${fresh}, not this job`);
    expect((await cfn.cleanup(cfn.logicalIds[0])).status).toBe('SUCCESS');
    expect(ssm.parameter(name)).toMatchObject({ value: 'ami-0bbbbbbbbbbbbbbb1', description: latestAmiDescription(fresh) });
  });

  test('the job deleted right after its write, and the new job\'s AMI written before the event\'s check: the parameter is not deleted', async () => {
    // The stack still holds the job when its event reads the resource; then the replacement, the new job's AMI and
    // the cleanup Delete of the old job all land between the event's write and its check that the job still exists.
    const { cfn, names } = await stack({ Database: {} });
    const job = jobIdOf((await cfn.create()).physicalResourceId!)!;
    completeRun(job, 'ami-0aaaaaaaaaaaaaaa1', 1);
    ssm.images.add('ami-0bbbbbbbbbbbbbbb1');
    const next = 'sms-job-0b0b0b0b0b0b0b0b0';
    ssm.afterPut = () => {
      ssm.afterPut = undefined;
      emulator.deleteJob(job);
      ssm.store({ Name: names.Database, Value: 'ami-0bbbbbbbbbbbbbbb1', Description: latestAmiDescription(next) });
    };
    const result = await cfn.invokeDirect(amiEvent(job, 'ami-0aaaaaaaaaaaaaaa1'));
    expectHandledQuietly(result);
    expect(result.logs).toContain(`the parameter kept: it names ${next} now`);
    expect(ssm.operations()).toEqual(['PutParameter', 'GetParameterHistory']);
    expect(ssm.parameter(names.Database)).toMatchObject({ value: 'ami-0bbbbbbbbbbbbbbb1', description: latestAmiDescription(next) });
  });

  test('a read of the resource that is denied fails the event for Lambda to retry, naming the permission; nothing is written', async () => {
    const { cfn, names } = await stack({ Database: {} });
    const job = jobIdOf((await cfn.create()).physicalResourceId!)!;
    completeRun(job, 'ami-0aaaaaaaaaaaaaaa1', 1);
    cfn.denyNextDescribeStackResource(1);
    const result = await cfn.invokeDirect(amiEvent(job, 'ami-0aaaaaaaaaaaaaaa1'));
    expect(result.outcome).toMatchObject({ kind: 'error', error: { errorType: 'CloudFormationAccessDenied' } });
    const logged = result.logs.split('\n').find((line) => line.includes('could not read which job the stack\'s resource holds; Lambda retries the event'));
    expect(logged).toContain('\tERROR\t');
    expect(logged).toContain('cloudformation:DescribeStackResource');
    expect(cfn.describeStackResourceCalls()).toHaveLength(1);
    expect(ssm.requests).toEqual([]);
    expect(ssm.parameter(names.Database)).toBeUndefined();
  });

  test('a read of the resource throttled, or never answered, to the event\'s 20 s: nothing written, the event fails for Lambda to retry', async () => {
    const { cfn } = await stack({ Database: {} });
    const job = jobIdOf((await cfn.create()).physicalResourceId!)!;
    completeRun(job, 'ami-0aaaaaaaaaaaaaaa1', 1);
    for (const [fault, errorType] of [['throttled', 'CloudFormationThrottling'], ['hanging', 'CloudFormationNoAnswer']] as const) {
      if (fault === 'throttled') cfn.throttleNextDescribeStacks(Infinity);
      else cfn.hangNextDescribeStacks(Infinity);
      const result = await cfn.invokeDirect(amiEvent(job, 'ami-0aaaaaaaaaaaaaaa1'));
      cfn.clearDescribeStacksFaults();
      expect(result.outcome).toMatchObject({ kind: 'error', error: { errorType } });
      expect(result.logs).toContain('could not read which job the stack\'s resource holds; Lambda retries the event');
      // Within the AMI event's own deadline, not the 180 s CloudFormation's events get.
      expect(result.durationMs).toBeLessThan(21_000);
      expect(ssm.requests).toEqual([]);
    }
  }, 90_000);
});

test('an AMI event works 20 s at most, whatever the function\'s timeout: SMS throttled to the end fails it in time for Lambda to retry', async () => {
  // The function's own 180 s: the event shares its instances with CloudFormation's events, and leaves them the time.
  const { cfn } = await stack({ Database: {} });
  const job = jobIdOf((await cfn.create()).physicalResourceId!)!;
  completeRun(job, 'ami-0aaaaaaaaaaaaaaa1', 1);
  emulator.failNext('GetReplicationJobs', 'ThrottlingException', { times: 1000, message: 'Rate exceeded' });
  const result = await cfn.invokeDirect(amiEvent(job, 'ami-0aaaaaaaaaaaaaaa1'));
  expect(result.timedOut).toBe(false);
  expect(result.outcome).toMatchObject({ kind: 'error' });
  expect(result.logs).toContain('could not read the job of the AMI event; Lambda retries the event');
  expect(result.durationMs).toBeLessThan(21_000);
  expect(ssm.requests).toEqual([]);
}, 60_000);

test('a Create that adopts a job with earlier runs writes its latest AMI at once; one without runs writes nothing', async () => {
  const withRuns = emulator.seedJob({
    serverId: 's-0000a001', description: 'db, by hand', frequency: 24, seedReplicationTime: now() - 20 * 24 * HOUR, nextReplicationRunStartTime: now() + 5 * HOUR,
  });
  completeRun(withRuns.replicationJobId, 'ami-0eeeeeeeeeeeeeee1', 30);
  completeRun(withRuns.replicationJobId, 'ami-0eeeeeeeeeeeeeee2', 6);
  emulator.seedJob({ serverId: 's-0000a002', description: 'web, by hand', frequency: 24, seedReplicationTime: now() - 2 * HOUR, nextReplicationRunStartTime: now() + 22 * HOUR });
  const adopt = { existingJob: ExistingJobPolicy.ADOPT, seedReplicationTime: new Date((now() - 20 * 24 * HOUR) * 1000), description: 'db' };
  const { cfn, names } = await stack({ Database: adopt, Web: adopt });

  expect((await cfn.create(cfn.logicalIds[0])).status).toBe('SUCCESS');
  expect(ssm.parameter(names.Database)).toMatchObject({ value: 'ami-0eeeeeeeeeeeeeee2', dataType: 'aws:ec2:image' });
  expect((await cfn.create(cfn.logicalIds[1])).status).toBe('SUCCESS');
  expect(ssm.names()).toEqual([names.Database]);
  expect(ssm.operations()).toEqual(['PutParameter']);
});

test('a Delete that deletes the job deletes its parameter; a job kept (RETAIN, or adopted) keeps it', async () => {
  const kept = emulator.seedJob({ serverId: 's-0000a003', description: 'by hand', frequency: 24, seedReplicationTime: now() - 2 * HOUR, nextReplicationRunStartTime: now() + 22 * HOUR });
  completeRun(kept.replicationJobId, 'ami-0fffffffffffffff3', 1);
  const { cfn, names } = await stack({
    Destroyed: {},
    Retained: { removalPolicy: RemovalPolicy.RETAIN },
    Adopted: { existingJob: ExistingJobPolicy.ADOPT, seedReplicationTime: new Date((now() - 2 * HOUR) * 1000), frequency: undefined },
  });
  const [destroyed, retained] = await Promise.all([cfn.create(cfn.logicalIds[0]), cfn.create(cfn.logicalIds[1])])
    .then((results) => results.map((r) => jobIdOf(r.physicalResourceId!)!));
  expect((await cfn.create(cfn.logicalIds[2])).status).toBe('SUCCESS');
  completeRun(destroyed, 'ami-0fffffffffffffff1', 1);
  completeRun(retained, 'ami-0fffffffffffffff2', 1);
  for (const [job, ami] of [[destroyed, 'ami-0fffffffffffffff1'], [retained, 'ami-0fffffffffffffff2']]) {
    expectHandledQuietly(await cfn.invokeDirect(amiEvent(job, ami)));
  }
  expect(ssm.names()).toEqual([names.Adopted, names.Destroyed, names.Retained].sort());
  expect(ssm.parameter(names.Destroyed)?.description).toBe(`The latest AMI of SMS replication job ${destroyed}, kept by its stack's provider (cdk-sms-replication-job)`);
  expect(ssm.parameter(names.Adopted)?.description).toContain(`SMS replication job ${kept.replicationJobId},`);

  expect(await cfn.deleteStack(cfn.logicalIds[0])).toMatchObject({ status: 'SUCCESS' });
  expect(await cfn.deleteStack(cfn.logicalIds[1])).toBe('retained');
  expect(await cfn.deleteStack(cfn.logicalIds[2])).toBe('retained');
  expect(ssm.names()).toEqual([names.Adopted, names.Retained].sort());
  // A second delivery of the Delete finds job and parameter gone, and succeeds.
  expect((await cfn.redeliver(cfn.invocations[cfn.invocations.length - 1].event)).status).toBe('SUCCESS');
  // The plain Delete read the writer (the deleted job) and dropped the parameter; the second found none to drop.
  expect(ssm.operations().filter((o) => o !== 'PutParameter')).toEqual(['GetParameterHistory', 'DeleteParameter', 'GetParameterHistory']);
  expect(ssm.violations).toEqual([]);
});

test('a stack whose jobs do not offer their latest AMI: no rule, no parameter, and an AMI event that reaches its function is ignored', async () => {
  const { cfn } = await stack({ Database: {} }, { latestAmi: false });
  expect(Object.values(cfn.template.Resources).map((r: any) => r.Type)).not.toContain('AWS::Events::Rule');
  const job = jobIdOf((await cfn.create()).physicalResourceId!)!;
  completeRun(job, 'ami-0aaaaaaaaaaaaaaa1', 1);
  const result = await cfn.invokeDirect(amiEvent(job, 'ami-0aaaaaaaaaaaaaaa1'));
  expectHandledQuietly(result);
  expect(result.logs).toContain('this provider keeps no latest AMI');
  expect((await cfn.delete()).status).toBe('SUCCESS');
  expect(ssm.requests).toEqual([]);
});

/**
 * The parameter is named after the logical id, so the old and the new job of a replaced resource share it. Each write
 * names its job in the parameter's description, and a Delete drops the parameter only when it names the job deleted.
 */
describe('a replaced job: the parameter goes with the job that wrote it', () => {
  /** A stack whose job has an AMI, then an Update that moves the job to another server: a new job, the old one kept. */
  async function replaced() {
    const s = await stack({ Database: {} });
    const old = jobIdOf((await s.cfn.create()).physicalResourceId!)!;
    completeRun(old, 'ami-0aaaaaaaaaaaaaaa1', 1);
    expectHandledQuietly(await s.cfn.invokeDirect(amiEvent(old, 'ami-0aaaaaaaaaaaaaaa1')));
    emulator.addServer('s-0000b001');
    const update = await s.cfn.update(s.cfn.logicalIds[0], { ServerId: 's-0000b001' });
    expect(update.status).toBe('SUCCESS');
    const fresh = jobIdOf(update.physicalResourceId!)!;
    expect(fresh).not.toBe(old);
    return { ...s, old, fresh, name: s.names.Database };
  }

  test('a replacement that rolls back: the Delete of the new job keeps the parameter, which names the old job', async () => {
    const { cfn, old, fresh, name } = await replaced();
    const rollback = await cfn.rollbackUpdate(cfn.logicalIds[0]);
    expect(rollback.event).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: fresh });
    expect(rollback.status).toBe('SUCCESS');
    expect(emulator.jobs().filter((j) => j.state !== 'DELETED').map((j) => j.replicationJobId)).toEqual([old]);
    expect(ssm.parameter(name)).toMatchObject({ value: 'ami-0aaaaaaaaaaaaaaa1', description: expect.stringContaining(`SMS replication job ${old},`) });
    expect(rollback.logs).toContain(`latest-AMI parameter kept: it names job ${old}, not the deleted ${fresh}`);
    expect(ssm.operations()).not.toContain('DeleteParameter');
    expect(ssm.violations).toEqual([]);
  });

  test('a replacement that goes forward: the cleanup Delete of the old job drops the parameter the old job wrote', async () => {
    const { cfn, old, name } = await replaced();
    const cleanup = await cfn.cleanup(cfn.logicalIds[0]);
    expect(cleanup.event).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: old });
    expect(cleanup.status).toBe('SUCCESS');
    // The launch stack waits for the new job's first AMI, rather than launch from the old job's.
    expect(ssm.parameter(name)).toBeUndefined();
    expect(ssm.operations().slice(-2)).toEqual(['GetParameterHistory', 'DeleteParameter']);
    expect(ssm.violations).toEqual([]);
  });

  test('a replacement whose new job made an AMI before the cleanup: the cleanup Delete of the old job keeps it', async () => {
    const { cfn, fresh, name } = await replaced();
    completeRun(fresh, 'ami-0bbbbbbbbbbbbbbb1', 0);
    expectHandledQuietly(await cfn.invokeDirect(amiEvent(fresh, 'ami-0bbbbbbbbbbbbbbb1')));
    expect((await cfn.cleanup(cfn.logicalIds[0])).status).toBe('SUCCESS');
    expect(ssm.parameter(name)).toMatchObject({ value: 'ami-0bbbbbbbbbbbbbbb1', description: expect.stringContaining(`SMS replication job ${fresh},`) });
  });

  test('a Delete that cannot read who wrote the parameter (denied, or throttled to the end) succeeds, keeps it, and logs it', async () => {
    // A short function timeout, so that the throttled reads end within the test.
    const { cfn, names } = await stack({ Database: {}, Web: {} }, { functionTimeoutSeconds: 8 });
    for (const [i, ami] of [[0, 'ami-0aaaaaaaaaaaaaaa1'], [1, 'ami-0bbbbbbbbbbbbbbb1']] as const) {
      const job = jobIdOf((await cfn.create(cfn.logicalIds[i])).physicalResourceId!)!;
      completeRun(job, ami, 1);
      expectHandledQuietly(await cfn.invokeDirect(amiEvent(job, ami)));
    }
    ssm.failNext('GetParameterHistory', 'AccessDeniedException');
    const denied = await cfn.delete(cfn.logicalIds[0]);
    expect(denied.status).toBe('SUCCESS');
    expect(denied.logs).toContain('could not read which job wrote the latest-AMI parameter: kept');
    expect(denied.logs).toContain('AccessDeniedException');
    expect(ssm.parameter(names.Database)?.value).toBe('ami-0aaaaaaaaaaaaaaa1');

    ssm.failNext('GetParameterHistory', 'ThrottlingException', 10_000);
    const throttled = await cfn.delete(cfn.logicalIds[1]);
    expect(throttled.status).toBe('SUCCESS');
    expect(throttled.logs).toContain('could not read which job wrote the latest-AMI parameter: kept');
    expect(ssm.parameter(names.Web)?.value).toBe('ami-0bbbbbbbbbbbbbbb1');
    expect(ssm.operations()).not.toContain('DeleteParameter');
    expect(emulator.jobs().filter((j) => j.state !== 'DELETED')).toEqual([]);
  });
});

test('the writer is the current version\'s, read through every page of the parameter\'s history (SSM keeps its last 100)', async () => {
  const client = new SSMClient({ endpoint: ssm.endpoint, region: 'us-west-2', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  const name = '/cdk-sms-replication-job/Migration/Database1234ABCD/latest-ami';
  const deadline = () => Date.now() + 10_000;
  expect(await writerOfLatestAmi(name, deadline(), client)).toEqual({ exists: false });
  for (let i = 0; i < 120; i++) {
    const ami = `ami-0${i.toString(16).padStart(16, '0')}`;
    ssm.images.add(ami);
    await putLatestAmi(name, ami, i < 119 ? 'sms-job-0000000000000000a' : 'sms-job-0000000000000000b', deadline(), client);
  }
  expect(await writerOfLatestAmi(name, deadline(), client)).toEqual({ exists: true, jobId: 'sms-job-0000000000000000b' });
  expect(ssm.operations().filter((o) => o === 'GetParameterHistory')).toHaveLength(3);
  expect(ssm.violations).toEqual([]);
  client.destroy();
});
