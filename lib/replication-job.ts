import {
  Annotations,
  CfnResource,
  Duration,
  IResource,
  RemovalPolicy,
  Stack,
  Token,
  TokenComparison,
  aws_ec2 as ec2,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { serverClaims } from './private/app-state';
import { grantKeyForEbs } from './private/ebs-key';
import { validationError } from './private/errors';
import { ReplicationJobProvider } from './provider';
import { claimVmSelector, serverOfJob } from './private/server-selector';
import { ReplicationJobBase } from './replication-job-base';
import { SmsServer } from './server';
import { SERVICE_TIMEOUT_SECONDS } from './private/timing';
import { latestAmiParameterName } from './private/latest-ami';

/**
 * The license type of the AMIs that a replication job creates.
 */
export enum LicenseType {
  /** The AMI is licensed by AWS (license-included). */
  AWS = 'AWS',
  /** Bring your own license: the AMI uses the license you already hold. */
  BYOL = 'BYOL',
}

/**
 * What a ReplicationJob does when its server already has a replication job that it did not make.
 */
export enum ExistingJobPolicy {
  /** Fail the create if the server has a job made outside this resource. The default. */
  FAIL = 'FAIL',
  /** Take over a job made outside CloudFormation, bringing it to the template's properties. */
  ADOPT = 'ADOPT',
}

/**
 * An AWS Server Migration Service (SMS) replication job.
 */
export interface IReplicationJob extends IResource {
  /**
   * The ID of the replication job, such as `sms-job-0123456789abcdef0`.
   *
   * @attribute
   */
  readonly replicationJobId: string;

  /**
   * Defines an EventBridge rule that matches every event SMS publishes about this job (source `aws.sms`, any
   * detail-type, `detail.replication-job-id` this job's ID).
   *
   * @param id the construct id of the rule, under this job
   * @param options the rule's target, name, description and any more of its pattern
   */
  onEvent(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * Defines an EventBridge rule that matches every "Server Migration Job State Change" event of this job.
   *
   * @param id the construct id of the rule, under this job
   * @param options the rule's target, name, description and any more of its pattern
   */
  onStateChange(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * Defines an EventBridge rule that matches this job's state changes that carry a new AMI (`detail.ami-id`).
   *
   * @param id the construct id of the rule, under this job
   * @param options the rule's target, name, description and any more of its pattern
   */
  onAmiCreated(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * The name of the SSM parameter that holds the job's most recent AMI ID, for those who read it elsewhere (a script,
   * another tool, `{{resolve:ssm:...}}`).
   *
   * Fixed at synthesis: `/cdk-sms-replication-job/<stack name>/<logical id>/latest-ami`. Reading it makes the stack's
   * provider keep the parameter: it writes the ID of each new AMI of the job, naming the job in the parameter's
   * description, and deletes the parameter with the job it names (the old and the new job of a replacement share it).
   * The parameter does not exist before the job's first AMI. Only a job declared in this app has one: a job imported by its ID
   * throws, since its stack and logical id are unknown; read that job's parameter by its name
   * with MachineImage.fromSsmParameter of aws-cdk-lib instead.
   */
  readonly latestAmiParameterName: string;

  /**
   * The job's most recent AMI, as a machine image to launch from (Linux user data; for another system, use the
   * latest-AMI image method with its options).
   *
   * Resolved by CloudFormation from the job's latest-AMI parameter at each deployment of the stack that launches from
   * it (an SSM-typed template parameter), with no lookup at synthesis; that stack may be this one or another of the
   * same account and region, which then depends on this one. Before the job's first AMI, that deployment fails, naming
   * the missing parameter. Each new AMI replaces, at the next deployment, the instances launched from it.
   */
  readonly latestAmi: ec2.IMachineImage;

  /**
   * The job's most recent AMI, as a machine image with the given operating system and user data.
   *
   * The same image as the latest-AMI property, whose operating system is Linux.
   *
   * @param options the image's operating system and user data
   */
  latestAmiImage(options?: LatestAmiOptions): ec2.IMachineImage;
}

/**
 * How to launch from a replication job's latest AMI.
 */
export interface LatestAmiOptions {
  /**
   * The operating system of the replicated server.
   *
   * @default ec2.OperatingSystemType.LINUX
   */
  readonly os?: ec2.OperatingSystemType;

  /**
   * The user data of the instances launched from the image.
   *
   * @default - empty user data for the operating system
   */
  readonly userData?: ec2.UserData;
}

/**
 * Properties of a ReplicationJob: the parameters of the SMS API CreateReplicationJob.
 */
export interface ReplicationJobProps {
  /**
   * The server to replicate: by its ID in the SMS server catalog, or by its VM, which the provider finds in the catalog
   * at deploy time (by the VM's name, or by its address in its VM manager).
   *
   * Made by the static methods of `SmsServer`, one for each way.
   *
   * SMS allows one replication job per server. A change of server replaces the job: a job is created for the new
   * server, then the old job is deleted. A VM selector is resolved when the job is created and when the selector
   * changes (an update that keeps it asks SMS nothing about it); a selector that then resolves to another server
   * replaces the job, as a changed server ID does. The deployment fails, before anything is written to SMS, when no
   * server or more than one matches.
   */
  readonly server: SmsServer;

  /**
   * The seed replication time: when the first replication run starts.
   *
   * It is read when the job is created: a time that has passed by then (for example when the same template is deployed
   * to another stage months later) means "as soon as possible", like no time at all, and the provider sends SMS a time
   * a few minutes ahead. Once the job exists, changing this to a future time moves the start of the job's next
   * replication run; changing it to a past time, or removing it, changes nothing. Synthesis never depends on the day
   * it runs: no warning appears or disappears with the calendar. When an existing job is adopted
   * (`ExistingJobPolicy.ADOPT`), a past time is expected: the adopted job keeps its schedule.
   *
   * @default - the first replication run starts as soon as SMS accepts the job, when it is created
   */
  readonly seedReplicationTime?: Date;

  /**
   * The time between consecutive replication runs, a whole number of hours from 1 to 24.
   *
   * Not for a job that runs once (the run-once property): give one or the other.
   *
   * @default - not sent: SMS applies its own default
   */
  readonly frequency?: Duration;

  /**
   * Whether to run the replication job one time.
   *
   * SMS cannot change this on an existing job: an update that changes it fails, and the job is left as it was.
   *
   * @default false
   */
  readonly runOnce?: boolean;

  /**
   * The license type to be used for the AMI created by a successful replication run.
   *
   * @default - not sent: SMS applies its own default
   */
  readonly licenseType?: LicenseType;

  /**
   * The IAM role to be used by SMS, sent as its role name.
   *
   * Without it no role is sent, and SMS uses its service-linked role `AWSServiceRoleForSMS`, which it creates itself
   * (the SMS User Guide's "Service-linked roles for AWS SMS"); the legacy `sms` role is no longer needed. The provider
   * is allowed `iam:PassRole` on a role given here, to SMS only. With an encryption key, the role is also granted what
   * EBS needs of the key. It must be a role of the job's account: SMS receives only its name and looks it up there, so a
   * role whose account differs from the stack's is refused at synth (one whose account is a token is not checked).
   *
   * @default - none is sent: SMS uses its service-linked role `AWSServiceRoleForSMS`
   */
  readonly role?: iam.IRole;

  /**
   * The description of the replication job.
   *
   * The provider appends a marker, `[cfn:<stack name>/<logical id>/<hash>/<token>]`, by which it recognises the jobs it owns.
   *
   * @default - no description but the marker
   */
  readonly description?: string;

  /**
   * The maximum number of SMS-created AMIs to retain, from 0 to 270.
   *
   * The oldest is deleted after the maximum number is reached and a new AMI is created. 0 keeps every AMI.
   *
   * @default - chosen by SMS (0: every AMI is kept)
   */
  readonly numberOfRecentAmisToKeep?: number;

  /**
   * Whether the replication job produces encrypted AMIs.
   *
   * @default - true when an encryption key is given, otherwise false
   */
  readonly encrypted?: boolean;

  /**
   * The KMS key for replication jobs that produce encrypted AMIs, sent as its key ARN.
   *
   * Implies encrypted AMIs. With a role, the role is granted what EBS needs of the key to encrypt the AMIs
   * (`kms:Decrypt`, `kms:DescribeKey`, `kms:GenerateDataKeyWithoutPlainText`, `kms:ReEncryptFrom`, `kms:ReEncryptTo`,
   * and `kms:CreateGrant` for AWS resources only), the way aws-cdk-lib grants a key: in the role's policy (a policy
   * attached to an imported role, unless it was imported as immutable); a key of another account also needs its own
   * policy to allow the role. Without a role, the key's policy must allow SMS's service-linked role (README, "A key
   * without a role").
   *
   * @default - for encrypted AMIs, the account's default KMS key for EBS
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the replication job when it is removed from the stack, or replaced.
   *
   * AMIs that the job created are kept either way: deleting a job does not delete its AMIs. A job adopted
   * (`ExistingJobPolicy.ADOPT`) is never deleted by a rollback, whatever this says; it is deleted only with
   * an explicit `RemovalPolicy.DESTROY`, when it is removed from the stack or the stack is deleted (not when a nested
   * stack is deleted, which may be its parent's rollback).
   *
   * @default - RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE for an adopted job (`ExistingJobPolicy.ADOPT`: kept when
   * removed, replaced or its stack deleted; when the stack operation that created it rolls back, an adopted job is
   * kept and its marker removed, a job the resource made is deleted), otherwise RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * What to do when the server already has a replication job made outside this resource (SMS allows one per server).
   *
   * With `ADOPT`, a job that carries no other CloudFormation resource's marker is taken over instead of created: it is
   * brought to these properties with UpdateReplicationJob and keeps its replication runs, schedule and AMIs. The
   * create fails, leaving the job as it was, if it runs once and this one does not (or the reverse), or its state
   * refuses updates. A seed time in the past is then expected: the job keeps its schedule. The job's marker, not this
   * property, says that it was adopted: with `ADOPT` removed later, removing the job or deleting the stack keeps it
   * (and removes its marker). To delete an adopted job with its resource, keep `ADOPT` and set the removal policy to
   * `RemovalPolicy.DESTROY`. See the README, "Bringing an existing job under CloudFormation".
   *
   * @default ExistingJobPolicy.FAIL
   */
  readonly existingJob?: ExistingJobPolicy;
}

/**
 * The regions where SMS still had endpoints in the AWS SDKs' endpoint data (botocore's endpoints.json, from its cut of
 * 2023-07-28 until SMS left the SDKs in 2025): what the SDKs listed, not a statement by AWS that SMS answers there.
 */
const SMS_REGIONS = ['us-west-2', 'cn-north-1', 'us-gov-west-1'];

/** The most AMIs the SMS console lets a job keep. */
const MAX_AMIS_TO_KEEP = 270;

/**
 * An AWS Server Migration Service (SMS) replication job, created, updated and deleted by a custom resource.
 *
 * Every ReplicationJob in a stack shares one Lambda function (with one role, one policy and one log group) that
 * calls the SMS API. SMS is deprecated (AWS Application Migration Service, MGN, is its successor; README, "Service
 * status"), and this construct has been verified against SMS's API model and an emulator of it, not against live SMS.
 *
 * @resource Custom::SmsReplicationJob
 */
export class ReplicationJob extends ReplicationJobBase {
  /**
   * Refers to a replication job that exists already, by its ID.
   *
   * @param scope the parent construct
   * @param id the construct id
   * @param replicationJobId the ID of the replication job, such as `sms-job-0123456789abcdef0`
   */
  public static fromReplicationJobId(scope: Construct, id: string, replicationJobId: string): IReplicationJob {
    if (!Token.isUnresolved(replicationJobId) && !/^sms-job-[0-9a-z]+$/i.test(replicationJobId)) {
      throw validationError(`ReplicationJob.fromReplicationJobId at ${scope.node.path}/${id}: replicationJobId must be an SMS replication job ID such as sms-job-0123456789abcdef0, got "${replicationJobId}"`, scope);
    }
    class Import extends ReplicationJobBase {
      public readonly replicationJobId = replicationJobId;
    }
    return new Import(scope, id);
  }

  /**
   * The ID of the replication job, such as `sms-job-0123456789abcdef0`.
   *
   * @attribute
   */
  public readonly replicationJobId: string;

  /**
   * The ID of the server the job replicates, such as `s-12345678`: the server ID given, or, for a server named by its
   * VM, a token the provider resolves at deploy time.
   *
   * @attribute
   */
  public readonly serverId: string;

  private readonly resource: CfnResource;
  private latestAmiLogicalId?: string;

  /**
   * Declares a replication job.
   *
   * @param scope the parent construct
   * @param id the construct id. It becomes part of the job's logical id: changing it replaces the job, which SMS
   * refuses while the old job holds the server, so keep it stable
   * @param props the replication job's properties
   */
  constructor(scope: Construct, id: string, props: ReplicationJobProps) {
    super(scope, id);
    this.validateProps(props);
    const server = serverOfJob(this, props);
    if (server.serverId !== undefined) {
      claimServer(this, server.serverId);
    }
    claimVmSelector(this, server);

    const provider = ReplicationJobProvider.of(this);
    if (props.role) {
      provider._allowPassRole(props.role);
    }

    const adopt = props.existingJob === ExistingJobPolicy.ADOPT;

    // A job that existed before the stack is kept by default: nothing the stack did not make is lost by default. Not
    // RETAIN but RETAIN_ON_UPDATE_OR_DELETE (DeletionPolicy RetainExceptOnCreate): when the operation that created the
    // resource rolls back, CloudFormation sends its Delete, which keeps an adopted job and removes its marker (and
    // deletes a job the resource made), so that no job is left marked by a resource that never came to exist.
    const removalPolicy = props.removalPolicy ?? (adopt ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY);
    // The CfnResource itself is the child `Resource`, so that `job.node.defaultChild` is it (addPropertyOverride,
    // cfnOptions). Its path, and so its logical id, is the one a CustomResource's `Resource/Default` had: aws-cdk-lib
    // leaves `Default` out of logical ids.
    const resource: CfnResource = new CfnResource(this, 'Resource', {
      type: 'Custom::SmsReplicationJob',
      properties: {
        ServiceToken: provider._serviceToken,
        // If the provider dies without answering, CloudFormation gives up after this rather than the default hour. It
        // outlasts the last run of any event Lambda still delivers (private/timing.ts). A string, as CustomResource
        // writes it.
        ServiceTimeout: String(SERVICE_TIMEOUT_SECONDS),
        ServerId: server.serverId,
        VmName: server.vmName,
        VmManagerName: server.vmManagerName,
        VmManagerId: server.vmManagerId,
        VmId: server.vmId,
        // The server the stack's read of the catalog found for the VM: one read for the stack's VM-named jobs, not one
        // each (lambda/catalog-read.ts).
        CatalogServerId: server.vmName !== undefined ? provider._catalogServerOf(() => resource, { VmName: server.vmName, VmManagerName: server.vmManagerName })
          : server.vmId !== undefined ? provider._catalogServerOf(() => resource, { VmManagerId: server.vmManagerId!, VmId: server.vmId }) : undefined,
        SeedReplicationTime: props.seedReplicationTime?.toISOString(),
        Frequency: props.frequency?.toHours(),
        RunOnce: props.runOnce,
        LicenseType: props.licenseType,
        RoleName: props.role?.roleName,
        Description: props.description,
        NumberOfRecentAmisToKeep: props.numberOfRecentAmisToKeep,
        Encrypted: props.encrypted ?? (props.encryptionKey ? true : undefined),
        KmsKeyId: props.encryptionKey?.keyArn,
        // FAIL is the handler's default: not written, so that templates without adoption do not change.
        ExistingJob: adopt ? ExistingJobPolicy.ADOPT : undefined,
      },
    });
    this.resource = resource;
    resource.node.addDependency(provider._jobDependency);
    if (props.role && props.encryptionKey) {
      grantKeyForEbs(props.encryptionKey, props.role, resource);
    }
    this.applyRemovalPolicy(removalPolicy);

    // The attribute, not Ref: the physical id of an adopted job says so after the job's id (lambda/physical-id.ts).
    this.replicationJobId = Token.asString(resource.getAtt('ReplicationJobId'));
    this.serverId = server.serverId ?? Token.asString(resource.getAtt('ServerId'));
  }

  /**
   * The name of the SSM parameter that holds the job's most recent AMI ID:
   * /cdk-sms-replication-job/<stack name>/<logical id>/latest-ami.
   *
   * Reading it (or the latest AMI) makes the stack's provider keep the parameter: one EventBridge rule for the stack
   * sends SMS's AMI events to the provider, which writes the AMI ID of each new AMI of a job of its stack; a Create that
   * adopts a job with earlier runs writes its latest AMI at once, and a Delete that deletes the job deletes its
   * parameter (a kept job keeps it). The parameter does not exist before the job's first AMI.
   */
  public get latestAmiParameterName(): string {
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.stackName)) {
      throw validationError(`ReplicationJob ${this.node.path}: its latest AMI is kept in a parameter named after its stack, and stack ` +
        `${stack.node.path} has no name at synthesis (a nested stack, or a name from a token); give the stack a stackName`, this);
    }
    const logicalId = stack.resolve(this.resource.logicalId) as string;
    if (this.latestAmiLogicalId === undefined) {
      this.latestAmiLogicalId = logicalId;
      ReplicationJobProvider.of(this)._keepLatestAmis();
      // The provider finds the parameter from the logical id in the job's marker: one overridden after this read
      // would leave the parameter where no launch stack looks.
      this.node.addValidation({
        validate: () => {
          const now = stack.resolve(this.resource.logicalId) as string;
          return now === this.latestAmiLogicalId ? [] : [`ReplicationJob ${this.node.path}: its logical id changed to ${now} after ` +
            `its latest AMI's parameter was named after ${this.latestAmiLogicalId}; override the logical id before reading the latest AMI`];
        },
      });
    }
    return latestAmiParameterName(stack.stackName, logicalId);
  }

  /**
   * Applies a removal policy to the replication job's custom resource.
   *
   * The same as the removal policy property, for code (such as Aspects) that sets it after construction.
   *
   * @param policy what happens to the job when it is removed from the stack, or replaced
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.resource.applyRemovalPolicy(policy);
    if (policy === RemovalPolicy.DESTROY) {
      // "Delete" is CloudFormation's default for both; writing them costs 67 template bytes a job (bench/RESULTS.md).
      this.resource.cfnOptions.deletionPolicy = undefined;
      this.resource.cfnOptions.updateReplacePolicy = undefined;
    }
  }

  /**
   * Throws for values SMS would refuse; warns about values it would take but that are likely mistakes.
   * (Not named `validate`: constructs 10.0.x, which aws-cdk-lib 2.176 accepts, refuses constructs with that method.)
   */
  private validateProps(props: ReplicationJobProps): void {
    const fail = (message: string) => {
      throw validationError(`ReplicationJob ${this.node.path}: ${message}`, this);
    };

    if (props.seedReplicationTime && isNaN(props.seedReplicationTime.getTime())) {
      fail('seedReplicationTime must be a valid Date, got an invalid Date (made from text or a number it could not read); ' +
        'give a time with its zone, such as new Date(\'2027-01-04T02:00:00Z\'), or leave it out to start as soon as possible');
    }
    if (props.frequency && !props.frequency.isUnresolved()) {
      const hours = props.frequency.toHours({ integral: false });
      if (!Number.isInteger(hours) || hours < 1 || hours > 24) {
        const nearest = Math.min(24, Math.max(1, Math.round(hours)));
        fail(`frequency must be a whole number of hours from 1 to 24, got ${props.frequency.toHumanString()}; ` +
          `use Duration.hours(1) to Duration.hours(24), such as Duration.hours(${nearest})`);
      }
    }
    if (props.frequency && props.runOnce) {
      fail(`frequency (${props.frequency.toHumanString()}) cannot be combined with runOnce: true; a job that runs once has no frequency: remove frequency, or runOnce`);
    }
    const amis = props.numberOfRecentAmisToKeep;
    if (amis !== undefined && !Token.isUnresolved(amis) && (!Number.isInteger(amis) || amis < 0 || amis > MAX_AMIS_TO_KEEP)) {
      fail(`numberOfRecentAmisToKeep must be a whole number from 0 to ${MAX_AMIS_TO_KEEP}, got ${amis}; ` +
        `use ${Math.min(MAX_AMIS_TO_KEEP, Math.max(0, Math.round(amis)))}, or 0 to keep every AMI`);
    }
    if (props.encryptionKey && props.encrypted === false) {
      fail('encryptionKey cannot be combined with encrypted: false; remove encrypted, or the key');
    }
    const role = props.role;
    const stack = Stack.of(this);
    if (role && Token.compareStrings(role.env.account, stack.account) === TokenComparison.DIFFERENT) {
      fail(`role ${role.roleArn} is in account ${role.env.account}, and the job in account ${stack.account}: SMS receives only ` +
        'the role\'s name (RoleName) and looks it up in the job\'s own account, so it would use another role of that name, or ' +
        `none. Give a role of account ${stack.account}, such as iam.Role.fromRoleName(scope, id, '${role.roleName}'), or leave role out.`);
    }
    if (props.removalPolicy === RemovalPolicy.SNAPSHOT) {
      fail('removalPolicy must be RemovalPolicy.DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE, got SNAPSHOT (a replication job has no snapshot)');
    }

    // Nothing here may depend on the day synthesis runs (no check of the seed time against the clock): the same
    // commit must synthesize the same template, with the same warnings, in every stage and on every day.
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && !SMS_REGIONS.includes(region)) {
      Annotations.of(this).addWarningV2('cdk-sms-replication-job:regionWithoutSms', `SMS had no endpoint in ${region} in the AWS SDKs' last endpoint data; it had them only in ${SMS_REGIONS.join(', ')}`);
    }
  }
}

/**
 * Fails synthesis when a second ReplicationJob in the app names a server another already replicates: SMS allows one
 * job per server, and the second Create would fail at deploy time and roll the stack back. Jobs match when they are in
 * the same stack, or in stacks with the same explicit account and region; a token server id, account or region is
 * not guessed at.
 */
function claimServer(job: ReplicationJob, serverId: string): void {
  if (Token.isUnresolved(serverId)) {
    return;
  }
  const stack = Stack.of(job);
  const where = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)
    ? `stack ${stack.node.path}`
    : `account ${stack.account} and region ${stack.region}`;
  const byServer = serverClaims(job);
  const key = `${where}|${serverId}`;
  const first = byServer.get(key);
  if (first !== undefined) {
    throw validationError(`ReplicationJob ${job.node.path}: server SmsServer.fromServerId('${serverId}') is already replicated by ReplicationJob ${first} ` +
      `(same ${where}), and SMS allows one replication job per server. Remove one of the two, or give it another server.`, job);
  }
  byServer.set(key, job.node.path);
}
