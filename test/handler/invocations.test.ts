/**
 * Two invocations of the handler in one process keep apart what each knows: the check of its writes (its stack's
 * status) and what SMS answered its calls. Lambda runs one invocation per process at a time, but nothing in the
 * handler may rely on it (lambda/index.ts): here two events run interleaved in one module instance, against the SMS
 * emulator and a CloudFormation API that serves both stacks, and each answer must be the one it gets alone.
 */
import { randomUUID } from 'node:crypto';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { CloudFormationApi } from '../harness/cfn-api';
import { listenOnLoopback, stopListening } from '../harness/loopback';
import { SmsEmulator } from '../harness/sms-emulator';
import { testTls } from '../harness/tls';

interface Answer {
  readonly Status: string;
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
}

const ENV = ['AWS_ENDPOINT_URL_SMS', 'AWS_ENDPOINT_URL_CLOUDFORMATION', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
const savedCa = https.globalAgent.options.ca;

/** Stack statuses by stack name, as the CloudFormation API answers them. */
const statuses: Record<string, string> = {};
const stackId = (name: string) => `arn:aws:cloudformation:us-west-2:123456789012:stack/${name}/${randomUUID()}`;
const stacks = { forward: stackId('Forward'), movedOn: stackId('MovedOn'), throttled: stackId('Throttled'), hanging: stackId('Hanging') };

let emulator: SmsEmulator;
let cloudFormation: CloudFormationApi;
let responses: https.Server;
const answers = new Map<string, (answer: Answer) => void>();
let handler: (event: CloudFormationCustomResourceEvent, context: Context) => Promise<void>;

beforeAll(async () => {
  emulator = await SmsEmulator.start();
  const [first, ...others] = Object.values(stacks).map((id) => {
    const name = id.split('/')[1];
    return { stackId: id, stackName: name, status: () => statuses[name] };
  });
  cloudFormation = await CloudFormationApi.start(first);
  others.forEach((stack) => cloudFormation.addStack(stack));
  // The answers' PUTs, over HTTPS as to S3; the handler's https module trusts the test CA in this process.
  const tls = testTls();
  https.globalAgent.options.ca = tls.ca;
  responses = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      res.end();
      answers.get(new URL(req.url ?? '/', 'https://127.0.0.1').pathname)?.(JSON.parse(body));
    });
  });
  await listenOnLoopback(responses);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SMS: emulator.endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.endpoint,
    AWS_REGION: 'us-west-2',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
  });
  // Loaded once, as in one Lambda container: its SDK clients read the endpoints when they are made.
  jest.resetModules();
  ({ handler } = await import('../../lambda/index'));
  for (const method of ['log', 'warn', 'error'] as const) {
    jest.spyOn(console, method).mockImplementation(() => undefined);
  }
});

afterAll(async () => {
  jest.restoreAllMocks();
  https.globalAgent.options.ca = savedCa;
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await Promise.all([stopListening(responses), cloudFormation.close(), emulator.close()]);
});

/** Invokes the handler on one event with `remainingMs` to run, and resolves with the answer it PUT. */
function invoke(event: Record<string, unknown>, remainingMs: number): Promise<Answer> {
  const requestId = randomUUID();
  const path = `/response/${requestId}`;
  const answered = new Promise<Answer>((resolve) => answers.set(path, resolve));
  const deadline = Date.now() + remainingMs;
  const context = { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) } as Context;
  const full = {
    ...event,
    RequestId: requestId,
    ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:provider',
    ResourceType: 'Custom::SmsReplicationJob',
    ResponseURL: `https://127.0.0.1:${(responses.address() as AddressInfo).port}${path}?X-Amz-Signature=x`,
  } as CloudFormationCustomResourceEvent;
  return handler(full, context).then(() => answered);
}

const create = (stack: string, serverId: string) => ({
  RequestType: 'Create' as const,
  StackId: stack,
  LogicalResourceId: 'Job',
  ResourceProperties: { ServiceToken: 'x', ServerId: serverId, Frequency: '12' },
});

test.each([
  ['the Create of the stack that has moved on first', true],
  ['the Create of the stack that goes forward first', false],
])('each Create writes by its own stack\'s status: %s', async (_, movedOnFirst) => {
  statuses.Forward = 'CREATE_IN_PROGRESS';
  statuses.MovedOn = 'UPDATE_ROLLBACK_IN_PROGRESS';
  const forwardServer = emulator.addServer();
  const movedOnServer = emulator.addServer();
  // Both start in the same tick: each plans, and sets the check of its writes, before either writes.
  const [movedOn, forward] = movedOnFirst
    ? await Promise.all([invoke(create(stacks.movedOn, movedOnServer), 30_000), invoke(create(stacks.forward, forwardServer), 30_000)])
    : (await Promise.all([invoke(create(stacks.forward, forwardServer), 30_000), invoke(create(stacks.movedOn, movedOnServer), 30_000)])).reverse();

  expect(movedOn).toMatchObject({
    Status: 'FAILED',
    Reason: 'EventCancelled: The stack is UPDATE_ROLLBACK_IN_PROGRESS: CloudFormation has moved on from this Create (it was cancelled, '
      + 'or delivered late), so it makes no change in SMS (CreateReplicationJob not sent). CloudFormation no longer waits for this '
      + 'answer; the rollback\'s own event deals with what this one made.',
  });
  expect(forward.Status).toBe('SUCCESS');
  expect(emulator.jobs().filter((job) => job.serverId === movedOnServer)).toEqual([]);
  expect(emulator.jobs().find((job) => job.serverId === forwardServer)?.replicationJobId).toBe(forward.PhysicalResourceId);
});

test('a call cut short names only what SMS answered its own attempts, whatever another call was answered meanwhile', async () => {
  statuses.Throttled = 'CREATE_IN_PROGRESS';
  statuses.Hanging = 'DELETE_IN_PROGRESS';
  const throttledServer = emulator.addServer();
  const hangingJob = emulator.seedJob({ serverId: emulator.addServer() });
  emulator.failNext('CreateReplicationJob', 'ThrottlingException', { times: Infinity, message: 'Rate exceeded' });
  emulator.inject('DeleteReplicationJob', { kind: 'hang' }, Infinity);
  try {
    // The Create is throttled for its whole work time (about 6 s), with retries 0.9 to 3 s apart; the Delete starts
    // 0.3 s later, and SMS never answers its DeleteReplicationJob before its own deadline (about 3 s later).
    const throttled = invoke(create(stacks.throttled, throttledServer), 8000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const hanging = await invoke({
      RequestType: 'Delete',
      StackId: stacks.hanging,
      LogicalResourceId: 'Job',
      PhysicalResourceId: hangingJob.replicationJobId,
      ResourceProperties: { ServiceToken: 'x', ServerId: hangingJob.serverId },
    }, 5000);
    expect(hanging).toMatchObject({
      Status: 'FAILED',
      Reason: 'Timeout: SMS did not answer DeleteReplicationJob before the provider\'s time ran out. The provider answered before its '
        + 'Lambda deadline rather than leave the stack waiting; retry the deployment, and check SMS\'s health in the region.',
    });
    expect((await throttled).Reason).toMatch(/^ThrottlingException: Rate exceeded; SMS kept answering ThrottlingException to CreateReplicationJob /);
  } finally {
    emulator.clearFaults();
  }
}, 20_000);
