/**
 * The stack-status reader against a local CloudFormation API (test/harness/cfn-api.ts), through the real SDK client:
 * how long it waits after a throttle, and how it spends the time left before its deadline.
 */
import { CloudFormationApi, StackEventView } from '../harness/cfn-api';

const STACK_NAME = 'Reader';
const STACK_ID = `arn:aws:cloudformation:us-west-2:123456789012:stack/${STACK_NAME}/4c2b1a90-0000-4000-8000-000000000001`;
const ENV = ['AWS_ENDPOINT_URL_CLOUDFORMATION', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));

let api: CloudFormationApi;
/** The stack's events, oldest first, which DescribeStackEvents answers newest first, 10 to a page. */
let events: StackEventView[] = [];
let StatusReader: typeof import('../../lambda/stack-status').StatusReader;

beforeAll(async () => {
  api = await CloudFormationApi.start({ stackId: STACK_ID, stackName: STACK_NAME, status: () => 'CREATE_IN_PROGRESS', events: () => events });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_CLOUDFORMATION: api.endpoint,
    AWS_REGION: 'us-west-2',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
  });
  // The module creates its client once, from the environment, as in Lambda.
  jest.resetModules();
  ({ StatusReader } = await import('../../lambda/stack-status'));
});

afterEach(() => {
  jest.restoreAllMocks();
  api.clearFaults();
});

afterAll(async () => {
  await api.close();
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

/** The DescribeStacks requests that arrive while `run` runs. */
async function callsDuring(run: () => Promise<unknown>) {
  const first = api.describeStacksCalls().length;
  const outcome = await run().then((value) => ({ value }), (error: Error) => ({ error }));
  return { outcome, calls: api.describeStacksCalls().slice(first) };
}

test('after a throttle the reader waits with DESCRIBE_STACKS (at least 1.8 s), not the SMS backoff (0.9-3 s)', async () => {
  // The shortest draw of each backoff: 30% of its first window, 6 s for DESCRIBE_STACKS and 3 s for THROTTLED.
  jest.spyOn(Math, 'random').mockReturnValue(0);
  api.throttleNext(1);
  const { outcome, calls } = await callsDuring(() => new StatusReader(STACK_ID).read(Date.now() + 20_000));
  expect(outcome).toMatchObject({ value: { status: 'CREATE_IN_PROGRESS' } });
  expect(calls.map((c) => c.answered)).toEqual(['Throttling', 'CREATE_IN_PROGRESS']);
  expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(1800);
  expect(calls[1].at - calls[0].at).toBeLessThan(2900);
});

test('a wait that would pass the deadline is cut short: the last attempt is sent a second before the deadline', async () => {
  // The longest draw: the first wait would be 6 s, past a deadline 3.5 s away.
  jest.spyOn(Math, 'random').mockReturnValue(0.999_999);
  api.throttleNext(Infinity);
  const deadline = Date.now() + 3500;
  const { outcome, calls } = await callsDuring(() => new StatusReader(STACK_ID).read(deadline));
  expect(outcome).toMatchObject({ error: { name: 'CloudFormationThrottling', failure: 'throttled' } });
  expect((outcome as { error: Error }).error.message).toMatch(/^CloudFormation throttled DescribeStacks of stack Reader \(2 attempts over [\d.]+ s;/);
  expect(calls.map((c) => c.answered)).toEqual(['Throttling', 'Throttling']);
  expect(calls[1].at).toBeGreaterThanOrEqual(deadline - 1000);
  expect(calls[1].at).toBeLessThan(deadline);
});

test('a read answered on a cut-short last attempt returns its reading', async () => {
  jest.spyOn(Math, 'random').mockReturnValue(0.999_999);
  api.throttleNext(1);
  const deadline = Date.now() + 3500;
  const { outcome, calls } = await callsDuring(() => new StatusReader(STACK_ID).read(deadline));
  expect(outcome).toMatchObject({ value: { status: 'CREATE_IN_PROGRESS' } });
  expect(calls.map((c) => c.answered)).toEqual(['Throttling', 'CREATE_IN_PROGRESS']);
  expect(calls[1].at).toBeGreaterThanOrEqual(deadline - 1000);
});

describe('when the stack entered a status, from its events (issue 32)', () => {
  const T = Date.parse('2026-12-07T12:00:00.000Z');
  const stackEvent = (status: string, at: number): StackEventView => ({ status, at });
  const resourceEvent = (status: string, at: number, logicalId = 'Job'): StackEventView => ({ status, at, logicalId, physicalId: 'sms-job-0a', type: 'Custom::SmsReplicationJob' });

  afterEach(() => {
    events = [];
  });

  test('the newest event of the stack itself with that status, past the events of its resources and over pages', async () => {
    events = [
      stackEvent('UPDATE_IN_PROGRESS', T),
      stackEvent('UPDATE_ROLLBACK_IN_PROGRESS', T + 1000),
      stackEvent('UPDATE_ROLLBACK_COMPLETE', T + 2000),
      stackEvent('UPDATE_IN_PROGRESS', T + 3000),
      stackEvent('UPDATE_ROLLBACK_IN_PROGRESS', T + 4500),
      // The rollback's own events, and a resource event of the same status name that is not the stack's.
      ...Array.from({ length: 12 }, (_, i) => resourceEvent(i % 2 ? 'UPDATE_COMPLETE' : 'UPDATE_IN_PROGRESS', T + 5000 + i, `Job${i}`)),
      resourceEvent('UPDATE_ROLLBACK_IN_PROGRESS', T + 6000),
    ];
    const first = api.describeStackEventsCalls().length;
    const reader = new StatusReader(STACK_ID);
    await expect(reader.enteredStatusAt('UPDATE_ROLLBACK_IN_PROGRESS', Date.now() + 10_000)).resolves.toBe(T + 4500);
    // Two pages of ten; and the answer is kept for the invocation.
    expect(api.describeStackEventsCalls().slice(first).map((c) => c.params.NextToken !== undefined)).toEqual([false, true]);
    await expect(reader.enteredStatusAt('UPDATE_ROLLBACK_IN_PROGRESS', Date.now() + 10_000)).resolves.toBe(T + 4500);
    expect(api.describeStackEventsCalls().length - first).toBe(2);
  });

  test('undefined when the stack never entered the status', async () => {
    events = [stackEvent('UPDATE_IN_PROGRESS', T), resourceEvent('UPDATE_IN_PROGRESS', T + 1)];
    await expect(new StatusReader(STACK_ID).enteredStatusAt('UPDATE_ROLLBACK_IN_PROGRESS', Date.now() + 10_000)).resolves.toBeUndefined();
  });

  test('throttling is retried until the deadline; a denial fails at once, naming DescribeStackEvents and the permission', async () => {
    events = [stackEvent('UPDATE_ROLLBACK_IN_PROGRESS', T)];
    jest.spyOn(Math, 'random').mockReturnValue(0);
    api.throttleNext(1);
    await expect(new StatusReader(STACK_ID).enteredStatusAt('UPDATE_ROLLBACK_IN_PROGRESS', Date.now() + 10_000)).resolves.toBe(T);
    api.denyNext(1);
    const denied = new StatusReader(STACK_ID).enteredStatusAt('UPDATE_ROLLBACK_IN_PROGRESS', Date.now() + 10_000);
    await expect(denied).rejects.toMatchObject({ name: 'CloudFormationAccessDenied' });
    await expect(denied).rejects.toThrow(/^CloudFormation denied DescribeStackEvents of stack Reader .*needs cloudformation:DescribeStackEvents on its own stack/);
  });
});

describe('when CloudFormation sent an event: its ResponseURL\'s signing time (issue 32)', () => {
  const event = (url: string) => ({ ResponseURL: url }) as unknown as import('aws-lambda').CloudFormationCustomResourceEvent;

  test('X-Amz-Date, to the second; undefined without one', async () => {
    const { sentAt } = await import('../../lambda/rollback');
    expect(sentAt(event('https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261207T120001Z&X-Amz-Expires=7199')))
      .toBe(Date.parse('2026-12-07T12:00:01Z'));
    expect(sentAt(event('https://example.com/x?AWSAccessKeyId=AKIA&Expires=1765000000&Signature=abc'))).toBeUndefined();
    expect(sentAt(event('https://example.com/x?X-Amz-Date=2026-12-07T12:00:01Z'))).toBeUndefined();
    expect(sentAt(event('not a url'))).toBeUndefined();
  });
});
