/**
 * The status of the handler's own stack, from CloudFormation's DescribeStacks (the only CloudFormation call the
 * provider may make, and only on its own stack).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** Created once per Lambda container. AWS_ENDPOINT_URL_CLOUDFORMATION (or AWS_ENDPOINT_URL) points it elsewhere. */
const cloudFormation = new CloudFormationClient({
  endpoint: process.env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? process.env.AWS_ENDPOINT_URL,
});

/** A DescribeStacks that did not answer before its deadline. Named like the SDK's own timeouts, which it retries. */
export class StatusTimeoutError extends Error {
  public readonly name = 'TimeoutError';
}

/** The stack's status, such as CREATE_IN_PROGRESS or UPDATE_ROLLBACK_IN_PROGRESS, read before `deadline` (epoch ms). */
export async function stackStatus(stackId: string, deadline: number): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
  try {
    const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }), { abortSignal: controller.signal });
    const status = described.Stacks?.[0]?.StackStatus;
    if (!status) {
      throw new Error(`DescribeStacks answered without the status of ${stackId}.`);
    }
    return status;
  } catch (e) {
    throw controller.signal.aborted ? new StatusTimeoutError(`CloudFormation did not answer DescribeStacks for ${stackId} in time.`) : e;
  } finally {
    clearTimeout(timer);
  }
}
