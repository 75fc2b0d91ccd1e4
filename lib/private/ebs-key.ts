import { CfnResource, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';

/**
 * What EBS needs of a customer managed key to encrypt the AMIs' snapshots for the role that copies them ("Requirements
 * for Amazon EBS encryption", Amazon EBS User Guide). Its `kms:ReEncrypt` is written out as the two actions, without a
 * wildcard. `kms:CreateGrant` is granted apart, for AWS resources only.
 */
const EBS_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlainText', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'];

/**
 * Lets the role SMS uses encrypt the AMIs with the key, as EBS requires, through `key.grant`, so aws-cdk-lib decides
 * where the statements go, as for any grant: the role's policy (a role imported by name or ARN is mutable by default:
 * a policy is attached to it), or the key's policy too when the role is in another account. A role imported with
 * `mutable: false` takes nothing, by its importer's choice. The job is created after the role's policy.
 */
export function grantKeyForEbs(key: kms.IKey, role: iam.IRole, job: CfnResource): void {
  const use = key.grant(role, ...EBS_KEY_ACTIONS);
  // EBS creates grants on the key for the volumes and snapshots it makes; nobody else may use this permission.
  const createGrant = key.grant(role, 'kms:CreateGrant');
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
