/** ReplicationJobProvider.configure: a provider for locked-down accounts (own role, VPC, log group), once per stack. */
import * as cdk from 'aws-cdk-lib';
import { App, Stack, aws_ec2 as ec2, aws_iam as iam, aws_kms as kms, aws_lambda as lambda, aws_logs as logs, aws_sqs as sqs } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { ReplicationJob, ReplicationJobProvider, ReplicationJobProviderProps, SmsServer } from '../lib';
import { cfnText } from '../lib/private/cfn-text';
import { importedVpc } from './locked-down';

const SEED = new Date(Date.now() + 3 * 86_400_000);
const WARNING_ID = 'cdk-sms-replication-job:providerRoleNotManaged';
const POLICY_ID = 'SmsReplicationJobProviderManagedPolicy343B0EF1';

function newStack(): Stack {
  return new Stack(new App(), 'Locked', { env: { account: '123456789012', region: 'us-west-2' } });
}

/** A stack whose provider has `settings` (none: the default provider), with a job that passes a role and one that does not. */
function stackWith(settings?: (stack: Stack) => ReplicationJobProviderProps): Stack {
  const stack = newStack();
  if (settings) ReplicationJobProvider.configure(stack, settings(stack));
  new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED, role: iam.Role.fromRoleName(stack, 'SmsRole', 'sms') });
  new ReplicationJob(stack, 'B', { server: SmsServer.fromServerId('s-2'), seedReplicationTime: SEED });
  return stack;
}

const immutableRole = (stack: Stack) => iam.Role.fromRoleName(stack, 'ProviderRole', 'sms-provider', { mutable: false });
const sg = (stack: Stack) => ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-0a1b2c3d4e5f60718');
const namedLogGroup = (stack: Stack) => logs.LogGroup.fromLogGroupName(stack, 'Logs', '/locked-down/sms-provider');

function functionOf(template: Template): { id: string; properties: any; dependsOn: string[] } {
  const [[id, fn]] = Object.entries(template.findResources('AWS::Lambda::Function'));
  return { id, properties: fn.Properties, dependsOn: fn.DependsOn ?? [] };
}

function warnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('/Locked/SmsReplicationJobProvider', Match.stringLikeRegexp('.*'))
    .map((m) => String(m.entry.data));
}

describe('configure', () => {
  /** A stack with two jobs, one passing a role and one named by its VM, and `settings` given before or after them. */
  function configuredStack(order: 'before' | 'after', settings: (stack: Stack) => ReplicationJobProviderProps): Stack {
    const stack = newStack();
    if (order === 'before') ReplicationJobProvider.configure(stack, settings(stack));
    new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED, role: iam.Role.fromRoleName(stack, 'SmsRole', 'sms') });
    new ReplicationJob(stack, 'B', { server: SmsServer.fromVmName('web-01'), seedReplicationTime: SEED });
    if (order === 'after') ReplicationJobProvider.configure(stack, settings(stack));
    return stack;
  }

  test('after the jobs, the template is the one configure before them makes, statement order included, whatever the order of the jobs', () => {
    for (const vmFirst of [false, true]) {
      const make = (order: 'before' | 'after') => {
        const stack = newStack();
        const settings = () => ({ logGroup: namedLogGroup(stack) });
        if (order === 'before') ReplicationJobProvider.configure(stack, settings());
        const jobs = [
          () => new ReplicationJob(stack, 'Vm', { server: SmsServer.fromVmName('web-01'), seedReplicationTime: SEED }),
          () => new ReplicationJob(stack, 'Role', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED, role: iam.Role.fromRoleName(stack, 'SmsRole', 'sms') }),
        ];
        for (const job of vmFirst ? jobs : jobs.reverse()) job();
        if (order === 'after') ReplicationJobProvider.configure(stack, settings());
        return Template.fromStack(stack).toJSON();
      };
      // Arrays (the policy's statements) compare in order; the order of the template's resources follows where the
      // provider's construct sits among the stack's children (made by configure, or by the first job), not its content.
      expect(make('after')).toEqual(make('before'));
    }
  });

  test('of() alone makes no resource: a stack without jobs, configure or a read handler has no provider in its template', () => {
    const stack = newStack();
    ReplicationJobProvider.of(stack);
    expect(Template.fromStack(stack).toJSON().Resources ?? {}).toEqual({});
  });

  test.each([
    ['a log group and reserved concurrency', (stack: Stack) => ({ logGroup: namedLogGroup(stack), reservedConcurrentExecutions: 5 })],
    ['a VPC and a dead-letter queue', (stack: Stack) => ({ vpc: importedVpc(stack), deadLetterQueue: new sqs.Queue(stack, 'Dlq') })],
    ['a role that takes no policies', (stack: Stack) => ({ role: immutableRole(stack) })],
  ])('after the stack\'s jobs, with %s, makes the very template configure before them makes', (_, settings) => {
    const after = configuredStack('after', settings);
    const before = configuredStack('before', settings);
    expect(Template.fromStack(after).toJSON()).toEqual(Template.fromStack(before).toJSON());
    expect(warnings(after)).toEqual(warnings(before));
    // What the jobs added before configure (iam:PassRole, the server catalog's actions) is in the policy or the warning.
    expect(JSON.stringify(Template.fromStack(after).toJSON()) + warnings(after).join()).toMatch(/iam:PassRole[\s\S]*sms:GetServers|sms:GetServers[\s\S]*iam:PassRole/);
  });

  test('of() before configure, from any scope, is the provider configure then sets up', () => {
    const stack = newStack();
    const early = ReplicationJobProvider.of(new Construct(stack, 'Deep'));
    new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED });
    const configured = ReplicationJobProvider.configure(stack, { logGroup: namedLogGroup(stack) });
    expect(configured).toBe(early);
    expect(ReplicationJobProvider.of(stack)).toBe(configured);
    expect(functionOf(Template.fromStack(stack)).properties.LoggingConfig.LogGroup).toBe('/locked-down/sms-provider');
    Template.fromStack(stack).resourceCountIs('AWS::Logs::LogGroup', 0);
  });

  test('again with the same settings returns the provider; with other settings it fails, naming both calls', () => {
    const stack = newStack();
    const logGroup = namedLogGroup(stack);
    const first = ReplicationJobProvider.configure(stack, { logGroup, reservedConcurrentExecutions: 5 });
    expect(ReplicationJobProvider.configure(new Construct(stack, 'Elsewhere'), { reservedConcurrentExecutions: 5, logGroup })).toBe(first);
    expect(() => ReplicationJobProvider.configure(new Construct(stack, 'Other'), { logGroup, reservedConcurrentExecutions: 6 })).toThrow(
      /^ReplicationJobProvider\.configure at Locked\/Other \(.*provider\.test\.ts:\d+:\d+\): the provider of stack Locked was configured at Locked \(.*provider\.test\.ts:\d+:\d+\) with other settings \(reservedConcurrentExecutions\); configure it once, or again with the same settings$/);
  });

  test('after the provider\'s handler was read, it fails, naming where: reading it made the provider with the defaults', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED });
    void ReplicationJobProvider.of(stack).handler;
    expect(() => ReplicationJobProvider.configure(stack, {})).toThrow(
      /^ReplicationJobProvider\.configure at Locked \(.*\): the provider of stack Locked was made with its default settings when its handler was read at Locked\/SmsReplicationJobProvider \(.*provider\.test\.ts:\d+:\d+\); call configure before reading the handler$/);
  });

  test('resources reached through the handler before configure are never replaced: nothing is made twice, so nothing is lost', () => {
    const stack = newStack();
    const provider = ReplicationJobProvider.configure(stack, { logGroup: namedLogGroup(stack) });
    new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED });
    (provider.handler.node.defaultChild as lambda.CfnFunction).addPropertyOverride('TracingConfig', { Mode: 'Active' });
    expect(functionOf(Template.fromStack(stack)).properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  test('subnets or security groups without a VPC fail, naming them', () => {
    const stack = newStack();
    expect(() => ReplicationJobProvider.configure(stack, { securityGroups: [sg(stack)], vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }))
      .toThrow('ReplicationJobProvider.configure: vpcSubnets and securityGroups given without vpc');
  });

  test('the jobs use the provider configured for their stack, from any scope in it', () => {
    const stack = newStack();
    const provider = ReplicationJobProvider.configure(stack, { logGroup: namedLogGroup(stack) });
    const job = new ReplicationJob(new Construct(stack, 'Migration'), 'Job', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED });
    expect(Stack.of(job).node.findChild('SmsReplicationJobProvider')).toBe(provider);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
  });

  test('the function keeps the default provider\'s logical id with any settings, so no job\'s ServiceToken changes', () => {
    const ids = [
      undefined,
      (s: Stack) => ({ logGroup: namedLogGroup(s) }),
      (s: Stack) => ({ role: immutableRole(s), vpc: importedVpc(s), securityGroups: [sg(s)], logGroup: namedLogGroup(s) }),
    ].map((settings) => {
      const template = Template.fromStack(stackWith(settings));
      const tokens = Object.values(template.findResources('Custom::SmsReplicationJob')).map((j) => j.Properties.ServiceToken);
      return { fn: functionOf(template).id, tokens };
    });
    expect(ids[0].fn).toBe('SmsReplicationJobProviderHandlerE15FE43C');
    for (const { fn, tokens } of ids) {
      expect(fn).toBe(ids[0].fn);
      expect(tokens).toEqual(ids[0].tokens);
    }
  });
});

describe('bring your own role', () => {
  test('an immutable imported role: no IAM role and no IAM policy in the template, the function runs as the role, jobs wait for the event age', () => {
    const template = Template.fromStack(stackWith((s) => ({ role: immutableRole(s) })));
    template.resourceCountIs('AWS::IAM::Role', 0);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    expect(functionOf(template).properties.Role).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:role/sms-provider']] });
    // Nothing in the stack makes the permissions. The jobs wait for the function (their ServiceToken) and, with no
    // policy to carry that dependency, for its EventInvokeConfig: the 6-minute event age is in force before their events.
    const [eventInvokeConfig] = Object.keys(template.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(eventInvokeConfig).toBeDefined();
    for (const job of Object.values(template.findResources('Custom::SmsReplicationJob'))) {
      expect(job.DependsOn).toEqual([eventInvokeConfig]);
    }
  });

  test('an immutable imported role draws one warning that lists exactly what the default role is granted', () => {
    const vpcSettings = (s: Stack) => ({ vpc: importedVpc(s), securityGroups: [sg(s)], logGroup: namedLogGroup(s) });
    const byo = stackWith((s) => ({ ...vpcSettings(s), role: immutableRole(s) }));
    const [message, ...more] = warnings(byo);
    expect(more).toEqual([]);
    expect(message).toMatch(/^The provider's function runs as arn:\$\{AWS::Partition\}:iam::123456789012:role\/sms-provider, which this stack does not change/);
    expect(message).toContain('must trust lambda.amazonaws.com');
    const listed = JSON.parse(/allow (\{.*\})\. README/.exec(message)![1]).Statement;

    // The same settings with the provider's own role: what its policies grant, written the same way.
    const own = Template.fromStack(stackWith(vpcSettings));
    const granted = Object.values(own.findResources('AWS::IAM::ManagedPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement)
      .map((s: any) => ({ ...s, Resource: cfnText(s.Resource) }));
    expect(listed).toEqual(expect.arrayContaining(granted));
    expect(granted).toEqual(expect.arrayContaining(listed));
    // Among them: iam:PassRole on the role a job names, to SMS only, and Lambda's network-interface actions.
    expect(listed).toContainEqual({
      Action: 'iam:PassRole',
      Condition: { StringEquals: { 'iam:PassedToService': 'sms.amazonaws.com' } },
      Effect: 'Allow',
      Resource: 'arn:${AWS::Partition}:iam::123456789012:role/sms',
    });
    expect(listed).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']), Resource: '*' }));
  });

  test('the warning can be acknowledged on the stack, once the role is known to hold those permissions', () => {
    const stack = newStack();
    ReplicationJobProvider.configure(stack, { role: immutableRole(stack) });
    new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED });
    // On the stack (a scope above the provider): aws-cdk-lib 2.176 matches acknowledgments only on a warning's ancestors.
    cdk.Annotations.of(stack).acknowledgeWarning(WARNING_ID, 'the security team granted it');
    expect(warnings(stack)).toEqual([]);
  });

  test('the provider\'s own role draws no such warning', () => {
    expect(warnings(stackWith())).toEqual([]);
  });

  test('a mutable imported role gets the provider\'s managed policy attached, which the function waits for', () => {
    const template = Template.fromStack(stackWith((s) => ({ role: iam.Role.fromRoleName(s, 'ProviderRole', 'sms-provider') })));
    template.resourceCountIs('AWS::IAM::Role', 0);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    expect(Object.keys(policies)).toEqual([POLICY_ID]);
    expect(policies[POLICY_ID].Properties.Roles).toEqual(['sms-provider']);
    // No name: CloudFormation gives each stack's policy its own, so stacks that share the role never overwrite each other's.
    expect(policies[POLICY_ID].Properties.ManagedPolicyName).toBeUndefined();
    expect(functionOf(template).dependsOn).toContain(POLICY_ID);
  });

  test.each([
    ['imported with mutable: false', (s: Stack) => immutableRole(s)],
    ['withoutPolicyUpdates()', (s: Stack) => new iam.Role(s, 'Own', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }).withoutPolicyUpdates()],
  ])('a role %s leaves no policy construct behind, not only none in the template', (_, role) => {
    const stack = newStack();
    ReplicationJobProvider.configure(stack, { role: role(stack) });
    new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED, role: iam.Role.fromRoleName(stack, 'SmsRole', 'sms') });
    const policies = stack.node.findAll().filter((c) => c instanceof iam.Policy || c instanceof iam.ManagedPolicy || c instanceof iam.CfnPolicy || c instanceof iam.CfnManagedPolicy);
    expect(policies.map((c) => c.node.path)).toEqual([]);
  });
});

describe('VPC', () => {
  test('the function runs in the given subnets with the given security groups', () => {
    const template = Template.fromStack(stackWith((s) => ({
      vpc: importedVpc(s),
      vpcSubnets: { subnets: [ec2.Subnet.fromSubnetId(s, 'Subnet', 'subnet-1a1b2c3d4e5f60718')] },
      securityGroups: [sg(s)],
    })));
    expect(functionOf(template).properties.VpcConfig).toEqual({
      SubnetIds: ['subnet-1a1b2c3d4e5f60718'],
      SecurityGroupIds: ['sg-0a1b2c3d4e5f60718'],
    });
  });

  test('without security groups, the function gets one that allows outbound traffic only', () => {
    const template = Template.fromStack(stackWith((s) => ({ vpc: importedVpc(s) })));
    expect(functionOf(template).properties.VpcConfig.SubnetIds).toEqual(['subnet-0a1b2c3d4e5f60718', 'subnet-1a1b2c3d4e5f60718']);
    const [group] = Object.values(template.findResources('AWS::EC2::SecurityGroup'));
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties.SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' }]);
  });

  test('the provider\'s role may manage the network interfaces, in the managed policy the function waits for', () => {
    const template = Template.fromStack(stackWith((s) => ({ vpc: importedVpc(s), securityGroups: [sg(s)] })));
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    expect(Object.keys(policies)).toEqual([POLICY_ID]);
    expect(policies[POLICY_ID].Properties.PolicyDocument.Statement).toContainEqual({
      Action: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      Effect: 'Allow',
      Resource: '*',
    });
    expect(functionOf(template).dependsOn).toContain(POLICY_ID);
  });
});

describe('log group', () => {
  test('the function logs to the given log group, which the policy names; the provider creates none', () => {
    const template = Template.fromStack(stackWith((s) => ({ logGroup: namedLogGroup(s) })));
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    expect(functionOf(template).properties.LoggingConfig).toEqual({ LogGroup: '/locked-down/sms-provider' });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-west-2:123456789012:log-group:/locked-down/sms-provider:*']] },
        }]),
      },
    });
  });
});

describe('compliance settings', () => {
  test('reservedConcurrentExecutions reserves the function\'s concurrency', () => {
    const template = Template.fromStack(stackWith(() => ({ reservedConcurrentExecutions: 5 })));
    expect(functionOf(template).properties.ReservedConcurrentExecutions).toBe(5);
  });

  test.each([0, -1, 2.5])('reservedConcurrentExecutions %p fails, echoing it and naming the fix', (value) => {
    const stack = newStack();
    expect(() => ReplicationJobProvider.configure(stack, { reservedConcurrentExecutions: value })).toThrow(
      `reservedConcurrentExecutions must be a whole number of at least 1, got ${value}; reserve at least as many as the stack has ReplicationJobs (plus the AMI events that may arrive at once, if they offer their latest AMI), or leave it out`);
  });

  test('a dead-letter queue: the function sends its failed events there, allowed by the managed policy, with the queue\'s key', () => {
    const template = Template.fromStack(stackWith((s) => ({
      deadLetterQueue: new sqs.Queue(s, 'Dlq', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: new kms.Key(s, 'DlqKey') }),
    })));
    const fn = functionOf(template);
    expect(fn.properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][0]).toMatch(/^Dlq/);
    // Lambda checks the role may send to the queue when it creates the function: the function waits for the policy.
    expect(fn.dependsOn).toContain(POLICY_ID);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const statements = template.findResources('AWS::IAM::ManagedPolicy')[POLICY_ID].Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual({ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: fn.properties.DeadLetterConfig.TargetArn });
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    expect(statements).toContainEqual({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });
});

describe('the escape hatch', () => {
  test('handler is the provider\'s function: a setting made on it reaches the template, keeping its logical id', () => {
    const stack = newStack();
    const provider = ReplicationJobProvider.configure(stack, {});
    new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED });
    (provider.handler.node.defaultChild as lambda.CfnFunction).addPropertyOverride('TracingConfig.Mode', 'Active');
    const fn = functionOf(Template.fromStack(stack));
    expect(fn.id).toBe('SmsReplicationJobProviderHandlerE15FE43C');
    expect(fn.properties.TracingConfig).toEqual({ Mode: 'Active' });
  });
});

test('a permissions boundary on the stack reaches the provider\'s role', () => {
  const stack = newStack();
  iam.PermissionsBoundary.of(stack).apply(iam.ManagedPolicy.fromManagedPolicyName(stack, 'Boundary', 'migration-boundary'));
  new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED });
  Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
    PermissionsBoundary: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:policy/migration-boundary']] },
  });
});
