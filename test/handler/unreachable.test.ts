/**
 * When SMS cannot be reached at all (no route, a VPC without an endpoint, a region without SMS), every attempt fails
 * without an answer until the deadline: the Reason must say how the last attempt ended, not only that SMS was silent.
 */
import * as net from 'node:net';
import { GetReplicationJobsCommand } from '@aws-sdk/client-sms';
import type { Send } from '../../lambda/sms';
import { SmsEmulator } from '../harness/sms-emulator';

/** A loopback port nothing listens on: connections to it are refused at once. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const ENV = ['AWS_ENDPOINT_URL_SMS', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));

afterAll(() => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

/** The handler's SMS module, loaded afresh with its client pointed at `endpoint` (it reads it when it loads, as in Lambda). */
async function smsModuleFor(endpoint: string) {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SMS: endpoint,
    AWS_REGION: 'us-west-2',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
  });
  jest.resetModules();
  const [{ call, sms }, { describeError }] = await Promise.all([import('../../lambda/sms'), import('../../lambda/errors')]);
  return { call: <T>(operation: string, run: (send: Send) => Promise<T>, deadline: number) => call(operation, run, deadline, { client: sms }), describeError };
}

test('a call whose every attempt is refused by the network names the network error in its Timeout Reason', async () => {
  const port = await refusedPort();
  const { call, describeError } = await smsModuleFor(`http://127.0.0.1:${port}`);
  const attempt = call('GetReplicationJobs', (send) => send(new GetReplicationJobsCommand({})), Date.now() + 1500);
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(describeError(error)).toMatch(new RegExp(
    '^Timeout: GetReplicationJobs did not complete before the provider\'s time ran out; the last attempt ended in Error: '
    + `connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\. The provider answered before its Lambda deadline`));
});

test('a fault that a retry got past is not named when a later request of the same call runs out of time', async () => {
  const emulator = await SmsEmulator.start();
  try {
    const { call } = await smsModuleFor(emulator.endpoint);
    // The first attempt's connection is reset (retried, then answered); the second request never gets an answer.
    emulator.inject('GetReplicationJobs', { kind: 'loseAnswer', how: 'destroy' });
    const error = await call('GetReplicationJobs', async (send) => {
      await send(new GetReplicationJobsCommand({}));
      emulator.inject('GetReplicationJobs', { kind: 'hang' }, Infinity);
      return send(new GetReplicationJobsCommand({}));
    }, Date.now() + 2500).then(() => undefined, (e: unknown) => e as Error);
    expect(emulator.requestsFor('GetReplicationJobs').length).toBeGreaterThanOrEqual(3);
    expect(error?.message).toBe('SMS did not answer GetReplicationJobs before the provider\'s time ran out.');
  } finally {
    await emulator.close();
  }
});

test('an earlier call\'s retry, woken after its deadline aborted it, is not named in the next call\'s Reason', async () => {
  const emulator = await SmsEmulator.start();
  try {
    const { call } = await smsModuleFor(emulator.endpoint);
    // The first call is throttled and gives up at its deadline while its retry loop sleeps (0.9 s at least, retry.ts);
    // the loop wakes during the second call and fails at once with the first call's abort.
    emulator.failNext('GetReplicationJobs', 'ThrottlingException');
    const first = await call('GetReplicationJobs', (send) => send(new GetReplicationJobsCommand({})), Date.now() + 200)
      .then(() => undefined, (e: unknown) => e as Error);
    expect(first?.name).toBe('ThrottlingException');
    emulator.inject('GetReplicationJobs', { kind: 'hang' }, Infinity);
    const second = await call('GetReplicationJobs', (send) => send(new GetReplicationJobsCommand({})), Date.now() + 3500)
      .then(() => undefined, (e: unknown) => e as Error);
    expect(second?.message).toBe('SMS did not answer GetReplicationJobs before the provider\'s time ran out.');
  } finally {
    await emulator.close();
  }
});
