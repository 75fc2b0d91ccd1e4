/**
 * When SMS cannot be reached at all (no route, a VPC without an endpoint, a region without SMS), every attempt fails
 * without an answer until the deadline: the Reason must say how the last attempt ended, not only that SMS was silent.
 */
import * as net from 'node:net';
import { GetReplicationJobsCommand } from '@aws-sdk/client-sms';

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

test('a call whose every attempt is refused by the network names the network error in its Timeout Reason', async () => {
  const port = await refusedPort();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SMS: `http://127.0.0.1:${port}`,
    AWS_REGION: 'us-west-2',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
  });
  // The handler's client reads its endpoint when the module loads, as in a Lambda container.
  const { call, describeError, sms } = await import('../../lambda/sms');
  const attempt = call('GetReplicationJobs', (abortSignal) => sms.send(new GetReplicationJobsCommand({}), { abortSignal }), Date.now() + 1500);
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(describeError(error)).toMatch(new RegExp(
    '^Timeout: GetReplicationJobs did not complete before the provider\'s time ran out; the last attempt ended in Error: '
    + `connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\. The provider answered before its Lambda deadline`));
});
