import * as path from 'node:path';
import {
  Annotations,
  AspectPriority,
  Aspects,
  CfnResource,
  IResolvable,
  Lazy,
  Duration,
  Stack,
  Token,
  aws_ec2 as ec2,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct, Dependable, IConstruct, IDependable } from 'constructs';
import { CatalogReads, CatalogSelector } from './private/catalog-read';
import { cfnText } from './private/cfn-text';
import { LATEST_AMI_STACK_ENV, latestAmiParameterPath } from './private/latest-ami';
import { JOB_STATE_CHANGE, SMS_EVENT_SOURCE } from './private/sms-events';
import { takesPolicies } from './private/role';
import { validationError } from './private/errors';
import { acknowledge } from './private/nag';
import { byoRoleMessage } from './private/role-message';
import { FUNCTION_TIMEOUT_SECONDS, MAX_EVENT_AGE_SECONDS } from './private/timing';

/**
 * The id of the provider under its stack. It reaches the template in the logical ids of the function, its role and
 * its policy, and so in every job's ServiceToken: CloudFormation refuses a changed ServiceToken, so this never changes.
 */
const PROVIDER_ID = 'SmsReplicationJobProvider';

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
   * A role that takes policies (an `iam.Role`, or one imported as mutable) gets the provider's policy attached, as the
   * default role does. A role that takes none (imported as immutable) gets nothing: the stack then creates no IAM role
   * and no IAM policy, and a synth warning
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
   * Where in the VPC to place the function.
   *
   * Needs a VPC.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the function's network interfaces; they must allow HTTPS out.
   *
   * Needs a VPC.
   *
   * @default - in a VPC, a security group that allows all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The log group of the provider's function, for your own retention and encryption.
   *
   * The provider's role is allowed to write to it.
   *
   * @default - the provider's own log group, kept 3 months, encrypted at rest by CloudWatch Logs with its own keys
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * The function's reserved concurrency: how many instances of it may run at once, reserved from the account's pool.
   *
   * The provider runs one instance per event. CloudFormation sends at most one event at a time per ReplicationJob; in a
   * stack whose jobs offer their latest AMI, SMS's AMI events (of any job of the account and region, each handled for at
   * most 20 seconds) share the same instances. Reserve at least the number of jobs plus the AMI events that may arrive at
   * once (the jobs whose replication runs may end together): a CloudFormation event Lambda throttles for longer than 5
   * minutes is dropped, and CloudFormation fails its job after 10. Lambda refuses a reservation that leaves the account
   * fewer than 100 unreserved executions.
   *
   * @default - no reservation: the function draws on the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * A queue that receives the events the function could not handle (after Lambda's retries, or dropped after 5 minutes):
   * a record, for your audit, of the deployments whose job CloudFormation then failed, and of SMS's AMI events whose
   * latest AMI the provider could not write (the job's parameter keeps the AMI before until the job's next one).
   *
   * The provider's role is allowed `sqs:SendMessage` on it and, for a queue encrypted with a KMS key the queue names,
   * `kms:GenerateDataKey` and `kms:Decrypt` on that key. An event holds the job's properties and CloudFormation's
   * pre-signed response URL (valid for 2 hours); nothing needs to replay it: CloudFormation fails the job either way.
   *
   * @default - no dead-letter queue
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * The one Lambda function per stack that serves every `Custom::SmsReplicationJob` in it, with its role, one policy
 * and a log group. Built from L2 constructs so that Aspects, permission boundaries and cdk-nag see it.
 *
 * The first ReplicationJob of a stack creates it with default settings; its of method returns it. To choose its role,
 * VPC or log group, call its configure method, before or after the stack's ReplicationJobs.
 *
 * @example
 * import * as cdk from 'aws-cdk-lib';
 * import { aws_sqs as sqs } from 'aws-cdk-lib';
 * import { ReplicationJob, ReplicationJobProvider, SmsServer } from 'cdk-sms-replication-job';
 *
 * const app = new cdk.App();
 * const stack = new cdk.Stack(app, 'Migration', { env: { region: 'us-west-2' } });
 *
 * ReplicationJobProvider.configure(stack, {
 *   deadLetterQueue: new sqs.Queue(stack, 'ProviderDeadLetters', { retentionPeriod: cdk.Duration.days(14) }),
 * });
 * new ReplicationJob(stack, 'DatabaseServer', { server: SmsServer.fromServerId('s-12345678') });
 */
export class ReplicationJobProvider extends Construct {
  /**
   * Sets up the provider of the scope's stack, with your role, VPC or log group.
   *
   * Call it once per stack, before or after the stack's ReplicationJobs: the provider is shared by every job of the
   * stack, and its resources are made when the app synthesizes, with these settings, whatever the order. Calling it
   * again with the same settings returns the same provider; with other settings, it fails naming both calls. Call it
   * before reading the provider's handler (an escape hatch), which makes the resources at once. Its construct path and logical ids are the default provider's, so adding
   * settings to a deployed stack changes no job's ServiceToken.
   *
   * @param scope any construct of the stack
   * @param props the provider's settings
   */
  public static configure(scope: Construct, props: ReplicationJobProviderProps): ReplicationJobProvider {
    const stack = Stack.of(scope);
    const site = callSite(scope);
    validateSettings(props, scope);
    const provider = (stack.node.tryFindChild(PROVIDER_ID) as ReplicationJobProvider | undefined) ?? new ReplicationJobProvider(stack);
    if (provider.configuredAt !== undefined) {
      const differ = differentSettings(provider.settings, props);
      if (differ.length === 0) {
        return provider;
      }
      throw validationError(`ReplicationJobProvider.configure at ${site}: the provider of stack ${stack.node.path} was configured at ` +
        `${provider.configuredAt} with other settings (${differ.join(', ')}); configure it once, or again with the same settings`, scope);
    }
    if (provider.made) {
      throw validationError(`ReplicationJobProvider.configure at ${site}: the provider of stack ${stack.node.path} was made with its ` +
        `default settings when its handler was read at ${provider.handlerReadAt}; call configure before reading the handler`, scope);
    }
    provider.settings = props;
    provider.configuredAt = site;
    return provider;
  }

  /**
   * The provider of the stack that holds the given construct: the one the configure method set up, or else the stack's
   * provider with default settings (a later configure still applies its settings).
   *
   * It only looks the provider up, or starts it: the provider's resources are made when the app synthesizes, if the
   * stack has a ReplicationJob, was configured, or its handler was read.
   *
   * @param scope any construct of the stack
   */
  public static of(scope: Construct): ReplicationJobProvider {
    const stack = Stack.of(scope);
    return stack.node.tryFindChild(PROVIDER_ID) as ReplicationJobProvider | undefined ?? new ReplicationJobProvider(stack);
  }

  /**
   * The function's ARN: the ServiceToken of every job, resolved at synthesis to the function the settings made. Reading
   * it marks the provider as used: its resources are made at synthesis.
   *
   * @internal
   */
  public get _serviceToken(): string {
    this.used = true;
    return this.serviceToken;
  }

  /**
   * What every job depends on: the function's EventInvokeConfig, so that the 5-minute event age is in force before any
   * job's first event; through it, the function and the managed policy, which the function depends on. Resolved at
   * synthesis, to the function the settings made.
   *
   * @internal
   */
  public readonly _jobDependency: IDependable;

  private readonly serviceToken: string;
  /**
   * What the provider's role is allowed, once the provider is made: the statements of its managed policy, or what an
   * immutable role must already allow. Jobs add `iam:PassRole` statements as they name roles.
   */
  private document?: iam.PolicyDocument;
  private readonly passRole: iam.PolicyStatement;
  private readonly passedRoles = new Set<string>();
  private resolvesServers = false;
  /** Whether a job of the stack offers its latest AMI: the provider then keeps each job's in a parameter. */
  private keepsLatestAmis = false;
  private catalogReads?: CatalogReads;
  /** What the settings made, once made: the function and its EventInvokeConfig. */
  private made?: { handler: lambda.Function; eventInvokeConfig: IConstruct };
  /** The settings, and where `configure` gave them (undefined: the defaults, not configured). */
  private settings: ReplicationJobProviderProps = {};
  private configuredAt?: string;
  /** Whether a job (or a read of the catalog) uses the provider. */
  private used = false;
  /** Where the handler was first read, which made the provider before synthesis. */
  private handlerReadAt?: string;

  /**
   * The provider's Lambda function, for a setting this library does not offer (an escape hatch): the default child
   * of its construct node is the `lambda.CfnFunction`.
   *
   * Its logical id is every job's ServiceToken: never replace it. Reading it makes the provider's resources with the
   * settings given so far: configure the provider, if at all, before reading it.
   */
  public get handler(): lambda.Function {
    this.handlerReadAt ??= callSite(this);
    return this.make().handler;
  }

  private constructor(stack: Stack) {
    super(stack, PROVIDER_ID);
    this.passRole = new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      // Service principals are <service>.amazonaws.com in every partition, aws-cn and aws-us-gov included.
      conditions: { StringEquals: { 'iam:PassedToService': 'sms.amazonaws.com' } },
    });
    this.serviceToken = Lazy.string({ produce: () => this.make().handler.functionArn });
    const self = this;
    this._jobDependency = new (class implements IDependable {
      constructor() {
        Dependable.implement(this, { get dependencyRoots() { return [self.make().eventInvokeConfig]; } });
      }
    })();
    // The resources are made once, with the settings configure gave, wherever it was called: at synthesis, before any
    // Aspect that reads the tree (cdk-nag's packs) and in the same place of the tree whatever the order of the calls;
    // earlier only if the handler is read.
    Aspects.of(this).add({
      visit: (node) => {
        if (node === this && (this.used || this.configuredAt !== undefined || this.handlerReadAt !== undefined)) {
          this.make();
        }
      },
    }, { priority: AspectPriority.MUTATING });
  }

  /** Makes the function, its role, policy and log group for the settings, once; the jobs' ServiceToken and dependency resolve to them. */
  private make(): { handler: lambda.Function; eventInvokeConfig: IConstruct } {
    if (!this.made) {
      this.made = this.build(this.settings);
    }
    return this.made;
  }

  private build(props: ReplicationJobProviderProps): { handler: lambda.Function; eventInvokeConfig: IConstruct } {
    const stack = Stack.of(this);
    const reserved = props.reservedConcurrentExecutions;

    const logGroup = props.logGroup ?? new logs.LogGroup(this, 'LogGroup', { retention: logs.RetentionDays.THREE_MONTHS });
    const role = props.role ?? new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lets the SMS replication job provider manage replication jobs and write its logs',
    });

    const document = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          // SMS has no resource-level permissions: these actions only accept "*".
          actions: ['sms:CreateReplicationJob', 'sms:UpdateReplicationJob', 'sms:DeleteReplicationJob', 'sms:GetReplicationJobs'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          // The handler reads its own stack's status to tell a rollback from a forward event, and stops a forward
          // event's writes once CloudFormation has cancelled it; an Update that finds its stack rolling back reads
          // when the rollback began, from the stack's events (lambda/rollback.ts). Its own stack only.
          actions: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents'],
          resources: [Stack.of(this).stackId],
        }),
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      ],
    });
    // Lambda needs these before it creates the function, to place it in the VPC (Lambda's VPC guide): the function
    // depends on the policy that holds them.
    if (props.vpc) {
      document.addStatements(new iam.PolicyStatement({ actions: VPC_ACCESS_ACTIONS, resources: ['*'] }));
    }
    // Lambda checks that the role may send to the dead-letter queue when it creates the function, too.
    const dlq = props.deadLetterQueue;
    if (dlq) {
      document.addStatements(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [dlq.queueArn] }));
      if (dlq.encryptionMasterKey) {
        document.addStatements(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [dlq.encryptionMasterKey.keyArn] }));
      }
    }
    // Roles are added as jobs name them, and the catalog's actions with the first VM-named job: what jobs added before
    // the provider was made joins its document now, in this order.
    if (this.passedRoles.size > 0) {
      document.addStatements(this.passRole);
    }
    if (this.resolvesServers) {
      document.addStatements(serverResolution());
    }
    if (this.keepsLatestAmis) {
      document.addStatements(...latestAmiStatements(stack));
    }

    // A customer managed policy, not an inline one (the compliance packs' IAMNoInlinePolicy): CloudFormation names it
    // uniquely per stack, so stacks that share a role each attach their own, and deleting one leaves the others. It
    // attaches itself to the role (its Roles), so that the role does not depend on it and the function can. A role that
    // takes no policies (imported with `mutable: false`) gets none: the template then has no policy at all.
    const policy = takesPolicies(role) ? new iam.ManagedPolicy(this, 'ManagedPolicy', {
      description: `What the SMS replication job provider of stack ${stack.stackName} may do (cdk-sms-replication-job)`,
      document,
    }) : undefined;
    policy?.attachToRole(role);

    const handler = new lambda.Function(this, 'Handler', {
      description: 'Creates, updates and deletes AWS SMS replication jobs for CloudFormation (cdk-sms-replication-job)',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'assets', 'handler')),
      handler: 'index.handler',
      runtime: nodejs24(),
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
      reservedConcurrentExecutions: reserved,
      // CloudFormation invokes the function asynchronously. An event Lambda holds back (throttled, or retried after a
      // crash) must not run after the job's ServiceTimeout, when CloudFormation has moved on and a job it made would
      // be seen by no later event: the oldest event's run ends before then (timing.ts).
      maxEventAge: Duration.seconds(MAX_EVENT_AGE_SECONDS),
    });
    if (dlq) {
      // Set on the CfnFunction rather than with the `deadLetterQueue` prop, which would grant sqs:SendMessage in an
      // inline policy of the role: the managed policy above grants it.
      (handler.node.defaultChild as lambda.CfnFunction).deadLetterConfig = { targetArn: dlq.queueArn };
    }
    if (policy) {
      handler.node.addDependency(policy);
    }
    // Every job depends on the EventInvokeConfig, so that the 5-minute event age is in force before any job's first
    // event (without it, Lambda's default, 6 hours and 2 retries, applies to the events of a first deployment); it
    // depends on the function, which depends on the policy: no job is created before the provider may call SMS.
    const eventInvokeConfig = handler.node.findChild('EventInvokeConfig');
    this.document = document;
    if (this.keepsLatestAmis) {
      this.sendAmiEvents(handler, policy);
    }

    if (!policy) {
      // Listed at synthesis, when every job has added the roles it passes.
      this.node.addValidation({
        validate: () => {
          Annotations.of(this).addWarningV2('cdk-sms-replication-job:providerRoleNotManaged', byoRoleMessage(this, role, [document]));
          return [];
        },
      });
    }

    // cdk-nag findings that follow from SMS, from what a custom resource provider is, or from a setting left at its
    // default; README "Compliance" lists each rule and what the provider does about it. Each names one rule (and, for
    // IAM5, the one wildcard) on one construct: anything else still shows.
    if (policy) {
      acknowledge(policy, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'SMS has no resource-level permissions: its actions (sms:Create/Update/Delete/GetReplicationJobs, and sms:GetServers and sms:ImportServerCatalog for jobs that name a VM) only accept "*"; in a VPC, Lambda\'s network-interface actions are granted on "*" as in its VPC guide (ec2:DescribeNetworkInterfaces accepts nothing else). The other statements name their resources.',
      });
      const logGroupArn = cfnText(Stack.of(this).resolve(logGroup.logGroupArn), '<', '>');
      if (logGroupArn.includes('*')) {
        acknowledge(policy, {
          id: `AwsSolutions-IAM5[Resource::${logGroupArn}]`,
          reason: 'logs:CreateLogStream and logs:PutLogEvents act on the log streams of the given log group, which Lambda names as it runs: <log group ARN>:* is the narrowest resource that covers them.',
        });
      }
    }
    const ownLogGroup = props.logGroup ? undefined : logGroup as logs.LogGroup;
    if (ownLogGroup) {
      acknowledge(ownLogGroup, ...compliancePacks('CloudWatchLogGroupEncrypted').map((id) => ({
        id,
        reason: 'CloudWatch Logs encrypts every log group at rest with keys it manages; the rule asks for a customer managed KMS key, which costs and needs a key policy for CloudWatch Logs: give the provider a logGroup encrypted with your key (ReplicationJobProvider.configure).',
      })));
    }
    const runtimeReason = 'The runtime is pinned (nodejs24.x, what the bundled handler targets) so that a CDK upgrade never redeploys the provider; it moves with a release of this library.';
    acknowledge(handler,
      { id: 'AwsSolutions-L1', reason: runtimeReason },
      { id: 'Serverless-LambdaLatestVersion', reason: runtimeReason },
      {
        id: 'Serverless-LambdaTracing',
        reason: 'The function makes a few SMS calls per deployment and logs each to its own log group; X-Ray would add permissions and cost without a trace worth reading.',
      },
    );
    if (reserved === undefined) {
      acknowledge(handler, ...['NIST.800.53.R5', 'HIPAA.Security'].map((pack) => ({
        id: `${pack}-LambdaConcurrency`,
        reason: 'CloudFormation sends at most one event at a time per ReplicationJob, so the function runs at most as many instances as the stack has jobs, plus SMS\'s AMI events (each at most 20 s) in a stack that keeps its jobs\' latest AMIs. Reserving concurrency takes from the account\'s pool and fails where it is small: set reservedConcurrentExecutions (ReplicationJobProvider.configure) to reserve it.',
      })));
    }
    if (!dlq) {
      acknowledge(handler, ...['Serverless', 'NIST.800.53.R5', 'HIPAA.Security'].map((pack) => ({
        id: `${pack}-LambdaDLQ`,
        reason: 'CloudFormation invokes the provider; the handler reports every failure to CloudFormation, and an event it never answers fails its job after the 10-minute ServiceTimeout. For a record of such events, give a deadLetterQueue (ReplicationJobProvider.configure).',
      })));
    }
    acknowledge(eventInvokeConfig, {
      id: 'Serverless-LambdaAsyncFailureDestination',
      reason: 'An event that fails or ages out leaves CloudFormation to fail the job at its 10-minute ServiceTimeout, and the Delete that follows finds any job by its marker. A destination would hold presigned response URLs nobody replays.',
    });
    return { handler, eventInvokeConfig };
  }

  /**
   * Lets the provider read the SMS server catalog and import it, once, for jobs that name their server by its VM
   * (`SmsServer.fromVmName`, `SmsServer.fromVmServerAddress`); stacks without such a job never get these permissions.
   *
   * @internal
   */
  public _allowServerResolution(): void {
    if (this.resolvesServers) {
      return;
    }
    this.resolvesServers = true;
    this.document?.addStatements(serverResolution());
  }

  /**
   * Makes the provider keep the latest AMI of each job of the stack in the job's SSM parameter (lib/private/latest-ami.ts),
   * once: one EventBridge rule for the stack sends SMS's AMI events to the function, and its policy may write the
   * stack's parameters only. Stacks whose jobs never offer their latest AMI get none of it.
   *
   * @internal
   */
  public _keepLatestAmis(): void {
    if (this.keepsLatestAmis) {
      return;
    }
    this.keepsLatestAmis = true;
    if (this.made) {
      this.document?.addStatements(...latestAmiStatements(Stack.of(this)));
      const policy = this.node.tryFindChild('ManagedPolicy') as iam.ManagedPolicy | undefined;
      this.sendAmiEvents(this.made.handler, policy);
    }
  }

  /**
   * The stack's one rule for SMS's AMI events, whatever its number of jobs (a rule per job would pass CloudFormation's
   * 500 resources and EventBridge's 300 rules per bus, and a pattern listing every job id PutRule's pattern size): the
   * function keeps the events of the jobs its stack owns (lambda/latest-ami.ts). The stack's id, which an EventBridge
   * event does not carry, tells it which those are.
   */
  private sendAmiEvents(handler: lambda.Function, policy: iam.ManagedPolicy | undefined): void {
    const stack = Stack.of(this);
    handler.addEnvironment(LATEST_AMI_STACK_ENV, stack.stackId);
    const rule = new events.Rule(this, 'AmiEvents', {
      description: `Sends the AMI events of SMS to the replication job provider of stack ${stack.stackName}, which keeps the latest AMI of each of its jobs (cdk-sms-replication-job)`,
      eventPattern: { source: [SMS_EVENT_SOURCE], detailType: [JOB_STATE_CHANGE], detail: { 'ami-id': events.Match.exists() } },
    });
    rule.addTarget(new targets.LambdaFunction(handler));
    acknowledge(rule, {
      id: 'Serverless-EventBusDLQ',
      reason: 'EventBridge retries delivering an AMI event to the function for 24 hours; an event the function fails is retried by Lambda and then goes to the provider\'s deadLetterQueue, if given. A lost event leaves the parameter at the previous AMI until the next: the AMI itself is never lost.',
    });
    if (policy) {
      const parameters = cfnText(stack.resolve(latestAmiParametersArn(stack)), '<', '>');
      acknowledge(policy, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ec2:DescribeImages, which SSM requires of whoever writes a parameter of data type aws:ec2:image (the latest AMI of each job), accepts only "*".',
      }, {
        id: `AwsSolutions-IAM5[Resource::${parameters}]`,
        reason: 'The provider writes, deletes, and reads the writer of, the latest-AMI parameter of each job of its stack, named after the job\'s logical id: the parameters under its stack\'s own path are the narrowest resource that covers them.',
      });
    }
  }

  /**
   * The server of a job named by its VM (its name or its address), as the stack's read of the catalog finds it (the
   * job's CatalogServerId property): one read for every 50 such jobs, made with the first (private/catalog-read.ts).
   *
   * @internal
   */
  public _catalogServerOf(job: () => CfnResource, selector: CatalogSelector): IResolvable {
    this._allowServerResolution();
    this.catalogReads ??= new CatalogReads(this, this._serviceToken, this._jobDependency);
    return this.catalogReads.serverOf(job, selector);
  }

  /**
   * Lets the provider pass a role to SMS, adding each role once, whatever the number of jobs that name it.
   *
   * ReplicationJob calls it for its `role`.
   *
   * @param role a role that the jobs hand to SMS
   * @internal
   */
  public _allowPassRole(role: iam.IRole): void {
    const key = JSON.stringify(Stack.of(this).resolve(role.roleArn));
    if (this.passedRoles.has(key)) {
      return;
    }
    if (this.passedRoles.size === 0) {
      this.document?.addStatements(this.passRole);
    }
    this.passedRoles.add(key);
    this.passRole.addResources(role.roleArn);
  }
}

/** Fails on settings that cannot go together, naming them and the fix. */
function validateSettings(props: ReplicationJobProviderProps, scope: IConstruct): void {
  const withoutVpc = [props.vpcSubnets && 'vpcSubnets', props.securityGroups?.length && 'securityGroups'].filter(Boolean);
  if (!props.vpc && withoutVpc.length > 0) {
    throw validationError(`ReplicationJobProvider.configure: ${withoutVpc.join(' and ')} given without vpc; they place the function in a VPC, so give vpc too, or leave them out`, scope);
  }
  const reserved = props.reservedConcurrentExecutions;
  if (reserved !== undefined && !Token.isUnresolved(reserved) && (!Number.isInteger(reserved) || reserved < 1)) {
    throw validationError(`ReplicationJobProvider.configure: reservedConcurrentExecutions must be a whole number of at least 1, got ${reserved}; reserve at least as many as the stack has ReplicationJobs (plus the AMI events that may arrive at once, if they offer their latest AMI), or leave it out`, scope);
  }
}

/** What reading and importing the server catalog takes. SMS has no resource-level permissions: these only accept "*". */
function serverResolution(): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: ['sms:GetServers', 'sms:ImportServerCatalog'], resources: ['*'] });
}

/**
 * What keeping the jobs' latest AMIs takes: which job each resource of the stack holds (its own stack only), writing
 * and deleting the stack's own parameters (under
 * /cdk-sms-replication-job/<stack name>/), and reading which job wrote one before a Delete drops it (its description:
 * ssm:GetParameterHistory, on the parameter, where DescribeParameters would need "*"), and ec2:DescribeImages, which SSM requires of whoever writes a parameter of
 * data type aws:ec2:image (the SSM User Guide, "Native parameter support for Amazon Machine Image IDs") and which
 * accepts only "*".
 */
function latestAmiStatements(stack: Stack): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParameterHistory'], resources: [latestAmiParametersArn(stack)] }),
    // An AMI event writes only for the job its resource holds now (DescribeStackResource), not the old job of a replaced
    // resource, which carries the same marker. Its own stack only, as the other cloudformation: actions.
    new iam.PolicyStatement({ actions: ['cloudformation:DescribeStackResource'], resources: [stack.stackId] }),
    new iam.PolicyStatement({ actions: ['ec2:DescribeImages'], resources: ['*'] }),
  ];
}

/** The ARN of every latest-AMI parameter of the stack (an SSM parameter's ARN names it without its leading slash). */
function latestAmiParametersArn(stack: Stack): string {
  return stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${latestAmiParameterPath(stack.stackName).slice(1)}*` });
}

/** Settings that differ between two `configure` calls: a value not the same object (arrays and objects by element). */
function differentSettings(a: ReplicationJobProviderProps, b: ReplicationJobProviderProps): string[] {
  const same = (x: unknown, y: unknown): boolean => {
    if (x === y) return true;
    if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => same(v, y[i]));
    if (x && y && typeof x === 'object' && typeof y === 'object' && Object.getPrototypeOf(x) === Object.prototype && Object.getPrototypeOf(y) === Object.prototype) {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      return [...keys].every((k) => same((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
    }
    return false;
  };
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof ReplicationJobProviderProps>;
  return [...keys].filter((k) => !same(a[k], b[k]));
}

/**
 * Where a call came from, for errors that name two calls: the construct's path, and the first frame of the stack
 * outside this library and Node.js's internals (file and line), when there is one.
 */
function callSite(scope: IConstruct): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1).map((line) => line.trim());
  const outside = frames.find((line) => !line.includes(__dirname) && !line.includes('node:internal') && !line.includes('node_modules'));
  const location = outside ? /\(?([^()\s]+:\d+:\d+)\)?$/.exec(outside)?.[1] : undefined;
  return `${scope.node.path}${location ? ` (${location})` : ''}`;
}

/** The rule ids of the three compliance packs (NIST 800-53 R5, HIPAA Security, PCI DSS 3.2.1) for one rule name. */
function compliancePacks(rule: string): string[] {
  return ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'].map((pack) => `${pack}-${rule}`);
}

/**
 * nodejs24.x: `lambda.Runtime.NODEJS_24_X` where the installed aws-cdk-lib has it, else built by name (aws-cdk-lib
 * 2.176, the peer minimum, lacks it). Built when first needed, not when the library is imported: every
 * `new lambda.Runtime` joins `lambda.Runtime.ALL`, the user's list of runtimes.
 */
function nodejs24(): lambda.Runtime {
  const known = (lambda.Runtime as unknown as Record<string, lambda.Runtime | undefined>).NODEJS_24_X;
  if (known) return known;
  nodejs24Built ??= new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS);
  return nodejs24Built;
}
let nodejs24Built: lambda.Runtime | undefined;
