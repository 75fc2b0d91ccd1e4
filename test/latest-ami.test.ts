import { App, CfnResource, Stack, aws_ec2 as ec2 } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ReplicationJob, ReplicationJobProvider, SmsServer } from '../lib';

/** Issue 37: a job's latest AMI as a machine image that another stack launches from, kept by one rule per stack. */

const env = { account: '123456789012', region: 'us-west-2' };
const SSM_IMAGE_TYPE = 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>';

function app(): App {
  return new App({ builtinCloudFormationValidation: false } as object);
}

function launchInstance(stack: Stack, image: ec2.IMachineImage): void {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-12345678', availabilityZones: ['us-west-2a'], privateSubnetIds: ['subnet-12345678'] });
  new ec2.Instance(stack, 'TestInstance', { vpc, instanceType: new ec2.InstanceType('t3.large'), machineImage: image });
}

test('a second stack launches from the job\'s latest AMI: an SSM-typed parameter of the fixed name, no export, and a dependency', () => {
  const a = app();
  const migration = new Stack(a, 'Migration', { env });
  const job = new ReplicationJob(migration, 'DatabaseServer', { server: SmsServer.fromServerId('s-12345678') });
  const launch = new Stack(a, 'Launch', { env });
  launchInstance(launch, job.latestAmi);

  const logicalId = migration.resolve((job.node.defaultChild as CfnResource).logicalId);
  const name = `/cdk-sms-replication-job/Migration/${logicalId}/latest-ami`;
  expect(job.latestAmiParameterName).toBe(name);
  const template = Template.fromStack(launch);
  const parameters = template.findParameters('*', { Type: SSM_IMAGE_TYPE, Default: name });
  expect(Object.keys(parameters)).toHaveLength(1);
  template.hasResourceProperties('AWS::EC2::Instance', { ImageId: { Ref: Object.keys(parameters)[0] } });
  // Nothing crosses the stacks but the name: no export, no import, and the launch stack is deployed after the job's.
  expect(Template.fromStack(migration).toJSON().Outputs).toBeUndefined();
  expect(JSON.stringify(template.toJSON())).not.toContain('Fn::ImportValue');
  expect(launch.dependencies).toEqual([migration]);
});

test('the job\'s stack: one rule for the AMI events to the provider, which knows its stack and may write its parameters only', () => {
  const stack = new Stack(app(), 'Migration', { env });
  const jobs = [1, 2, 3].map((i) => new ReplicationJob(stack, `Server${i}`, { server: SmsServer.fromServerId(`s-0000000${i}`) }));
  for (const job of jobs) void job.latestAmi;
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::Events::Rule', 1);
  const handler = Object.keys(template.findResources('AWS::Lambda::Function'))[0];
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: { 'source': ['aws.sms'], 'detail-type': ['Server Migration Job State Change'], 'detail': { 'ami-id': [{ exists: true }] } },
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [handler, 'Arn'] } })],
  });
  template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': [handler, 'Arn'] } });
  template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { LATEST_AMI_STACK_ID: { Ref: 'AWS::StackId' } } } });
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        {
          Effect: 'Allow',
          Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParameterHistory'],
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-west-2:123456789012:parameter/cdk-sms-replication-job/Migration/*']] },
        },
        // Which job each resource holds, for an AMI event: its own stack only.
        { Effect: 'Allow', Action: 'cloudformation:DescribeStackResource', Resource: { Ref: 'AWS::StackId' } },
        { Effect: 'Allow', Action: 'ec2:DescribeImages', Resource: '*' },
      ]),
    },
  });
});

test('a stack whose jobs do not offer their latest AMI has no rule, no environment and no SSM permission', () => {
  const stack = new Stack(app(), 'Migration', { env });
  new ReplicationJob(stack, 'Server', { server: SmsServer.fromServerId('s-00000001') });
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  for (const absent of ['AWS::Events::Rule', 'LATEST_AMI_STACK_ID', 'ssm:', 'ec2:DescribeImages', 'cloudformation:DescribeStackResource', 'AWS::Lambda::Permission']) expect(json).not.toContain(absent);
});

test('a latest AMI read after the provider was made (its handler read) still adds the rule and the permissions', () => {
  const stack = new Stack(app(), 'Migration', { env });
  const job = new ReplicationJob(stack, 'Server', { server: SmsServer.fromServerId('s-00000001') });
  void ReplicationJobProvider.of(stack).handler;
  void job.latestAmiParameterName;
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::Events::Rule', 1);
  expect(JSON.stringify(template.toJSON())).toContain('parameter/cdk-sms-replication-job/Migration/*');
});

test('480 jobs that all offer their latest AMI synthesize one rule, within CloudFormation\'s 500 resources', () => {
  const stack = new Stack(app(), 'Migration', { env });
  const started = Date.now();
  for (let i = 0; i < 480; i++) {
    const job = new ReplicationJob(stack, `Server${i}`, { server: SmsServer.fromServerId(`s-${(0x1000 + i).toString(16).padStart(8, '0')}`) });
    void job.latestAmi;
  }
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>;
  const ms = Date.now() - started;
  const types = Object.values(resources).map((r) => r.Type);
  expect(types.filter((t) => t === 'AWS::Events::Rule')).toHaveLength(1);
  expect(types.filter((t) => t === 'Custom::SmsReplicationJob')).toHaveLength(480);
  expect(types.length).toBeLessThanOrEqual(500);
  console.log(`480 jobs with their latest AMI: ${types.length} resources, synthesized in ${ms} ms`);
});

test('an imported job has no parameter this library keeps: reading its latest AMI fails, saying what to do instead', () => {
  const stack = new Stack(app(), 'Launch', { env });
  const job = ReplicationJob.fromReplicationJobId(stack, 'Imported', 'sms-job-0123456789abcdef0');
  expect(() => job.latestAmi).toThrow(/replication job sms-job-0123456789abcdef0 is imported, so this library keeps no parameter of its latest AMI.*MachineImage.fromSsmParameter/);
});

test('a stack of another region cannot resolve the parameter: refused at synthesis', () => {
  const a = app();
  const job = new ReplicationJob(new Stack(a, 'Migration', { env }), 'Server', { server: SmsServer.fromServerId('s-00000001') });
  const elsewhere = new Stack(a, 'Launch', { env: { ...env, region: 'us-east-1' } });
  expect(() => launchInstance(elsewhere, job.latestAmi)).toThrow(/whose parameter is in region us-west-2, but is in region us-east-1/);
});

test('launching in the job\'s own stack warns that the stack cannot deploy before the first AMI; Windows takes its own user data', () => {
  const stack = new Stack(app(), 'Migration', { env });
  const job = new ReplicationJob(stack, 'Server', { server: SmsServer.fromServerId('s-00000001') });
  launchInstance(stack, job.latestAmiImage({ os: ec2.OperatingSystemType.WINDOWS }));
  Annotations.fromStack(stack).hasWarning('/Migration/TestInstance', Match.stringLikeRegexp('every deployment of the stack fails until the job has made an AMI'));
  const instance = Template.fromStack(stack).findResources('AWS::EC2::Instance');
  expect(JSON.stringify(Object.values(instance)[0])).toContain('<powershell>');
});

test('a logical id overridden after the parameter was named fails synthesis, naming both', () => {
  const stack = new Stack(app(), 'Migration', { env });
  const job = new ReplicationJob(stack, 'Server', { server: SmsServer.fromServerId('s-00000001') });
  void job.latestAmiParameterName;
  (job.node.defaultChild as CfnResource).overrideLogicalId('Renamed');
  expect(() => Template.fromStack(stack)).toThrow(/its logical id changed to Renamed after its latest AMI's parameter was named after Server/);
});
