import { App, Stack, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ReplicationJob, SmsServer } from '../lib';

/** With both `role` and `encryptionKey`, the role gets what EBS needs of the key, the way aws-cdk-lib grants a key. */

const EBS_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlainText', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'];

function newStack(): Stack {
  return new Stack(new App(), 'TestStack', { env: { account: '123456789012', region: 'us-west-2' } });
}

/** Every statement of every IAM policy (inline or managed) in the template that names a kms: action. */
function kmsStatementsInIamPolicies(template: Template): any[] {
  return [...Object.values(template.findResources('AWS::IAM::Policy')), ...Object.values(template.findResources('AWS::IAM::ManagedPolicy'))]
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => JSON.stringify(s.Action).includes('kms:'));
}

function keyPolicyOf(template: Template): any[] {
  const [key] = Object.values(template.findResources('AWS::KMS::Key'));
  return key.Properties.KeyPolicy.Statement;
}

const keyArnOf = (stack: Stack, key: kms.Key) => ({ 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] });

test('a role of the stack gets the EBS actions on the key, and kms:CreateGrant only for AWS resources, in a managed policy', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'Key');
  const role = new iam.Role(stack, 'SmsRole', { assumedBy: new iam.ServicePrincipal('sms.amazonaws.com') });
  new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), role, encryptionKey: key });
  const template = Template.fromStack(stack);
  // Not an inline policy of the role: the compliance packs' IAMNoInlinePolicy reports those.
  template.resourceCountIs('AWS::IAM::Policy', 0);
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as iam.CfnRole) }],
    PolicyDocument: {
      Statement: Match.arrayEquals([
        { Action: EBS_ACTIONS, Effect: 'Allow', Resource: keyArnOf(stack, key) },
        { Action: 'kms:CreateGrant', Effect: 'Allow', Resource: keyArnOf(stack, key), Condition: { Bool: { 'kms:GrantIsForAWSResource': true } } },
      ]),
    },
  });
});

test('a role imported by name gets them in a policy attached to that name; the key policy is unchanged', () => {
  const bare = newStack();
  new kms.Key(bare, 'Key');

  const stack = newStack();
  const key = new kms.Key(stack, 'Key');
  new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), role: iam.Role.fromRoleName(stack, 'SmsRole', 'MigrationReplication'), encryptionKey: key });
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: ['MigrationReplication'],
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: EBS_ACTIONS, Resource: keyArnOf(stack, key) })]) },
  });
  expect(keyPolicyOf(template)).toEqual(keyPolicyOf(Template.fromStack(bare)));
});

test('a role in another account is refused at synth, with the reason: SMS looks the role name up in the job\'s account', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'Key');
  const role = iam.Role.fromRoleArn(stack, 'SmsRole', 'arn:aws:iam::210987654321:role/MigrationReplication');
  expect(() => new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), role, encryptionKey: key })).toThrow(
    'role arn:aws:iam::210987654321:role/MigrationReplication is in account 210987654321, and the job in account ' +
    `${stack.account}: SMS receives only the role's name (RoleName) and looks it up in the job's own account`);
});

test('a role imported with mutable: false takes nothing, by its importer\'s choice, and the key policy is unchanged', () => {
  const bare = newStack();
  new kms.Key(bare, 'Key');

  const stack = newStack();
  const role = iam.Role.fromRoleArn(stack, 'SmsRole', 'arn:aws:iam::123456789012:role/MigrationReplication', { mutable: false });
  new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), role, encryptionKey: new kms.Key(stack, 'Key') });
  const template = Template.fromStack(stack);
  expect(kmsStatementsInIamPolicies(template)).toEqual([]);
  expect(keyPolicyOf(template)).toEqual(keyPolicyOf(Template.fromStack(bare)));
});

test('without a role, or without a key, nothing is granted on any key', () => {
  const bare = newStack();
  new kms.Key(bare, 'Key');

  const keyOnly = newStack();
  new ReplicationJob(keyOnly, 'Job', { server: SmsServer.fromServerId('s-1'), encryptionKey: new kms.Key(keyOnly, 'Key') });
  expect(kmsStatementsInIamPolicies(Template.fromStack(keyOnly))).toEqual([]);
  expect(keyPolicyOf(Template.fromStack(keyOnly))).toEqual(keyPolicyOf(Template.fromStack(bare)));

  const roleOnly = newStack();
  new ReplicationJob(roleOnly, 'Job', { server: SmsServer.fromServerId('s-1'), role: iam.Role.fromRoleName(roleOnly, 'SmsRole', 'MigrationReplication') });
  expect(kmsStatementsInIamPolicies(Template.fromStack(roleOnly))).toEqual([]);
});

test('the job is created after the grant is in place', () => {
  const stack = newStack();
  const role = new iam.Role(stack, 'SmsRole', { assumedBy: new iam.ServicePrincipal('sms.amazonaws.com') });
  new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1'), role, encryptionKey: new kms.Key(stack, 'Key') });
  const template = Template.fromStack(stack);
  const [grantPolicy] = Object.keys(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^SmsRole') }] } }));
  expect(grantPolicy).toBeDefined();
  const [job] = Object.values(template.findResources('Custom::SmsReplicationJob'));
  expect(job.DependsOn).toContain(grantPolicy);
});

test('twenty jobs that share a role and a key attach one managed policy to the role, whatever the number of jobs', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'Key');
  const role = new iam.Role(stack, 'SmsRole', { assumedBy: new iam.ServicePrincipal('sms.amazonaws.com') });
  const other = new kms.Key(stack, 'OtherKey');
  for (let i = 0; i < 20; i++) new ReplicationJob(stack, `Job${i}`, { server: SmsServer.fromServerId(`s-${i}`), role, encryptionKey: i % 2 ? key : other });
  const template = Template.fromStack(stack);
  const policies = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^SmsRole') }] } });
  expect(Object.keys(policies)).toHaveLength(1);
  // Both keys, each statement once.
  const statements = (Object.values(policies)[0] as any).Properties.PolicyDocument.Statement;
  expect(statements).toHaveLength(4);
  for (const job of Object.values(template.findResources('Custom::SmsReplicationJob')) as any[]) {
    expect(job.DependsOn).toContain(Object.keys(policies)[0]);
  }
});
