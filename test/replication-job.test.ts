import { App, CfnOutput, CfnParameter, CfnResource, Duration, RemovalPolicy, Stack, Token, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SEED_MARGIN_MS } from '../lambda/seed';
import { IReplicationJob, LicenseType, ReplicationJob, ReplicationJobProps, SmsServer } from '../lib';

const DAY = 86_400_000;
/** A seed time two days ahead, on the hour. */
const soon = () => new Date(Math.ceil((Date.now() + 2 * DAY) / 3_600_000) * 3_600_000);

function newStack(region = 'us-west-2'): Stack {
  return new Stack(new App(), 'TestStack', { env: { account: '123456789012', region } });
}

function jobsOf(template: Template) {
  return Object.values(template.findResources('Custom::SmsReplicationJob'));
}

describe('provider', () => {
  test('several jobs share one function, one role and one policy, with one custom resource each', () => {
    const stack = newStack();
    for (let i = 0; i < 3; i++) {
      new ReplicationJob(stack, `Job${i}`, { server: SmsServer.fromServerId(`s-0000000${i}`), seedReplicationTime: soon() });
    }
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.resourceCountIs('Custom::SmsReplicationJob', 3);
  });

  test('400 jobs synthesize to one function, one role, one policy and 400 custom resources', () => {
    const stack = newStack();
    const role = iam.Role.fromRoleName(stack, 'SmsRole', 'sms');
    for (let i = 0; i < 400; i++) {
      new ReplicationJob(stack, `Job${i}`, { server: SmsServer.fromServerId(`s-${String(i).padStart(8, '0')}`), seedReplicationTime: soon(), role });
    }
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.resourceCountIs('Custom::SmsReplicationJob', 400);
    expect(Object.keys(template.toJSON().Resources)).toHaveLength(400 + 5);
  });

  test('every job has the function as ServiceToken, a ten-minute ServiceTimeout and depends on the EventInvokeConfig', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    new ReplicationJob(stack, 'B', { server: SmsServer.fromServerId('s-2'), seedReplicationTime: soon() });
    const template = Template.fromStack(stack);
    const [fnId] = Object.keys(template.findResources('AWS::Lambda::Function'));
    const [configId] = Object.keys(template.findResources('AWS::Lambda::EventInvokeConfig'));
    for (const job of jobsOf(template)) {
      expect(job.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
      expect(job.Properties.ServiceTimeout).toEqual('600');
      expect(job.DependsOn).toEqual([configId]);
    }
  });

  test('the provider keeps its logical ids, which every ServiceToken names', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    const ids = Object.keys(Template.fromStack(stack).toJSON().Resources).filter((id) => id.startsWith('SmsReplicationJobProvider'));
    // Released logical ids: changing the function's changes the ServiceToken, which CloudFormation refuses on update.
    // The managed policy replaced the inline SmsReplicationJobProviderPolicy6AFC7B08 in a breaking release: a new
    // logical id, since CloudFormation does not change a resource's type in place.
    expect(ids.sort()).toEqual([
      'SmsReplicationJobProviderHandlerE15FE43C',
      'SmsReplicationJobProviderHandlerEventInvokeConfig9B0DB1EB',
      'SmsReplicationJobProviderLogGroup76E73248',
      'SmsReplicationJobProviderManagedPolicy343B0EF1',
      'SmsReplicationJobProviderServiceRoleAB06616B',
    ]);
  });

  test('the function runs the bundled handler on pinned nodejs24.x, x86_64, with its own log group', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['x86_64'],
      Handler: 'index.handler',
      Timeout: 180,
      MemorySize: 256,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^SmsReplicationJobProviderLogGroup') } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  test('an event Lambda holds back is dropped before the jobs\' ServiceTimeout, not run after it', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    const template = Template.fromStack(stack);
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    const [job] = jobsOf(template);
    const [config] = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
    const maxAge = config.Properties.MaximumEventAgeInSeconds;
    // The oldest event Lambda still runs must finish (age + the function's timeout) before CloudFormation gives up.
    expect(maxAge + fn.Properties.Timeout).toBeLessThan(Number(job.Properties.ServiceTimeout));
  });

  test('every job\'s events wait for the EventInvokeConfig, and through it for the function and its policy, with one DependsOn entry', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    new ReplicationJob(stack, 'B', { server: SmsServer.fromServerId('s-2'), seedReplicationTime: soon() });
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
    const [configId] = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::Lambda::EventInvokeConfig');
    // What CloudFormation creates before a resource: its DependsOn and every Ref / Fn::GetAtt it holds, transitively.
    const before = (id: string, seen = new Set<string>()): Set<string> => {
      const referenced = [...JSON.stringify(resources[id].Properties ?? {}).matchAll(/"(?:Ref|Fn::GetAtt)":\[?"([A-Za-z0-9]+)"/g)].map((m) => m[1]);
      const direct = [...(resources[id].DependsOn ?? []), ...referenced].filter((dep: string) => dep in resources && !seen.has(dep));
      for (const dep of direct) {
        seen.add(dep);
        before(dep, seen);
      }
      return seen;
    };
    const jobIds = Object.keys(resources).filter((id) => resources[id].Type === 'Custom::SmsReplicationJob');
    expect(jobIds).toHaveLength(2);
    for (const id of jobIds) {
      expect(before(id)).toContain(configId);
      expect(before(id)).toContain(Object.keys(resources).find((r) => resources[r].Type === 'AWS::IAM::ManagedPolicy'));
      expect(resources[id].DependsOn).toHaveLength(1);
    }
  });

  test('a seed time sent "as soon as possible" outlasts the function\'s timeout, so no retry carries a time already past', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1') });
    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(SEED_MARGIN_MS).toBeGreaterThan(fn.Properties.Timeout * 1000);
  });

  test('each stack gets its own provider', () => {
    const app = new App();
    const a = new Stack(app, 'A', { env: { region: 'us-west-2' } });
    const b = new Stack(app, 'B', { env: { region: 'us-west-2' } });
    new ReplicationJob(a, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    new ReplicationJob(b, 'Job', { server: SmsServer.fromServerId('s-2'), seedReplicationTime: soon() });
    Template.fromStack(a).resourceCountIs('AWS::Lambda::Function', 1);
    Template.fromStack(b).resourceCountIs('AWS::Lambda::Function', 1);
  });
});

describe('permissions', () => {
  function statements(stack: Stack): any[] {
    const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'));
    return policy.Properties.PolicyDocument.Statement;
  }

  test('the policy allows the four SMS actions on "*", DescribeStacks and DescribeStackEvents on its own stack and writing to its own log group', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayEquals([
          {
            Action: ['sms:CreateReplicationJob', 'sms:UpdateReplicationJob', 'sms:DeleteReplicationJob', 'sms:GetReplicationJobs'],
            Effect: 'Allow',
            Resource: '*',
          },
          {
            Action: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'],
            Effect: 'Allow',
            Resource: { Ref: 'AWS::StackId' },
          },
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SmsReplicationJobProviderLogGroup'), 'Arn'] },
          },
        ]),
      },
    });
  });

  test('iam:PassRole names each role once, however many jobs pass it, and only for SMS', () => {
    const stack = newStack();
    const shared = iam.Role.fromRoleName(stack, 'Shared', 'sms');
    const other = new iam.Role(stack, 'Other', { assumedBy: new iam.ServicePrincipal('sms.amazonaws.com') });
    for (let i = 0; i < 5; i++) {
      new ReplicationJob(stack, `Job${i}`, { server: SmsServer.fromServerId(`s-${i}`), seedReplicationTime: soon(), role: i === 4 ? other : shared });
    }
    // A second object for the same role name is the same role.
    new ReplicationJob(stack, 'Again', { server: SmsServer.fromServerId('s-9'), seedReplicationTime: soon(), role: iam.Role.fromRoleName(stack, 'SharedAgain', 'sms') });
    const passRole = statements(stack).filter((s) => s.Action === 'iam:PassRole');
    expect(passRole).toHaveLength(1);
    expect(passRole[0].Resource).toHaveLength(2);
    expect(passRole[0].Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sms.amazonaws.com' } });
  });

  test('without roles there is no iam:PassRole, and the policy does not grow with the number of jobs', () => {
    const sizes = [1, 50].map((n) => {
      const stack = newStack();
      for (let i = 0; i < n; i++) {
        new ReplicationJob(stack, `Job${i}`, { server: SmsServer.fromServerId(`s-${i}`), seedReplicationTime: soon() });
      }
      expect(statements(stack).some((s) => s.Action === 'iam:PassRole')).toBe(false);
      return JSON.stringify(statements(stack)).length;
    });
    expect(sizes[1]).toEqual(sizes[0]);
  });
});

describe('properties', () => {
  test('every prop reaches the custom resource in the API\'s terms', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const seed = soon();
    new ReplicationJob(stack, 'Job', {
      server: SmsServer.fromServerId('s-12345678'),
      seedReplicationTime: seed,
      frequency: Duration.hours(6),
      runOnce: false,
      licenseType: LicenseType.BYOL,
      role: iam.Role.fromRoleName(stack, 'Role', 'sms-replication'),
      description: 'web tier',
      numberOfRecentAmisToKeep: 3,
      encrypted: true,
      encryptionKey: key,
    });
    const [job] = jobsOf(Template.fromStack(stack));
    expect(job.Properties).toEqual({
      ServiceToken: expect.anything(),
      ServiceTimeout: '600',
      ServerId: 's-12345678',
      SeedReplicationTime: seed.toISOString(),
      Frequency: 6,
      RunOnce: false,
      LicenseType: 'BYOL',
      RoleName: 'sms-replication',
      Description: 'web tier',
      NumberOfRecentAmisToKeep: 3,
      Encrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
    });
  });

  test('minimal props send no optional property at all', () => {
    const stack = newStack();
    const seed = soon();
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: seed });
    const [job] = jobsOf(Template.fromStack(stack));
    expect(Object.keys(job.Properties).sort()).toEqual(['SeedReplicationTime', 'ServerId', 'ServiceTimeout', 'ServiceToken']);
  });

  test('a job with no seed time synthesizes without SeedReplicationTime', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1') });
    const [job] = jobsOf(Template.fromStack(stack));
    expect(Object.keys(job.Properties).sort()).toEqual(['ServerId', 'ServiceTimeout', 'ServiceToken']);
  });

  test('an encryption key implies encrypted', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon(), encryptionKey: new kms.Key(stack, 'Key') });
    expect(jobsOf(Template.fromStack(stack))[0].Properties.Encrypted).toBe(true);
  });

  test('a removal policy other than DESTROY becomes DeletionPolicy and UpdateReplacePolicy', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'Kept', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon(), removalPolicy: RemovalPolicy.RETAIN });
    new ReplicationJob(stack, 'Default', { server: SmsServer.fromServerId('s-2'), seedReplicationTime: soon() });
    const template = Template.fromStack(stack);
    template.hasResource('Custom::SmsReplicationJob', { Properties: { ServerId: 's-1' }, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    // DESTROY is CloudFormation's default, so the template leaves both out.
    template.hasResource('Custom::SmsReplicationJob', { Properties: { ServerId: 's-2' }, DeletionPolicy: Match.absent(), UpdateReplacePolicy: Match.absent() });
  });

  test('applyRemovalPolicy, e.g. from an Aspect, reaches the custom resource', () => {
    const stack = newStack();
    const job = new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    job.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Template.fromStack(stack).hasResource('Custom::SmsReplicationJob', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('tokens pass through unchecked', () => {
    const stack = newStack();
    const server = new CfnParameter(stack, 'ServerId');
    const amis = new CfnParameter(stack, 'Amis', { type: 'Number' });
    const hours = new CfnParameter(stack, 'Hours', { type: 'Number' });
    new ReplicationJob(stack, 'Job', {
      server: SmsServer.fromServerId(server.valueAsString),
      seedReplicationTime: soon(),
      numberOfRecentAmisToKeep: amis.valueAsNumber,
      frequency: Duration.hours(hours.valueAsNumber),
    });
    const [job] = jobsOf(Template.fromStack(stack));
    expect(job.Properties.ServerId).toEqual({ Ref: 'ServerId' });
    expect(job.Properties.NumberOfRecentAmisToKeep).toEqual({ Ref: 'Amis' });
    expect(job.Properties.Frequency).toEqual({ Ref: 'Hours' });
  });
});

describe('attributes and imports', () => {
  test('replicationJobId is a token that resolves to the custom resource\'s ReplicationJobId attribute, not its Ref', () => {
    const stack = newStack();
    const job = new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    expect(Token.isUnresolved(job.replicationJobId)).toBe(true);
    new CfnOutput(stack, 'JobId', { value: job.replicationJobId });
    const template = Template.fromStack(stack);
    const [logicalId] = Object.keys(template.findResources('Custom::SmsReplicationJob'));
    // The physical id of an adopted job ends in /adopted (lambda/physical-id.ts); the attribute is the job's id alone.
    template.hasOutput('JobId', { Value: { 'Fn::GetAtt': [logicalId, 'ReplicationJobId'] } });
  });

  test('fromReplicationJobId refers to an existing job', () => {
    const stack = newStack();
    const job: IReplicationJob = ReplicationJob.fromReplicationJobId(stack, 'Existing', 'sms-job-0123456789abcdef0');
    expect(job.replicationJobId).toEqual('sms-job-0123456789abcdef0');
    expect(job.stack).toBe(stack);
    // Nothing is created: no custom resource, no provider (the stack would synthesize empty).
    expect(stack.node.findAll().filter((c) => CfnResource.isCfnResource(c) || c.node.id === 'SmsReplicationJobProvider')).toEqual([]);
  });
});

test('fromReplicationJobId refuses what is not a job ID, and takes a token', () => {
  const stack = newStack();
  expect(() => ReplicationJob.fromReplicationJobId(stack, 'Bad', 's-12345678'))
    .toThrow(/fromReplicationJobId at TestStack\/Bad: replicationJobId must be an SMS replication job ID such as sms-job-0123456789abcdef0, got "s-12345678"/);
  const id = new CfnParameter(stack, 'JobId').valueAsString;
  expect(ReplicationJob.fromReplicationJobId(stack, 'FromParameter', id).replicationJobId).toBe(id);
});

describe('validation', () => {
  const base = (): ReplicationJobProps => ({ server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
  const attempt = (props: Partial<ReplicationJobProps>) => () => {
    const stack = newStack();
    new ReplicationJob(stack, 'Job', { ...base(), ...props });
  };

  test.each([
    ['frequency is not whole hours', { frequency: Duration.minutes(90) }, /TestStack\/Job: frequency must be a whole number of hours from 1 to 24, got 1 hour 30 minutes; use Duration.hours\(1\) to Duration.hours\(24\), such as Duration.hours\(2\)/],
    ['frequency is below one hour', { frequency: Duration.minutes(30) }, /frequency must be a whole number of hours from 1 to 24, got 30 minutes; use Duration.hours\(1\) to Duration.hours\(24\), such as Duration.hours\(1\)/],
    ['frequency is five minutes', { frequency: Duration.minutes(5) }, /got 5 minutes; use Duration.hours\(1\) to Duration.hours\(24\), such as Duration.hours\(1\)$/],
    ['frequency is above 24 hours', { frequency: Duration.hours(25) }, /frequency must be a whole number of hours from 1 to 24, got 1 day 1 hour; use Duration.hours\(1\) to Duration.hours\(24\), such as Duration.hours\(24\)/],
    ['frequency is combined with runOnce', { frequency: Duration.hours(2), runOnce: true }, /frequency \(2 hours\) cannot be combined with runOnce: true/],
    ['numberOfRecentAmisToKeep is negative', { numberOfRecentAmisToKeep: -1 }, /numberOfRecentAmisToKeep must be a whole number from 0 to 270, got -1/],
    ['numberOfRecentAmisToKeep is fractional', { numberOfRecentAmisToKeep: 2.5 }, /numberOfRecentAmisToKeep must be a whole number from 0 to 270, got 2.5/],
    ['numberOfRecentAmisToKeep is above 270', { numberOfRecentAmisToKeep: 271 }, /numberOfRecentAmisToKeep must be a whole number from 0 to 270, got 271/],
    ['serverId, removed in 1.0.0, is given', { serverId: 's-12345678', server: undefined },
      /TestStack\/Job: serverId was removed in 1.0.0, got serverId "s-12345678"; give server: SmsServer.fromServerId\("s-12345678"\) instead, which writes the same template \(no job is replaced\)/],
    ['seedReplicationTime is an invalid Date', { seedReplicationTime: new Date('not a date') }, /seedReplicationTime must be a valid Date, got an invalid Date/],
    ['removalPolicy is SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT }, /removalPolicy must be .* got SNAPSHOT/],
  ])('fails when %s', (_, props, message) => {
    expect(attempt(props as Partial<ReplicationJobProps>)).toThrow(message);
  });

  test('fails when an encryption key is combined with encrypted: false', () => {
    const stack = newStack();
    expect(() => new ReplicationJob(stack, 'Job', { ...base(), encrypted: false, encryptionKey: new kms.Key(stack, 'Key') }))
      .toThrow(/encryptionKey cannot be combined with encrypted: false/);
  });

  test.each([
    ['1 hour', Duration.hours(1)],
    ['24 hours', Duration.hours(24)],
    ['a day expressed in minutes', Duration.minutes(1440)],
  ])('accepts a frequency of %s', (_, frequency) => {
    expect(attempt({ frequency })).not.toThrow();
  });

  test('accepts 0 and 270 AMIs to keep', () => {
    expect(attempt({ numberOfRecentAmisToKeep: 0 })).not.toThrow();
    expect(attempt({ numberOfRecentAmisToKeep: 270 })).not.toThrow();
  });
});

describe('warnings', () => {
  function warningsOf(stack: Stack): string[] {
    return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
  }

  test.each([
    ['no seed time', undefined],
    ['a seed time soon', soon()],
    ['a seed time years past', new Date(Date.now() - 3 * 365 * DAY)],
    ['a seed time a year ahead', new Date(Date.now() + 365 * DAY)],
  ])('%s, in a region with SMS, draws no warning: none depends on the calendar', (_, seedReplicationTime) => {
    const stack = newStack();
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime });
    expect(warningsOf(stack)).toEqual([]);
  });

  test('a region where SMS had no endpoint draws a warning; an unknown region does not', () => {
    const stack = newStack('eu-west-1');
    new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    expect(warningsOf(stack)).toEqual([expect.stringMatching(/SMS had no endpoint in eu-west-1.*us-west-2, cn-north-1, us-gov-west-1/)]);

    const agnostic = new Stack(new App(), 'Agnostic');
    new ReplicationJob(agnostic, 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: soon() });
    expect(warningsOf(agnostic)).toEqual([]);
  });
});
