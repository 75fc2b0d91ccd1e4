import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetReplicationJobsCommand, SMSClient } from '@aws-sdk/client-sms';
import type { RetryErrorInfo } from '@smithy/types';
import { DESCRIBE_STACKS, FAILED, THROTTLED, UntilDeadlineRetryStrategy, isRetryable, retryAfterMs } from '../../lambda/retry';
import { DeadlineError } from '../../lambda/errors';
import { call } from '../../lambda/sms';
import { SmsEmulator } from '../harness/sms-emulator';

const info = (errorType: RetryErrorInfo['errorType'], error: object): RetryErrorInfo => ({ errorType, error: error as RetryErrorInfo['error'] });
const clientOf = (endpoint: string, strategy: UntilDeadlineRetryStrategy) => new SMSClient({
  endpoint,
  region: 'us-west-2',
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
  retryStrategy: strategy,
});
/** Retries at once: what a test of how many retries there are, or of a Retry-After, needs. */
const noWait = () => 0;

describe('what is retried', () => {
  test('throttling, 5xx and timeouts are; a modeled 4xx answer is not', () => {
    expect(isRetryable(info('THROTTLING', { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))).toBe(true);
    expect(isRetryable(info('TRANSIENT', { name: 'InternalError', $metadata: { httpStatusCode: 500 } }))).toBe(true);
    expect(isRetryable(info('SERVER_ERROR', { name: 'TemporarilyUnavailableException', $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isRetryable(info('CLIENT_ERROR', { name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } }))).toBe(false);
  });

  test('a request that got no answer (network) is, unless the deadline aborted it', () => {
    expect(isRetryable(info('CLIENT_ERROR', { name: 'Error', code: 'EHOSTUNREACH', $metadata: {} }))).toBe(true);
    expect(isRetryable(info('CLIENT_ERROR', { name: 'AbortError', $metadata: {} }))).toBe(false);
  });
});

describe('backoff', () => {
  test('after a throttle: 30-100% of a window from 3 s doubling to 20 s', () => {
    for (let i = 0; i < 200; i++) {
      expect(THROTTLED(1)).toBeGreaterThanOrEqual(900);
      expect(THROTTLED(1)).toBeLessThanOrEqual(3000);
      expect(THROTTLED(3)).toBeLessThanOrEqual(12_000);
      expect(THROTTLED(30)).toBeGreaterThanOrEqual(6000);
      expect(THROTTLED(30)).toBeLessThanOrEqual(20_000);
      expect(FAILED(30)).toBeLessThanOrEqual(8000);
    }
  });

  test('after CloudFormation throttles DescribeStacks: 30-100% of a window from 6 s doubling to 24 s, then shrinking by 30% to 1 s', () => {
    const windows = [6000, 12_000, 24_000, 16_800, 11_760, 8232, 5762.4, 4033.68, 2823.576, 1976.5032, 1383.55224, 1000, 1000];
    for (let i = 0; i < 200; i++) {
      windows.forEach((window, index) => {
        const wait = DESCRIBE_STACKS(index + 1);
        expect(wait).toBeGreaterThanOrEqual(0.3 * window - 1e-6);
        expect(wait).toBeLessThanOrEqual(window + 1e-6);
      });
    }
    // The waits spread over the whole range, not only its ends.
    const first = Array.from({ length: 2000 }, () => DESCRIBE_STACKS(1));
    expect(first.filter((w) => w < 3000).length).toBeGreaterThan(450);
    expect(first.filter((w) => w > 5000).length).toBeGreaterThan(200);
  });

  test('Retry-After is read as delay-seconds or an HTTP date', () => {
    const withHeader = (value: string) => info('THROTTLING', { $response: { headers: { 'retry-after': value } } });
    expect(retryAfterMs(withHeader('2'))).toBe(2000);
    expect(retryAfterMs(withHeader(new Date(Date.now() + 5000).toUTCString()))).toBeGreaterThan(3000);
    expect(retryAfterMs(withHeader('soon'))).toBeUndefined();
    expect(retryAfterMs(info('THROTTLING', {}))).toBeUndefined();
  });
});

describe('with the SDK', () => {
  let emulator: SmsEmulator;
  beforeEach(async () => {
    emulator = await SmsEmulator.start();
  });
  afterEach(async () => {
    await emulator.close();
  });

  test('retries past any count: fifteen throttles in a row, then the answer', async () => {
    emulator.failNext('GetReplicationJobs', 'ThrottlingException', { times: 15 });
    const client = clientOf(emulator.endpoint, new UntilDeadlineRetryStrategy(noWait, noWait));
    await expect(client.send(new GetReplicationJobsCommand({}))).resolves.toMatchObject({ replicationJobList: [] });
    expect(emulator.requestsFor('GetReplicationJobs')).toHaveLength(16);
  });

  test('the deadline ends the retries: no request after call() gave up', async () => {
    emulator.failNext('GetReplicationJobs', 'ThrottlingException', { times: Infinity });
    const client = clientOf(emulator.endpoint, new UntilDeadlineRetryStrategy(() => 50, noWait));
    await expect(call('GetReplicationJobs', (send) => send(new GetReplicationJobsCommand({})), Date.now() + 500, { client }))
      .rejects.toThrow(DeadlineError);
    // An attempt written just before the abort may reach the emulator (in this process) a little later on a busy
    // machine: count once that has settled. Retries that went on would add one every 50 ms after it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const made = emulator.requests.length;
    expect(made).toBeGreaterThan(3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(emulator.requests.length).toBe(made);
  });

  test('waits at least what a Retry-After header asks', async () => {
    let requests = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        if (requests === 1) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'retry-after': '1' });
          res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        } else {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ replicationJobList: [] }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = clientOf(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, new UntilDeadlineRetryStrategy(noWait, noWait));
      const started = Date.now();
      await client.send(new GetReplicationJobsCommand({}));
      expect(requests).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    } finally {
      server.close();
    }
  });
});
