import { aws_iam as iam } from 'aws-cdk-lib';

/**
 * Whether the stack may attach a policy to `role`. An `iam.Role` (or `iam.LazyRole`) of the app takes policies. An
 * imported role takes a managed policy by calling its `attachToRole`, and a role that takes none (imported with
 * `mutable: false`, or `withoutPolicyUpdates()`) ignores it: asked with a stand-in that records the call, so that no
 * policy construct is made for a role that would leave it out of the template.
 */
export function takesPolicies(role: iam.IRole): boolean {
  if (role instanceof iam.Role || role instanceof iam.LazyRole) {
    return true;
  }
  let attached = false;
  const probe: Pick<iam.IManagedPolicy, 'managedPolicyArn'> & { attachToRole(): void } = {
    managedPolicyArn: 'arn:aws:iam::aws:policy/probe',
    attachToRole: () => {
      attached = true;
    },
  };
  role.addManagedPolicy(probe as unknown as iam.IManagedPolicy);
  return attached;
}
