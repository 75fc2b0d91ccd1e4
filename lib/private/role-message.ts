import { Stack, aws_iam as iam } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { cfnText } from './cfn-text';

/**
 * The synth warning for a provider role that the stack cannot change: what the role must already allow, as one IAM
 * policy document. CloudFormation references in it are written `${Name}` and `${LogicalId.Arn}`, as in `Fn::Sub`.
 */
export function byoRoleMessage(scope: IConstruct, role: iam.IRole, documents: iam.PolicyDocument[]): string {
  const stack = Stack.of(scope);
  const statements = documents.flatMap((d) => stack.resolve(d.toJSON())?.Statement ?? []).map((s: Record<string, any>) => ({
    ...s,
    Resource: Array.isArray(s.Resource) ? s.Resource.map((r: unknown) => cfnText(r)) : cfnText(s.Resource),
  }));
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: statements });
  return `The provider's function runs as ${cfnText(stack.resolve(role.roleArn))}, which this stack does not change: ` +
    'it creates no IAM policy for it. Before deploying, the role must trust lambda.amazonaws.com and allow ' +
    `${policy}. README, "Locked-down accounts", explains each statement.`;
}
