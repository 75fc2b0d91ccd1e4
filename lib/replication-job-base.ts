import { Resource, aws_events as events } from 'aws-cdk-lib';
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
   * Defines an EventBridge rule that matches every "Server Migration Job State Change" event of this job.
   *
   * The rule matches events from source `aws.sms` with that detail-type whose `detail.replication-job-id` is this
   * job's ID, and no other job's. `ReplicationJobEvent` has the fields of the event's detail for a target's input.
   * SMS documents no list of the values of `detail.state`, so no rule here matches one: to match a state you have
   * seen in an event, add it to the event pattern of the options (it is merged into this pattern).
   *
   * @param id the construct id of the rule, under this job
   * @param options the rule's target, name, description and any more of its pattern
   * @see https://github.com/awsdocs/aws-server-migration-service-user-guide/blob/master/doc_source/cwe-sms.md
   */
  public onStateChange(id: string, options: events.OnEventOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, options);
    rule.addTarget(options.target);
    rule.addEventPattern({
      source: [SMS_EVENT_SOURCE],
      detailType: [JOB_STATE_CHANGE],
      detail: { 'replication-job-id': [this.replicationJobId] },
    });
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
