import { CloudFormationClient, DescribeStacksCommand, DescribeStackEventsCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudFormationApi, StackEventView } from './cfn-api';

/** The local DescribeStacks answers the real SDK client (awsQuery, XML) as CloudFormation does. */

const STACK_ID = 'arn:aws:cloudformation:us-west-2:123456789012:stack/SmsJobs/5b918d10-cd98-11ea-90d5-0a9cd3354c10';
let status = 'CREATE_IN_PROGRESS';
const events: StackEventView[] = [];
let api: CloudFormationApi;
let client: CloudFormationClient;

beforeAll(async () => {
  api = await CloudFormationApi.start({ stackId: STACK_ID, stackName: 'SmsJobs', status: () => status, events: () => events });
  client = new CloudFormationClient({
    endpoint: api.endpoint,
    region: 'us-west-2',
    credentials: { accessKeyId: 'ASIAEMULATEDLAMBDA01', secretAccessKey: 'secret', sessionToken: 'token' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await api.close();
});

test('answers the stack\'s status as it is when asked, by id or by name', async () => {
  const first = await client.send(new DescribeStacksCommand({ StackName: STACK_ID }));
  expect(first.Stacks).toEqual([expect.objectContaining({ StackId: STACK_ID, StackName: 'SmsJobs', StackStatus: 'CREATE_IN_PROGRESS' })]);
  expect(first.Stacks![0].CreationTime).toBeInstanceOf(Date);
  status = 'ROLLBACK_IN_PROGRESS';
  const second = await client.send(new DescribeStacksCommand({ StackName: 'SmsJobs' }));
  expect(second.Stacks![0].StackStatus).toBe('ROLLBACK_IN_PROGRESS');
  expect(api.describeStacksCalls().map((c) => c.answered)).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS']);
  expect(api.violations).toEqual([]);
});

test('DescribeStackEvents: the stack\'s own events and its resources\', newest first, ten to a page, as the SDK parses them', async () => {
  const t = Date.parse('2026-12-07T12:00:00.000Z');
  events.push({ status: 'UPDATE_IN_PROGRESS', at: t });
  for (let i = 0; i < 10; i++) events.push({ status: 'UPDATE_COMPLETE', at: t + 100 + i, logicalId: `Job${i}`, physicalId: `sms-job-0${i}`, type: 'Custom::SmsReplicationJob' });
  events.push({ status: 'UPDATE_ROLLBACK_IN_PROGRESS', at: t + 500 });
  const first = await client.send(new DescribeStackEventsCommand({ StackName: STACK_ID }));
  expect(first.StackEvents![0]).toEqual(expect.objectContaining({
    StackId: STACK_ID, StackName: 'SmsJobs', LogicalResourceId: 'SmsJobs', PhysicalResourceId: STACK_ID, ResourceType: 'AWS::CloudFormation::Stack',
    ResourceStatus: 'UPDATE_ROLLBACK_IN_PROGRESS', Timestamp: new Date(t + 500),
  }));
  expect(first.StackEvents![1]).toEqual(expect.objectContaining({ LogicalResourceId: 'Job9', PhysicalResourceId: 'sms-job-09', ResourceType: 'Custom::SmsReplicationJob' }));
  expect(first.StackEvents).toHaveLength(10);
  const second = await client.send(new DescribeStackEventsCommand({ StackName: STACK_ID, NextToken: first.NextToken }));
  expect(second.StackEvents!.map((e) => e.ResourceStatus)).toEqual(['UPDATE_COMPLETE', 'UPDATE_IN_PROGRESS']);
  expect(second.NextToken).toBeUndefined();
  await expect(client.send(new DescribeStackEventsCommand({ StackName: 'OtherStack' }))).rejects.toMatchObject({ name: 'ValidationError' });
  expect(api.violations).toEqual([]);
  events.length = 0;
});

test('refuses another stack with CloudFormation\'s ValidationError, and an action it does not serve', async () => {
  await expect(client.send(new DescribeStacksCommand({ StackName: 'OtherStack' }))).rejects.toMatchObject({
    name: 'ValidationError',
    message: 'Stack with id OtherStack does not exist',
    $metadata: expect.objectContaining({ httpStatusCode: 400 }),
  });
  await expect(client.send(new ListStacksCommand({}))).rejects.toMatchObject({ name: 'InvalidAction' });
  expect(api.violations).toEqual([]);
});

test('throttles, denies and leaves requests unanswered on demand, as CloudFormation\'s API does', async () => {
  api.throttleNext(1);
  await expect(client.send(new DescribeStacksCommand({ StackName: STACK_ID }))).rejects.toMatchObject({
    name: 'Throttling', message: 'Rate exceeded', $metadata: expect.objectContaining({ httpStatusCode: 400 }),
  });
  api.denyNext(1);
  await expect(client.send(new DescribeStacksCommand({ StackName: STACK_ID }))).rejects.toMatchObject({ name: 'AccessDenied' });
  api.hangNext(1);
  const abort = new AbortController();
  const hung = client.send(new DescribeStacksCommand({ StackName: STACK_ID }), { abortSignal: abort.signal });
  setTimeout(() => abort.abort(), 300);
  await expect(hung).rejects.toMatchObject({ name: 'AbortError' });
  // Above a rate: the second request within the second is refused, and counts against nothing.
  api.throttleAbove(1);
  await client.send(new DescribeStacksCommand({ StackName: STACK_ID }));
  await expect(client.send(new DescribeStacksCommand({ StackName: STACK_ID }))).rejects.toMatchObject({ name: 'Throttling' });
  api.clearFaults();
  await client.send(new DescribeStacksCommand({ StackName: STACK_ID }));
  expect(api.describeStacksCalls().slice(-6).map((c) => c.answered)).toEqual(['Throttling', 'AccessDenied', 'hang', status, 'Throttling', status]);
  expect(api.violations).toEqual([]);
});
