/** Stacks for the security review tests: jobs on a default provider, and on providers configured for locked-down accounts. */
import { App, Stack, aws_ec2 as ec2, aws_iam as iam, aws_logs as logs } from 'aws-cdk-lib';
import { ReplicationJob, ReplicationJobProvider, ReplicationJobProviderProps } from '../../lib';

const SEED = new Date('2027-01-04T02:00:00Z');

/** How the provider is set up: by default, in a VPC with its own role, or in a VPC with a role the stack cannot change. */
export type Setup = 'default' | 'vpc' | 'vpc and imported role';

/** A VPC imported by its attributes, with two private subnets and their route tables. */
export function importedVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    availabilityZones: [`${stack.region}a`, `${stack.region}b`],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-1a1b2c3d4e5f60718'],
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60718', 'rtb-1a1b2c3d4e5f60718'],
  });
}

/** Provider settings for `setup`; the imported role and log group have fixed names. */
export function settingsFor(stack: Stack, setup: Setup): ReplicationJobProviderProps | undefined {
  if (setup === 'default') return undefined;
  const vpc = importedVpc(stack);
  return {
    vpc,
    securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'ProviderSg', 'sg-0a1b2c3d4e5f60718')],
    logGroup: logs.LogGroup.fromLogGroupName(stack, 'ProviderLogs', '/locked-down/sms-replication-job'),
    role: setup === 'vpc' ? undefined
      : iam.Role.fromRoleName(stack, 'ProviderRole', 'sms-replication-job-provider', { mutable: false }),
  };
}

/** A stack with two jobs, one that passes a role, on a provider set up as `setup`. */
export function stackWithJobs(app: App, setup: Setup = 'default'): Stack {
  const stack = new Stack(app, 'Review', { env: { region: 'us-west-2' } });
  const settings = settingsFor(stack, setup);
  if (settings) ReplicationJobProvider.configure(stack, settings);
  const role = iam.Role.fromRoleName(stack, 'SmsRole', 'sms');
  new ReplicationJob(stack, 'A', { serverId: 's-1', seedReplicationTime: SEED, role });
  new ReplicationJob(stack, 'B', { serverId: 's-2', seedReplicationTime: SEED });
  return stack;
}

/** The provider's one policy, as cdk-nag sees it. */
export function providerPolicy(stack: Stack): iam.Policy {
  return stack.node.findChild('SmsReplicationJobProvider').node.findChild('Policy') as iam.Policy;
}
