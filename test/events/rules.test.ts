import { App, Stack, aws_events as events, aws_sns as sns, aws_events_targets as targets } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { IReplicationJob, ReplicationJob, ReplicationJobEvent, SmsServer } from '../../lib';
import { EventPattern, matchesPattern, valueAtPath } from './event-pattern';

/**
 * Issue 25: a job's onStateChange and onAmiCreated rules, their synthesized patterns matched against sample SMS events.
 *
 * The samples follow the documented shape: source `aws.sms` and detail-type "Server Migration Job State Change" (SMS
 * User Guide, "Using Amazon CloudWatch Events and AWS Lambda with AWS SMS"); a detail of `state`,
 * `replication-run-id`, `replication-job-id`, `version`, and `ami-id` when a run made an AMI (the `JobStateChange`
 * type of aws/aws-lambda-rust-runtime's lambda-events crate). SMS documents no values of `state` or `version`: the
 * samples carry placeholders, which no rule reads.
 */

const THIS_JOB = 'sms-job-0123456789abcdef0';
const OTHER_JOB = 'sms-job-0fedcba9876543210';
const AMI = 'ami-0a1b2c3d4e5f60718';
const RUN = 'sms-run-00112233445566778';

type SmsEvent = Parameters<typeof matchesPattern>[1];

function smsEvent(jobId: string, options: { ami?: boolean; source?: string; detailType?: string } = {}): SmsEvent {
  return {
    'version': '0',
    'id': '2c1e3a57-8d35-4f0e-a0a6-5b8f2e6d9c41',
    'detail-type': options.detailType ?? 'Server Migration Job State Change',
    'source': options.source ?? 'aws.sms',
    'account': '123456789012',
    'time': '2026-12-05T09:00:00Z',
    'region': 'us-west-2',
    'resources': [],
    'detail': {
      'state': 'placeholder-state',
      'replication-run-id': RUN,
      'replication-job-id': jobId,
      'version': 'placeholder-version',
      ...(options.ami ? { 'ami-id': AMI } : {}),
    },
  };
}

/** The job's ID in place of each `{"Fn::GetAtt": [<logical id>, "ReplicationJobId"]}` of the job, as CloudFormation deploys it; other intrinsics throw. */
function resolveJobId(value: unknown, logicalId: string, jobId: string): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => resolveJobId(v, logicalId, jobId));
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      const [name, args] = entries[0];
      if (name === 'Fn::GetAtt' && Array.isArray(args) && args[0] === logicalId && args[1] === 'ReplicationJobId') {
        return jobId;
      }
      throw new Error(`unexpected intrinsic in the event pattern: ${JSON.stringify(value)}`);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolveJobId(v, logicalId, jobId)]));
  }
  return value;
}

/** A stack with one declared job and one imported job, each with both rules; the deployed patterns, by construct path. */
function synth(configure?: (job: IReplicationJob, stack: Stack) => void) {
  const stack = new Stack(new App(), 'Migration', { env: { account: '123456789012', region: 'us-west-2' } });
  const declared = new ReplicationJob(stack, 'Db', { server: SmsServer.fromServerId('s-12345678') });
  const imported = ReplicationJob.fromReplicationJobId(stack, 'Imported', THIS_JOB);
  const made: events.Rule[] = [];
  for (const job of [declared, imported]) {
    made.push(job.onEvent('AnyEvent'), job.onStateChange('StateChange'), job.onAmiCreated('AmiCreated'));
    configure?.(job, stack);
  }
  const template = Template.fromStack(stack);
  const rules = template.findResources('AWS::Events::Rule');
  const jobLogicalId = stack.resolve(declared.replicationJobId)['Fn::GetAtt'][0];
  const patterns = new Map<string, EventPattern>();
  for (const rule of made) {
    const logicalId = stack.resolve((rule.node.defaultChild as events.CfnRule).logicalId);
    patterns.set(rule.node.path, resolveJobId(rules[logicalId].Properties.EventPattern, jobLogicalId, THIS_JOB) as EventPattern);
  }
  return { template, patterns, rules };
}

test('a declared job and an imported job each make the three rules, under the job', () => {
  const { patterns } = synth();
  expect([...patterns.keys()].sort()).toEqual([
    'Migration/Db/AmiCreated', 'Migration/Db/AnyEvent', 'Migration/Db/StateChange',
    'Migration/Imported/AmiCreated', 'Migration/Imported/AnyEvent', 'Migration/Imported/StateChange',
  ]);
});

describe.each(['Db', 'Imported'])('the rules of the %s job', (job) => {
  const { patterns } = synth();
  const anyEvent = patterns.get(`Migration/${job}/AnyEvent`)!;
  const stateChange = patterns.get(`Migration/${job}/StateChange`)!;
  const amiCreated = patterns.get(`Migration/${job}/AmiCreated`)!;

  test('onEvent matches every SMS event of this job, of any detail-type, and no other job\'s or other source\'s', () => {
    expect(matchesPattern(anyEvent, smsEvent(THIS_JOB))).toBe(true);
    expect(matchesPattern(anyEvent, smsEvent(THIS_JOB, { ami: true, detailType: 'Server Migration Job Deleted' }))).toBe(true);
    expect(matchesPattern(anyEvent, smsEvent(OTHER_JOB))).toBe(false);
    expect(matchesPattern(anyEvent, smsEvent(THIS_JOB, { source: 'aws.mgn' }))).toBe(false);
  });

  test('onStateChange matches every state change of this job, with or without an AMI', () => {
    expect(matchesPattern(stateChange, smsEvent(THIS_JOB))).toBe(true);
    expect(matchesPattern(stateChange, smsEvent(THIS_JOB, { ami: true }))).toBe(true);
  });

  test('onAmiCreated matches this job\'s events that carry an AMI, and not those without', () => {
    expect(matchesPattern(amiCreated, smsEvent(THIS_JOB, { ami: true }))).toBe(true);
    expect(matchesPattern(amiCreated, smsEvent(THIS_JOB))).toBe(false);
  });

  test('neither matches another job\'s events', () => {
    for (const pattern of [stateChange, amiCreated]) {
      expect(matchesPattern(pattern, smsEvent(OTHER_JOB, { ami: true }))).toBe(false);
      expect(matchesPattern(pattern, smsEvent(OTHER_JOB))).toBe(false);
    }
  });

  test('neither matches the same detail from another source, or with another detail-type', () => {
    for (const pattern of [stateChange, amiCreated]) {
      expect(matchesPattern(pattern, smsEvent(THIS_JOB, { ami: true, source: 'aws.mgn' }))).toBe(false);
      expect(matchesPattern(pattern, smsEvent(THIS_JOB, { ami: true, detailType: 'Server Migration Job Deleted' }))).toBe(false);
    }
  });
});

describe('a target that reads ReplicationJobEvent.amiId', () => {
  function warnings(make: (job: IReplicationJob) => events.Rule): string[] {
    const stack = new Stack(new App(), 'Migration', { env: { account: '123456789012', region: 'us-west-2' } });
    const job = ReplicationJob.fromReplicationJobId(stack, 'Imported', THIS_JOB);
    const rule = make(job);
    rule.addTarget(new targets.SnsTopic(sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:us-west-2:123456789012:t'), {
      message: events.RuleTargetInput.fromObject({ ami: ReplicationJobEvent.amiId }),
    }));
    return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('amiIdNotInEvents')).map((w) => String(w.entry.data));
  }

  test('in an onStateChange or onEvent rule, or one that matches events without ami-id, warns at synth that those events have none', () => {
    for (const make of [(j: IReplicationJob) => j.onStateChange('Rule'), (j: IReplicationJob) => j.onEvent('Rule'),
      (j: IReplicationJob) => j.onStateChange('Rule', { eventPattern: { detail: { 'ami-id': events.Match.doesNotExist() } } })]) {
      const [warning, ...more] = warnings(make);
      expect(more).toEqual([]);
      expect(warning).toMatch(/A target of rule Migration\/Imported\/Rule reads ReplicationJobEvent\.amiId \(\$\.detail\.ami-id\), but the rule also matches events that carry no AMI.*onAmiCreated/);
    }
  });

  test('in an onAmiCreated rule, or a rule whose own pattern requires the field, does not', () => {
    expect(warnings((j) => j.onAmiCreated('Rule'))).toEqual([]);
    expect(warnings((j) => j.onStateChange('Rule', { eventPattern: { detail: { 'ami-id': events.Match.exists() } } }))).toEqual([]);
  });
});

test('the declared job\'s rules name its ID by its attribute, the imported job\'s by its literal ID', () => {
  const { rules } = synth();
  const jobIds = Object.values(rules).map((r) => r.Properties.EventPattern.detail['replication-job-id']);
  expect(jobIds).toEqual(expect.arrayContaining([[{ 'Fn::GetAtt': [expect.stringMatching(/^Db/), 'ReplicationJobId'] }], [THIS_JOB]]));
});

test('a target of onAmiCreated receives the AMI, job and run IDs and the state through ReplicationJobEvent', () => {
  const { template } = synth((job, stack) => {
    job.onAmiCreated('LaunchTest', {
      target: new targets.SnsTopic(new sns.Topic(stack, `${job.node.id}Topic`), {
        message: events.RuleTargetInput.fromObject({
          ami: ReplicationJobEvent.amiId,
          job: ReplicationJobEvent.replicationJobId,
          run: ReplicationJobEvent.replicationRunId,
          state: ReplicationJobEvent.state,
        }),
      }),
    });
  });
  const withTargets = Object.values(template.findResources('AWS::Events::Rule')).filter((r) => r.Properties.Targets);
  expect(withTargets).toHaveLength(2);
  const event = smsEvent(THIS_JOB, { ami: true });
  for (const rule of withTargets) {
    const { InputPathsMap: paths, InputTemplate: input } = rule.Properties.Targets[0].InputTransformer;
    const received = (key: string) => {
      const placeholder = new RegExp(`"${key}":<([^>]+)>`).exec(input)?.[1];
      expect(placeholder).toBeDefined();
      return valueAtPath(event, paths[placeholder!]);
    };
    expect(received('ami')).toBe(AMI);
    expect(received('job')).toBe(THIS_JOB);
    expect(received('run')).toBe(RUN);
    expect(received('state')).toBe('placeholder-state');
  }
});

test('options pass through: a name, a description, and more pattern merged into this job\'s', () => {
  const stack = new Stack(new App(), 'Migration');
  const job = ReplicationJob.fromReplicationJobId(stack, 'Imported', THIS_JOB);
  job.onStateChange('Narrowed', {
    ruleName: 'db-replication-failures',
    description: 'The database job\'s failures',
    eventPattern: { detail: { state: ['placeholder-state'] } },
  });
  const [rule] = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule'));
  expect(rule.Properties).toMatchObject({ Name: 'db-replication-failures', Description: 'The database job\'s failures' });
  expect(matchesPattern(rule.Properties.EventPattern, smsEvent(THIS_JOB))).toBe(true);
  const otherState = smsEvent(THIS_JOB);
  (otherState.detail as { state: string }).state = 'another-placeholder';
  expect(matchesPattern(rule.Properties.EventPattern, otherState)).toBe(false);
  expect(matchesPattern(rule.Properties.EventPattern, smsEvent(OTHER_JOB))).toBe(false);
});
