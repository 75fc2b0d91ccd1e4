/**
 * The two stacks the benchmark compares, doing the same work: N SMS replication jobs with the same parameters,
 * once with this library's ReplicationJob and once with aws-cdk-lib's AwsCustomResource, written the way a user
 * writes it today (onCreate, onUpdate and onDelete SDK calls, policy from the SDK calls).
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { LicenseType, ReplicationJob, SmsServer } from '../lib';

export type Library = 'ours' | 'baseline';

/** The region and account the stacks are synthesized for; the account is substituted when sizing IAM policies. */
export const REGION = 'us-west-2';
export const ACCOUNT = '123456789012';

/** The parameters of job `i`, shared by both stacks. */
export interface JobSpec {
  readonly serverId: string;
  readonly seedReplicationTime: Date;
  readonly frequencyHours: number;
  readonly licenseType: 'AWS' | 'BYOL';
  readonly description: string;
  readonly numberOfRecentAmisToKeep: number;
}

/** A seed time a week ahead, on the hour: inside the construct's 30-day horizon, so synth emits no warning. */
export function seedTime(): Date {
  const hour = 3_600_000;
  return new Date(Math.ceil((Date.now() + 7 * 24 * hour) / hour) * hour);
}

export function jobSpec(i: number, seed: Date): JobSpec {
  return {
    serverId: `s-${(0x10000000 + i).toString(16)}`,
    seedReplicationTime: seed,
    frequencyHours: 12,
    licenseType: 'BYOL',
    description: `Replication of server ${i}`,
    numberOfRecentAmisToKeep: 5,
  };
}

/**
 * Both stacks have the same name, whatever the library and the number of jobs: names generated from it reach the
 * IAM policies (the log group's ARN), and must not make one side longer than the other.
 */
export const STACK_NAME = 'SmsReplicationJobs';

/** Adds `jobs` replication jobs to a new stack in `app`, with the library's constructs. */
export function buildStack(app: App, library: Library, jobs: number, seed: Date): Stack {
  const stack = new Stack(app, STACK_NAME, { env: { region: REGION, account: ACCOUNT } });
  for (let i = 0; i < jobs; i++) {
    const spec = jobSpec(i, seed);
    if (library === 'ours') {
      addOurs(stack, `Job${i}`, spec);
    } else {
      addBaseline(stack, `Job${i}`, spec);
    }
  }
  return stack;
}

function addOurs(stack: Stack, id: string, spec: JobSpec): void {
  new ReplicationJob(stack, id, {
    server: SmsServer.fromServerId(spec.serverId),
    seedReplicationTime: spec.seedReplicationTime,
    frequency: Duration.hours(spec.frequencyHours),
    licenseType: spec.licenseType === 'BYOL' ? LicenseType.BYOL : LicenseType.AWS,
    description: spec.description,
    numberOfRecentAmisToKeep: spec.numberOfRecentAmisToKeep,
  });
}

/** What a user writes today: one AwsCustomResource per job, its three SDK calls and a policy derived from them. */
function addBaseline(stack: Stack, id: string, spec: JobSpec): void {
  const jobId = new cr.PhysicalResourceIdReference();
  const changeable = {
    frequency: spec.frequencyHours,
    licenseType: spec.licenseType,
    description: spec.description,
    numberOfRecentAmisToKeep: spec.numberOfRecentAmisToKeep,
  };
  new cr.AwsCustomResource(stack, id, {
    onCreate: {
      service: 'SMS',
      action: 'createReplicationJob',
      parameters: { serverId: spec.serverId, seedReplicationTime: spec.seedReplicationTime, ...changeable },
      physicalResourceId: cr.PhysicalResourceId.fromResponse('replicationJobId'),
    },
    onUpdate: {
      service: 'SMS',
      action: 'updateReplicationJob',
      parameters: { replicationJobId: jobId, nextReplicationRunStartTime: spec.seedReplicationTime, ...changeable },
    },
    onDelete: {
      service: 'SMS',
      action: 'deleteReplicationJob',
      parameters: { replicationJobId: jobId },
    },
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    installLatestAwsSdk: false,
  });
}
