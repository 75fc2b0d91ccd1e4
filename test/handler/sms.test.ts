import { InvalidPropertyError } from '../../lambda/properties';
import { DeadlineError, RefusedError, call, describeError, isServiceAnswer } from '../../lambda/sms';

describe('call', () => {
  test('gives up at the deadline and aborts the request in flight', async () => {
    let signal: AbortSignal | undefined;
    const started = Date.now();
    const attempt = call('CreateReplicationJob', (abortSignal) => {
      signal = abortSignal;
      return new Promise<never>(() => undefined);
    }, started + 300);
    await expect(attempt).rejects.toThrow(DeadlineError);
    await expect(attempt).rejects.toThrow('SMS did not answer CreateReplicationJob before the provider\'s time ran out.');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(signal?.aborted).toBe(true);
  });

  test('returns what the call answers before the deadline', async () => {
    await expect(call('GetReplicationJobs', async () => 'answer', Date.now() + 1000)).resolves.toEqual('answer');
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
