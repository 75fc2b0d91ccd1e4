/**
 * Provider settings of a locked-down account, shared by the construct, partition, security review and lifecycle tests:
 * an imported VPC and security group, a log group and (optionally) a role given by name.
 */
import { Stack, aws_ec2 as ec2, aws_iam as iam, aws_logs as logs, aws_sqs as sqs } from 'aws-cdk-lib';
import { ReplicationJobProviderProps } from '../lib';

/**
 * How the provider is set up: by default; in a VPC with its own role; in a VPC with an imported role the stack can
 * change or cannot change; or compliant (README "Compliance": every setting that a compliance pack asks for).
 */
export type Setup = 'default' | 'vpc' | 'vpc and imported role' | 'vpc and changeable imported role' | 'compliant';

export const SETUPS: Setup[] = ['default', 'vpc', 'vpc and imported role', 'vpc and changeable imported role', 'compliant'];

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
    role: setup === 'vpc' || setup === 'compliant' ? undefined
      : iam.Role.fromRoleName(stack, 'ProviderRole', 'sms-replication-job-provider', { mutable: setup === 'vpc and changeable imported role' }),
    ...setup === 'compliant' ? {
      reservedConcurrentExecutions: 5,
      deadLetterQueue: sqs.Queue.fromQueueAttributes(stack, 'ProviderDlq', {
        queueArn: `arn:aws:sqs:${stack.region}:123456789012:sms-replication-job-provider-dlq`,
        keyArn: `arn:aws:kms:${stack.region}:123456789012:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`,
      }),
    } : {},
  };
}
