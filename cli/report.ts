/**
 * What `status` reports, for the table and for --json alike. cli/status.schema.json describes the JSON; a test
 * validates the command's output against it, so a change here that the schema does not follow fails there.
 */

/** CloudFormation's words for a resource's drift (StackResourceDriftStatus). */
export type DriftStatus = 'IN_SYNC' | 'MODIFIED' | 'DELETED' | 'NOT_CHECKED';

/** CloudFormation's PropertyDifference, in camelCase: one property the template sets that SMS holds otherwise. */
export interface PropertyDifference {
  /** A JSON pointer into the resource's Properties, e.g. `/Frequency`. */
  readonly propertyPath: string;
  readonly expectedValue: string | null;
  readonly actualValue: string | null;
  /** NOT_EQUAL: both have a value; REMOVE: SMS has none. */
  readonly differenceType: 'NOT_EQUAL' | 'REMOVE';
}

export interface Drift {
  readonly status: DriftStatus;
  /** Why DELETED or NOT_CHECKED. */
  readonly reason: string | null;
  readonly differences: PropertyDifference[];
  /** Properties the template sets that were not compared, and why. */
  readonly notCompared: Array<{ readonly propertyPath: string; readonly reason: string }>;
}

/** A replication run, as GetReplicationRuns describes it. */
export interface RunReport {
  readonly id: string | null;
  readonly state: string | null;
  readonly type: string | null;
  /** When it ended (the last run), or when it was scheduled to start (the next run); ISO 8601. */
  readonly at: string | null;
  readonly amiId: string | null;
  readonly statusMessage: string | null;
}

/** One Custom::SmsReplicationJob of a stack, and what SMS holds for it. */
export interface JobReport {
  readonly logicalId: string;
  /** The construct path, from the template's `aws:cdk:path` metadata; null when the template has none. */
  readonly constructPath: string | null;
  /** CloudFormation's ResourceStatus. */
  readonly resourceStatus: string;
  readonly physicalResourceId: string | null;
  /** The replication job's id; null when the physical id names none (a failed Create). */
  readonly jobId: string | null;
  readonly server: { readonly id: string | null; readonly vmName: string | null };
  /** SMS's ReplicationJobState; null when SMS holds no such job. */
  readonly state: string | null;
  readonly statusMessage: string | null;
  /** The run that ended last (COMPLETED or FAILED), whatever is scheduled after it; null when none has ended. */
  readonly lastRun: RunReport | null;
  /** The run under way (ACTIVE), or else the next one scheduled (PENDING); null when none is. */
  readonly nextRun: RunReport | null;
  /** SMS's nextReplicationRunStartTime for the job. */
  readonly nextRunAt: string | null;
  readonly latestAmiId: string | null;
  /** False when the job is FAILED, FAILING or PAUSED_ON_FAILURE, or the last run that ended FAILED. */
  readonly healthy: boolean;
  readonly drift: Drift;
}

/** A job that carries one of these stacks' ownership markers and that the stack does not hold. */
export interface OrphanReport {
  readonly jobId: string;
  readonly serverId: string | null;
  readonly vmName: string | null;
  readonly state: string | null;
  /** The marker, as it ends the job's description. */
  readonly marker: string;
  /** The logical id the marker names. */
  readonly logicalId: string;
  readonly why: string;
  /** The command of this package that deletes it (`npx cdk-sms-replication-job orphans ... delete --job ...`). */
  readonly deleteCommand: string;
  /** How to bring it under CloudFormation instead (with `orphans ... release` when the marker must go). */
  readonly adopt: string;
}

export interface StackReport {
  /** The stack's name, as CloudFormation answers it (--stack may give its ARN); as given when it could not be read. */
  readonly stackName: string;
  readonly stackId: string | null;
  readonly stackStatus: string | null;
  /** Whether every CloudFormation read of the stack succeeded. */
  readonly read: boolean;
  readonly jobs: JobReport[];
  readonly orphans: OrphanReport[];
}

/** A read that failed after the SDK's retries: the service, the call and the error. */
export interface ReadFailure {
  readonly service: 'CloudFormation' | 'SMS';
  readonly call: string;
  readonly stackName: string | null;
  /** The replication job whose read failed (GetReplicationRuns), if one. */
  readonly jobId: string | null;
  /** The error's name, e.g. ValidationError, ThrottlingException, CredentialsProviderError. */
  readonly code: string;
  readonly message: string;
}

export interface StatusReport {
  readonly formatVersion: 1;
  readonly region: string | null;
  /** 0: all in sync and healthy; 1: drift, a failed state or an orphan; 2: something could not be read. */
  readonly exitCode: 0 | 1 | 2;
  readonly stacks: StackReport[];
  readonly errors: ReadFailure[];
}

/** The exit code a report ends with. */
export function exitCodeOf(stacks: StackReport[], errors: ReadFailure[]): 0 | 1 | 2 {
  if (errors.length > 0) {
    return 2;
  }
  const attention = stacks.some((s) => s.orphans.length > 0 || s.jobs.some((j) => !j.healthy || j.drift.status !== 'IN_SYNC'));
  return attention ? 1 : 0;
}

/** One line naming a failed read: `CloudFormation DescribeStacks (stack X): ValidationError: ...`. */
export function describeFailure(f: ReadFailure): string {
  const of = f.stackName ? ` (stack ${f.stackName})` : f.jobId ? ` (job ${f.jobId})` : '';
  return `${f.service} ${f.call}${of}: ${f.code}: ${f.message}`;
}
