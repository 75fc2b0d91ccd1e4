/**
 * The emulator's server catalog (server-catalog.ts): VMs with names, managers and paths; the catalog's statuses; an
 * import that takes time; pages; throttling. Every answer is checked against the vendored model's output shapes, as
 * the requests are against its input shapes.
 */
import * as http from 'node:http';
import { GetServersCommand, ImportServerCatalogCommand, SMSClient } from '@aws-sdk/client-sms';
import { SmsEmulator } from './sms-emulator';
import { loadSmsModel, validateShape } from './sms-model';

const model = loadSmsModel();
let emulator: SmsEmulator;
let sms: SMSClient;

beforeEach(async () => {
  emulator = await SmsEmulator.start();
  sms = new SMSClient({
    region: 'us-west-2',
    endpoint: emulator.endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
});

afterEach(async () => {
  sms.destroy();
  await emulator.close();
});

/** The raw JSON answer of an operation, checked against the model's output shape. */
async function answerOf(operation: 'GetServers' | 'ImportServerCatalog', body: object = {}): Promise<any> {
  const url = new URL(emulator.endpoint);
  const text = await new Promise<string>((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSServerMigrationService_V2016_10_24.${operation}`,
        'authorization': 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-west-2/sms/aws4_request, SignedHeaders=host, Signature=00',
      },
    }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(t) : reject(new Error(`${res.statusCode}: ${t}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  const answer = JSON.parse(text);
  expect(validateShape(model, model.operations[operation].output!.shape, answer, operation)).toEqual([]);
  return answer;
}

test('GetServers reports each VM\'s name, manager and path, and the catalog\'s status, in the model\'s shapes', async () => {
  emulator.addServer('s-0000000a', { vmName: 'web-01', vmManagerName: 'vc-east', vmPath: '/East/vm/web-01' });
  emulator.addServer('s-0000000b', { vmName: 'web-01', vmManagerName: 'vc-west', vmPath: '/West/vm/web-01', vmManagerId: 'vmm-0002' });
  const answer = await answerOf('GetServers');
  expect(answer.serverCatalogStatus).toBe('AVAILABLE');
  expect(answer.serverList.map((s: any) => [s.serverId, s.vmServer.vmName, s.vmServer.vmManagerName, s.vmServer.vmPath,
    s.vmServer.vmServerAddress.vmManagerId])).toEqual([
    ['s-0000000a', 'web-01', 'vc-east', '/East/vm/web-01', 'vmm-0001'],
    ['s-0000000b', 'web-01', 'vc-west', '/West/vm/web-01', 'vmm-0002'],
  ]);
  expect(emulator.violations).toEqual([]);
});

test.each(['NOT_IMPORTED', 'EXPIRED', 'DELETED'] as const)('a catalog %s lists no server; an import makes it IMPORTING, then AVAILABLE after its time', async (status) => {
  emulator.addServer('s-0000000a', { vmName: 'web-01' });
  emulator.setCatalogStatus(status, { importMs: 300 });
  const before = await answerOf('GetServers');
  expect([before.serverCatalogStatus, before.serverList]).toEqual([status, []]);

  expect(await answerOf('ImportServerCatalog')).toEqual({});
  const importing = await sms.send(new GetServersCommand({}));
  expect([importing.serverCatalogStatus, importing.serverList]).toEqual(['IMPORTING', []]);
  // A second import while one runs starts nothing.
  await sms.send(new ImportServerCatalogCommand({}));
  expect(emulator.catalog.imports).toBe(1);

  await new Promise((r) => setTimeout(r, 350));
  const after = await answerOf('GetServers');
  expect(after.serverCatalogStatus).toBe('AVAILABLE');
  expect(after.serverList.map((s: any) => s.serverId)).toEqual(['s-0000000a']);
  expect(after.lastModifiedOn).toBeGreaterThan(before.lastModifiedOn);
  expect(emulator.violations).toEqual([]);
});

test('a catalog of more than a page answers pages of the default size, 50, with a token to the next', async () => {
  for (let i = 0; i < 120; i++) emulator.addServer(`s-${i.toString(16).padStart(8, '0')}`);
  const sizes: number[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sms.send(new GetServersCommand({ nextToken }));
    sizes.push(page.serverList!.length);
    nextToken = page.nextToken;
  } while (nextToken);
  expect(sizes).toEqual([50, 50, 20]);
});

test('GetServers is throttled like any operation', async () => {
  emulator.failNext('GetServers', 'ThrottlingException', { times: 2 });
  await expect(sms.send(new GetServersCommand({}))).rejects.toMatchObject({ name: 'ThrottlingException' });
  await expect(sms.send(new GetServersCommand({}))).rejects.toMatchObject({ name: 'ThrottlingException' });
  await expect(sms.send(new GetServersCommand({}))).resolves.toMatchObject({ serverCatalogStatus: 'AVAILABLE' });
  expect(emulator.requestsFor('GetServers').map((r) => r.outcome)).toEqual(['error:ThrottlingException', 'error:ThrottlingException', 'ok']);
});
