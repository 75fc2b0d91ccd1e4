/**
 * The vendored model (model/sms-2016-10-24.json) is the service definition that the handler's SMS client was
 * generated from: what the real client sends on the wire, captured by a local server, matches the model's metadata
 * and operation names. The emulator validates every request against this file, so a wrong file would make the
 * lifecycle tests prove the wrong API.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as sdk from '@aws-sdk/client-sms';
import { loadSmsModel, SMS_MODEL_PATH } from './sms-model';
import { SmsEmulator, RecordedRequest } from './sms-emulator';

const ROOT = path.join(__dirname, '..', '..');
const model = loadSmsModel();

/** Every command class the installed @aws-sdk/client-sms exports, by operation name. */
const commands = Object.entries(sdk)
  .filter(([name, value]) => name.endsWith('Command') && typeof value === 'function')
  .map(([name, value]) => ({ operation: name.slice(0, -'Command'.length), Command: value as new (input: object) => any }));

let client: sdk.SMSClient;
let sent: RecordedRequest[];

beforeAll(async () => {
  const emulator = await SmsEmulator.start();
  client = new sdk.SMSClient({
    region: 'us-west-2',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  try {
    for (const { Command } of commands) {
      // Empty input: the emulator refuses most of them, which does not matter; only the request is of interest.
      await client.send(new Command({})).catch(() => undefined);
    }
    sent = [...emulator.requests];
  } finally {
    await emulator.close();
  }
});

afterAll(() => client.destroy());

test('the installed client is the one bundled into the handler', () => {
  const installed = JSON.parse(readFileSync(require.resolve('@aws-sdk/client-sms/package.json'), 'utf8')).version;
  const bundled: { name: string; version: string }[] = JSON.parse(readFileSync(path.join(ROOT, 'assets', 'handler-packages.json'), 'utf8'));
  expect(bundled.filter((p) => p.name === '@aws-sdk/client-sms').map((p) => p.version)).toEqual([installed]);
});

test('the client has one command per operation of the model, and sends each under the model\'s target prefix', () => {
  expect(commands.length).toBeGreaterThan(0);
  expect(sent).toHaveLength(commands.length);
  const targets = sent.map((r) => r.headers['x-amz-target']).sort();
  expect(targets).toEqual(Object.keys(model.operations).map((op) => `${model.metadata.targetPrefix}.${op}`).sort());
  expect(commands.map((c) => c.operation).sort()).toEqual(Object.keys(model.operations).sort());
});

test('the client speaks the model\'s protocol: awsJson of the model\'s jsonVersion, SigV4 for its signing name', () => {
  expect(model.metadata.protocol).toBe('json');
  for (const request of sent) {
    expect(request.headers['content-type']).toBe(`application/x-amz-json-${model.metadata.jsonVersion}`);
    const scope = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/us-west-2\/([^/]+)\/aws4_request,/.exec(String(request.headers.authorization));
    expect(scope?.[1]).toBe(model.metadata.signingName ?? model.metadata.endpointPrefix);
  }
});

test('the client\'s API version, service id and default endpoint are the model\'s', async () => {
  expect(client.config.apiVersion).toBe(model.metadata.apiVersion);
  expect(client.config.serviceId).toBe(model.metadata.serviceId);
  const endpoint = client.config.endpointProvider({ Region: 'us-west-2', UseFIPS: false, UseDualStack: false });
  expect(endpoint.url.hostname).toBe(`${model.metadata.endpointPrefix}.us-west-2.amazonaws.com`);
});

test('the vendored file is the one model/README.md names (its sha256)', () => {
  const readme = readFileSync(path.join(path.dirname(SMS_MODEL_PATH), 'README.md'), 'utf8');
  const documented = /sha256 `([0-9a-f]{64})`/.exec(readme)?.[1];
  expect(documented).toBeDefined();
  expect(createHash('sha256').update(readFileSync(SMS_MODEL_PATH)).digest('hex')).toBe(documented);
});
