/**
 * The status of the handler's own stack, from CloudFormation's DescribeStacks (the only CloudFormation call the
 * provider may make, and only on its own stack).
 */
import type { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/**
 * Created on first use, once per Lambda container, and loaded then: the client's modules are a third of the bundle,
 * and a Delete reads the status only for a job adopted with ExistingJob ADOPT. AWS_ENDPOINT_URL_CLOUDFORMATION (or
 * AWS_ENDPOINT_URL) points it elsewhere.
 */
let client: Promise<{ cloudFormation: CloudFormationClient; DescribeStacks: typeof DescribeStacksCommand }> | undefined;

function cloudFormationClient(): NonNullable<typeof client> {
  client ??= import('@aws-sdk/client-cloudformation').then(({ CloudFormationClient: Client, DescribeStacksCommand: DescribeStacks }) => ({
    cloudFormation: new Client({ endpoint: process.env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? process.env.AWS_ENDPOINT_URL }),
    DescribeStacks,
  }));
  return client;
}

/** A DescribeStacks that did not answer before its deadline. Named like the SDK's own timeouts, which it retries. */
export class StatusTimeoutError extends Error {
  public readonly name = 'TimeoutError';
}

/**
 * The stack's status, such as CREATE_IN_PROGRESS or UPDATE_ROLLBACK_IN_PROGRESS, read before `deadline` (epoch ms).
 */
export async function stackStatus(stackId: string, deadline: number): Promise<string> {
  return (await describeStack(stackId, deadline)).status;
}

/**
 * The stack's status, and its parent's id when it is a nested stack, read before `deadline` (epoch ms). Its own abort
 * rather than sms.ts's `call`: it runs inside an SMS call's retry loop (rollback.ts), whose record of SMS's last
 * answer it must leave alone.
 */
export async function describeStack(stackId: string, deadline: number): Promise<{ status: string; parentId?: string }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
  try {
    const { cloudFormation, DescribeStacks } = await cloudFormationClient();
    const described = await cloudFormation.send(new DescribeStacks({ StackName: stackId }), { abortSignal: controller.signal });
    const stack = described.Stacks?.find((s) => s.StackId === stackId);
    if (!stack?.StackStatus) {
      throw new Error(`DescribeStacks answered without the status of ${stackId}.`);
    }
    return { status: stack.StackStatus, parentId: stack.ParentId };
  } catch (e) {
    throw controller.signal.aborted ? new StatusTimeoutError(`CloudFormation did not answer DescribeStacks for ${stackId} in time.`) : e;
  } finally {
    clearTimeout(timer);
  }
}
