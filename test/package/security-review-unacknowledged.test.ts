/**
 * Without the provider's acknowledgments, the packs report exactly the findings that README "Security review" lists:
 * each acknowledgment answers a finding the rules really make (none is stale), and the rules see the provider.
 */
import { App, Stack, aws_iam as iam } from 'aws-cdk-lib';
import { ReplicationJob } from '../../lib';
import { nagApp, synthFindings } from './synth-checks';

jest.mock('../../lib/private/nag', () => ({ acknowledge: () => undefined }));

test('unacknowledged, the provider draws exactly the six findings that it acknowledges', () => {
  const app: App = nagApp();
  const stack = new Stack(app, 'Review', { env: { region: 'us-west-2' } });
  new ReplicationJob(stack, 'A', { serverId: 's-1', seedReplicationTime: new Date('2027-01-04T02:00:00Z'), role: iam.Role.fromRoleName(stack, 'SmsRole', 'sms') });
  const findings = synthFindings(app).map((f) => `${f.severity} ${f.rule} ${f.path}`).sort();
  expect(findings).toEqual([
    'error AwsSolutions-IAM5[Resource::*] Review/SmsReplicationJobProvider/Policy/Resource',
    'error AwsSolutions-L1 Review/SmsReplicationJobProvider/Handler/Resource',
    'error Serverless-LambdaAsyncFailureDestination Review/SmsReplicationJobProvider/Handler/EventInvokeConfig/Resource',
    'error Serverless-LambdaDLQ Review/SmsReplicationJobProvider/Handler/Resource',
    'error Serverless-LambdaLatestVersion Review/SmsReplicationJobProvider/Handler/Resource',
    'warning Serverless-LambdaTracing Review/SmsReplicationJobProvider/Handler/Resource',
  ]);
});
