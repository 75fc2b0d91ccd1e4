/**
 * The example stack: two replication jobs, one with every prop. example/app.ts synthesizes it with cdk-nag 3; the
 * security review tests also check it with cdk-nag 2 (test/package/security-review-v2.test.ts).
 */
import { Annotations, App, Duration, Stack, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { LicenseType, ReplicationJob } from '../lib';

export function exampleStack(app: App): Stack {
  const stack = new Stack(app, 'SmsReplicationJobExample', {
    env: { region: 'us-west-2' },
    description: 'Two AWS SMS replication jobs (cdk-sms-replication-job example)',
  });

  // The seed time must lie in the future when the job is created; a fixed date keeps the template stable.
  const seedReplicationTime = new Date('2027-01-04T02:00:00Z');

  const webServer = new ReplicationJob(stack, 'WebServer', {
    serverId: 's-12345678',
    seedReplicationTime,
  });

  const key = new kms.Key(stack, 'AmiKey', { enableKeyRotation: true, description: 'Encrypts the AMIs SMS creates' });
  const databaseServer = new ReplicationJob(stack, 'DatabaseServer', {
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

  // That fixed date lies more than 30 days ahead, which the construct flags as a likely mistake; here it is deliberate.
  for (const job of [webServer, databaseServer]) {
    Annotations.of(job).acknowledgeWarning('cdk-sms-replication-job:seedTimeFarAhead', 'a fixed date keeps the example template stable');
  }
  return stack;
}
