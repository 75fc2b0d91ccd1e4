/**
 * Integration app: the synthesized output that review should see change. `npm test` synthesizes it and compares each
 * stack's template, asset hash included, with test/integ.replication-job.snapshot/ (test/package/integ-snapshot.test.ts);
 * `npm run integ:update` rewrites the snapshot after a deliberate change. It is laid out as an integ-runner test case,
 * but integ-runner 2.197 cannot read the cloud assembly of aws-cdk-lib 2.276, hence the comparison in jest.
 */
import { App, Duration, RemovalPolicy, Stack, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { LicenseType, ReplicationJob, SmsServer } from '../lib';

const app = new App();
const stack = new Stack(app, 'IntegSmsReplicationJob', { env: { account: '123456789012', region: 'us-west-2' } });
const seedReplicationTime = new Date('2027-01-04T02:00:00Z');

// The fewest props: only ServerId reaches the custom resource (SMS's service-linked role, first run as soon as possible).
new ReplicationJob(stack, 'Minimal', { server: SmsServer.fromServerId('s-11111111') });

// Every prop, with a role to pass and a key: the provider's policy gains iam:PassRole, the role's policy the key's use
// for EBS, the job KmsKeyId and Encrypted.
const role = new iam.Role(stack, 'SmsRole', { assumedBy: new iam.ServicePrincipal('sms.amazonaws.com') });
new ReplicationJob(stack, 'Full', {
  server: SmsServer.fromServerId('s-22222222'),
  seedReplicationTime,
  frequency: Duration.hours(24),
  licenseType: LicenseType.AWS,
  role,
  description: 'Every prop',
  numberOfRecentAmisToKeep: 270,
  encryptionKey: new kms.Key(stack, 'AmiKey', { enableKeyRotation: true }),
});

// A one-time job that is kept when removed from the stack, passing the same role: the policy does not grow.
new ReplicationJob(stack, 'RunOnceRetained', {
  server: SmsServer.fromServerId('s-33333333'),
  seedReplicationTime,
  runOnce: true,
  role,
  removalPolicy: RemovalPolicy.RETAIN,
});

app.synth();
