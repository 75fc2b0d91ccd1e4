import { App, CfnParameter, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ExistingJobPolicy, ReplicationJob, SmsServer } from '../lib';

/** Issue 11 at synth time: one job per server in an app, and the props of a job that adopts an existing one. */

const DAY = 86_400_000;
const soon = () => new Date(Math.ceil((Date.now() + 2 * DAY) / 3_600_000) * 3_600_000);
const env = { account: '123456789012', region: 'us-west-2' };

describe('two jobs for one server fail synthesis, naming both', () => {
  test('in one stack', () => {
    const stack = new Stack(new App(), 'Jobs', { env });
    new ReplicationJob(stack, 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() });
    expect(() => new ReplicationJob(stack, 'DbAgain', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() }))
      .toThrow("ReplicationJob Jobs/DbAgain: server SmsServer.fromServerId('s-12345678') is already replicated by ReplicationJob Jobs/Db "
        + '(same account 123456789012 and region us-west-2), and SMS allows one replication job per server.');
  });

  test('in one environment-agnostic stack', () => {
    const stack = new Stack(new App(), 'Jobs');
    new ReplicationJob(stack, 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() });
    expect(() => new ReplicationJob(stack, 'DbAgain', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() }))
      .toThrow(/Jobs\/DbAgain: server SmsServer\.fromServerId\('s-12345678'\) is already replicated by ReplicationJob Jobs\/Db \(same stack Jobs\)/);
  });

  test('in two stacks of one app with the same explicit account and region, also in another stage', () => {
    const app = new App();
    new ReplicationJob(new Stack(app, 'First', { env }), 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() });
    const second = new Stack(app, 'Second', { env });
    expect(() => new ReplicationJob(second, 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() }))
      .toThrow(/Second\/Db: server SmsServer\.fromServerId\('s-12345678'\) is already replicated by ReplicationJob First\/Db \(same account 123456789012 and region us-west-2\)/);
    const staged = new Stack(new Stage(app, 'Prod'), 'Third', { env });
    expect(() => new ReplicationJob(staged, 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() }))
      .toThrow(/Prod\/Third\/Db: .* already replicated by ReplicationJob First\/Db/);
  });

  test('not across accounts, regions, environment-agnostic stacks, apps, or for different servers', () => {
    const app = new App();
    new ReplicationJob(new Stack(app, 'A', { env }), 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() });
    new ReplicationJob(new Stack(app, 'OtherAccount', { env: { ...env, account: '210987654321' } }), 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() });
    new ReplicationJob(new Stack(app, 'OtherRegion', { env: { ...env, region: 'us-gov-west-1' } }), 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() });
    new ReplicationJob(new Stack(app, 'Agnostic1'), 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() });
    new ReplicationJob(new Stack(app, 'Agnostic2'), 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() });
    new ReplicationJob(new Stack(app, 'B', { env }), 'Web', { server: SmsServer.fromServerId('s-87654321'), seedReplicationTime: soon() });
    new ReplicationJob(new Stack(new App(), 'A', { env }), 'Db', { server: SmsServer.fromServerId('s-12345678'), seedReplicationTime: soon() });
    expect(app.node.findAll().filter((c) => c instanceof ReplicationJob)).toHaveLength(6);
  });

  test('server ids that are tokens are not guessed at', () => {
    const stack = new Stack(new App(), 'Jobs', { env });
    const server = new CfnParameter(stack, 'Server').valueAsString;
    new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId(server), seedReplicationTime: soon() });
    new ReplicationJob(stack, 'B', { server: SmsServer.fromServerId(server), seedReplicationTime: soon() });
    Template.fromStack(stack).resourceCountIs('Custom::SmsReplicationJob', 2);
  });
});

describe('existingJob', () => {
  function jobOf(stack: Stack) {
    return Object.values(Template.fromStack(stack).findResources('Custom::SmsReplicationJob'))[0];
  }

  test('FAIL, the default, writes nothing and keeps DESTROY and the policy as they were', () => {
    const byDefault = new Stack(new App(), 'Jobs', { env });
    new ReplicationJob(byDefault, 'Db', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    const explicit = new Stack(new App(), 'Jobs', { env });
    new ReplicationJob(explicit, 'Db', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon(), existingJob: ExistingJobPolicy.FAIL });
    for (const stack of [byDefault, explicit]) {
      const job = jobOf(stack);
      expect(job.Properties.ExistingJob).toBeUndefined();
      expect(job.DeletionPolicy).toBeUndefined();
    }
    expect(Template.fromStack(explicit).toJSON()).toEqual(Template.fromStack(byDefault).toJSON());
  });

  test('ADOPT reaches the handler, and retains the job by default except when the operation that created it rolls back', () => {
    const stack = new Stack(new App(), 'Jobs', { env });
    new ReplicationJob(stack, 'Db', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon(), existingJob: ExistingJobPolicy.ADOPT });
    const job = jobOf(stack);
    expect(job.Properties.ExistingJob).toBe('ADOPT');
    expect(job.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(job.UpdateReplacePolicy).toBe('Retain');
  });

  test('ADOPT with an explicit RETAIN writes the earlier default, DeletionPolicy Retain', () => {
    const stack = new Stack(new App(), 'Jobs', { env });
    new ReplicationJob(stack, 'Db', {
      server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon(), existingJob: ExistingJobPolicy.ADOPT, removalPolicy: RemovalPolicy.RETAIN,
    });
    const job = jobOf(stack);
    expect(job.DeletionPolicy).toBe('Retain');
    expect(job.UpdateReplacePolicy).toBe('Retain');
  });

  test('ADOPT with an explicit DESTROY deletes on removal (no DeletionPolicy written)', () => {
    const stack = new Stack(new App(), 'Jobs', { env });
    new ReplicationJob(stack, 'Db', {
      server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon(), existingJob: ExistingJobPolicy.ADOPT, removalPolicy: RemovalPolicy.DESTROY,
    });
    const job = jobOf(stack);
    expect(job.Properties.ExistingJob).toBe('ADOPT');
    expect(job.DeletionPolicy).toBeUndefined();
    expect(job.UpdateReplacePolicy).toBeUndefined();
  });

  test('a past seed time draws no warning, with ADOPT or without (synthesis never reads the clock)', () => {
    const past = new Date(Date.now() - 30 * DAY);
    for (const existingJob of [ExistingJobPolicy.ADOPT, ExistingJobPolicy.FAIL]) {
      const stack = new Stack(new App(), 'Jobs', { env });
      new ReplicationJob(stack, 'Db', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: past, existingJob });
      expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    }
  });
});
