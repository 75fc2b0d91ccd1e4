import { Annotations, Resource, Stack, Stage, Token, TokenComparison, aws_ec2 as ec2, aws_events as events } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { validationError } from './private/errors';
import { AMI_ID_PATH } from './private/sms-events';
import { JOB_STATE_CHANGE, SMS_EVENT_SOURCE } from './private/sms-events';
import { IReplicationJob, LatestAmiOptions } from './replication-job';

/**
 * What a replication job offers, whether it is declared in this stack or imported by its ID: EventBridge rules on
 * the events SMS publishes about it.
 *
 * The methods follow aws-cdk-lib's L2s (the state-change method of codebuild's `Project`, for one): each makes an
 * `events.Rule` under this construct, with the given id, from `events.OnEventOptions`.
 */
export abstract class ReplicationJobBase extends Resource implements IReplicationJob {
  /**
   * The ID of the replication job, such as `sms-job-0123456789abcdef0`.
   *
   * @attribute
   */
  public abstract readonly replicationJobId: string;

  /**
   * The name of the SSM parameter that holds the job's most recent AMI ID.
   *
   * A job declared in this app (ReplicationJob) names it after its stack and logical id. An imported job has none
   * that this library keeps: reading it throws.
   */
  public get latestAmiParameterName(): string {
    throw validationError(`${this.node.path}: replication job ${this.replicationJobId} is imported, so this library keeps no parameter ` +
      'of its latest AMI (the provider of the stack that declares a job keeps it). In that app, read the job\'s latest AMI; from ' +
      'here, read its parameter by name with MachineImage.fromSsmParameter (aws-cdk-lib)', this);
  }

  /**
   * The job's most recent AMI, as a machine image to launch from (Linux user data; for another system, use the
   * latest-AMI image method with its options).
   *
   * Resolved by CloudFormation from the job's latest-AMI parameter at each deployment of the stack that launches from
   * it, with no lookup at synthesis. Not for an imported job (see the latest-AMI parameter name).
   */
  public get latestAmi(): ec2.IMachineImage {
    return this.latestAmiImage();
  }

  /**
   * The job's most recent AMI, as a machine image with the given operating system and user data.
   *
   * @param options the image's operating system and user data
   */
  public latestAmiImage(options: LatestAmiOptions = {}): ec2.IMachineImage {
    return new LatestAmiImage(this, this.latestAmiParameterName, options);
  }

  /**
   * Defines an EventBridge rule that matches every event SMS publishes about this job.
   *
   * The rule matches events from source `aws.sms`, of any detail-type, whose `detail.replication-job-id` is this job's
   * ID; the state-change and AMI-created rules narrow it. The options' event pattern is merged into this one.
   *
   * @param id the construct id of the rule, under this job
   * @param options the rule's target, name, description and any more of its pattern
   * @see https://github.com/awsdocs/aws-server-migration-service-user-guide/blob/master/doc_source/cwe-sms.md
   */
  public onEvent(id: string, options: events.OnEventOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, options);
    rule.addTarget(options.target);
    rule.addEventPattern({
      source: [SMS_EVENT_SOURCE],
      detail: { 'replication-job-id': [this.replicationJobId] },
    });
    warnOfFieldsNotCarried(rule);
    return rule;
  }

  /**
   * Defines an EventBridge rule that matches every "Server Migration Job State Change" event of this job.
   *
   * The job's events (those of its any-event rule) of that detail-type. `ReplicationJobEvent` has the fields of the event's detail for
   * a target's input. SMS documents no list of the values of `detail.state`, so no rule here matches one: to match a
   * state you have seen in an event, add it to the event pattern of the options (it is merged into this pattern).
   *
   * @param id the construct id of the rule, under this job
   * @param options the rule's target, name, description and any more of its pattern
   * @see https://github.com/awsdocs/aws-server-migration-service-user-guide/blob/master/doc_source/cwe-sms.md
   */
  public onStateChange(id: string, options: events.OnEventOptions = {}): events.Rule {
    const rule = this.onEvent(id, options);
    rule.addEventPattern({ detailType: [JOB_STATE_CHANGE] });
    return rule;
  }

  /**
   * Defines an EventBridge rule that matches this job's state changes that carry a new AMI (`detail.ami-id`).
   *
   * The same events as the state-change rule, narrowed with EventBridge's `exists` matcher to those whose detail has
   * an `ami-id`, the field a replication run that made an AMI sets (the SMS User Guide's example launches an instance
   * from it). The AMI ID field of `ReplicationJobEvent` passes the AMI's ID to a target.
   *
   * @param id the construct id of the rule, under this job
   * @param options the rule's target, name, description and any more of its pattern
   * @see https://github.com/awsdocs/aws-server-migration-service-user-guide/blob/master/doc_source/cwe-sms.md
   */
  public onAmiCreated(id: string, options: events.OnEventOptions = {}): events.Rule {
    const rule = this.onStateChange(id, options);
    rule.addEventPattern({ detail: { 'ami-id': events.Match.exists() } });
    return rule;
  }
}

/**
 * The latest AMI of a job: the image an SSM-typed template parameter of the launching stack resolves at each of its
 * deployments (aws-cdk-lib's MachineImage.fromSsmParameter, without its synthesis-time lookup). A stack of another
 * account or region cannot read the parameter: refused at synthesis. Another stack of the same app depends on the
 * job's, so that the job exists before anything launches from it; the job's own stack gets a warning instead.
 */
class LatestAmiImage implements ec2.IMachineImage {
  constructor(private readonly job: ReplicationJobBase, private readonly parameterName: string, private readonly options: LatestAmiOptions) {}

  public getImage(scope: Construct): ec2.MachineImageConfig {
    const jobStack = Stack.of(this.job);
    const stack = Stack.of(scope);
    for (const [what, theirs, ours] of [['account', stack.account, jobStack.account], ['region', stack.region, jobStack.region]]) {
      if (Token.compareStrings(theirs, ours) === TokenComparison.DIFFERENT) {
        throw validationError(`${scope.node.path} launches from the latest AMI of ReplicationJob ${this.job.node.path}, whose parameter ` +
          `is in ${what} ${ours}, but is in ${what} ${theirs}: CloudFormation reads SSM parameters of its own account and region only`, scope);
      }
    }
    if (stack === jobStack) {
      Annotations.of(scope).addWarningV2('cdk-sms-replication-job:latestAmiInOwnStack', `${scope.node.path} launches from the latest ` +
        `AMI of ReplicationJob ${this.job.node.path} in the job's own stack: CloudFormation resolves the parameter (${this.parameterName}) ` +
        'before it deploys anything, so every deployment of the stack fails until the job has made an AMI. Launch from another stack.');
    } else if (Stage.of(stack) === Stage.of(jobStack) && !stack.nested && !jobStack.nested) {
      // addStackDependency where the installed aws-cdk-lib has it (addDependency is deprecated there); 2.176 lacks it.
      const reason = `launches from the latest AMI of ReplicationJob ${this.job.node.path}`;
      const addStackDependency = (stack as { addStackDependency?: (target: Stack, reason?: string) => void }).addStackDependency;
      if (addStackDependency) {
        addStackDependency.call(stack, jobStack, reason);
      } else {
        stack.addDependency(jobStack, reason);
      }
    }
    return ec2.MachineImage.fromSsmParameter(this.parameterName, { os: this.options.os, userData: this.options.userData }).getImage(scope);
  }
}

/**
 * Warns at synthesis when a target of the rule reads `ReplicationJobEvent.amiId` (`$.detail.ami-id`) but the rule's
 * pattern does not require the field (onAmiCreated's does): in the events without an AMI, EventBridge has nothing to put
 * in its place. Read when the app synthesizes, once every target and pattern has been added.
 */
function warnOfFieldsNotCarried(rule: events.Rule): void {
  rule.node.addValidation({
    validate: () => {
      const stack = Stack.of(rule);
      const cfn = rule.node.defaultChild as events.CfnRule;
      const pattern = stack.resolve(cfn.eventPattern) as { detail?: Record<string, unknown> } | undefined;
      const reads = JSON.stringify(stack.resolve(cfn.targets) ?? []).includes(AMI_ID_PATH);
      // Only `exists: true` (onAmiCreated's matcher) keeps out every event without an AMI; any other matcher of the
      // field, `exists: false` included, still lets them in.
      if (reads && !JSON.stringify(pattern?.detail?.['ami-id'] ?? null).includes('"exists":true')) {
        Annotations.of(rule).addWarningV2('cdk-sms-replication-job:amiIdNotInEvents', `A target of rule ${rule.node.path} reads ` +
          `ReplicationJobEvent.amiId (${AMI_ID_PATH}), but the rule also matches events that carry no AMI, for which EventBridge has ` +
          'no value to put in its place. Make the rule with onAmiCreated, which matches only the events that carry one.');
      }
      return [];
    },
  });
}
