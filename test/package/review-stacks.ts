/** Stacks for the security review tests: jobs on a default provider, or on one set up for a locked-down account. */
import { App, Stack, aws_iam as iam } from 'aws-cdk-lib';
import { ReplicationJob, ReplicationJobProvider, SmsServer } from '../../lib';
import { Setup, settingsFor } from '../locked-down';

const SEED = new Date('2027-01-04T02:00:00Z');

/** A stack with two jobs, one that passes a role, on a provider set up as `setup`. */
export function stackWithJobs(app: App, setup: Setup = 'default'): Stack {
  const stack = new Stack(app, 'Review', { env: { region: 'us-west-2' } });
  const settings = settingsFor(stack, setup);
  if (settings) ReplicationJobProvider.configure(stack, settings);
  const role = iam.Role.fromRoleName(stack, 'SmsRole', 'sms');
  new ReplicationJob(stack, 'A', { server: SmsServer.fromServerId('s-1'), seedReplicationTime: SEED, role });
  new ReplicationJob(stack, 'B', { server: SmsServer.fromServerId('s-2'), seedReplicationTime: SEED });
  return stack;
}

/** The provider's one policy, as cdk-nag sees it. */
export function providerPolicy(stack: Stack): iam.ManagedPolicy {
  // Reading the handler makes the provider's resources now, rather than at synthesis.
  void ReplicationJobProvider.of(stack).handler;
  return stack.node.findChild('SmsReplicationJobProvider').node.findChild('ManagedPolicy') as iam.ManagedPolicy;
}
