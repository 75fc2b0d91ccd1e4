/**
 * The standard escape hatches of aws-cdk-lib work on a ReplicationJob: `job.node.defaultChild` is its `CfnResource`
 * (property overrides, `cfnOptions`), and the library registers nothing when it is imported.
 */
import { App, CfnResource, Stack, aws_lambda as lambda } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

const SEED = new Date('2027-01-04T02:00:00Z');

// First in the file, which imports the library nowhere else before: jest loads each test file with its own modules, so
// this require is the library's first load, with the aws-cdk-lib this file imported.
test('importing the library adds no runtime to lambda.Runtime.ALL', () => {
  const before = lambda.Runtime.ALL.map((r) => r.name);
  require('../lib');
  expect(lambda.Runtime.ALL.map((r) => r.name)).toEqual(before);
});

test('a provider adds nodejs24.x to lambda.Runtime.ALL only where aws-cdk-lib lacks it, and never twice', () => {
  const { ReplicationJob, SmsServer } = require('../lib');
  const known = lambda.Runtime.ALL.filter((r) => r.name === 'nodejs24.x').length;
  for (const name of ['A', 'B']) {
    const stack = new Stack(new App(), name);
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x' });
  }
  expect(lambda.Runtime.ALL.filter((r) => r.name === 'nodejs24.x')).toHaveLength(Math.max(known, 1));
});

test('job.node.defaultChild is the CfnResource: a property override and cfnOptions reach the template, under the same logical id', () => {
  const { ReplicationJob, SmsServer } = require('../lib');
  const stack = new Stack(new App(), 'Hatch');
  const job = new ReplicationJob(stack, 'Db', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED });
  const resource = job.node.defaultChild;
  expect(CfnResource.isCfnResource(resource)).toBe(true);
  (resource as CfnResource).addPropertyOverride('Description', 'set through the escape hatch');
  (resource as CfnResource).cfnOptions.condition = undefined;
  (resource as CfnResource).cfnOptions.metadata = { reviewed: 'yes' };
  const jobs = Template.fromStack(stack).findResources('Custom::SmsReplicationJob');
  // The logical id a CustomResource's Resource/Default had (aws-cdk-lib leaves Default out): no job is replaced.
  expect(Object.keys(jobs)).toEqual(['Db5D02A0A9']);
  expect(jobs.Db5D02A0A9.Properties.Description).toBe('set through the escape hatch');
  expect(jobs.Db5D02A0A9.Metadata).toEqual({ reviewed: 'yes' });
  // The job's id is the resource's ReplicationJobId attribute (an adopted job's physical id says more: lambda/physical-id.ts).
  expect(Stack.of(job).resolve(job.replicationJobId)).toEqual(Stack.of(job).resolve((resource as CfnResource).getAtt('ReplicationJobId')));
});

describe('errors and state as aws-cdk-lib users know them', () => {
  const { ReplicationJob, ReplicationJobProvider, SmsServer } = require('../lib');
  const { Duration, aws_iam: iam } = require('aws-cdk-lib');

  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    throw new Error('nothing was thrown');
  };

  test.each([
    ['a ReplicationJob prop', (s: Stack) => new ReplicationJob(s, 'Job', { server: SmsServer.fromServerId('s-1'), frequency: Duration.minutes(5) }), 'Errors/Job'],
    ['a duplicate server', (s: Stack) => {
      new ReplicationJob(s, 'First', { server: SmsServer.fromServerId('s-1') });
      new ReplicationJob(s, 'Second', { server: SmsServer.fromServerId('s-1') });
    }, undefined],
    ['a second configure with other settings', (s: Stack) => {
      ReplicationJobProvider.configure(s, {});
      ReplicationJobProvider.configure(s, { reservedConcurrentExecutions: 2 });
    }, 'Errors'],
  ])('%s fails with a ValidationError that names the construct', (_, make, path) => {
    const stack = new Stack(new App(), 'Errors');
    const error = thrown(() => make(stack)) as Error & { constructPath?: string };
    expect(error.name).toBe('ValidationError');
    if (path) expect(error.constructPath).toBe(path);
  });

  test('a role of an account that a token stands for cannot be compared: no error', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const role = iam.Role.fromRoleArn(stack, 'SmsRole', 'arn:aws:iam::210987654321:role/MigrationReplication');
    expect(() => new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), role })).not.toThrow();
  });

  test('the claims on servers are kept on the app, not in the library: two apps may each replicate a server', () => {
    const apps = [new App(), new App()];
    for (const app of apps) new ReplicationJob(new Stack(app, 'S', { env: { account: '123456789012', region: 'us-west-2' } }), 'Job', { server: SmsServer.fromServerId('s-1') });
    for (const app of apps) {
      expect([...(app as any)[Symbol.for('cdk-sms-replication-job.serverClaims')].values()]).toEqual(['S/Job']);
    }
  });
});
