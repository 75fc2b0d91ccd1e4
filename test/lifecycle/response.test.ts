import { Duration } from 'aws-cdk-lib';
import { CfnResult, MAX_RESPONSE_BYTES } from '../harness/cfn-driver';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, expectSignatureNotLogged, futureSeed, world, World } from '../harness/world';
import { SmsServer } from '../../lib';

/** Sequence 9 of issue 3: the answer's PUT retried, its size and byte count, and the pre-signed URL kept out of logs. */

jest.setTimeout(60_000);

let w: World;
const results: CfnResult[] = [];

beforeEach(async () => {
  w = await world({ jobs: { Job: { server: SmsServer.fromServerId('s-00000f00'), seedReplicationTime: futureSeed(), frequency: Duration.hours(12), description: 'ä' } } });
});

afterEach(async () => {
  results.push(...w.cfn.invocations);
  await w.close();
});

afterAll(() => {
  // Every invocation of this file, whatever it did, kept the signature out of its logs.
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) expectSignatureNotLogged(result);
});

test.each(['500', 'reset'] as const)('a response PUT failing once (%s) is retried, and CloudFormation gets the answer', async (how) => {
  const { cfn, emulator } = w;
  cfn.failNextResponsePuts(1, how);
  const created = await cfn.create();
  expect(created.puts.map((p) => p.answered)).toEqual([how === '500' ? 500 : 'reset', 200]);
  expect(created.puts[0].body).toBe(created.puts[1].body);
  expectAnsweredInTime(created);
  expect(created.status).toBe('SUCCESS');

  cfn.failNextResponsePuts(1, how);
  const deleted = await cfn.delete();
  expectAnsweredInTime(deleted);
  expect(deleted.status).toBe('SUCCESS');
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test.each([
  ['a 10 KB ASCII message', 'x'.repeat(10 * 1024)],
  ['a 10 KB message of two-byte characters', 'é'.repeat(10 * 1024)],
  ['a 10 KB message of three-byte characters', '日本語'.repeat(3500)],
  ['a 10 KB message of four-byte characters and escapes', '🚀"\\\n'.repeat(2600)],
])('an SMS error with %s gives a FAILED answer of at most 4096 bytes, content-length counting bytes', async (_, message) => {
  const { cfn, emulator } = w;
  expect(Buffer.byteLength(message)).toBeGreaterThanOrEqual(10 * 1024);
  emulator.failNext('CreateReplicationJob', 'ServerCannotBeReplicatedException', { message });
  const failed = await cfn.create();
  expectAnsweredInTime(failed);
  const [put] = failed.puts;
  expect(put.bodyBytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
  expect(Number(put.headers['content-length'])).toBe(put.bodyBytes);
  expect(failed.status).toBe('FAILED');
  expect(failed.reason).toMatch(/^ServerCannotBeReplicatedException\b/);
  // The Reason keeps as much of the message as fits, cut on a character boundary (no U+FFFD from a split character).
  expect(failed.reason).not.toContain('\uFFFD');
  expect(failed.reason!.length).toBeGreaterThan(500);
  // Nor half of a surrogate pair, which JSON would carry as a lone \ud83d escape.
  expect(failed.reason).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);

  expect((await cfn.delete()).status).toBe('SUCCESS');
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test('a successful answer with multi-byte text in the properties counts bytes in content-length', async () => {
  const { cfn, emulator } = w;
  const created = await cfn.create(undefined, { Description: 'Serveur de données — 日本 🚀' });
  expectAnsweredInTime(created);
  expect(created.status).toBe('SUCCESS');
  expect(Number(created.puts[0].headers['content-length'])).toBe(created.puts[0].bodyBytes);
  expect(emulator.jobs()[0].description).toMatch(/^Serveur de données — 日本 🚀 /);
  expect((await cfn.delete()).status).toBe('SUCCESS');
  expectNothingLeakedNothingLost(emulator, [cfn]);
});

test('the pre-signed URL\'s signature reaches neither the logs nor SMS, on success, failure and retries', async () => {
  const { cfn, emulator } = w;
  cfn.failNextResponsePuts(2, 'reset');
  emulator.failNext('CreateReplicationJob', 'InternalError', { times: 2 });
  const created = await cfn.create();
  expect(created.status).toBe('SUCCESS');
  emulator.failNext('UpdateReplicationJob', 'InvalidParameterException', { message: 'bad' });
  const failed = await cfn.update(w.jobs.Job, { Frequency: 2 });
  expect(failed.status).toBe('FAILED');
  for (const result of cfn.invocations) {
    expectSignatureNotLogged(result);
    const signature = new URL(result.event.ResponseURL).searchParams.get('X-Amz-Signature')!;
    expect(JSON.stringify(emulator.requests.map((r) => r.body))).not.toContain(signature);
  }
  // The logs are not empty: there was something to leak into.
  expect(created.logs).toContain(created.event.RequestId);
});
