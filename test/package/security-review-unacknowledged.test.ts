/**
 * Without the provider's acknowledgments, cdk-nag 3 (Validations) and cdk-nag 2 (Aspects) report exactly the findings
 * that README "Security review" lists: each acknowledgment answers a finding the rules really make (none is stale),
 * and both lines see the provider.
 */
import { App, aws_lambda as lambda } from 'aws-cdk-lib';
import { ReplicationJob } from '../../lib';
import { Setup } from '../locked-down';
import { stackWithJobs } from './review-stacks';
import { nagApp, nagV2App, synthFindings, synthFindingsV2 } from './synth-checks';

jest.mock('../../lib/private/nag', () => ({ acknowledge: () => undefined }));

const PROVIDER = 'Review/SmsReplicationJobProvider';
/** The findings of the provider under every pack, whatever its settings, once aws-cdk-lib knows a newer Node.js. */
const ALWAYS = [
  `error AwsSolutions-IAM5[Resource::*] ${PROVIDER}/ManagedPolicy/Resource`,
  `error AwsSolutions-L1 ${PROVIDER}/Handler/Resource`,
  `error Serverless-LambdaAsyncFailureDestination ${PROVIDER}/Handler/EventInvokeConfig/Resource`,
  `error Serverless-LambdaLatestVersion ${PROVIDER}/Handler/Resource`,
  `warning Serverless-LambdaTracing ${PROVIDER}/Handler/Resource`,
];
/** What the settings that have a cost answer, when they are left at their defaults (the packs cdk-nag 2 runs here in brackets). */
const UNSET = [
  `error Serverless-LambdaDLQ ${PROVIDER}/Handler/Resource`,
  `error NIST.800.53.R5-LambdaDLQ ${PROVIDER}/Handler/Resource`,
  `error HIPAA.Security-LambdaDLQ ${PROVIDER}/Handler/Resource`,
  `error NIST.800.53.R5-LambdaConcurrency ${PROVIDER}/Handler/Resource`,
  `error HIPAA.Security-LambdaConcurrency ${PROVIDER}/Handler/Resource`,
];
/** The provider's own log group, not encrypted with a key of yours. */
const OWN_LOG_GROUP = [
  `error NIST.800.53.R5-CloudWatchLogGroupEncrypted ${PROVIDER}/LogGroup/Resource`,
  `error HIPAA.Security-CloudWatchLogGroupEncrypted ${PROVIDER}/LogGroup/Resource`,
  `error PCI.DSS.321-CloudWatchLogGroupEncrypted ${PROVIDER}/LogGroup/Resource`,
];
/** Not in a VPC: never acknowledged, a VPC of yours answers it. */
const NO_VPC = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'].map((pack) => `error ${pack}-LambdaInsideVPC ${PROVIDER}/Handler/Resource`);
/** A log group given by name: its streams, on a resource that ends in a wildcard. */
const NAMED_LOG_GROUP = [
  `error AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:us-west-2:<AWS::AccountId>:log-group:/locked-down/sms-replication-job:*] ${PROVIDER}/ManagedPolicy/Resource`,
];

/** Jobs that offer their latest AMI: the provider's parameters, on a path that ends in a wildcard, and the rule's delivery. */
const LATEST_AMI = [
  `error AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:us-west-2:<AWS::AccountId>:parameter/cdk-sms-replication-job/Review/*] ${PROVIDER}/ManagedPolicy/Resource`,
  `error Serverless-EventBusDLQ ${PROVIDER}/AmiEvents/Resource`,
];

const V2_PACKS = /^(warning|error) (AwsSolutions|Serverless|NIST\.800\.53\.R5)-/;
const lines = [
  ['cdk-nag 3 (Validations)', () => nagApp(), synthFindings, () => true],
  ['cdk-nag 2 (Aspects)', () => nagV2App(), synthFindingsV2, (f: string) => V2_PACKS.test(f)],
] as const;

// The runtime acknowledgments (AwsSolutions-L1, Serverless-LambdaLatestVersion) answer the day aws-cdk-lib lists a
// Node.js runtime newer than the pinned nodejs24.x: the rules compare with the newest that aws-cdk-lib knows. Listing
// one here (every `new lambda.Runtime` joins `lambda.Runtime.ALL`) makes that day today.
beforeAll(() => new lambda.Runtime('nodejs26.x', lambda.RuntimeFamily.NODEJS));

describe.each(lines)('unacknowledged, with %s', (_, newApp, findingsOf, inPacks) => {
  const findings = (setup: Setup, latestAmi = false) => {
    const app: App = newApp();
    const stack = stackWithJobs(app, setup);
    if (latestAmi) void (stack.node.findChild('A') as ReplicationJob).latestAmiParameterName;
    return findingsOf(app).map((f) => `${f.severity} ${f.rule} ${f.path}`).sort();
  };

  test('the default provider draws exactly the findings that it acknowledges, and LambdaInsideVPC', () => {
    expect(findings('default')).toEqual([...ALWAYS, ...UNSET, ...OWN_LOG_GROUP, ...NO_VPC].filter(inPacks).sort());
  });

  test('in a VPC with its own role and a log group given by name, no LambdaInsideVPC and no log group of its own', () => {
    expect(findings('vpc')).toEqual([...ALWAYS, ...UNSET, ...NAMED_LOG_GROUP].filter(inPacks).sort());
  });

  test('in the compliant configuration, only what a custom resource provider cannot comply with', () => {
    expect(findings('compliant')).toEqual([...ALWAYS, ...NAMED_LOG_GROUP].filter(inPacks).sort());
  });

  test('with jobs that offer their latest AMI, the parameters\' path and the rule\'s delivery besides (ec2:DescribeImages joins *)', () => {
    expect(findings('compliant', true)).toEqual([...ALWAYS, ...NAMED_LOG_GROUP, ...LATEST_AMI].filter(inPacks).sort());
  });
});
