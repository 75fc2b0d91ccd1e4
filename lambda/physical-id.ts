/**
 * The physical ids this provider answers CloudFormation with: a job's id, or, after a Create that failed, an id that
 * names no job and tells its Delete whether that Create may have made one.
 */

/** Every id SMS gives a replication job has this form. */
const JOB_ID = /^sms-job-[0-9a-z]+$/i;
const REFUSED = 'create-refused-';
const FAILED = 'create-failed-';

/** What a physical id says. */
export type PhysicalId =
  /** A replication job. */
  | { readonly kind: 'job'; readonly jobId: string }
  /** A Create that certainly made no job (SMS refused it, or the provider did before any call): nothing to clean up. */
  | { readonly kind: 'refused'; readonly requestId: string }
  /** A Create whose outcome is unknown (timeout, network, 5xx, a lost answer): it may have made a job. */
  | { readonly kind: 'failed'; readonly requestId: string }
  /** Not issued by this provider, e.g. an id CloudFormation made up after an event went unanswered. */
  | { readonly kind: 'other' };

/** Reads a physical id. */
export function parsePhysicalId(physicalId: string): PhysicalId {
  if (JOB_ID.test(physicalId)) {
    return { kind: 'job', jobId: physicalId };
  }
  if (physicalId.startsWith(REFUSED) && physicalId.length > REFUSED.length) {
    return { kind: 'refused', requestId: physicalId.slice(REFUSED.length) };
  }
  if (physicalId.startsWith(FAILED) && physicalId.length > FAILED.length) {
    return { kind: 'failed', requestId: physicalId.slice(FAILED.length) };
  }
  return { kind: 'other' };
}

/** Whether the physical id is a replication job's id, rather than the id of a Create that failed. */
export function isJobId(physicalId: string): boolean {
  return parsePhysicalId(physicalId).kind === 'job';
}

/**
 * The physical id a failed Create answers with; CloudFormation sends it back in the Delete that follows. The
 * RequestId in it is the one whose token a job this Create made carries.
 */
export function failedCreateId(requestId: string, mayHaveMadeJob: boolean): string {
  return `${mayHaveMadeJob ? FAILED : REFUSED}${requestId}`;
}
