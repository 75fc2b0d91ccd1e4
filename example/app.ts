/**
 * The example app that `npx cdk synth` runs (see cdk.json): a stack with two replication jobs, one with every prop.
 */
import { App, Duration, Stack, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { LicenseType, ReplicationJob } from '../lib';

const app = new App();
const stack = new Stack(app, 'SmsReplicationJobExample', {
  env: { region: 'us-west-2' },
  description: 'Two AWS SMS replication jobs (cdk-sms-replication-job example)',
});

// The seed time must lie in the future when the job is created; a fixed date keeps the template stable.
const seedReplicationTime = new Date('2027-01-04T02:00:00Z');

new ReplicationJob(stack, 'WebServer', {
  serverId: 's-12345678',
  seedReplicationTime,
});

const key = new kms.Key(stack, 'AmiKey', { enableKeyRotation: true, description: 'Encrypts the AMIs SMS creates' });
new ReplicationJob(stack, 'DatabaseServer', {
  serverId: 's-87654321',
  seedReplicationTime,
  frequency: Duration.hours(12),
  runOnce: false,
  licenseType: LicenseType.BYOL,
  role: iam.Role.fromRoleName(stack, 'SmsRole', 'sms'),
  description: 'Nightly replication of the database server',
  numberOfRecentAmisToKeep: 5,
  encrypted: true,
  encryptionKey: key,
});

app.synth();
