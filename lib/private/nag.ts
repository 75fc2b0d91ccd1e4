import * as cdk from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A finding of a cdk-nag rule pack that the provider's design causes, with why it is accepted. */
export interface Acknowledgment {
  /** The finding's id, with the one resource or action it concerns where the rule reports several. */
  readonly id: string;
  /** Why the finding is accepted: shown in the validation report beside the finding. */
  readonly reason: string;
}

/**
 * Acknowledges findings of cdk-nag rule packs on one construct of the provider, for both lines of cdk-nag:
 *
 * - cdk-nag 3 (validation plugins): `Validations.of(...).acknowledge()`. It is recent (the peer minimum, aws-cdk-lib
 *   2.176, lacks it); where it is absent no cdk-nag 3 can run either, so nothing is recorded.
 * - cdk-nag 2 (Aspects): the `cdk_nag` metadata of the construct's CloudFormation resource, which cdk-nag 2 reads
 *   (`rules_to_suppress`, with `applies_to` for the one wildcard of a granular rule such as IAM5). It is what
 *   `NagSuppressions.addResourceSuppressions` writes, so suppressions added there by users join these.
 *
 * The README lists each acknowledgment and its reason.
 */
export function acknowledge(scope: IConstruct, ...findings: Acknowledgment[]): void {
  const validations = (cdk as { Validations?: typeof cdk.Validations }).Validations;
  if (typeof validations?.prototype?.acknowledge === 'function') {
    validations.of(scope).acknowledge(...findings);
  }

  const resource = cdk.CfnResource.isCfnResource(scope) ? scope : scope.node.defaultChild as cdk.CfnResource;
  const suppressions = findings.map(({ id, reason }) => {
    // "AwsSolutions-IAM5[Resource::*]" is rule AwsSolutions-IAM5, applying to Resource::* only.
    const [, rule, appliesTo] = /^([^[]+)(?:\[(.+)\])?$/.exec(id)!;
    return appliesTo ? { id: rule, reason, applies_to: [appliesTo] } : { id: rule, reason };
  });
  const existing = resource.getMetadata('cdk_nag')?.rules_to_suppress ?? [];
  resource.addMetadata('cdk_nag', { rules_to_suppress: [...existing, ...suppressions] });
}
