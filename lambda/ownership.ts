/**
 * Which replication jobs this provider owns, and which event made each one.
 *
 * SMS replication jobs have no tags, and SMS allows one job per server, so the handler marks each job it creates by
 * appending a marker to the job's description: the stack's name, the resource's logical id and a hash of the
 * stack's id (a stack deleted and created again under the same name gets a new id), then a token naming the event
 * that made (or adopted) the job. The first three fields let the handler recognise its own job when CloudFormation
 * delivers an event twice or an answer from SMS was lost, and refuse, and never touch, a job that someone else
 * created for the same server. The token lets the cleanup of a failed Create delete the job that very Create made,
 * and no job a later event of the same resource made or adopted. One token is not an event's: the move of a job named
 * by its VM to another server marks the job it makes with a token fixed by the physical id it moves from and the new
 * choice of server (server.ts's replacementToken), which the rollback of a failed move can compute without the catalog.
 *
 * `[cfn:<stack name>/<logical id>/<8 hex of sha256(stack id)>/<token>]`, or `.../<token>/adopted]` for a job adopted
 * from outside CloudFormation. Jobs made by 0.1.0 carry the marker without a token: owned, made by no known event.
 */
import { createHash } from 'node:crypto';

/** A marker, read or to be written. */
export interface Marker {
  /** `<stack name>/<logical id>/<8 hex of sha256(stack id)>`: the custom resource that owns the job. */
  readonly owner: string;
  /** 8 hex of sha256 of the RequestId of the event that made or adopted the job; absent on jobs made by 0.1.0. */
  readonly token?: string;
  /** Whether the job was adopted from outside CloudFormation rather than made by the provider. */
  readonly adopted: boolean;
}

const MARKER = /\[cfn:([^/\]\s]+\/[^/\]\s]+\/[0-9a-f]{8})(?:\/([0-9a-f]{8}))?(\/adopted)?\]$/;

/** The owner field of a custom resource: `<stack name>/<logical id>/<8 hex of sha256(stack id)>`. */
export function ownerOf(stackId: string, logicalResourceId: string): string {
  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
  const stackName = stackId.split('/')[1] ?? stackId;
  return `${stackName}/${logicalResourceId}/${hex8(stackId)}`;
}

/** The token of the event with this RequestId. */
export function tokenOf(requestId: string): string {
  return hex8(requestId);
}

/** The marker an event writes on a job it makes: its resource as owner, its RequestId as token. */
export function eventMarker(stackId: string, logicalResourceId: string, requestId: string): Marker {
  return { owner: ownerOf(stackId, logicalResourceId), token: tokenOf(requestId), adopted: false };
}

/** The marker of a resource without a token, as 0.1.0 wrote it: ` [cfn:<stack name>/<logical id>/<hash>]`. */
export function ownerMarker(stackId: string, logicalResourceId: string): string {
  return markerText({ owner: ownerOf(stackId, logicalResourceId), adopted: false });
}

/** The marker as it appears in a description. */
export function markerText(marker: Marker): string {
  return `[cfn:${marker.owner}${marker.token ? `/${marker.token}` : ''}${marker.adopted ? '/adopted' : ''}]`;
}

/** The marker that ends a job's description, if any. The one parser of marker text: nothing else matches it. */
export function parseMarker(jobDescription: string | undefined): Marker | undefined {
  const match = jobDescription === undefined ? null : MARKER.exec(jobDescription);
  return match ? { owner: match[1], token: match[2], adopted: match[3] !== undefined } : undefined;
}

/** The description sent to SMS: the user's description, then the marker. */
export function describedWithMarker(description: string | undefined, marker: Marker): string {
  const text = markerText(marker);
  return description ? `${description} ${text}` : text;
}

/** Whether a job's description carries the marker of this owner (whatever its token). */
export function isOwnedBy(jobDescription: string | undefined, owner: string): boolean {
  return parseMarker(jobDescription)?.owner === owner;
}

/** Whether the job carries this owner's marker with this token: the event with that token made or adopted it. */
export function isMadeBy(jobDescription: string | undefined, owner: string, token: string): boolean {
  const marker = parseMarker(jobDescription);
  return marker?.owner === owner && marker.token === token;
}

/** Whether this owner's marker on the job says it adopted the job (ExistingJob ADOPT) rather than made it. */
export function isAdoptedBy(jobDescription: string | undefined, owner: string): boolean {
  const marker = parseMarker(jobDescription);
  return marker?.owner === owner && marker.adopted;
}

/** The description without its marker: what a job handed back by this resource keeps. */
export function withoutMarker(jobDescription: string | undefined): string {
  return (jobDescription ?? '').replace(MARKER, '').trimEnd();
}

/** The marker a job carries, if any, to name its owner in an error message. */
export function markerOf(jobDescription: string | undefined): string | undefined {
  const marker = parseMarker(jobDescription);
  return marker && markerText(marker);
}

/** 8 hex of sha256 of the text: the hash of every field of a marker, and of the tokens server.ts fixes. */
export function hex8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
