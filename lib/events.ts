import { aws_events as events } from 'aws-cdk-lib';
import { AMI_ID_PATH } from './private/sms-events';

/**
 * The fields of SMS's "Server Migration Job State Change" event, for the input of a rule's target.
 *
 * Each is a path into the event, such as `$.detail.ami-id`, that EventBridge replaces with the event's value: in the
 * example below, the target receives `{"ami": "ami-...", "run": "sms-run-..."}`.
 *
 * The shape of the event's `detail` is the `JobStateChange` type of the lambda-events crate of
 * aws/aws-lambda-rust-runtime (`lambda-events/src/event/cloudwatch_events/sms.rs`): `detail.state`,
 * `detail.replication-run-id`, `detail.replication-job-id`, `detail.version`, and `detail.ami-id` when there is one;
 * the SMS User Guide ("Using Amazon CloudWatch Events and AWS Lambda with AWS SMS") names the source and detail-type
 * and reads `detail.ami-id`.
 *
 * @see https://github.com/awsdocs/aws-server-migration-service-user-guide/blob/master/doc_source/cwe-sms.md
 * @see https://github.com/aws/aws-lambda-rust-runtime/blob/main/lambda-events/src/event/cloudwatch_events/sms.rs
 *
 * @example
 * import * as cdk from 'aws-cdk-lib';
 * import { aws_events as events, aws_events_targets as targets } from 'aws-cdk-lib';
 * import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
 * import { ReplicationJob, ReplicationJobEvent, SmsServer } from 'cdk-sms-replication-job';
 *
 * const app = new cdk.App();
 * const stack = new cdk.Stack(app, 'Migration', { env: { region: 'us-west-2' } });
 * const job = new ReplicationJob(stack, 'DatabaseServer', { server: SmsServer.fromServerId('s-12345678') });
 *
 * const launchTest = sfn.StateMachine.fromStateMachineName(stack, 'LaunchTest', 'launch-test-instance');
 * job.onAmiCreated('LaunchTestInstance', {
 *   target: new targets.SfnStateMachine(launchTest, {
 *     input: events.RuleTargetInput.fromObject({
 *       ami: ReplicationJobEvent.amiId,
 *       run: ReplicationJobEvent.replicationRunId,
 *     }),
 *   }),
 * });
 */
export class ReplicationJobEvent {
  /**
   * The ID of the AMI that the replication run created (`detail.ami-id`), such as `ami-0123456789abcdef0`.
   *
   * Only events that carry an AMI have it: use it in a job's AMI-created rule. In the input of a rule that also matches
   * events without an AMI, EventBridge has no value to put in its place.
   */
  public static get amiId(): string {
    return events.EventField.fromPath(AMI_ID_PATH);
  }

  /** The ID of the replication job (`detail.replication-job-id`), such as `sms-job-0123456789abcdef0`. */
  public static get replicationJobId(): string {
    return events.EventField.fromPath('$.detail.replication-job-id');
  }

  /** The ID of the replication run (`detail.replication-run-id`), such as `sms-run-0123456789abcdef0`. */
  public static get replicationRunId(): string {
    return events.EventField.fromPath('$.detail.replication-run-id');
  }

  /**
   * The state the job changed to (`detail.state`), as SMS spells it in the event.
   *
   * SMS documents no list of these values, so pass it on as it comes rather than matching on a spelling.
   */
  public static get state(): string {
    return events.EventField.fromPath('$.detail.state');
  }

  private constructor() {}
}
