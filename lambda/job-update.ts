/**
 * Bringing an existing job to the template's properties with UpdateReplicationJob: for an in-place Update, and for a
 * job this resource adopts.
 */
import { ReplicationJob, UpdateReplicationJobCommand, UpdateReplicationJobCommandInput } from '@aws-sdk/client-sms';
import { Budget } from './budget';
import { describedWithMarker } from './ownership';
import { JobProperties } from './properties';
import { call, sms } from './sms';

/** What an update compares with: the old properties, or the job as SMS describes it. */
export interface Previous {
  readonly seedReplicationTime?: Date;
  readonly encrypted?: boolean;
}

/**
 * Takes over the job this resource created already (a second delivery, a lost answer, a rollback back to the old
 * server). If the template's properties have changed since it was made, the job is brought to them; a job that
 * already matches is left alone, so that a second delivery costs no update SMS might refuse in the job's state.
 */
export async function adopt(job: ReplicationJob, props: JobProperties, marker: string, budget: Budget): Promise<string> {
  const jobId = job.replicationJobId!;
  const input = updateInput(jobId, props, marker, job);
  const changed = Object.entries(input).some(([key, value]) => key !== 'replicationJobId' && value !== undefined
    && (key === 'nextReplicationRunStartTime' || value !== job[key as keyof ReplicationJob]));
  console.log(JSON.stringify({ message: 'adopting the job this resource created already', replicationJobId: jobId, changed }));
  if (changed) {
    await sendUpdate(input, budget);
  }
  return jobId;
}

/**
 * UpdateReplicationJob with every field it can change, from the template's properties. `previous` (the old
 * properties, or the job itself) tells whether the seed time moved and whether encryption was on.
 */
export function updateInput(jobId: string, props: JobProperties, marker: string, previous: Previous): UpdateReplicationJobCommandInput {
  const seed = props.seedReplicationTime;
  return {
    replicationJobId: jobId,
    frequency: props.frequency,
    licenseType: props.licenseType,
    roleName: props.roleName,
    description: describedWithMarker(props.description, marker),
    numberOfRecentAmisToKeep: props.numberOfRecentAmisToKeep,
    // Removing `encrypted: true` from the construct means false; SMS would otherwise keep encrypting.
    encrypted: props.encrypted ?? (previous.encrypted ? false : undefined),
    kmsKeyId: props.kmsKeyId,
    // A changed seed time moves the next run. A time already past (e.g. the old one, during a rollback) cannot be
    // scheduled, and the job keeps its schedule.
    nextReplicationRunStartTime: previous.seedReplicationTime?.getTime() !== seed.getTime() && seed.getTime() > Date.now() ? seed : undefined,
  };
}

/** UpdateReplicationJob, with the client's retries, until the budget's work deadline. */
export async function sendUpdate(input: UpdateReplicationJobCommandInput, budget: Budget): Promise<void> {
  await call('UpdateReplicationJob', (abortSignal) => sms.send(new UpdateReplicationJobCommand(input), { abortSignal }), budget.work);
}
