/**
 * Without the provider's acknowledgments, cdk-nag 3 (Validations) and cdk-nag 2 (Aspects) report exactly the findings
 * that README "Security review" lists: each acknowledgment answers a finding the rules really make (none is stale),
 * and both lines see the provider.
 */
import { App, aws_lambda as lambda } from 'aws-cdk-lib';
import { Setup } from '../locked-down';
import { stackWithJobs } from './review-stacks';
import { nagApp, nagV2App, synthFindings, synthFindingsV2 } from './synth-checks';

jest.mock('../../lib/private/nag', () => ({ acknowledge: () => undefined }));

const PROVIDER = 'Review/SmsReplicationJobProvider';
/** The findings of the provider in its default setup, once aws-cdk-lib knows a Node.js runtime newer than its own. */
const DEFAULT_FINDINGS = [
  `error AwsSolutions-IAM5[Resource::*] ${PROVIDER}/Policy/Resource`,
  `error AwsSolutions-L1 ${PROVIDER}/Handler/Resource`,
  `error Serverless-LambdaAsyncFailureDestination ${PROVIDER}/Handler/EventInvokeConfig/Resource`,
  `error Serverless-LambdaDLQ ${PROVIDER}/Handler/Resource`,
  `error Serverless-LambdaLatestVersion ${PROVIDER}/Handler/Resource`,
  `warning Serverless-LambdaTracing ${PROVIDER}/Handler/Resource`,
];
/** What a VPC and a log group given by name add: Lambda's network-interface actions, and the log group's streams. */
const VPC_FINDINGS = [
  `error AwsSolutions-IAM5[Resource::*] ${PROVIDER}/ServiceRole/DefaultPolicy/Resource`,
  `error AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:us-west-2:<AWS::AccountId>:log-group:/locked-down/sms-replication-job:*] ${PROVIDER}/Policy/Resource`,
];

const lines = [
  ['cdk-nag 3 (Validations)', nagApp, synthFindings],
  ['cdk-nag 2 (Aspects)', nagV2App, synthFindingsV2],
] as const;

// The runtime acknowledgments (AwsSolutions-L1, Serverless-LambdaLatestVersion) answer the day aws-cdk-lib lists a
// Node.js runtime newer than the pinned nodejs24.x: the rules compare with the newest that aws-cdk-lib knows. Listing
// one here (every `new lambda.Runtime` joins `lambda.Runtime.ALL`) makes that day today.
beforeAll(() => new lambda.Runtime('nodejs26.x', lambda.RuntimeFamily.NODEJS));

describe.each(lines)('unacknowledged, with %s', (_, newApp, findingsOf) => {
  const findings = (setup: Setup) => {
    const app: App = newApp();
    stackWithJobs(app, setup);
    return findingsOf(app).map((f) => `${f.severity} ${f.rule} ${f.path}`).sort();
  };

  test('the default provider draws exactly the six findings that it acknowledges', () => {
    expect(findings('default')).toEqual(DEFAULT_FINDINGS);
  });

  test('in a VPC with its own role and a log group given by name, the two more that it acknowledges', () => {
    expect(findings('vpc')).toEqual([...DEFAULT_FINDINGS, ...VPC_FINDINGS].sort());
  });
});
