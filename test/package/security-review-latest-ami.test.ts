/**
 * The security review of a stack whose jobs offer their latest AMI (issue 37): the rule, the permission that lets it
 * invoke the function, and the SSM and EC2 statements of the provider's policy. cdk-nag 3's five packs and cdk-nag 2's
 * three see no more than in a stack without it (security-review.test.ts, security-review-v2.test.ts): nothing in
 * a compliant setup, only LambdaInsideVPC by default. The launch stack's instance is the user's, and not reviewed here.
 */
import { App, Stack, aws_ec2 as ec2 } from 'aws-cdk-lib';
import { ReplicationJob } from '../../lib';
import { Setup } from '../locked-down';
import { providerPolicy, stackWithJobs } from './review-stacks';
import { nagApp, nagV2App, synthFindings, synthFindingsV2 } from './synth-checks';

const HANDLER = 'Review/SmsReplicationJobProvider/Handler/Resource';

/** The review stack, each job offering its latest AMI, which a second stack launches from. */
function withLatestAmi(app: App, setup: Setup): void {
  const stack = stackWithJobs(app, setup);
  const launch = new Stack(app, 'Launch', { env: { region: 'us-west-2' } });
  for (const job of stack.node.children.filter((c): c is ReplicationJob => c instanceof ReplicationJob)) {
    new ec2.CfnInstance(launch, `From${job.node.id}`, { imageId: job.latestAmi.getImage(launch).imageId });
  }
}

const ofReview = (findings: Array<{ path: string }>) => findings.filter((f) => f.path.startsWith('Review/'));

test('cdk-nag 3, five packs: by default only LambdaInsideVPC; compliant, nothing', () => {
  const byDefault = nagApp();
  withLatestAmi(byDefault, 'default');
  expect(ofReview(synthFindings(byDefault)).map((f: any) => `${f.rule} ${f.path}`).sort()).toEqual([
    `HIPAA.Security-LambdaInsideVPC ${HANDLER}`,
    `NIST.800.53.R5-LambdaInsideVPC ${HANDLER}`,
    `PCI.DSS.321-LambdaInsideVPC ${HANDLER}`,
  ]);
  const compliant = nagApp();
  withLatestAmi(compliant, 'compliant');
  expect(ofReview(synthFindings(compliant))).toEqual([]);
});

test('cdk-nag 2: by default only NIST LambdaInsideVPC; compliant, nothing', () => {
  const byDefault = nagV2App();
  withLatestAmi(byDefault, 'default');
  expect(ofReview(synthFindingsV2(byDefault)).map((f: any) => `${f.rule} ${f.path}`)).toEqual([`NIST.800.53.R5-LambdaInsideVPC ${HANDLER}`]);
  const compliant = nagV2App();
  withLatestAmi(compliant, 'compliant');
  expect(ofReview(synthFindingsV2(compliant))).toEqual([]);
});

test('the acknowledged IAM5[Resource::*] gains ec2:DescribeImages only; the SSM actions name the stack\'s own parameters, DescribeStackResource its own stack', () => {
  const stack = stackWithJobs(new App(), 'default');
  void (stack.node.findChild('A') as ReplicationJob).latestAmi;
  const statements = stack.resolve(providerPolicy(stack).document.toJSON()).Statement as any[];
  expect(statements.filter((s) => [s.Resource].flat().includes('*')).map((s) => [s.Action].flat())).toEqual([
    ['sms:CreateReplicationJob', 'sms:UpdateReplicationJob', 'sms:DeleteReplicationJob', 'sms:GetReplicationJobs'],
    ['ec2:DescribeImages'],
  ]);
  expect(statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('ssm:')))).toEqual([{
    Effect: 'Allow',
    Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParameterHistory'],
    Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-west-2:', { Ref: 'AWS::AccountId' }, ':parameter/cdk-sms-replication-job/Review/*']] },
  }]);
  // The AMI event's read of the job its resource holds: on the stack's own ARN, as the other cloudformation: actions.
  expect(statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('cloudformation:')))).toEqual([
    { Effect: 'Allow', Action: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'], Resource: { Ref: 'AWS::StackId' } },
    { Effect: 'Allow', Action: 'cloudformation:DescribeStackResource', Resource: { Ref: 'AWS::StackId' } },
  ]);
});
