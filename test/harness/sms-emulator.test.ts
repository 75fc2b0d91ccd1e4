import * as http from 'node:http';
import {
  CreateReplicationJobCommand,
  DeleteReplicationJobCommand,
  GetReplicationJobsCommand,
  GetReplicationRunsCommand,
  GetServersCommand,
  paginateGetReplicationJobs,
  SMSClient,
  StartOnDemandReplicationRunCommand,
  UpdateReplicationJobCommand,
} from '@aws-sdk/client-sms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SMS_ERROR_STATUS, SmsEmulator } from './sms-emulator';

const SERVER = 's-1234abcd';
const SEED = new Date('2031-01-02T03:04:05Z');

let emulator: SmsEmulator;
let sms: SMSClient;

beforeEach(async () => {
  emulator = await SmsEmulator.start({ servers: [SERVER, 's-5678ef01'] });
  sms = client(emulator);
});

afterEach(async () => {
  sms.destroy();
  await emulator.close();
});

function client(e: SmsEmulator, options: { maxAttempts?: number; requestTimeout?: number } = {}): SMSClient {
  return new SMSClient({
    region: 'us-west-2',
    endpoint: e.endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: new NodeHttpHandler({ requestTimeout: options.requestTimeout }),
  });
}

/** Posts a hand-made awsJson1_1 request, signed well enough to pass the emulator's SigV4 shape check. */
async function post(operation: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const url = new URL(emulator.endpoint);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSServerMigrationService_V2016_10_24.${operation}`,
        'authorization': 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-west-2/sms/aws4_request, SignedHeaders=host, Signature=00',
        ...headers,
      },
    }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('protocol and validation', () => {
  test('requests made by the real SDK pass validation and are recorded with their target', async () => {
    const { replicationJobId } = await sms.send(new CreateReplicationJobCommand({
      serverId: SERVER,
      seedReplicationTime: SEED,
      frequency: 12,
      runOnce: false,
      licenseType: 'BYOL',
      roleName: 'sms',
      description: 'd',
      numberOfRecentAmisToKeep: 3,
      encrypted: true,
      kmsKeyId: 'arn:aws:kms:us-west-2:123456789012:key/1',
    }));
    await sms.send(new UpdateReplicationJobCommand({ replicationJobId, frequency: 6, nextReplicationRunStartTime: SEED }));
    await sms.send(new GetReplicationJobsCommand({ replicationJobId }));
    await sms.send(new GetServersCommand({}));
    await sms.send(new DeleteReplicationJobCommand({ replicationJobId }));

    expect(emulator.violations).toEqual([]);
    expect(emulator.requests.map((r) => r.operation)).toEqual([
      'CreateReplicationJob', 'UpdateReplicationJob', 'GetReplicationJobs', 'GetServers', 'DeleteReplicationJob',
    ]);
    const create = emulator.requests[0];
    expect(create.headers['x-amz-target']).toBe('AWSServerMigrationService_V2016_10_24.CreateReplicationJob');
    expect(create.body.seedReplicationTime).toBe(SEED.getTime() / 1000);
    expect(emulator.jobs()).toEqual([]);
  });

  test('an ISO timestamp, a string number, an unknown member and a bad enum are each a violation', async () => {
    const answer = await post('CreateReplicationJob', JSON.stringify({
      serverId: SERVER,
      seedReplicationTime: SEED.toISOString(),
      frequency: '12',
      licenseType: 'Byol',
      ServerId: SERVER,
    }));
    expect(answer.status).toBe(400);
    expect(answer.body.__type).toBe('InvalidParameterException');
    const messages = emulator.violations.map((v) => v.message);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringContaining('CreateReplicationJob.seedReplicationTime: expected a timestamp'),
      expect.stringContaining('CreateReplicationJob.frequency: expected an integer'),
      expect.stringContaining('CreateReplicationJob.licenseType: "Byol" is not one of AWS, BYOL'),
      expect.stringContaining('CreateReplicationJob.ServerId: CreateReplicationJobRequest has no member named ServerId'),
    ]));
    expect(messages).toHaveLength(4);
    expect(emulator.jobs()).toEqual([]);
  });

  test('a missing required member answers MissingRequiredParameterException', async () => {
    const answer = await post('CreateReplicationJob', JSON.stringify({ serverId: SERVER }));
    expect(answer).toEqual({ status: 400, body: expect.objectContaining({ __type: 'MissingRequiredParameterException' }) });
    expect(emulator.violations.map((v) => v.message)).toEqual(['CreateReplicationJob.seedReplicationTime: required member is missing']);
  });

  test('null members, wrong content-type, unsigned requests and unknown targets are violations', async () => {
    await post('DeleteReplicationJob', JSON.stringify({ replicationJobId: null }));
    await post('GetServers', '{}', { 'content-type': 'application/json' });
    await post('GetServers', '{}', { authorization: '' });
    await post('GetEverything', '{}');
    const messages = emulator.violations.map((v) => v.message);
    expect(messages).toEqual([
      expect.stringContaining('DeleteReplicationJob.replicationJobId: null is not a string'),
      expect.stringContaining('content-type is "application/json"'),
      'request is not signed with SigV4',
      expect.stringContaining('names no SMS operation'),
    ]);
  });
});

describe('service behaviour', () => {
  test('job ids look like the service\'s and the job holds what was asked, with epoch-second timestamps', async () => {
    const { replicationJobId } = await sms.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED, frequency: 24 }));
    expect(replicationJobId).toMatch(/^sms-job-[0-9a-f]{17}$/);
    const [job] = emulator.jobs();
    expect(job).toMatchObject({
      replicationJobId, serverId: SERVER, frequency: 24, runOnce: false, encrypted: false, state: 'PENDING',
      seedReplicationTime: SEED.getTime() / 1000,
    });
    expect(job).not.toHaveProperty('licenseType');
    const listed = await sms.send(new GetReplicationJobsCommand({ replicationJobId }));
    expect(listed.replicationJobList?.[0].seedReplicationTime).toEqual(SEED);
  });

  test('a second job for the same server is refused; an unknown server is an invalid parameter', async () => {
    await sms.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED }));
    await expect(sms.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED })))
      .rejects.toMatchObject({ name: 'ReplicationJobAlreadyExistsException', $metadata: { httpStatusCode: 400 } });
    await expect(sms.send(new CreateReplicationJobCommand({ serverId: 's-00000000', seedReplicationTime: SEED })))
      .rejects.toMatchObject({ name: 'InvalidParameterException' });
    expect(emulator.jobs()).toHaveLength(1);
  });

  test('update and delete of a job that is gone answer ReplicationJobNotFoundException (404)', async () => {
    const { replicationJobId } = await sms.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED }));
    await sms.send(new DeleteReplicationJobCommand({ replicationJobId }));
    await expect(sms.send(new DeleteReplicationJobCommand({ replicationJobId })))
      .rejects.toMatchObject({ name: 'ReplicationJobNotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(sms.send(new UpdateReplicationJobCommand({ replicationJobId, frequency: 1 })))
      .rejects.toMatchObject({ name: 'ReplicationJobNotFoundException' });
    const listed = await sms.send(new GetReplicationJobsCommand({ replicationJobId }));
    expect(listed.replicationJobList ?? []).toEqual([]);
  });

  test('GetReplicationJobs pages with maxResults and nextToken, and the SDK paginator sees every job once', async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) {
      ids.push(emulator.seedJob({ serverId: `s-0000000${i}` }).replicationJobId);
    }
    const first = await sms.send(new GetReplicationJobsCommand({ maxResults: 3 }));
    expect(first.replicationJobList).toHaveLength(3);
    expect(first.nextToken).toBeDefined();
    const seen: string[] = [];
    for await (const page of paginateGetReplicationJobs({ client: sms, pageSize: 3 }, {})) {
      seen.push(...(page.replicationJobList ?? []).map((j) => j.replicationJobId!));
    }
    expect(seen).toEqual(ids);
    expect(emulator.requestsFor('GetReplicationJobs')).toHaveLength(1 + Math.ceil(ids.length / 3));
    await expect(sms.send(new GetReplicationJobsCommand({ nextToken: 'garbage' }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  test('without maxResults a page holds 50 jobs, as the service documents', async () => {
    for (let i = 0; i < 51; i++) emulator.seedJob({ serverId: `s-${String(i).padStart(8, '0')}` });
    const first = await sms.send(new GetReplicationJobsCommand({}));
    expect(first.replicationJobList).toHaveLength(50);
    const second = await sms.send(new GetReplicationJobsCommand({ nextToken: first.nextToken }));
    expect(second.replicationJobList).toHaveLength(1);
    expect(second.nextToken).toBeUndefined();
  });

  test('GetServers lists the catalog and the job on each server', async () => {
    const seeded = emulator.seedJob({ serverId: SERVER, description: 'someone else' });
    const answer = await sms.send(new GetServersCommand({}));
    expect(answer.serverCatalogStatus).toBe('AVAILABLE');
    expect(answer.serverList?.map((s) => [s.serverId, s.replicationJobId])).toEqual([
      [SERVER, seeded.replicationJobId],
      ['s-5678ef01', undefined],
    ]);
  });
});

describe('faults', () => {
  test.each(Object.entries(SMS_ERROR_STATUS))('a named error %s arrives with status %d and changes nothing', async (error, status) => {
    emulator.failNext('CreateReplicationJob', error, { message: 'boom' });
    await expect(sms.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED })))
      .rejects.toMatchObject({ name: error, message: 'boom', $metadata: { httpStatusCode: status } });
    expect(emulator.jobs()).toEqual([]);
    await sms.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED }));
    expect(emulator.jobs()).toHaveLength(1);
  });

  test('an error armed N times fails exactly N calls', async () => {
    emulator.failNext('GetServers', 'InternalError', { times: 2 });
    const outcomes = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(await sms.send(new GetServersCommand({})).then(() => 'ok', (e) => e.name));
    }
    expect(outcomes).toEqual(['InternalError', 'InternalError', 'ok']);
  });

  test('throttling answers ThrottlingException above the rate and recovers a second later', async () => {
    emulator.throttleAbove(3);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () =>
      sms.send(new GetServersCommand({})).then(() => 'ok', (e) => e.name)));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'ThrottlingException')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 1100));
    await expect(sms.send(new GetServersCommand({}))).resolves.toBeDefined();
  });

  test('the SDK\'s standard retry treats the emulator\'s ThrottlingException as retryable', async () => {
    const retrying = client(emulator, { maxAttempts: 3 });
    emulator.failNext('GetServers', 'ThrottlingException', { times: 2 });
    await retrying.send(new GetServersCommand({}));
    expect(emulator.requestsFor('GetServers').map((r) => r.outcome)).toEqual(['error:ThrottlingException', 'error:ThrottlingException', 'ok']);
    retrying.destroy();
  });

  test('a delay postpones the answer', async () => {
    emulator.inject('GetServers', { kind: 'delay', ms: 400 });
    const started = Date.now();
    await sms.send(new GetServersCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  test('a hang never answers and changes nothing; close() still returns', async () => {
    const impatient = client(emulator, { requestTimeout: 300 });
    emulator.inject('CreateReplicationJob', { kind: 'hang' });
    await expect(impatient.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED })))
      .rejects.toMatchObject({ name: 'TimeoutError' });
    expect(emulator.jobs()).toEqual([]);
    impatient.destroy();
  });

  test('close() ends a request that is still hanging', async () => {
    emulator.inject('GetServers', { kind: 'hang' });
    const pending = sms.send(new GetServersCommand({})).then(() => 'answered', () => 'failed');
    await new Promise((r) => setTimeout(r, 100));
    await emulator.close();
    expect(await pending).toBe('failed');
    emulator = await SmsEmulator.start();
  });

  test('a malformed answer is a 200 with truncated JSON that the SDK cannot parse, and changes nothing', async () => {
    emulator.inject('CreateReplicationJob', { kind: 'malformed' });
    const error = await sms.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED })).catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error.$metadata?.httpStatusCode ?? error.$response?.statusCode).toBe(200);
    expect(emulator.jobs()).toEqual([]);
  });

  test.each(['destroy', 'hang', 'malformed'] as const)('losing the answer by %s leaves the job created', async (how) => {
    const impatient = client(emulator, { requestTimeout: 500 });
    emulator.inject('CreateReplicationJob', { kind: 'loseAnswer', how });
    await expect(impatient.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED }))).rejects.toBeInstanceOf(Error);
    expect(emulator.jobs().map((j) => j.serverId)).toEqual([SERVER]);
    expect(emulator.requestsFor('CreateReplicationJob')[0].outcome).toBe(`lost:${how}`);
    impatient.destroy();
  });

  test('faults armed for one operation do not touch the others, and clearFaults() disarms them', async () => {
    emulator.failNext('DeleteReplicationJob', 'InternalError', { times: Infinity });
    await sms.send(new GetServersCommand({}));
    emulator.clearFaults();
    const { replicationJobId } = await sms.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED }));
    await sms.send(new DeleteReplicationJobCommand({ replicationJobId }));
    expect(emulator.jobs()).toEqual([]);
  });
});

describe('on-demand replication runs', () => {
  test('a run moves over time: PENDING, ACTIVE through each stage with its progress, then COMPLETED with an AMI that becomes the job\'s latest', async () => {
    emulator.runTimings = { pendingMs: 100, stageMs: 200, stages: ['UPLOAD', 'CONVERT'] };
    const { replicationJobId } = await sms.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED }));
    const { replicationRunId } = await sms.send(new StartOnDemandReplicationRunCommand({ replicationJobId: replicationJobId!, description: 'cutover' }));
    const seen: string[] = [];
    for (;;) {
      const { replicationRunList, replicationJob } = await sms.send(new GetReplicationRunsCommand({ replicationJobId: replicationJobId! }));
      const run = replicationRunList!.find((r) => r.replicationRunId === replicationRunId)!;
      const view = `${run.state} ${run.stageDetails?.stage ?? '-'}`;
      if (seen[seen.length - 1] !== view) seen.push(view);
      if (run.state === 'COMPLETED') {
        expect(run).toMatchObject({ type: 'ON_DEMAND', description: 'cutover', amiId: expect.stringMatching(/^ami-[0-9a-f]{17}$/) });
        expect(replicationJob!.latestAmiId).toBe(run.amiId);
        expect(run.completedTime!.getTime()).toBeGreaterThan(run.scheduledStartTime!.getTime());
        expect(run.stageDetails).toBeUndefined();
        break;
      }
      expect(run.stageDetails?.stageProgress ?? '0%').toMatch(/^\d{1,3}%$/);
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(seen).toEqual(['PENDING -', 'ACTIVE UPLOAD', 'ACTIVE CONVERT', 'COMPLETED -']);
    expect(emulator.violations).toEqual([]);
  });

  test('a job set to fail ends its runs FAILED with the message; the on-demand limit refuses the next with ReplicationRunLimitExceededException', async () => {
    emulator.runTimings = { pendingMs: 0, stageMs: 50, stages: ['UPLOAD'] };
    emulator.onDemandRunsPerDay = 1;
    const { replicationJobId } = await sms.send(new CreateReplicationJobCommand({ serverId: SERVER, seedReplicationTime: SEED }));
    emulator.failRunsOf(replicationJobId!, 'disk upload failed');
    const { replicationRunId } = await sms.send(new StartOnDemandReplicationRunCommand({ replicationJobId: replicationJobId! }));
    await new Promise((r) => setTimeout(r, 80));
    const { replicationRunList } = await sms.send(new GetReplicationRunsCommand({ replicationJobId: replicationJobId! }));
    expect(replicationRunList!.find((r) => r.replicationRunId === replicationRunId)).toMatchObject({ state: 'FAILED', statusMessage: 'disk upload failed' });
    const error = await sms.send(new StartOnDemandReplicationRunCommand({ replicationJobId: replicationJobId! })).catch((e) => e);
    expect(error.name).toBe('ReplicationRunLimitExceededException');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });
});
