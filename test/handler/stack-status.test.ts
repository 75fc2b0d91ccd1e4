/**
 * The stack-status reader against a local CloudFormation API (test/harness/cfn-api.ts), through the real SDK client:
 * how long it waits after a throttle, and how it spends the time left before its deadline.
 */
import { CloudFormationApi } from '../harness/cfn-api';

const STACK_NAME = 'Reader';
const STACK_ID = `arn:aws:cloudformation:us-west-2:123456789012:stack/${STACK_NAME}/4c2b1a90-0000-4000-8000-000000000001`;
const ENV = ['AWS_ENDPOINT_URL_CLOUDFORMATION', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));

let api: CloudFormationApi;
let StatusReader: typeof import('../../lambda/stack-status').StatusReader;

beforeAll(async () => {
  api = await CloudFormationApi.start({ stackId: STACK_ID, stackName: STACK_NAME, status: () => 'CREATE_IN_PROGRESS' });
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
