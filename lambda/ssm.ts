/**
 * The SSM client (one per Lambda container, made on first use by the invocations that keep a latest AMI), and the
 * two writes the provider makes with it: the job's latest-AMI parameter, put and deleted (latest-ami.ts).
 *
 * Like the SMS calls (sms.ts), each call retries throttling, 5xx and network faults until its deadline, when it aborts
 * the request in flight; an error SSM answers otherwise (AccessDeniedException, a ValidationException) ends it at once.
 */
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
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
    Description: `The latest AMI of SMS replication job ${jobId}, kept by its stack's provider (cdk-sms-replication-job)`,
  }), { abortSignal }));
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
