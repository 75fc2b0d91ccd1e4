import * as path from 'node:path';
import { Duration, Stack, aws_iam as iam, aws_lambda as lambda, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * The id of the provider under its stack. It reaches the template in the logical ids of the function, its role and
 * its policy, and so in every job's ServiceToken: CloudFormation refuses a changed ServiceToken, so this never changes.
 */
const PROVIDER_ID = 'SmsReplicationJobProvider';

/**
 * The one Lambda function per stack that serves every `Custom::SmsReplicationJob` in it, with its role, one policy
 * and a log group. Built from L2 constructs so that Aspects, permission boundaries and cdk-nag see it.
 */
export class ReplicationJobProvider extends Construct {
  /** The provider of the stack that holds `scope`, created by the first job that asks for it. */
  public static of(scope: Construct): ReplicationJobProvider {
    const stack = Stack.of(scope);
    return stack.node.tryFindChild(PROVIDER_ID) as ReplicationJobProvider | undefined
      ?? new ReplicationJobProvider(stack, PROVIDER_ID);
  }

  /** The function's ARN: the ServiceToken of every job. */
  public readonly serviceToken: string;
  /** The policy every job depends on, so that no job is created before the provider may call SMS. */
  public readonly policy: iam.Policy;

  private readonly passRole: iam.PolicyStatement;
  private readonly passedRoles = new Set<string>();

  private constructor(scope: Construct, id: string) {
    super(scope, id);

    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: logs.RetentionDays.THREE_MONTHS });
    const role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lets the SMS replication job provider manage replication jobs and write its logs',
    });
    this.policy = new iam.Policy(this, 'Policy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          // SMS has no resource-level permissions: these actions only accept "*".
          actions: ['sms:CreateReplicationJob', 'sms:UpdateReplicationJob', 'sms:DeleteReplicationJob', 'sms:GetReplicationJobs'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      ],
    });
    // Roles are added as jobs name them; the statement joins the policy with the first one.
    this.passRole = new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      conditions: { StringEquals: { 'iam:PassedToService': 'sms.amazonaws.com' } },
    });

    const handler = new lambda.Function(this, 'Handler', {
      description: 'Creates, updates and deletes AWS SMS replication jobs for CloudFormation (cdk-sms-replication-job)',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', '..', 'assets', 'handler')),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // Long enough for SMS's retries under throttling; the handler answers before it runs out.
      timeout: Duration.seconds(90),
      role,
      logGroup,
      // CloudFormation invokes the function asynchronously. An event Lambda holds back (throttled, or retried after a
      // crash) must not run after the job's 10-minute ServiceTimeout, when CloudFormation has moved on and a job it
      // made would be seen by no later event: 6 minutes of age plus a 90-second run end before then.
      maxEventAge: Duration.minutes(6),
    });
    this.serviceToken = handler.functionArn;

    // cdk-nag findings that follow from SMS and from what a custom resource provider is; README "Security review"
    // lists them. Each names one rule (and, for IAM5, the one wildcard) on one construct: anything else still shows.
    acknowledge(this.policy, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'SMS has no resource-level permissions: sms:Create/Update/Delete/GetReplicationJobs only accept "*". The other statements name their log group and roles.',
    });
    acknowledge(handler,
      {
        id: 'AwsSolutions-L1',
        reason: 'The runtime is pinned (nodejs22.x, what the bundled handler targets) so that a CDK upgrade never redeploys the provider; it moves with a release of this library.',
      },
      {
        id: 'Serverless-LambdaLatestVersion',
        reason: 'The runtime is pinned (nodejs22.x, what the bundled handler targets) so that a CDK upgrade never redeploys the provider; it moves with a release of this library.',
      },
      {
        id: 'Serverless-LambdaDLQ',
        reason: 'CloudFormation invokes the provider; the handler reports every failure to CloudFormation, and an event it never answers fails after the 10-minute ServiceTimeout. A queue would hold presigned response URLs nobody replays.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason: 'The function makes a few SMS calls per deployment and logs each to its own log group; X-Ray would add permissions and cost without a trace worth reading.',
      },
    );
    acknowledge(handler.node.findChild('EventInvokeConfig'), {
      id: 'Serverless-LambdaAsyncFailureDestination',
      reason: 'An event that fails or ages out leaves CloudFormation to fail the job at its 10-minute ServiceTimeout, and the Delete that follows finds any job by its marker. A destination would hold presigned response URLs nobody replays.',
    });
  }

  /** Lets the provider pass `role` to SMS; each role is added once, whatever the number of jobs that name it. */
  public allowPassRole(role: iam.IRole): void {
    const key = JSON.stringify(Stack.of(this).resolve(role.roleArn));
    if (this.passedRoles.has(key)) {
      return;
    }
    if (this.passedRoles.size === 0) {
      this.policy.addStatements(this.passRole);
    }
    this.passedRoles.add(key);
    this.passRole.addResources(role.roleArn);
  }
}
