/**
 * The example stack: two replication jobs, one with every prop. example/app.ts synthesizes it with cdk-nag 3; the
 * security review tests also check it with cdk-nag 2 (test/package/security-review-v2.test.ts).
 */
import { App, Duration, Stack, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { LicenseType, ReplicationJob, SmsServer } from '../lib';

export function exampleStack(app: App): Stack {
  const stack = new Stack(app, 'SmsReplicationJobExample', {
    env: { region: 'us-west-2' },
    description: 'Two AWS SMS replication jobs (cdk-sms-replication-job example)',
  });

  // The fewest props: the first run starts as soon as SMS accepts the job, under SMS's service-linked role.
  new ReplicationJob(stack, 'WebServer', {
    server: SmsServer.fromServerId('s-12345678'),
  });

  const key = new kms.Key(stack, 'AmiKey', { enableKeyRotation: true, description: 'Encrypts the AMIs SMS creates' });
  new ReplicationJob(stack, 'DatabaseServer', {
    server: SmsServer.fromServerId('s-87654321'),
    // Read when the job is created; once that date has passed, a new deployment starts the first run as soon as possible.
    seedReplicationTime: new Date('2027-01-04T02:00:00Z'),
    frequency: Duration.hours(12),
    runOnce: false,
    licenseType: LicenseType.BYOL,
    // A role made for SMS outside this app; it is granted the key's use for EBS.
    role: iam.Role.fromRoleName(stack, 'SmsRole', 'MigrationReplication'),
    description: 'Nightly replication of the database server',
    numberOfRecentAmisToKeep: 5,
    encrypted: true,
    encryptionKey: key,
  });

  return stack;
}
