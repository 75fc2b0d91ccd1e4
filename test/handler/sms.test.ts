import { CreateReplicationJobCommand, GetReplicationJobsCommand, SMSClient } from '@aws-sdk/client-sms';
import { DeadlineError, NoJobMadeError, RefusedError, SmsCallError, describeError, isServiceAnswer } from '../../lambda/errors';
import { InvalidPropertyError } from '../../lambda/properties';
import { UntilDeadlineRetryStrategy } from '../../lambda/retry';
import { SmsSender, call } from '../../lambda/sms';
import { SmsEmulator } from '../harness/sms-emulator';

describe('call', () => {
  test('gives up at the deadline and aborts the request in flight', async () => {
    let signal: AbortSignal | undefined;
    // A client whose requests are never answered.
    const client = {
      send: (_command: unknown, options: { abortSignal: AbortSignal }) => {
        signal = options.abortSignal;
        return new Promise<never>(() => undefined);
      },
    } as unknown as SmsSender;
    const started = Date.now();
    const attempt = call('CreateReplicationJob', (send) => send(new CreateReplicationJobCommand({ serverId: 's-1', seedReplicationTime: new Date() })),
      started + 300, { client });
    await expect(attempt).rejects.toThrow(DeadlineError);
    await expect(attempt).rejects.toThrow('SMS did not answer CreateReplicationJob before the provider\'s time ran out.');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(signal?.aborted).toBe(true);
  });

  test('returns what the call answers before the deadline', async () => {
    await expect(call('GetReplicationJobs', async () => 'answer', Date.now() + 1000, { client: {} as SmsSender })).resolves.toEqual('answer');
  });
});

describe('what a failed call says it changed (its kind)', () => {
  let emulator: SmsEmulator;
  let client: SMSClient;
  beforeAll(async () => {
    emulator = await SmsEmulator.start();
    client = new SMSClient({
      endpoint: emulator.endpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
      // The handler's strategy, retrying after 20 ms.
      retryStrategy: new UntilDeadlineRetryStrategy(() => 20, () => 20),
    });
  });
  afterAll(async () => {
    await emulator.close();
  });
  const failure = (deadline = Date.now() + 2000) =>
    call('GetReplicationJobs', (send) => send(new GetReplicationJobsCommand({})), deadline, { client }).then(() => undefined, (e: unknown) => e);

  test('refused: SMS answered every attempt with a modeled client error; the error keeps its name and message', async () => {
    emulator.failNext('GetReplicationJobs', 'ThrottlingException', { message: 'Rate exceeded' });
    emulator.failNext('GetReplicationJobs', 'InvalidParameterException', { message: 'Bad parameter' });
    const error = await failure();
    expect(error).toBeInstanceOf(SmsCallError);
    expect(error).toMatchObject({ kind: 'refused', name: 'InvalidParameterException', message: 'Bad parameter' });
    expect(isServiceAnswer(error)).toBe(true);
  });

  test('unknown: an attempt met a 5xx before SMS refused the call', async () => {
    emulator.failNext('GetReplicationJobs', 'InternalError', { status: 500 });
    emulator.failNext('GetReplicationJobs', 'InvalidParameterException', { message: 'Bad parameter' });
    expect(await failure()).toMatchObject({ kind: 'unknown', name: 'InvalidParameterException' });
  });

  test('a deadline is a DeadlineError, named after what SMS kept answering', async () => {
    emulator.failNext('GetReplicationJobs', 'ThrottlingException', { times: Infinity });
    try {
      const error = await failure(Date.now() + 300);
      expect(error).toBeInstanceOf(DeadlineError);
      expect(error).toMatchObject({ kind: 'unknown', name: 'ThrottlingException' });
    } finally {
      emulator.clearFaults();
    }
  });
});

describe('describeError', () => {
  const serviceError = (name: string, status: number, fault: 'client' | 'server', message: string) =>
    Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });

  test('starts with the SMS error name and says what to do', () => {
    const reason = describeError(serviceError('NoConnectorsAvailableException', 430, 'client', 'No connectors available'));
    expect(reason).toEqual('NoConnectorsAvailableException: No connectors available. No SMS connector can reach this server; '
      + 'check the connector appliance is registered and healthy.');
  });

  test('an error SMS did not answer with (network, garbled answer) says the request did not complete', () => {
    const reason = describeError(Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' }));
    expect(reason).toMatch(/^Error: socket hang up. The request to SMS did not complete; retry the deployment\.$/);
  });

  test('isServiceAnswer tells modeled 4xx answers from faults and the unknown', () => {
    expect(isServiceAnswer(serviceError('InvalidParameterException', 400, 'client', 'x'))).toBe(true);
    expect(isServiceAnswer(serviceError('InternalError', 500, 'server', 'x'))).toBe(false);
    expect(isServiceAnswer(new DeadlineError('x'))).toBe(false);
  });
});

describe('describeError says "retry" only where a retry can help', () => {
  test('not after a refusal by the provider, whose message says what to change', () => {
    expect(describeError(new RefusedError('RunOnceChangeNotSupported', 'runOnce is false; SMS cannot change it.')))
      .toEqual('RunOnceChangeNotSupported: runOnce is false; SMS cannot change it.');
    expect(describeError(new InvalidPropertyError('Property Frequency must be a whole number of hours from 1 to 24, got "lots".')))
      .not.toMatch(/retry/i);
  });

  test('after a timeout', () => {
    expect(describeError(new DeadlineError('SMS did not answer GetReplicationJobs before the provider\'s time ran out.'))).toMatch(/retry the deployment/);
  });
});

describe('a wrapping error reads as the error inside it', () => {
  test('same Reason as its cause, advice included', () => {
    const answer = Object.assign(new Error('No connectors available'), { name: 'NoConnectorsAvailableException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    const wrapped = new NoJobMadeError(new SmsCallError('refused', answer));
    expect(wrapped.name).toBe('NoConnectorsAvailableException');
    expect(describeError(wrapped)).toEqual(describeError(answer));
    const refusal = new RefusedError('ExistingJobNotAdoptable', 'Replication job sms-job-1 is FAILED.');
    expect(describeError(new NoJobMadeError(refusal))).toEqual('ExistingJobNotAdoptable: Replication job sms-job-1 is FAILED.');
  });
});
