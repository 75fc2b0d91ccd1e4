/**
 * The security review with cdk-nag 2 (2.38.2, Aspects), the line most projects still pin, with its AwsSolutions,
 * NIST 800-53 R5 and Serverless packs: it reads the provider's acknowledgments from the `cdk_nag` metadata of its
 * resources, as cdk-nag 3 reads them from `Validations`.
 */
import { App, aws_iam as iam } from 'aws-cdk-lib';
import { exampleStack } from '../../example/stack';
import { SETUPS, Setup } from '../locked-down';
import { providerPolicy, stackWithJobs } from './review-stacks';
import { nagV2App, synthFindingsV2 } from './synth-checks';

test('the example app has no unacknowledged cdk-nag 2 finding (AwsSolutions, Serverless)', () => {
  const app = nagV2App(['AwsSolutions', 'Serverless']);
  exampleStack(app);
  expect(synthFindingsV2(app)).toEqual([]);
});

test('by default, cdk-nag 2 reports only NIST.800.53.R5-LambdaInsideVPC', () => {
  const app: App = nagV2App();
  stackWithJobs(app, 'default');
  expect(synthFindingsV2(app).map((f) => `${f.severity} ${f.rule} ${f.path}`)).toEqual([
    'error NIST.800.53.R5-LambdaInsideVPC Review/SmsReplicationJobProvider/Handler/Resource',
  ]);
});

test.each<Setup>(SETUPS.filter((s) => s !== 'default'))('in a VPC (%s), cdk-nag 2 reports nothing', (setup) => {
  const app: App = nagV2App();
  stackWithJobs(app, setup);
  expect(synthFindingsV2(app)).toEqual([]);
});

test('a deliberately widened provider policy is flagged by cdk-nag 2', () => {
  const app = nagV2App(['AwsSolutions']);
  providerPolicy(stackWithJobs(app)).addStatements(new iam.PolicyStatement({ actions: ['sms:*'], resources: ['*'] }));
  expect(synthFindingsV2(app)).toEqual([{
    plugin: 'AwsSolutions',
    rule: 'AwsSolutions-IAM5[Action::sms:*]',
    severity: 'error',
    path: 'Review/SmsReplicationJobProvider/ManagedPolicy/Resource',
  }]);
});
