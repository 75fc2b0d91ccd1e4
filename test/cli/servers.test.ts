/**
 * `servers` against the SMS emulator: the catalog with the same VM name on two VM managers and twice on one (the
 * selector printed for each server is the one that names it alone, as the handler resolves selectors), jobs and the
 * stacks whose markers they carry, --vm-name as a name and a glob, and --import on a catalog never imported.
 */
import { randomUUID } from 'node:crypto';
import { describedWithMarker, eventMarker } from '../../lambda/ownership';
import { matchesOf } from '../../lambda/server';
import { SmsEmulator } from '../harness/sms-emulator';
import { runCli } from './fixture';
import { validReport } from './schema';

const STACK_ID = 'arn:aws:cloudformation:us-west-2:123456789012:stack/Migration/0b7a5c10-0000-11ef-8000-0a1b2c3d4e5f';
let emulator: SmsEmulator;
const servers = (...args: string[]) => runCli(['servers', ...args], { sms: emulator.endpoint, cloudFormation: 'http://127.0.0.1:9' });

beforeEach(async () => {
  emulator = await SmsEmulator.start();
  emulator.addServer('s-0000d001', { vmName: 'web-01', vmManagerName: 'vc-east', vmPath: '/East/vm/web-01' });
  emulator.addServer('s-0000d002', { vmName: 'web-01', vmManagerName: 'vc-west', vmPath: '/West/vm/web-01' });
  emulator.addServer('s-0000d003', { vmName: 'app-01', vmManagerName: 'vc-east', vmPath: '/East/vm/a/app-01' });
  emulator.addServer('s-0000d004', { vmName: 'app-01', vmManagerName: 'vc-east', vmPath: '/East/vm/b/app-01' });
  emulator.addServer('s-0000d005', { vmName: 'db-01', vmManagerName: 'vc-east', vmPath: '/East/vm/db-01' });
  emulator.seedJob({ serverId: 's-0000d005', description: describedWithMarker('db', eventMarker(STACK_ID, 'Db1A2B3C4D', randomUUID())) });
  emulator.seedJob({ serverId: 's-0000d001', description: 'made in the console' });
});

afterEach(async () => {
  await emulator.close();
});

test('duplicate VM names across VM managers and on one: each server\'s selector names it alone; jobs and markers; exit 0', async () => {
  const result = await servers('--json');
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const report = validReport(result.stdout, 'servers');
  expect(report.catalog).toMatchObject({ status: 'AVAILABLE', imported: false, size: 5 });
  expect(report.servers.map((s: any) => [s.serverId, s.selector.code])).toEqual([
    ['s-0000d001', 'SmsServer.fromVmName(\'web-01\', { vmManagerName: \'vc-east\' })'],
    ['s-0000d002', 'SmsServer.fromVmName(\'web-01\', { vmManagerName: \'vc-west\' })'],
    // Two folders of one VM manager, each with an app-01: only the VM's address tells them apart.
    ['s-0000d003', 'SmsServer.fromVmServerAddress({ vmManagerId: \'vmm-0001\', vmId: \'vm-0000d003\' })'],
    ['s-0000d004', 'SmsServer.fromVmServerAddress({ vmManagerId: \'vmm-0001\', vmId: \'vm-0000d004\' })'],
    ['s-0000d005', 'SmsServer.fromVmName(\'db-01\')'],
  ]);
  // Each VM selector printed is one the handler resolves to that server and no other.
  const catalog = report.servers.map((s: any) => ({ serverId: s.serverId, vmServer: { vmName: s.vmName, vmManagerName: s.vmManagerName, vmServerAddress: s.vmServerAddress } }));
  expect(report.servers.map((s: any) => s.selector.kind)).toEqual(['vmNameOnManager', 'vmNameOnManager', 'vmServerAddress', 'vmServerAddress', 'vmName']);
  for (const s of report.servers) {
    const selector = s.selector.kind === 'vmServerAddress' ? { vmManagerId: s.selector.vmManagerId, vmId: s.selector.vmId }
      : { vmName: s.selector.vmName, vmManagerName: s.selector.vmManagerName ?? undefined };
    expect(matchesOf(catalog, selector).map((m) => m.serverId)).toEqual([s.serverId]);
  }
  const jobs = Object.fromEntries(emulator.jobs().map((j) => [j.serverId, j.replicationJobId]));
  expect(report.servers.find((s: any) => s.serverId === 's-0000d005').job).toEqual({
    jobId: jobs['s-0000d005'], state: 'ACTIVE', marker: { stackName: 'Migration', logicalId: 'Db1A2B3C4D', text: expect.stringMatching(/^\[cfn:Migration\/Db1A2B3C4D\/[0-9a-f]{8}\/[0-9a-f]{8}\]$/) },
  });
  expect(report.servers.find((s: any) => s.serverId === 's-0000d001').job).toEqual({ jobId: jobs['s-0000d001'], state: 'ACTIVE', marker: null });
  expect(report.servers.find((s: any) => s.serverId === 's-0000d002').job).toBeNull();

  const table = await servers();
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^Server catalog: AVAILABLE, last modified \S+Z; 5 servers\n/);
  expect(table.stdout).toMatch(new RegExp(`^s-0000d005 +db-01 +vc-east +/East/vm/db-01 +${jobs['s-0000d005']} ACTIVE +Migration/Db1A2B3C4D +SmsServer\\.fromVmName\\('db-01'\\)$`, 'm'));
}, 60_000);

test('--vm-name: an exact name, a glob, and a name no VM has (exit 1)', async () => {
  const exact = validReport((await servers('--vm-name', 'web-01', '--json')).stdout, 'servers');
  expect(exact.servers.map((s: any) => s.serverId)).toEqual(['s-0000d001', 's-0000d002']);
  // The selector is unique in the whole catalog, not among the servers shown.
  expect(exact.servers[0].selector.kind).toBe('vmNameOnManager');
  const glob = validReport((await servers('--vm-name', '*-0[1]', '--json')).stdout, 'servers');
  expect(glob.servers).toHaveLength(5);
  const some = validReport((await servers('--vm-name', '?b-*', '--json')).stdout, 'servers');
  expect(some.servers.map((s: any) => s.vmName)).toEqual(['db-01']);
  const none = await servers('--vm-name', 'mail-01');
  expect(none.code).toBe(1);
  expect(none.stdout).toContain('0 with a VM named mail-01');
}, 60_000);

test('--import on a NOT_IMPORTED catalog: imported once, waited for with progress, then listed; exit 0', async () => {
  emulator.setCatalogStatus('NOT_IMPORTED', { importMs: 600 });
  const before = await servers('--json');
  expect(before.code).toBe(1);
  expect(validReport(before.stdout, 'servers')).toMatchObject({ catalog: { status: 'NOT_IMPORTED', size: 0 }, servers: [] });
  expect(before.stderr).toContain('run servers --import');

  const refused = await servers('--import');
  expect(refused.code).toBe(2);
  expect(emulator.catalog.imports).toBe(0);

  const result = await servers('--import', '--yes', '--json', '--interval', '0.1');
  expect(result.code).toBe(0);
  expect(emulator.catalog.imports).toBe(1);
  const report = validReport(result.stdout, 'servers');
  expect(report.catalog).toMatchObject({ status: 'AVAILABLE', imported: true, size: 5 });
  expect(result.stderr).toMatch(/SMS ImportServerCatalog: import started\n/);
  expect(result.stderr).toMatch(/importing the server catalog: IMPORTING, \d+ s\n/);
  expect(result.stderr).toMatch(/the server catalog is AVAILABLE/);
}, 60_000);

test('--import whose import outlasts --timeout: exit 3, the import left to go on', async () => {
  emulator.setCatalogStatus('EXPIRED', { importMs: 60_000 });
  const result = await servers('--import', '--yes', '--json', '--interval', '0.1', '--timeout', '0.4');
  expect(result.code).toBe(3);
  expect(validReport(result.stdout, 'servers').catalog).toMatchObject({ status: 'IMPORTING', imported: true });
  expect(emulator.catalog.imports).toBe(1);
}, 60_000);

test('SMS refusing GetServers: the service, the call and the error named; exit 2', async () => {
  emulator.failNext('GetServers', 'UnauthorizedOperationException', { message: 'User is not authorized to perform sms:GetServers' });
  const result = await servers();
  expect(result.code).toBe(2);
  expect(result.stderr).toBe('failed: SMS GetServers: UnauthorizedOperationException: User is not authorized to perform sms:GetServers: ' +
    'allow sms:GetServers to the caller (README, "Commands", has each command\'s policy)\n');
}, 60_000);
