/**
 * The physical ids this provider answers CloudFormation with: a job's id, or, after a Create that failed, an id that
 * names no job.
 */

/** Every id SMS gives a replication job has this form; anything else came from a Create that failed. */
const JOB_ID = /^sms-job-[0-9a-z]+$/i;

/** Whether the physical id is a replication job's id, rather than the id of a Create that failed. */
export function isJobId(physicalId: string): boolean {
  return JOB_ID.test(physicalId);
}

/** The physical id a failed Create answers with; CloudFormation sends it back in the Delete that follows. */
export function failedCreateId(requestId: string): string {
  return `create-failed-${requestId}`;
}
