/**
 * Where the provider keeps each job's latest AMI: one SSM parameter per job, named at synthesis from the stack's name
 * and the job's logical id, which the provider reads back from the job's marker (lambda/latest-ami.ts). The construct
 * and the handler compute the name with this one function.
 */

/** The path under which every parameter of this library lies; the provider's role may write under its stack's only. */
export const LATEST_AMI_PREFIX = '/cdk-sms-replication-job';

/**
 * The environment variable that tells the provider its stack keeps its jobs' latest AMIs: its value is the stack's id,
 * which an EventBridge event (unlike a CloudFormation one) does not carry. Set only on providers of such stacks.
 */
export const LATEST_AMI_STACK_ENV = 'LATEST_AMI_STACK_ID';

/**
 * The parameter of a job's latest AMI: `/cdk-sms-replication-job/<stack name>/<logical id>/latest-ami`. Stack names
 * (letters, digits, hyphens, at most 128) and logical ids (letters and digits, at most 255) use only characters SSM
 * allows in a name, and the name has 4 levels and at most 416 characters (SSM: 15 and 1011). When a launch stack is
 * deployed before the job's first AMI, CloudFormation's error names this parameter: its last level says what is missing.
 */
export function latestAmiParameterName(stackName: string, logicalId: string): string {
  return `${LATEST_AMI_PREFIX}/${stackName}/${logicalId}/latest-ami`;
}

/** The parameters of one stack, for its provider's policy: `/cdk-sms-replication-job/<stack name>/*`. */
export function latestAmiParameterPath(stackName: string): string {
  return `${LATEST_AMI_PREFIX}/${stackName}/`;
}
