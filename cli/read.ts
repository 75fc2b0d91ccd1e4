/**
 * The reads `status` makes, and nothing else: CloudFormation DescribeStacks, ListStackResources and GetTemplate for
 * each stack; SMS GetReplicationJobs (every job of the region, a page of 100 at a time: one listing serves every
 * stack and finds the orphans) and GetReplicationRuns for each job a stack holds. README lists them with the policy.
 */
import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand, paginateListStackResources, Parameter, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { ReplicationJob, ReplicationRun, SMSClient, paginateGetReplicationJobs, paginateGetReplicationRuns } from '@aws-sdk/client-sms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ReadFailure } from './report';

/** The resource type of a ReplicationJob. */
export const RESOURCE_TYPE = 'Custom::SmsReplicationJob';

/**
 * Attempts per read: throttled and 5xx answers are retried with the SDK's adaptive mode (backoff plus a client-side
 * rate). 20, not the SDK's 3 nor 10: with SMS accepting 10 requests a second, 480 jobs read 8 at a time saw one read
 * throttled 10 times in a row (bench/STATUS.md). AWS_MAX_ATTEMPTS and AWS_RETRY_MODE override both, as in every SDK.
 */
export const MAX_ATTEMPTS = 20;

/** GetReplicationRuns calls in flight at once. */
const CONCURRENCY = 8;

export interface Clients {
  readonly cloudFormation: CloudFormationClient;
  readonly sms: SMSClient;
}

/**
 * Both clients, with the SDK's default credential chain (environment, the profile's files, SSO, web identity,
 * container and instance roles; AWS_PROFILE, which --profile sets, picks the profile) and region resolution.
 * AWS_ENDPOINT_URL_SMS and AWS_ENDPOINT_URL_CLOUDFORMATION (or AWS_ENDPOINT_URL) point them elsewhere.
 */
export function clients(region: string | undefined): Clients {
  const common = {
    region,
    maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS) || MAX_ATTEMPTS,
    retryMode: process.env.AWS_RETRY_MODE ?? 'adaptive',
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30_000 }),
  };
  return {
    cloudFormation: new CloudFormationClient({ ...common, endpoint: process.env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? process.env.AWS_ENDPOINT_URL }),
    sms: new SMSClient({ ...common, endpoint: process.env.AWS_ENDPOINT_URL_SMS ?? process.env.AWS_ENDPOINT_URL }),
  };
}

/** A read that failed, named. */
export class ReadError extends Error {
  constructor(readonly failure: ReadFailure) {
    super(`${failure.service} ${failure.call}: ${failure.code}: ${failure.message}`);
  }
}

/** Runs one read; its error, after the SDK's retries, becomes a ReadError naming the service and the call. */
export async function read<T>(service: ReadFailure['service'], call: string, stackName: string | null, fn: () => Promise<T>,
  jobId: string | null = null): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const error = e as Error & { $metadata?: { attempts?: number } };
    const attempts = error.$metadata?.attempts;
    throw new ReadError({
      service,
      call,
      stackName,
      jobId,
      code: error.name ?? 'Error',
      message: `${error.message}${attempts && attempts > 1 ? ` (after ${attempts} attempts)` : ''}`,
    });
  }
}

/** What CloudFormation says of one stack. */
export interface StackRead {
  readonly stackName: string;
  readonly stackId: string;
  readonly stackStatus: string;
  readonly parameters: Record<string, string>;
  /** Every resource of the stack but those deleted. */
  readonly resources: StackResourceSummary[];
  /** The template as deployed. */
  readonly template: Template;
}

export interface Template {
  readonly Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

/** DescribeStacks, ListStackResources (every page) and GetTemplate of one stack. */
export async function readStack(cfn: CloudFormationClient, stackName: string): Promise<StackRead> {
  const described = await read('CloudFormation', 'DescribeStacks', stackName, () => cfn.send(new DescribeStacksCommand({ StackName: stackName })));
  const stack = described.Stacks?.[0];
  if (!stack?.StackId) {
    throw new ReadError({ service: 'CloudFormation', call: 'DescribeStacks', stackName, jobId: null, code: 'NoStack', message: 'answered no stack' });
  }
  const resources = await read('CloudFormation', 'ListStackResources', stackName, async () => {
    const all: StackResourceSummary[] = [];
    for await (const page of paginateListStackResources({ client: cfn }, { StackName: stack.StackId })) {
      all.push(...(page.StackResourceSummaries ?? []));
    }
    return all.filter((r) => !r.ResourceStatus?.startsWith('DELETE_'));
  });
  const got = await read('CloudFormation', 'GetTemplate', stackName, () => cfn.send(new GetTemplateCommand({ StackName: stack.StackId, TemplateStage: 'Original' })));
  let template: Template;
  try {
    template = JSON.parse(got.TemplateBody ?? '{}');
  } catch {
    throw new ReadError({
      service: 'CloudFormation', call: 'GetTemplate', stackName, jobId: null, code: 'NotJson',
      message: 'the template is not JSON (a YAML template?); status reads the JSON templates the CDK deploys',
    });
  }
  return {
    stackName,
    stackId: stack.StackId,
    stackStatus: stack.StackStatus ?? 'UNKNOWN',
    parameters: parametersOf(stack.Parameters ?? []),
    resources,
    template,
  };
}

/** Every replication job of the region, 100 to a page. */
export async function listJobs(sms: SMSClient): Promise<ReplicationJob[]> {
  return read('SMS', 'GetReplicationJobs', null, async () => {
    const all: ReplicationJob[] = [];
    for await (const page of paginateGetReplicationJobs({ client: sms, pageSize: 100 }, {})) {
      all.push(...(page.replicationJobList ?? []));
    }
    return all;
  });
}

/**
 * The runs of each job (GetReplicationRuns, every page), CONCURRENCY jobs at a time; `progress` after each job. A job
 * whose runs could not be read is left out of the map and named in `failures`: the other jobs are still reported.
 */
export async function readRuns(sms: SMSClient, jobIds: string[], progress: (done: number) => void):
Promise<{ runs: Map<string, ReplicationRun[]>; failures: ReadFailure[] }> {
  const runs = new Map<string, ReplicationRun[]>();
  const failures: ReadFailure[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < jobIds.length) {
      const jobId = jobIds[next++];
      try {
        runs.set(jobId, await read('SMS', 'GetReplicationRuns', null, async () => {
          const all: ReplicationRun[] = [];
          for await (const page of paginateGetReplicationRuns({ client: sms, pageSize: 100 }, { replicationJobId: jobId })) {
            all.push(...(page.replicationRunList ?? []));
          }
          return all;
        }, jobId));
      } catch (e) {
        if (!(e instanceof ReadError)) throw e;
        // The job went between the listing and this read: it has no runs to show, and the listing's state stands.
        if (e.failure.code === 'ReplicationJobNotFoundException') runs.set(jobId, []);
        else failures.push(e.failure);
      }
      progress(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, jobIds.length) }, worker));
  return { runs, failures };
}

/** The parameters' values as the stack resolved them (an SSM parameter's ResolvedValue); NoEcho ones are left out. */
function parametersOf(parameters: Parameter[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of parameters) {
    const value = p.ResolvedValue ?? p.ParameterValue;
    if (p.ParameterKey && value !== undefined && value !== '****') out[p.ParameterKey] = value;
  }
  return out;
}
