import {
  Annotations,
  CfnResource,
  CustomResource,
  Duration,
  IResource,
  RemovalPolicy,
  Resource,
  Stack,
  Token,
  aws_iam as iam,
  aws_kms as kms,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { ReplicationJobProvider } from './private/provider';
import { SERVICE_TIMEOUT_SECONDS } from './private/timing';

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
  /** Fail the create if the server has a job made outside this resource (today's behaviour). */
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
}

/**
 * Properties of a ReplicationJob: the parameters of the SMS API CreateReplicationJob.
 */
export interface ReplicationJobProps {
  /**
   * The ID of the server to replicate, from the SMS server catalog (such as `s-12345678`).
   *
   * SMS allows one replication job per server. Changing it replaces the job: a job is created for the new server,
   * then the old job is deleted.
   */
  readonly serverId: string;

  /**
   * The seed replication time: when the first replication run starts.
   *
   * Changing it on an existing job moves the start of the job's next replication run, if the new time is in the future.
   * A time in the past draws a synth warning (`cdk-sms-replication-job:seedTimeInPast`); once the job exists that is
   * expected, and the warning can be acknowledged with `Annotations.of(job).acknowledgeWarning(...)`. A job created
   * for a new `serverId` needs a seed time that is still in the future. With `existingJob: ExistingJobPolicy.ADOPT`
   * there is no warning: an adopted job keeps its schedule when the time is past.
   */
  readonly seedReplicationTime: Date;

  /**
   * The time between consecutive replication runs, a whole number of hours from 1 to 24.
   *
   * Cannot be combined with `runOnce: true`.
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
   * The provider is allowed `iam:PassRole` on it. Use `iam.Role.fromRoleName(this, 'Role', 'sms')` to name an
   * existing role.
   *
   * @default - SMS uses its default service role, `sms`
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
   * @default - true when `encryptionKey` is given, otherwise false
   */
  readonly encrypted?: boolean;

  /**
   * The KMS key for replication jobs that produce encrypted AMIs, sent as its key ARN.
   *
   * Implies `encrypted: true`. The role SMS uses must be allowed to use the key.
   *
   * @default - when `encrypted` is true, the account's default KMS key for EBS
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the replication job when it is removed from the stack, or replaced.
   *
   * AMIs that the job created are kept either way: deleting a job does not delete its AMIs. A job adopted with
   * `existingJob: ExistingJobPolicy.ADOPT` is never deleted by a rollback, whatever this says; it is deleted only with
   * an explicit `RemovalPolicy.DESTROY`, when it is removed from the stack or the stack is deleted.
   *
   * @default - RemovalPolicy.RETAIN with `existingJob: ExistingJobPolicy.ADOPT`, otherwise RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * What to do when the server already has a replication job made outside this resource (SMS allows one per server).
   *
   * With `ADOPT`, a job that carries no other CloudFormation resource's marker is taken over instead of created: it is
   * brought to these properties with UpdateReplicationJob and keeps its replication runs, schedule and AMIs. The
   * create fails, leaving the job as it was, if its `runOnce` differs from this one or its state refuses updates. A
   * seed time in the past is then expected: the job keeps its schedule. Keep `ADOPT` for as long as the job is in the
   * stack: without it, the job is handled as one this resource made (removal policy DESTROY by default, deleted by a
   * rollback). See the README, "Bringing an existing job under CloudFormation".
   *
   * @default ExistingJobPolicy.FAIL
   */
  readonly existingJob?: ExistingJobPolicy;
}

/**
 * The regions where SMS still had endpoints when it was removed from the AWS SDKs.
 */
const SMS_REGIONS = ['us-west-2', 'cn-north-1', 'us-gov-west-1'];

/** The most AMIs the SMS console lets a job keep. */
const MAX_AMIS_TO_KEEP = 270;

/** How far ahead a seed time may be before it looks like a mistake. */
const SEED_HORIZON_DAYS = 30;

/**
 * An AWS Server Migration Service (SMS) replication job, created, updated and deleted by a custom resource.
 *
 * Every ReplicationJob in a stack shares one Lambda function (with one role, one policy and one log group) that
 * calls the SMS API. SMS is discontinued (no new customers since 2022; AWS Application Migration Service, MGN, is
 * its successor): this construct serves accounts that still use it.
 *
 * @resource Custom::SmsReplicationJob
 */
export class ReplicationJob extends Resource implements IReplicationJob {
  /**
   * Refers to a replication job that exists already, by its ID.
   *
   * @param scope the parent construct
   * @param id the construct id
   * @param replicationJobId the ID of the replication job, such as `sms-job-0123456789abcdef0`
   */
  public static fromReplicationJobId(scope: Construct, id: string, replicationJobId: string): IReplicationJob {
    if (!Token.isUnresolved(replicationJobId) && !/^sms-job-[0-9a-z]+$/i.test(replicationJobId)) {
      throw new Error(`ReplicationJob.fromReplicationJobId at ${scope.node.path}/${id}: replicationJobId must be an SMS replication job ID such as sms-job-0123456789abcdef0, got "${replicationJobId}"`);
    }
    class Import extends Resource implements IReplicationJob {
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

  private readonly resource: CustomResource;

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
    claimServer(this, props.serverId);

    const provider = ReplicationJobProvider.of(this);
    if (props.role) {
      provider.allowPassRole(props.role);
    }

    const adopt = props.existingJob === ExistingJobPolicy.ADOPT;

    // A job that existed before the stack is kept by default: nothing the stack did not make is lost by default.
    const removalPolicy = props.removalPolicy ?? (adopt ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    const resource = new CustomResource(this, 'Resource', {
      resourceType: 'Custom::SmsReplicationJob',
      serviceToken: provider.serviceToken,
      // If the provider dies without answering, CloudFormation gives up after this rather than the default hour. It
      // outlasts the last run of any event Lambda still delivers (private/timing.ts).
      serviceTimeout: Duration.seconds(SERVICE_TIMEOUT_SECONDS),
      removalPolicy,
      properties: {
        ServerId: props.serverId,
        SeedReplicationTime: props.seedReplicationTime.toISOString(),
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
    resource.node.addDependency(provider._jobDependency);
    if (removalPolicy === RemovalPolicy.DESTROY) {
      // "Delete" is CloudFormation's default for both; writing them costs 67 template bytes a job (bench/RESULTS.md).
      const cfnResource = resource.node.defaultChild as CfnResource;
      cfnResource.cfnOptions.deletionPolicy = undefined;
      cfnResource.cfnOptions.updateReplacePolicy = undefined;
    }

    this.replicationJobId = resource.ref;
    this.resource = resource;
  }

  /**
   * Applies a removal policy to the replication job's custom resource.
   *
   * The same as the `removalPolicy` prop, for code (such as Aspects) that sets it after construction.
   *
   * @param policy what happens to the job when it is removed from the stack, or replaced
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.resource.applyRemovalPolicy(policy);
  }

  /**
   * Throws for values SMS would refuse; warns about values it would take but that are likely mistakes.
   * (Not named `validate`: constructs 10.0.x, which aws-cdk-lib 2.176 accepts, refuses constructs with that method.)
   */
  private validateProps(props: ReplicationJobProps): void {
    const fail = (message: string) => {
      throw new Error(`ReplicationJob ${this.node.path}: ${message}`);
    };

    if (!Token.isUnresolved(props.serverId) && props.serverId.trim() === '') {
      fail('serverId must be the ID of a server in the SMS server catalog (such as s-12345678), got an empty string');
    }
    const seed = props.seedReplicationTime.getTime();
    if (isNaN(seed)) {
      fail('seedReplicationTime must be a valid Date, got an invalid Date');
    }
    if (props.frequency && !props.frequency.isUnresolved()) {
      const hours = props.frequency.toHours({ integral: false });
      if (!Number.isInteger(hours) || hours < 1 || hours > 24) {
        fail(`frequency must be a whole number of hours from 1 to 24, got ${hours} hours`);
      }
    }
    if (props.frequency && props.runOnce) {
      fail(`frequency (${props.frequency.toHumanString()}) cannot be combined with runOnce: true; a job that runs once has no frequency`);
    }
    const amis = props.numberOfRecentAmisToKeep;
    if (amis !== undefined && !Token.isUnresolved(amis) && (!Number.isInteger(amis) || amis < 0 || amis > MAX_AMIS_TO_KEEP)) {
      fail(`numberOfRecentAmisToKeep must be a whole number from 0 to ${MAX_AMIS_TO_KEEP}, got ${amis}`);
    }
    if (props.encryptionKey && props.encrypted === false) {
      fail('encryptionKey cannot be combined with encrypted: false; remove encrypted, or the key');
    }
    if (props.removalPolicy === RemovalPolicy.SNAPSHOT) {
      fail('removalPolicy must be RemovalPolicy.DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE, got SNAPSHOT (a replication job has no snapshot)');
    }

    const warn = (id: string, message: string) => Annotations.of(this).addWarningV2(`cdk-sms-replication-job:${id}`, message);
    const days = (seed - Date.now()) / 86_400_000;
    if (days < 0 && props.existingJob !== ExistingJobPolicy.ADOPT) {
      warn('seedTimeInPast', `seedReplicationTime ${props.seedReplicationTime.toISOString()} is in the past; SMS may refuse it when the job is created`);
    } else if (days > SEED_HORIZON_DAYS) {
      warn('seedTimeFarAhead', `seedReplicationTime ${props.seedReplicationTime.toISOString()} is more than ${SEED_HORIZON_DAYS} days ahead; the first replication run waits until then`);
    }
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && !SMS_REGIONS.includes(region)) {
      warn('regionWithoutSms', `SMS had no endpoint in ${region} when it was discontinued; it had them only in ${SMS_REGIONS.join(', ')}`);
    }
  }
}

/** The jobs declared so far in each app: which construct claims each server. */
const claims = new WeakMap<IConstruct, Map<string, string>>();

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
  const root = job.node.root;
  const byServer = claims.get(root) ?? new Map<string, string>();
  claims.set(root, byServer);
  const key = `${where}|${serverId}`;
  const first = byServer.get(key);
  if (first !== undefined) {
    throw new Error(`ReplicationJob ${job.node.path}: serverId ${serverId} is already replicated by ReplicationJob ${first} ` +
      `(same ${where}), and SMS allows one replication job per server. Remove one of the two, or give it another server.`);
  }
  byServer.set(key, job.node.path);
}
