/**
 * The SSM client (one per Lambda container, made on first use by the invocations that keep a latest AMI), and what
 * the provider does with it: the job's latest-AMI parameter put, deleted, and asked which job wrote it (latest-ami.ts).
 *
 * Like the SMS calls (sms.ts), each call retries throttling, 5xx and network faults until its deadline, when it aborts
 * the request in flight; an error SSM answers otherwise (AccessDeniedException, a ValidationException) ends it at once.
 */
import { DeleteParameterCommand, GetParameterHistoryCommand, ParameterHistory, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DeadlineError } from './errors';
import { retryStrategy } from './retry';

/** The client a call sends with: the container's, or a test's. */
export type SsmSender = Pick<SSMClient, 'send'>;

let client: SSMClient | undefined;

/** The container's SSM client. AWS_ENDPOINT_URL_SSM (or AWS_ENDPOINT_URL) points it elsewhere, e.g. a local double. */
export function ssmClient(): SSMClient {
  client ??= new SSMClient({
    endpoint: process.env.AWS_ENDPOINT_URL_SSM ?? process.env.AWS_ENDPOINT_URL,
    retryStrategy: retryStrategy(),
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 20000 }),
  });
  return client;
}

/**
 * Writes the AMI ID to the parameter, with data type aws:ec2:image. SSM answers such a write before it has checked that
 * the AMI exists in the account (its validation is asynchronous, the SSM API Reference says of PutParameter): an AMI it
 * then refuses leaves the parameter as it was, and only SSM's own EventBridge events tell.
 */
export async function putLatestAmi(name: string, amiId: string, jobId: string, deadline: number, sender: SsmSender = ssmClient()): Promise<void> {
  await withDeadline('PutParameter', deadline, (abortSignal) => sender.send(new PutParameterCommand({
    Name: name,
    Value: amiId,
    Type: 'String',
    DataType: 'aws:ec2:image',
    Overwrite: true,
    Description: latestAmiDescription(jobId),
  }), { abortSignal }));
}

/**
 * The description of every write: it names the job whose AMI the parameter holds. The old and the new job of a
 * replaced resource share the parameter (it is named after the logical id), and a Delete drops it only when it names the
 * job deleted (writerOfLatestAmi).
 */
export function latestAmiDescription(jobId: string): string {
  return `The latest AMI of SMS replication job ${jobId}, kept by its stack's provider (cdk-sms-replication-job)`;
}

const WRITER = /^The latest AMI of SMS replication job (sms-job-[0-9a-z]+),/i;

/** What the parameter's current version says of the job that wrote it. */
export type LatestAmiWriter = { readonly exists: false } | { readonly exists: true; readonly jobId?: string };

/**
 * Which job wrote the parameter's current version, from its description. GetParameterHistory is the one SSM read that
 * returns a parameter's description and accepts a parameter's ARN as its resource (DescribeParameters accepts only
 * "*"), so the provider's policy keeps to its stack's parameters. SSM keeps a parameter's last 100 versions: at most two
 * pages of 50; the version with the highest number is the current one, whatever the order of the pages.
 */
export async function writerOfLatestAmi(name: string, deadline: number, sender: SsmSender = ssmClient()): Promise<LatestAmiWriter> {
  let current: ParameterHistory | undefined;
  let nextToken: string | undefined;
  try {
    for (let page = 0; page < 10; page++) {
      const answer = await withDeadline('GetParameterHistory', deadline, (abortSignal) => sender.send(new GetParameterHistoryCommand({
        Name: name, MaxResults: 50, NextToken: nextToken,
      }), { abortSignal }));
      for (const version of answer.Parameters ?? []) {
        if (current === undefined || (version.Version ?? 0) > (current.Version ?? 0)) current = version;
      }
      nextToken = answer.NextToken;
      if (!nextToken) break;
    }
  } catch (e) {
    if ((e as Error).name === 'ParameterNotFound') {
      return { exists: false };
    }
    throw e;
  }
  if (current === undefined) {
    return { exists: false };
  }
  return { exists: true, jobId: WRITER.exec(current.Description ?? '')?.[1] };
}

/** Deletes the parameter; one that does not exist (no AMI yet, or deleted already) counts as deleted. */
export async function deleteLatestAmi(name: string, deadline: number, sender: SsmSender = ssmClient()): Promise<void> {
  try {
    await withDeadline('DeleteParameter', deadline, (abortSignal) => sender.send(new DeleteParameterCommand({ Name: name }), { abortSignal }));
  } catch (e) {
    if ((e as Error).name !== 'ParameterNotFound') {
      throw e;
    }
  }
}

/** Runs one call, aborting it at the deadline (epoch ms) with a DeadlineError. */
async function withDeadline<T>(operation: string, deadline: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DeadlineError(`SSM did not complete ${operation} before the provider's time ran out.`));
    }, Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([run(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
