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
 * Acknowledges findings of validation plugins (cdk-nag 3 rule packs) on one construct of the provider.
 *
 * `Validations.of(...).acknowledge()` is recent (the peer minimum, aws-cdk-lib 2.176, lacks it); where it is absent no
 * cdk-nag 3 can run either, so nothing is recorded. The README lists each acknowledgment and its reason.
 */
export function acknowledge(scope: IConstruct, ...findings: Acknowledgment[]): void {
  const validations = (cdk as { Validations?: typeof cdk.Validations }).Validations;
  if (typeof validations?.prototype?.acknowledge === 'function') {
    validations.of(scope).acknowledge(...findings);
  }
}
