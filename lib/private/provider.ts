import * as path from 'node:path';
import {
  Annotations,
  CfnResource,
  Duration,
  Stack,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct, IDependable } from 'constructs';
import { cfnText } from './cfn-text';
import { acknowledge } from './nag';
import { byoRoleMessage } from './role-message';
import { FUNCTION_TIMEOUT_SECONDS, MAX_EVENT_AGE_SECONDS } from './timing';

/**
 * The id of the provider under its stack. It reaches the template in the logical ids of the function, its role and
 * its policy, and so in every job's ServiceToken: CloudFormation refuses a changed ServiceToken, so this never changes.
 */
const PROVIDER_ID = 'SmsReplicationJobProvider';

/**
 * nodejs24.x, built by name: `lambda.Runtime.NODEJS_24_X` is missing from aws-cdk-lib 2.176, the peer minimum. Made
 * once, because every `new lambda.Runtime` joins `lambda.Runtime.ALL`.
 */
const NODEJS_24 = new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS);

/** The network-interface actions Lambda performs with the function's role to place it in a VPC (Lambda's VPC guide). */
const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/**
 * Settings of the SMS replication job provider of a stack, for accounts that forbid what it does by default.
 */
export interface ReplicationJobProviderProps {
  /**
   * The role the provider's function runs as.
   *
   * A role that takes policies (an `iam.Role`, or one imported with `mutable: true`) gets the provider's policy
   * attached, as the default role does. A role that takes none (imported with `mutable: false`) gets nothing: the
   * stack then creates no IAM role and no IAM policy, and a synth warning
   * (`cdk-sms-replication-job:providerRoleNotManaged`) lists the permissions the role must already have, including
   * `iam:PassRole` on each role the jobs name and, in a VPC, the network-interface actions. The role must trust
   * `lambda.amazonaws.com`.
   *
   * @default - a role the provider creates, with one policy
   */
  readonly role?: iam.IRole;

  /**
   * The VPC to place the provider's function in.
   *
   * From its subnets the function must reach the SMS endpoint of the region (through a NAT gateway or an interface
   * endpoint for SMS), CloudFormation's API, for its stack's status (through a NAT gateway or an interface endpoint,
   * `com.amazonaws.<region>.cloudformation`), and the S3 URL where CloudFormation takes the answer (through a NAT
   * gateway or an S3 gateway endpoint).
   *
   * @default - the function is not in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Where in `vpc` to place the function.
   *
   * Needs `vpc`.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the function's network interfaces; they must allow HTTPS out.
   *
   * Needs `vpc`.
   *
   * @default - with `vpc`, a security group that allows all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The log group of the provider's function, for your own retention and encryption.
   *
   * The provider's role is allowed to write to it.
   *
   * @default - the provider's own log group, kept 3 months
   */
  readonly logGroup?: logs.ILogGroup;
}

/**
 * The one Lambda function per stack that serves every `Custom::SmsReplicationJob` in it, with its role, one policy
 * and a log group. Built from L2 constructs so that Aspects, permission boundaries and cdk-nag see it.
 *
 * The first ReplicationJob of a stack creates it with default settings. To choose its role, VPC or log group, call
 * `ReplicationJobProvider.configure` before the stack's first ReplicationJob.
 */
export class ReplicationJobProvider extends Construct {
  /**
   * Sets up the provider of the stack that holds `scope`, with your role, VPC or log group.
   *
   * Call it once per stack, before the stack's first ReplicationJob: the provider is shared by every job of the
   * stack, and the first job creates it. Its construct path and logical ids are the default provider's, so adding
   * settings to a deployed stack changes no job's ServiceToken.
   *
   * @param scope any construct of the stack
   * @param props the provider's settings
   */
  public static configure(scope: Construct, props: ReplicationJobProviderProps): ReplicationJobProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID) as ReplicationJobProvider | undefined;
    if (existing) {
      throw new Error(`ReplicationJobProvider.configure: the provider of stack ${stack.node.path} exists already, ` +
        `${existing.origin}; configure it once, before the stack's first ReplicationJob`);
    }
    return new ReplicationJobProvider(stack, props, `configured at ${scope.node.path}`);
  }

  /**
   * The provider of the stack that holds `scope`: the one `configure` set up, or else a new one with default settings.
   *
   * @param scope any construct of the stack
   */
  public static of(scope: Construct): ReplicationJobProvider {
    const stack = Stack.of(scope);
    return stack.node.tryFindChild(PROVIDER_ID) as ReplicationJobProvider | undefined
      ?? new ReplicationJobProvider(stack, {}, `created with default settings by ${scope.node.path}`);
  }

  /** The function's ARN: the ServiceToken of every job. */
  public readonly serviceToken: string;

  /**
   * The policy every job depends on, so that no job is created before the provider may call SMS.
   *
   * It is attached to the provider's role, unless that role takes no policies (imported with `mutable: false`): then
   * it is not in the template, and it lists what the role must already allow.
   */
  public readonly policy: iam.Policy;

  /**
   * What every job depends on: the policy where the template has it (and through it the EventInvokeConfig), or the
   * EventInvokeConfig itself where an immutable role leaves the policy out of the template.
   *
   * @internal
   */
  public readonly _jobDependency: IDependable;

  private readonly passRole: iam.PolicyStatement;
  private readonly passedRoles = new Set<string>();
  private resolvesServers = false;
  /** How the provider came to be, for the error of a late `configure`. */
  private readonly origin: string;

  private constructor(stack: Stack, props: ReplicationJobProviderProps, origin: string) {
    super(stack, PROVIDER_ID);
    this.origin = origin;
    const withoutVpc = [props.vpcSubnets && 'vpcSubnets', props.securityGroups?.length && 'securityGroups'].filter(Boolean);
    if (!props.vpc && withoutVpc.length > 0) {
      throw new Error(`ReplicationJobProvider.configure: ${withoutVpc.join(' and ')} given without vpc; they place the function in a VPC, so give vpc too, or leave them out`);
    }

    const logGroup = props.logGroup ?? new logs.LogGroup(this, 'LogGroup', { retention: logs.RetentionDays.THREE_MONTHS });
    const role = props.role ?? new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lets the SMS replication job provider manage replication jobs and write its logs',
    });
    this.policy = new iam.Policy(this, 'Policy', {
      statements: [
        new iam.PolicyStatement({
          // SMS has no resource-level permissions: these actions only accept "*".
          actions: ['sms:CreateReplicationJob', 'sms:UpdateReplicationJob', 'sms:DeleteReplicationJob', 'sms:GetReplicationJobs'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          // The handler reads its own stack's status to tell a rollback from a forward event, and stops a forward
          // event's writes once CloudFormation has cancelled it (lambda/rollback.ts). Its own stack only.
          actions: ['cloudformation:DescribeStacks'],
          resources: [Stack.of(this).stackId],
        }),
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      ],
    });
    // The role decides: a role that takes policies attaches it; an immutable one ignores it, and then the policy is
    // not synthesized and the jobs' dependency on it vanishes from the template.
    role.attachInlinePolicy(this.policy);
    // Roles are added as jobs name them; the statement joins the policy with the first one.
    this.passRole = new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      // Service principals are <service>.amazonaws.com in every partition, aws-cn and aws-us-gov included.
      conditions: { StringEquals: { 'iam:PassedToService': 'sms.amazonaws.com' } },
    });

    // Lambda needs these before it creates the function, so they go where the function's dependency on its role
    // reaches them (the role's default policy), not into the policy the jobs depend on.
    const vpcAccess = props.vpc && new iam.PolicyStatement({ actions: VPC_ACCESS_ACTIONS, resources: ['*'] });
    if (vpcAccess) {
      role.addToPrincipalPolicy(vpcAccess);
    }

    const handler = new lambda.Function(this, 'Handler', {
      description: 'Creates, updates and deletes AWS SMS replication jobs for CloudFormation (cdk-sms-replication-job)',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', '..', 'assets', 'handler')),
      handler: 'index.handler',
      runtime: NODEJS_24,
      // Available in every Lambda region; nothing shows arm64 in all three SMS regions (cn-north-1 above all).
      architecture: lambda.Architecture.X86_64,
      memorySize: 256,
      // Long enough for SMS's retries under throttling; the handler answers before it runs out. timing.ts says why.
      timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS),
      role,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      // CloudFormation invokes the function asynchronously. An event Lambda holds back (throttled, or retried after a
      // crash) must not run after the job's ServiceTimeout, when CloudFormation has moved on and a job it made would
      // be seen by no later event: the oldest event's run ends before then (timing.ts).
      maxEventAge: Duration.seconds(MAX_EVENT_AGE_SECONDS),
    });
    this.serviceToken = handler.functionArn;
    // Every job depends on the policy; through it, on the EventInvokeConfig too, so that the 5-minute event age is in
    // force before any job's first event (without it, Lambda's default, 6 hours and 2 retries, applies to the events
    // of a first deployment). One DependsOn entry on the policy rather than one on every job.
    const eventInvokeConfig = handler.node.findChild('EventInvokeConfig');
    this.policy.node.addDependency(eventInvokeConfig);
    // An immutable role leaves the policy out of the template, and its DependsOn with it: then each job depends on the
    // EventInvokeConfig itself (one DependsOn entry a job, only in that configuration).
    this._jobDependency = isAttached(this.policy) ? this.policy : eventInvokeConfig;

    if (!isAttached(this.policy)) {
      // Listed at synthesis, when every job has added the roles it passes.
      this.node.addValidation({
        validate: () => {
          Annotations.of(this).addWarningV2('cdk-sms-replication-job:providerRoleNotManaged',
            byoRoleMessage(this, role, [this.policy.document, ...vpcAccess ? [new iam.PolicyDocument({ statements: [vpcAccess] })] : []]));
          return [];
        },
      });
    }

    // cdk-nag findings that follow from SMS and from what a custom resource provider is; README "Security review"
    // lists them. Each names one rule (and, for IAM5, the one wildcard) on one construct: anything else still shows.
    acknowledge(this.policy, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'SMS has no resource-level permissions: sms:Create/Update/Delete/GetReplicationJobs only accept "*". The other statements name their log group and roles.',
    });
    const logGroupArn = cfnText(Stack.of(this).resolve(logGroup.logGroupArn), '<', '>');
    if (logGroupArn.includes('*')) {
      acknowledge(this.policy, {
        id: `AwsSolutions-IAM5[Resource::${logGroupArn}]`,
        reason: 'logs:CreateLogStream and logs:PutLogEvents act on the log streams of the given log group, which Lambda names as it runs: <log group ARN>:* is the narrowest resource that covers them.',
      });
    }
    const defaultPolicy = props.role ? undefined : role.node.tryFindChild('DefaultPolicy');
    if (vpcAccess && defaultPolicy) {
      acknowledge(defaultPolicy, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Lambda places the function in the VPC with these network-interface actions, which its VPC guide grants on "*" (ec2:DescribeNetworkInterfaces accepts nothing else); the same as AWSLambdaVPCAccessExecutionRole, without its logs:CreateLogGroup.',
      });
    }
    acknowledge(handler,
      {
        id: 'AwsSolutions-L1',
        reason: 'The runtime is pinned (nodejs24.x, what the bundled handler targets) so that a CDK upgrade never redeploys the provider; it moves with a release of this library.',
      },
      {
        id: 'Serverless-LambdaLatestVersion',
        reason: 'The runtime is pinned (nodejs24.x, what the bundled handler targets) so that a CDK upgrade never redeploys the provider; it moves with a release of this library.',
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

  /**
   * Lets the provider read the SMS server catalog and import it, once, for jobs that name their server by its VM
   * (`SmsServer.fromVmName`); stacks without such a job never get these permissions.
   *
   * @internal
   */
  public _allowServerResolution(): void {
    if (this.resolvesServers) {
      return;
    }
    this.resolvesServers = true;
    // SMS has no resource-level permissions: these actions only accept "*".
    this.policy.addStatements(new iam.PolicyStatement({ actions: ['sms:GetServers', 'sms:ImportServerCatalog'], resources: ['*'] }));
  }

  /**
   * Lets the provider pass a role to SMS, adding each role once, whatever the number of jobs that name it.
   *
   * ReplicationJob calls it for its `role`.
   *
   * @param role a role that the jobs hand to SMS
   */
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

/** Whether a role took the policy: an immutable role ignores `attachInlinePolicy`, leaving the policy without roles. */
function isAttached(policy: iam.Policy): boolean {
  const roles = Stack.of(policy).resolve((policy.node.defaultChild as CfnResource & { roles?: unknown }).roles);
  return Array.isArray(roles) && roles.length > 0;
}
