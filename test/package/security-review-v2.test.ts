/**
 * The security review with cdk-nag 2 (2.38.2, Aspects), the line most projects still pin: it reads the provider's
 * acknowledgments from the `cdk_nag` metadata of its resources, as cdk-nag 3 reads them from `Validations`.
 */
import { App, aws_iam as iam } from 'aws-cdk-lib';
import { exampleStack } from '../../example/stack';
import { Setup } from '../locked-down';
import { providerPolicy, stackWithJobs } from './review-stacks';
import { nagV2App, synthFindingsV2 } from './synth-checks';

test('the example app has no unacknowledged cdk-nag 2 finding', () => {
  const app = nagV2App();
  exampleStack(app);
  expect(synthFindingsV2(app)).toEqual([]);
});

test.each<Setup>(['default', 'vpc', 'vpc and imported role'])('the provider (%s) draws no cdk-nag 2 finding beyond those it acknowledges', (setup) => {
  const app: App = nagV2App();
  stackWithJobs(app, setup);
  expect(synthFindingsV2(app)).toEqual([]);
});

test('a deliberately widened provider policy is flagged by cdk-nag 2', () => {
  const app = nagV2App();
  providerPolicy(stackWithJobs(app)).addStatements(new iam.PolicyStatement({ actions: ['sms:*'], resources: ['*'] }));
  expect(synthFindingsV2(app)).toEqual([{
    plugin: 'AwsSolutions',
    rule: 'AwsSolutions-IAM5[Action::sms:*]',
    severity: 'error',
    path: 'Review/SmsReplicationJobProvider/Policy/Resource',
  }]);
});
