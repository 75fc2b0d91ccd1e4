/**
 * The physical ids this provider answers CloudFormation with: a job's id (followed by `/adopted` for a job adopted
 * from outside CloudFormation), or, after a Create that failed, an id that names no job and tells its Delete whether
 * that Create may have made one.
 *
 * Why adoption is in the id: a Delete must not delete a job its resource adopted (ExistingJob ADOPT), even when ADOPT
 * was removed from the template since, and the Delete event carries only the physical id and the current
 * properties. Without the suffix, every Delete had to read the job's marker first (GetReplicationJobs), which doubled
 * the SMS requests of a stack's deletion under throttling (issue 32). CloudFormation hands the id back on every
 * later event, the id changes only when the job does, and the job's id reaches other resources through the
 * ReplicationJobId attribute, never through Ref.
 */

/** Every id SMS gives a replication job has this form. */
const JOB_ID = /^sms-job-[0-9a-z]+$/i;
/** What follows the job's id in the physical id of an adopted job. */
const ADOPTED = '/adopted';
const REFUSED = 'create-refused-';
const FAILED = 'create-failed-';

/** What a physical id says. */
export type PhysicalId =
  /** A replication job, made by this resource, or adopted (ExistingJob ADOPT) when `adopted`. */
  | { readonly kind: 'job'; readonly jobId: string; readonly adopted: boolean }
  /** A Create that certainly made no job (SMS refused it, or the provider did before any call): nothing to clean up. */
  | { readonly kind: 'refused'; readonly requestId: string }
  /** A Create whose outcome is unknown (timeout, network, 5xx, a lost answer): it may have made a job. */
  | { readonly kind: 'failed'; readonly requestId: string }
  /** Not issued by this provider, e.g. an id CloudFormation made up after an event went unanswered. */
  | { readonly kind: 'other' };

/** Reads a physical id. */
export function parsePhysicalId(physicalId: string): PhysicalId {
  if (JOB_ID.test(physicalId)) {
    return { kind: 'job', jobId: physicalId, adopted: false };
  }
  if (physicalId.endsWith(ADOPTED) && JOB_ID.test(physicalId.slice(0, -ADOPTED.length))) {
    return { kind: 'job', jobId: physicalId.slice(0, -ADOPTED.length), adopted: true };
  }
  if (physicalId.startsWith(REFUSED) && physicalId.length > REFUSED.length) {
    return { kind: 'refused', requestId: physicalId.slice(REFUSED.length) };
  }
  if (physicalId.startsWith(FAILED) && physicalId.length > FAILED.length) {
    return { kind: 'failed', requestId: physicalId.slice(FAILED.length) };
  }
  return { kind: 'other' };
}

/** Whether the physical id names a replication job, rather than a Create that failed. */
export function isJobId(physicalId: string): boolean {
  return parsePhysicalId(physicalId).kind === 'job';
}

/** The job a physical id names, if any. */
export function jobIdOf(physicalId: string): string | undefined {
  const id = parsePhysicalId(physicalId);
  return id.kind === 'job' ? id.jobId : undefined;
}

/**
 * The physical id of a job: its id, followed by `/adopted` when its resource adopted it from outside CloudFormation
 * (the job's marker says so: ownership.ts), so that a Delete knows without asking SMS.
 */
export function jobPhysicalId(jobId: string, adopted: boolean): string {
  return adopted ? `${jobId}${ADOPTED}` : jobId;
}

/**
 * The physical id a failed Create answers with; CloudFormation sends it back in the Delete that follows. The
 * RequestId in it is the one whose token a job this Create made carries.
 */
export function failedCreateId(requestId: string, mayHaveMadeJob: boolean): string {
  return `${mayHaveMadeJob ? FAILED : REFUSED}${requestId}`;
}
