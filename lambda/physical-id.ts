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

/** What follows the job's id in the physical id of an adopted job. */
const ADOPTED = '/adopted';
/**
 * A job's physical id (every id SMS gives a job is `sms-job-` and alphanumerics): the job, whether it was adopted, and, for the replacement of a job named by its VM, the job it
 * replaced, that job's server and the selector change that made it (`/after/<job>/<server>/<8 hex>`), so that the
 * rollback of that change returns to the job it came from without asking the catalog (issue 33).
 */
const JOB_PHYSICAL_ID = /^(sms-job-[0-9a-z]+)(\/adopted)?(?:\/after\/(sms-job-[0-9a-z]+)\/(s-[0-9a-z]+)\/([0-9a-f]{8}))?$/i;

/** The job a VM-named job replaced: its id, its server, and the selector change that replaced it (8 hex). */
export interface Replaced {
  readonly jobId: string;
  readonly serverId: string;
  readonly change: string;
}
const REFUSED = 'create-refused-';
const FAILED = 'create-failed-';

/** What a physical id says. */
export type PhysicalId =
  /** A replication job, made by this resource, or adopted (ExistingJob ADOPT) when `adopted`; `after`: the job it replaced. */
  | { readonly kind: 'job'; readonly jobId: string; readonly adopted: boolean; readonly after?: Replaced }
  /** A Create that certainly made no job (SMS refused it, or the provider did before any call): nothing to clean up. */
  | { readonly kind: 'refused'; readonly requestId: string }
  /** A Create whose outcome is unknown (timeout, network, 5xx, a lost answer): it may have made a job. */
  | { readonly kind: 'failed'; readonly requestId: string }
  /** Not issued by this provider, e.g. an id CloudFormation made up after an event went unanswered. */
  | { readonly kind: 'other' };

/** Reads a physical id. */
export function parsePhysicalId(physicalId: string): PhysicalId {
  const job = JOB_PHYSICAL_ID.exec(physicalId);
  if (job) {
    const after = job[3] ? { after: { jobId: job[3], serverId: job[4], change: job[5] } } : {};
    return { kind: 'job', jobId: job[1], adopted: job[2] !== undefined, ...after };
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
export function jobPhysicalId(jobId: string, adopted: boolean, after?: Replaced): string {
  return `${jobId}${adopted ? ADOPTED : ''}${after ? `/after/${after.jobId}/${after.serverId}/${after.change}` : ''}`;
}

/** The physical id with the job it replaced (a replacement of a job named by its VM). */
export function withReplaced(physicalId: string, after: Replaced): string {
  const id = parsePhysicalId(physicalId);
  return id.kind === 'job' ? jobPhysicalId(id.jobId, id.adopted, after) : physicalId;
}

/**
 * The physical id a failed Create answers with; CloudFormation sends it back in the Delete that follows. The
 * RequestId in it is the one whose token a job this Create made carries.
 */
export function failedCreateId(requestId: string, mayHaveMadeJob: boolean): string {
  return `${mayHaveMadeJob ? FAILED : REFUSED}${requestId}`;
}
