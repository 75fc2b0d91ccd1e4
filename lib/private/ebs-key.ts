import { createHash } from 'node:crypto';
import { CfnResource, Stack, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { takesPolicies } from './role';

/**
 * What EBS needs of a customer managed key to encrypt the AMIs' snapshots for the role that copies them ("Requirements
 * for Amazon EBS encryption", Amazon EBS User Guide). Its `kms:ReEncrypt` is written out as the two actions, without a
 * wildcard. `kms:CreateGrant` is granted apart, for AWS resources only.
 */
const EBS_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlainText', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'];

/** The stack's managed policies of key grants, by role (the role's ARN, resolved). */
const POLICIES = Symbol.for('cdk-sms-replication-job.ebsKeyPolicies');

/**
 * Lets the role SMS uses encrypt the AMIs with the key, as EBS requires, through `key.grant`, so aws-cdk-lib decides
 * where the statements go, as for any grant: the role's side, or the key's policy too when the role is in another
 * account. The role's side is a customer managed policy, one per role in each stack, attached to the role, not the
 * role's inline default policy: the compliance packs' IAMNoInlinePolicy reports inline policies. A role imported with
 * `mutable: false` takes nothing, by its importer's choice. The job is created after the policy.
 */
export function grantKeyForEbs(key: kms.IKey, role: iam.IRole, job: CfnResource): void {
  const grantee = takesPolicies(role) ? new ManagedPolicyGrantee(role, policyOf(Stack.of(job), role)) : role;
  const use = key.grant(grantee, ...EBS_KEY_ACTIONS);
  // EBS creates grants on the key for the volumes and snapshots it makes; nobody else may use this permission.
  const createGrant = key.grant(grantee, 'kms:CreateGrant');
  for (const statement of [createGrant.principalStatement, createGrant.resourceStatement]) {
    statement?.addCondition('Bool', { 'kms:GrantIsForAWSResource': true });
  }
  // The first run may start minutes after the job is created: the role's policy is in place before then. (A key
  // policy statement needs nothing: KmsKeyId names the key, so the job already follows it and its policy.)
  for (const grant of [use, createGrant]) {
    if (!grant.resourceStatement) {
      grant.applyBefore(job);
    }
  }
}

/** The stack's managed policy of key grants for `role`, made with the first job that needs it. */
function policyOf(stack: Stack, role: iam.IRole): iam.ManagedPolicy {
  const holder = stack as Stack & { [POLICIES]?: Map<string, iam.ManagedPolicy> };
  holder[POLICIES] ??= new Map();
  const arn = JSON.stringify(stack.resolve(role.roleArn));
  let policy = holder[POLICIES].get(arn);
  if (!policy) {
    policy = new iam.ManagedPolicy(stack, `SmsEbsKeyGrants${createHash('sha256').update(arn).digest('hex').slice(0, 8)}`, {
      description: `What EBS needs of the keys that encrypt the AMIs of the SMS replication jobs of stack ${stack.stackName} (cdk-sms-replication-job)`,
    });
    policy.attachToRole(role);
    holder[POLICIES].set(arn, policy);
  }
  return policy;
}

/**
 * The role, as a grantee whose statements go to a managed policy attached to it: the same principal (account, policy
 * fragment) for aws-cdk-lib's choice of where a grant goes, with the role's own side written elsewhere.
 */
class ManagedPolicyGrantee implements iam.IPrincipal {
  public readonly grantPrincipal: iam.IPrincipal = this;
  public readonly assumeRoleAction: string;
  public readonly policyFragment: iam.PrincipalPolicyFragment;
  public readonly principalAccount: string | undefined;

  constructor(role: iam.IRole, private readonly policy: iam.ManagedPolicy) {
    this.assumeRoleAction = role.grantPrincipal.assumeRoleAction;
    this.policyFragment = role.grantPrincipal.policyFragment;
    this.principalAccount = role.grantPrincipal.principalAccount;
  }

  addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }

  addToPolicy(statement: iam.PolicyStatement): boolean {
    return this.addToPrincipalPolicy(statement).statementAdded;
  }
}
