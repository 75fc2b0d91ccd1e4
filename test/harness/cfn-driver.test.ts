import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CfnParameter, CustomResource, Duration, Stack, aws_kms as kms, aws_lambda as lambda } from 'aws-cdk-lib';
import { CfnDriver } from './cfn-driver';
import { SmsEmulator } from './sms-emulator';

/**
 * A stand-in handler, written at test time, whose behaviour each resource picks with its Mode property. It answers
 * CloudFormation by hand so that every way of answering (well or badly) can be shown to the driver.
 */
const FIXTURE_HANDLER = `
const https = require('node:https');
function put(event, body, headers) {
  return new Promise((resolve, reject) => {
    const req = https.request(event.ResponseURL, { method: 'PUT', headers }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body);
  });
}
function answer(event, extra) {
  return JSON.stringify({ Status: 'SUCCESS', PhysicalResourceId: 'fixture-' + event.LogicalResourceId, StackId: event.StackId,
    RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, ...extra });
}
exports.handler = async (event, context) => {
  const mode = event.ResourceProperties.Mode;
  if (mode === 'hang') { console.log('hanging'); await new Promise(() => setInterval(() => {}, 1000)); }
  if (mode === 'leak') console.log('the url is', event.ResponseURL);
  if (mode === 'noawait') { put(event, answer(event), { 'content-length': Buffer.byteLength(answer(event)) }); return; }
  if (mode === 'chunked') { await put(event, answer(event), { 'transfer-encoding': 'chunked' }); return; }
  if (mode === 'oversize') { const b = answer(event, { Reason: 'x'.repeat(5000) }); await put(event, b, { 'content-length': Buffer.byteLength(b) }); return; }
  if (mode === 'throw') throw new Error('no answer from me');
  const body = answer(event, { Data: {
    Event: JSON.stringify(event),
    Remaining: String(context.getRemainingTimeInMillis()),
    Env: JSON.stringify({ AWS_REGION: process.env.AWS_REGION, AWS_ENDPOINT_URL_SMS: process.env.AWS_ENDPOINT_URL_SMS,
      AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME, FROM_TEMPLATE: process.env.FROM_TEMPLATE,
      HOME: process.env.HOME, cwd: process.cwd(), taskRoot: process.env.LAMBDA_TASK_ROOT }),
  } });
  for (let attempt = 0; attempt < 3; attempt++) {
    const status = await put(event, body, { 'content-length': Buffer.byteLength(body) }).catch(() => 0);
    if (status === 200) return;
  }
};
`;

let emulator: SmsEmulator;
let cfn: CfnDriver;
let stack: Stack;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fixture-handler-'));
  writeFileSync(path.join(dir, 'index.js'), FIXTURE_HANDLER);
  const app = new App({ builtinCloudFormationValidation: false });
  stack = new Stack(app, 'DriverSelfTest');
  const fn = new lambda.Function(stack, 'Fn', {
    code: lambda.Code.fromAsset(dir),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_20_X,
    timeout: Duration.seconds(20),
    environment: { FROM_TEMPLATE: 'yes' },
  });
  const key = new kms.Key(stack, 'Key');
  const frequency = new CfnParameter(stack, 'Frequency', { type: 'Number', default: 12 });
  for (const mode of ['echo', 'hang', 'leak', 'noawait', 'chunked', 'oversize', 'throw']) {
    new CustomResource(stack, mode, {
      resourceType: 'Custom::SmsReplicationJob',
      serviceToken: fn.functionArn,
      properties: { Mode: mode, Count: 3, Flag: true, Nested: { List: [1, false] }, KeyArn: key.keyArn, Frequency: frequency.valueAsNumber },
    });
  }
  emulator = await SmsEmulator.start();
  cfn = await CfnDriver.start({ stack, emulator, parameters: { Frequency: 'lots' } });
});

afterAll(async () => {
  await cfn.close();
  await emulator.close();
});

function resource(mode: string): string {
  return cfn.logicalIdOf(stack.node.findChild(mode));
}

test('finds every Custom::SmsReplicationJob and the function and asset folder behind its ServiceToken', () => {
  expect(cfn.logicalIds).toHaveLength(7);
  const fn = cfn.functionOf(resource('echo'));
  expect(fn).toMatchObject({ handler: 'index.handler', timeoutSeconds: 20, environment: { FROM_TEMPLATE: 'yes' } });
  expect(fn.assetDir).toContain(path.join('asset.'));
});

test('sends a Create event shaped like CloudFormation\'s, with every property value a string', async () => {
  const result = await cfn.create(resource('echo'));
  expect(result.status).toBe('SUCCESS');
  expect(result.protocolViolations).toEqual([]);
  const event = JSON.parse(String(result.data!.Event));
  expect(event).toEqual({
    RequestType: 'Create',
    ServiceToken: expect.stringMatching(/^arn:aws:lambda:us-west-2:123456789012:function:/),
    ResponseURL: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/.+X-Amz-Signature=[0-9a-f]{64}$/),
    StackId: expect.stringMatching(/^arn:aws:cloudformation:us-west-2:123456789012:stack\/DriverSelfTest\/[0-9a-f-]{36}$/),
    RequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    LogicalResourceId: resource('echo'),
    ResourceType: 'Custom::SmsReplicationJob',
    ResourceProperties: {
      ServiceToken: event.ServiceToken,
      Mode: 'echo',
      Count: '3',
      Flag: 'true',
      Nested: { List: ['1', 'false'] },
      KeyArn: expect.stringMatching(/^arn:aws:kms:us-west-2:123456789012:key\/[0-9a-f-]{36}$/),
      Frequency: 'lots',
    },
  });
});

test('runs the function with Lambda\'s environment, its task root as cwd, and a countdown from its Timeout', async () => {
  const result = await cfn.create(resource('echo'));
  const env = JSON.parse(String(result.data!.Env));
  const fn = cfn.functionOf(resource('echo'));
  expect(env).toEqual({
    AWS_REGION: 'us-west-2',
    AWS_ENDPOINT_URL_SMS: emulator.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    FROM_TEMPLATE: 'yes',
    cwd: fn.assetDir,
    taskRoot: fn.assetDir,
  });
  const remaining = Number(result.data!.Remaining);
  expect(remaining).toBeLessThanOrEqual(20_000);
  expect(remaining).toBeGreaterThan(15_000);
});

test('Update carries the old properties and the physical id; Delete carries the physical id', async () => {
  const id = resource('echo');
  await cfn.create(id);
  const update = await cfn.update(id, { Count: 4 });
  const event = JSON.parse(String(update.data!.Event));
  expect(event).toMatchObject({
    RequestType: 'Update',
    PhysicalResourceId: `fixture-${id}`,
    ResourceProperties: { Count: '4' },
    OldResourceProperties: { Count: '3' },
  });
  const rollback = await cfn.rollbackUpdate(id);
  expect(JSON.parse(String(rollback.data!.Event))).toMatchObject({ ResourceProperties: { Count: '3' }, OldResourceProperties: { Count: '4' } });
  const deleted = await cfn.delete(id);
  expect(deleted.event).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: `fixture-${id}`, ResourceProperties: { Count: '3' } });
  expect(cfn.liveJobIds()).not.toContain(`fixture-${id}`);
});

test('kills the function at its deadline and reports no answer', async () => {
  const short = await CfnDriver.start({ stack, emulator, functionTimeoutSeconds: 1, parameters: { Frequency: '1' } });
  try {
    const result = await short.create(resource('hang'));
    expect(result).toMatchObject({ status: 'NO_RESPONSE', timedOut: true, timeoutMs: 1000 });
    expect(result.durationMs).toBeGreaterThanOrEqual(1000);
    expect(result.durationMs).toBeLessThan(3000);
    expect(result.logs).toContain('hanging');
    expect(result.logs).toContain('Task timed out after 1.00 seconds');
  } finally {
    await short.close();
  }
});

test('captures the function\'s logs, so a leaked signature can be seen', async () => {
  const result = await cfn.create(resource('leak'));
  const signature = new URL(result.event.ResponseURL).searchParams.get('X-Amz-Signature')!;
  expect(result.logs).toContain(signature);
  expect(result.logs).toMatch(/\tINFO\tthe url is https:/);
});

test('work the handler did not await is lost, as when Lambda freezes the sandbox', async () => {
  const result = await cfn.create(resource('noawait'));
  expect(result.status).toBe('NO_RESPONSE');
  expect(result.outcome).toEqual({ kind: 'returned' });
});

test('a thrown error is reported as the invocation\'s outcome and leaves CloudFormation without an answer', async () => {
  const result = await cfn.create(resource('throw'));
  expect(result.status).toBe('NO_RESPONSE');
  expect(result.outcome).toMatchObject({ kind: 'error', error: { errorType: 'Error', errorMessage: 'no answer from me' } });
});

test('a chunked PUT without content-length and an answer over 4096 bytes are protocol violations', async () => {
  const chunked = await cfn.create(resource('chunked'));
  expect(chunked.protocolViolations).toEqual(['answer has no content-length (S3 refuses a chunked PUT)']);
  expect(chunked.status).toBe('NO_RESPONSE');
  const oversize = await cfn.create(resource('oversize'));
  expect(oversize.protocolViolations).toEqual([expect.stringMatching(/^answer body is \d+ bytes, more than 4096$/)]);
});

test.each(['500', 'reset'] as const)('a failed response PUT (%s) is not the answer; a retried one is', async (how) => {
  cfn.failNextResponsePuts(1, how);
  const result = await cfn.create(resource('echo'));
  expect(result.puts.map((p) => p.answered)).toEqual([how === '500' ? 500 : 'reset', 200]);
  expect(result.status).toBe('SUCCESS');
});

test('redelivering an event sends the very same event again', async () => {
  const first = await cfn.create(resource('echo'));
  const second = await cfn.redeliver(first.event);
  expect(JSON.parse(String(second.data!.Event))).toEqual(JSON.parse(String(first.data!.Event)));
  expect(cfn.putsFor(first.event)).toHaveLength(2);
});
