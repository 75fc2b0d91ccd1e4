/**
 * Which replication jobs this provider owns.
 *
 * SMS replication jobs have no tags, and SMS allows one job per server, so the handler marks each job it creates by
 * appending a marker to the job's description: the stack's name, the resource's logical id and a hash of the
 * stack's id (a stack deleted and created again under the same name gets a new id). The marker lets the handler
 * recognise its own job when CloudFormation delivers an event twice or an answer from SMS was lost, and lets it
 * refuse, and never touch, a job that someone else created for the same server.
 */
import { createHash } from 'node:crypto';

/** The marker for one custom resource: ` [cfn:<stack name>/<logical id>/<8 hex of sha256(stack id)>]`. */
export function ownerMarker(stackId: string, logicalResourceId: string): string {
  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
  const stackName = stackId.split('/')[1] ?? stackId;
  const hash = createHash('sha256').update(stackId).digest('hex').slice(0, 8);
  return `[cfn:${stackName}/${logicalResourceId}/${hash}]`;
}

/** The description sent to SMS: the user's description, then the marker. */
export function describedWithMarker(description: string | undefined, marker: string): string {
  return description ? `${description} ${marker}` : marker;
}

/** Whether a job's description carries this marker. */
export function isOwnedBy(jobDescription: string | undefined, marker: string): boolean {
  return jobDescription !== undefined && jobDescription.endsWith(marker);
}

/** The marker a job carries, if any, to name its owner in an error message. */
export function markerOf(jobDescription: string | undefined): string | undefined {
  return jobDescription?.match(/\[cfn:[^\]]+\]$/)?.[0];
}
