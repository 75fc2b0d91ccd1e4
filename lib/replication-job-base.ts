import { Annotations, Resource, Stack, aws_events as events } from 'aws-cdk-lib';
import { AMI_ID_PATH } from './private/sms-events';
import { JOB_STATE_CHANGE, SMS_EVENT_SOURCE } from './private/sms-events';
import { IReplicationJob } from './replication-job';

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
