/**
 * The security review: cdk-nag 3's five packs (AwsSolutions, NIST 800-53 R5, HIPAA Security, PCI DSS 3.2.1,
 * Serverless) and aws-cdk-lib's template validation see the provider (it is built from L2 constructs). The compliant
 * configuration draws no finding in any pack, and the default only LambdaInsideVPC, which a VPC of yours answers; the
 * rest is complied with or acknowledged by the library, with a reason, on the one construct and for the one rule
 * concerned (README, "Compliance").
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, aws_iam as iam, aws_kms as kms, aws_lambda as lambda, aws_logs as logs } from 'aws-cdk-lib';
import { ReplicationJob, ReplicationJobProvider, SmsServer } from '../../lib';
import { SETUPS, Setup } from '../locked-down';
import { providerPolicy, stackWithJobs } from './review-stacks';
import { findingsIn, nagApp, synthFindings } from './synth-checks';

const ROOT = path.join(__dirname, '..', '..');

test('the example app (npx cdk synth, with cdk.json) passes both packs and template validation with no finding', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'example-'));
  try {
    // The CLI as users run it: cdk.json turns on @aws-cdk/core:validateAgainstDefaultRules; example/app.ts adds the packs.
    // `--build ''` skips cdk.json's build hook: npm test bundled the handler already, and bundling it again here would
    // replace assets/handler while other test files run it.
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '--build', '', '--output', outdir], { cwd: ROOT, stdio: 'pipe' });
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
    expect(fs.existsSync(path.join(outdir, 'SmsReplicationJobExample.template.json'))).toBe(true);
    expect(findingsIn(outdir)).toEqual([]);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}, 120_000);

const HANDLER = 'Review/SmsReplicationJobProvider/Handler/Resource';

test('by default, the five packs report only that the function is not in a VPC (NIST, HIPAA and PCI DSS LambdaInsideVPC)', () => {
  const app = nagApp();
  stackWithJobs(app, 'default');
  expect(synthFindings(app).map((f) => `${f.severity} ${f.rule} ${f.path}`).sort()).toEqual([
    `error HIPAA.Security-LambdaInsideVPC ${HANDLER}`,
    `error NIST.800.53.R5-LambdaInsideVPC ${HANDLER}`,
    `error PCI.DSS.321-LambdaInsideVPC ${HANDLER}`,
  ]);
});

test.each<Setup>(SETUPS.filter((s) => s !== 'default'))('in a VPC (%s), the five packs report nothing', (setup) => {
  const app = nagApp();
  stackWithJobs(app, setup);
  expect(synthFindings(app)).toEqual([]);
});

test('a deliberately widened provider policy is flagged', () => {
  const app = nagApp({}, ['AwsSolutions']);
  const stack = stackWithJobs(app);
  providerPolicy(stack).addStatements(new iam.PolicyStatement({ actions: ['sms:*'], resources: ['*'] }));
  expect(synthFindings(app)).toEqual([{
    plugin: 'AwsSolutions',
    rule: 'AwsSolutions-IAM5[Action::sms:*]',
    severity: 'error',
    path: 'Review/SmsReplicationJobProvider/ManagedPolicy/Resource',
  }]);
});

test('the acknowledgments are narrow: the same findings elsewhere in the stack are still flagged', () => {
  const app = nagApp();
  const stack = stackWithJobs(app);
  const fn = new lambda.Function(stack, 'Other', {
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    logGroup: new logs.LogGroup(stack, 'OtherLogs'),
  });
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sms:GetServers'], resources: ['*'] }));
  const rules = synthFindings(app).filter((f) => /^Review\/Other(Logs)?\//.test(f.path)).map((f) => f.rule).sort();
  expect(rules).toEqual(expect.arrayContaining([
    'AwsSolutions-IAM5[Resource::*]',
    'AwsSolutions-L1',
    'HIPAA.Security-CloudWatchLogGroupEncrypted',
    'HIPAA.Security-LambdaConcurrency',
    'HIPAA.Security-LambdaDLQ',
    'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
    'NIST.800.53.R5-LambdaConcurrency',
    'NIST.800.53.R5-LambdaDLQ',
    'PCI.DSS.321-CloudWatchLogGroupEncrypted',
    'Serverless-LambdaDLQ',
    'Serverless-LambdaLatestVersion',
    'Serverless-LambdaTracing',
  ]));
});

test.each<Setup>(['default', 'vpc'])('the acknowledged IAM5[Resource::*] (%s) covers only SMS actions and, in a VPC, Lambda\'s network-interface actions', (setup) => {
  const stack = stackWithJobs(new App(), setup);
  const statements = stack.resolve(providerPolicy(stack).document.toJSON()).Statement as any[];
  const onStar = statements.filter((s) => [s.Resource].flat().includes('*')).map((s) => [s.Action].flat());
  expect(onStar).toEqual([
    ['sms:CreateReplicationJob', 'sms:UpdateReplicationJob', 'sms:DeleteReplicationJob', 'sms:GetReplicationJobs'],
    ...setup === 'vpc' ? [['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses']] : [],
  ]);
});

test('template validation is on for the checks above: a template error is reported', () => {
  const app = nagApp({ '@aws-cdk/core:validateAgainstDefaultRules': true }, ['AwsSolutions']);
  const stack = stackWithJobs(app);
  const handler = ReplicationJobProvider.of(stack).handler.node.defaultChild as lambda.CfnFunction;
  handler.addPropertyOverride('MemorySize', 'lots');
  expect(synthFindings(app)).toEqual(expect.arrayContaining([expect.objectContaining({
    plugin: 'CloudFormation Validate',
    path: 'Review/SmsReplicationJobProvider/Handler/Resource',
  })]));
});

test('a job\'s role of the stack with an encryption key: the key\'s grants draw no finding in the five packs (a managed policy, not an inline one)', () => {
  const app = nagApp();
  const stack = stackWithJobs(app, 'compliant');
  const role = new iam.Role(stack, 'AmiRole', { assumedBy: new iam.ServicePrincipal('sms.amazonaws.com') });
  const key = new kms.Key(stack, 'AmiKey', { enableKeyRotation: true });
  new ReplicationJob(stack, 'Encrypted', { server: SmsServer.fromServerId('s-3'), seedReplicationTime: new Date('2027-01-04T02:00:00Z'), role, encryptionKey: key });
  const findings = synthFindings(app);
  expect(findings.filter((f) => /Review\/(AmiRole|SmsEbsKeyGrants)/.test(f.path)).map((f) => `${f.rule} ${f.path}`)).toEqual([]);
  expect(findings.filter((f) => /IAMNoInlinePolicy/.test(f.rule))).toEqual([]);
});
