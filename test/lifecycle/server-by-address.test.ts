import { jobIdOf } from '../../lambda/physical-id';
import { SmsServer, VmServerAddress } from '../../lib';
import { SmsEmulator } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, smsCallsDuring, world, World } from '../harness/world';

/**
 * Issue 36: a job whose server is named by its VM's address in its VM manager (SmsServer.fromVmServerAddress), resolved
 * with a GetServers that SMS filters to the address: by the stack's read of the catalog (Custom::SmsServerCatalog), or
 * by the job itself where the read named no server. The sequences the other selectors have: the
 * Create and its cost against a large catalog, names that do not tell two VMs apart, a catalog to import, throttled,
 * refused and hanging reads (each failing before any write, with a cleanup Delete that finds nothing to do), a
 * cancelled Create, a change of address forward (a replacement) and back (its rollback, which never reads the catalog),
 * an unchanged address, and the move from a VM name to the same server's address.
 */

jest.setTimeout(60_000);

const seed = futureSeed();
const EAST = 'vmm-0000000000000e1';
const WEST = 'vmm-0000000000000a1';
let w: World | undefined;
let emulator: SmsEmulator;

beforeEach(async () => {
  emulator = await SmsEmulator.start();
});

afterEach(async () => {
  await w?.close();
  w = undefined;
  await emulator.close();
});

async function stackAt(address: VmServerAddress, functionTimeoutSeconds?: number): Promise<World> {
  return world({ emulator, functionTimeoutSeconds, jobs: { Job: { server: SmsServer.fromVmServerAddress(address), seedReplicationTime: seed } } });
}

/** Two VMs named web-01 in two folders of one vCenter, and one of that name in another vCenter. */
function twoFoldersOneName(): { east1: string; east2: string } {
  const east1 = emulator.addServer('s-000000e1', { vmName: 'web-01', vmManagerName: 'vc-east', vmManagerId: EAST, vmId: 'vm-101', vmPath: '/East/vm/app/web-01' });
  const east2 = emulator.addServer('s-000000e2', { vmName: 'web-01', vmManagerName: 'vc-east', vmManagerId: EAST, vmId: 'vm-102', vmPath: '/East/vm/test/web-01' });
  emulator.addServer('s-000000a1', { vmName: 'web-01', vmManagerName: 'vc-west', vmManagerId: WEST, vmId: 'vm-101', vmPath: '/West/vm/web-01' });
  return { east1, east2 };
}

/** The addresses each GetServers asked SMS to filter to. */
function filtersSent(): unknown[] {
  return emulator.requestsFor('GetServers').map((r) => r.body.vmServerAddressList);
}

test('against 1,000 servers: the stack\'s read asks SMS for the job\'s VM alone, and the Create sends CreateReplicationJob alone; then deleted', async () => {
  emulator.fillCatalog(1000);
  const { east2 } = twoFoldersOneName();
  w = await stackAt({ vmManagerId: EAST, vmId: 'vm-102' });
  const [readId] = w.cfn.catalogReadIds();
  const { result: read, calls: readCalls } = await smsCallsDuring(emulator, () => w!.cfn.create(readId));
  expect([read.status, readCalls]).toEqual(['SUCCESS', ['GetServers']]);
  expect(filtersSent()).toEqual([[{ vmManagerId: EAST, vmId: 'vm-102' }]]);
  const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.create(w!.jobs.Job));
  expectAnsweredInTime(result);
  expect([result.status, calls]).toEqual(['SUCCESS', ['CreateReplicationJob']]);
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([east2]);
  expect(result.data).toEqual({ ReplicationJobId: result.physicalResourceId, ServerId: east2 });
  expectNothingLeakedNothingLost(emulator, [w.cfn]);

  const { result: deleted, calls: deleteCalls } = await smsCallsDuring(emulator, () => w!.cfn.delete(w!.jobs.Job));
  expect([deleted.status, deleteCalls]).toEqual(['SUCCESS', ['DeleteReplicationJob']]);
  expect(emulator.jobs()).toEqual([]);
});

// The driver creates the stack's read before the job, as CloudFormation does. Where the read names no server for the
// job (faults below; a changed address, whose read answer is for the old one), the job asks SMS for its VM itself.

test('a Create without the read\'s answer (a template from before it): one filtered GetServers of its own against 1,000 servers', async () => {
  emulator.fillCatalog(1000);
  const { east2 } = twoFoldersOneName();
  w = await stackAt({ vmManagerId: EAST, vmId: 'vm-102' });
  await w.cfn.createDependencies(w.jobs.Job);
  const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.create(w!.jobs.Job, { CatalogServerId: undefined }));
  expectAnsweredInTime(result);
  expect([result.status, calls]).toEqual(['SUCCESS', ['GetServers', 'CreateReplicationJob']]);
  // The read's GetServers, then the job's: both filtered to the one VM.
  expect(filtersSent()).toEqual([[{ vmManagerId: EAST, vmId: 'vm-102' }], [{ vmManagerId: EAST, vmId: 'vm-102' }]]);
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([east2]);
  expectNothingLeakedNothingLost(emulator, [w.cfn]);
});

test('an address of no server fails before any write, naming both ids and where to find them; its cleanup Delete writes nothing', async () => {
  twoFoldersOneName();
  // vm-102 exists, but in the other VM manager: the address is the pair.
  w = await stackAt({ vmManagerId: WEST, vmId: 'vm-102' });
  const failed = await w.cfn.create(w.jobs.Job);
  expectAnsweredInTime(failed);
  expect(failed.status).toBe('FAILED');
  expect(failed.reason).toMatch(/^ServerNotFound: No server matches SmsServer\.fromVmServerAddress\(\{ vmManagerId: 'vmm-0000000000000a1', vmId: 'vm-102' \}\): the SMS server catalog \(AVAILABLE, last modified \d{4}-/);
  expect(failed.reason).toContain('has no VM with ID "vm-102" on the VM manager with ID "vmm-0000000000000a1". No replication job was made.');
  expect(failed.reason).toContain('vmServer.vmServerAddress');
  expect(failed.physicalResourceId).toMatch(/^create-refused-/);
  const { result: cleanup, calls } = await smsCallsDuring(emulator, () => w!.cfn.delete(w!.jobs.Job));
  expect([cleanup.status, calls]).toEqual(['SUCCESS', []]);
  expect(emulator.jobs()).toEqual([]);
});

test('a catalog NOT_IMPORTED is imported and waited for, then one filtered page read', async () => {
  const { east1 } = twoFoldersOneName();
  emulator.setCatalogStatus('NOT_IMPORTED', { importMs: 1500 });
  w = await stackAt({ vmManagerId: EAST, vmId: 'vm-101' });
  const created = await w.cfn.create(w.jobs.Job);
  expect(created.status).toBe('SUCCESS');
  expect(emulator.requestsFor('ImportServerCatalog')).toHaveLength(1);
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([east1]);
  expect(filtersSent().every((f) => JSON.stringify(f) === JSON.stringify([{ vmManagerId: EAST, vmId: 'vm-101' }]))).toBe(true);
});

test('a throttled GetServers is retried, and the job made', async () => {
  const { east1 } = twoFoldersOneName();
  emulator.failNext('GetServers', 'ThrottlingException', { times: 2 });
  w = await stackAt({ vmManagerId: EAST, vmId: 'vm-101' });
  const created = await w.cfn.create(w.jobs.Job);
  expect(created.status).toBe('SUCCESS');
  expect(emulator.requestsFor('GetServers').map((r) => r.outcome)).toEqual(['error:ThrottlingException', 'error:ThrottlingException', 'ok']);
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([east1]);
});

test.each([
  ['throttled on every GetServers', () => emulator.failNext('GetServers', 'ThrottlingException', { times: 10_000 }), /ThrottlingException/],
  ['refused (UnauthorizedOperationException)', () => emulator.failNext('GetServers', 'UnauthorizedOperationException', { times: 10_000 }), /UnauthorizedOperationException/],
  ['hanging on every GetServers', () => emulator.inject('GetServers', { kind: 'hang' }, 10_000), /GetServers/],
])('%s: FAILED in time naming why, nothing written; the cleanup Delete succeeds and leaves nothing', async (_, fault, reason) => {
  twoFoldersOneName();
  w = await stackAt({ vmManagerId: EAST, vmId: 'vm-101' }, 10);
  fault();
  const created = await w.cfn.create(w.jobs.Job);
  expectAnsweredInTime(created);
  expect(created.status).toBe('FAILED');
  expect(created.reason).toMatch(reason);
  expect(created.physicalResourceId).toMatch(/^create-refused-/);
  emulator.clearFaults();
  expect((await w.cfn.delete(w.jobs.Job)).status).toBe('SUCCESS');
  expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
  expect(emulator.jobs()).toEqual([]);
});

test('a Create cancelled after its job was made: the rollback Delete, with the id CloudFormation made up, finds the job by its VM and deletes it', async () => {
  twoFoldersOneName();
  w = await stackAt({ vmManagerId: EAST, vmId: 'vm-102' });
  emulator.inject('CreateReplicationJob', { kind: 'delay', ms: 3000 });
  const before = emulator.requestsFor('CreateReplicationJob').length;
  const race = await w.cfn.cancelCreate(w.jobs.Job, { once: () => emulator.requestsFor('CreateReplicationJob').length > before, afterMs: 500 });
  expect(race.rollback.event.PhysicalResourceId).not.toMatch(/^sms-job-/);
  expectAnsweredInTime(race.forward);
  expectAnsweredInTime(race.rollback);
  // The cancelled Create did make its job, 3 s in, while the rollback ran; the rollback waited for it and deleted it.
  expect(race.forward.status).toBe('SUCCESS');
  expect(race.rollback.status).toBe('SUCCESS');
  expect(emulator.requestsFor('DeleteReplicationJob').map((r) => r.body.replicationJobId)).toEqual([race.forward.physicalResourceId]);
  expect(emulator.jobs()).toEqual([]);
  expectNothingLeakedNothingLost(emulator, [w.cfn]);
});

test('an Update that keeps the address asks the catalog nothing, and changes the job in place', async () => {
  const { east1 } = twoFoldersOneName();
  w = await stackAt({ vmManagerId: EAST, vmId: 'vm-101' });
  const created = await w.cfn.create(w.jobs.Job);
  const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.update(w!.jobs.Job, { Description: 'nightly' }));
  expect(result.status).toBe('SUCCESS');
  expect(calls).not.toContain('GetServers');
  expect(calls).not.toContain('CreateReplicationJob');
  expect(calls).toContain('UpdateReplicationJob');
  expect(result.physicalResourceId).toBe(created.physicalResourceId);
  expect(result.data).toEqual({ ReplicationJobId: created.physicalResourceId, ServerId: east1 });
});

test('a move to another VM\'s address replaces the job; the rollback returns to the first job without the catalog, and the cleanup deletes the second', async () => {
  const { east1, east2 } = twoFoldersOneName();
  w = await stackAt({ vmManagerId: EAST, vmId: 'vm-101' });
  const created = await w.cfn.create(w.jobs.Job);
  const j1 = created.physicalResourceId!;
  const updated = await w.cfn.update(w.jobs.Job, { VmId: 'vm-102' });
  expect(updated.status).toBe('SUCCESS');
  expect(updated.physicalResourceId).toMatch(new RegExp(`^sms-job-[0-9a-z]+/after/${j1}/${east1}/[0-9a-f]{8}$`));
  expect(updated.data).toEqual({ ReplicationJobId: jobIdOf(updated.physicalResourceId!), ServerId: east2 });
  expect(emulator.jobs().map((j) => j.serverId).sort()).toEqual([east1, east2]);

  // Another resource fails: the rollback, with the catalog EXPIRED meanwhile, never reads it.
  emulator.setCatalogStatus('EXPIRED', { importMs: 600_000 });
  const { result: rollback, calls } = await smsCallsDuring(emulator, () => w!.cfn.rollbackUpdate(w!.jobs.Job, { replacement: 'update' }));
  expectAnsweredInTime(rollback);
  expect(rollback.status).toBe('SUCCESS');
  expect(calls.filter((c) => ['GetServers', 'ImportServerCatalog', 'CreateReplicationJob'].includes(c))).toEqual([]);
  expect(rollback.physicalResourceId).toBe(j1);
  expect(rollback.data).toEqual({ ReplicationJobId: j1, ServerId: east1 });
  const cleanup = await w.cfn.cleanup(w.jobs.Job);
  expect(cleanup.status).toBe('SUCCESS');
  expect(emulator.jobs().map((j) => [j.replicationJobId, j.serverId])).toEqual([[j1, east1]]);
  expectNothingLeakedNothingLost(emulator, [w.cfn]);
});

test('a move forward to another address, kept: the cleanup Delete removes the first job, and the stack\'s Delete the second', async () => {
  const { east1, east2 } = twoFoldersOneName();
  w = await stackAt({ vmManagerId: EAST, vmId: 'vm-101' });
  const created = await w.cfn.create(w.jobs.Job);
  const updated = await w.cfn.update(w.jobs.Job, { VmId: 'vm-102' });
  expect(updated.status).toBe('SUCCESS');
  const cleanup = await w.cfn.cleanup(w.jobs.Job);
  expect(cleanup.status).toBe('SUCCESS');
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([east2]);
  expect(emulator.jobs()[0].replicationJobId).not.toBe(created.physicalResourceId);
  expect(east1).not.toBe(east2);
  expect((await w.cfn.delete(w.jobs.Job)).status).toBe('SUCCESS');
  expect(emulator.jobs()).toEqual([]);
});

test('from a VM name to the address of the same server: no new job, the job changed in place', async () => {
  const only = emulator.addServer('s-0000beef', { vmName: 'db-01', vmManagerId: EAST, vmId: 'vm-7' });
  w = await world({ emulator, jobs: { Job: { server: SmsServer.fromVmName('db-01'), seedReplicationTime: seed } } });
  await w.cfn.createDependencies(w.jobs.Job);
  const created = await w.cfn.create(w.jobs.Job);
  expect(created.data?.ServerId).toBe(only);
  const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.update(w!.jobs.Job,
    { VmName: undefined, VmManagerName: undefined, CatalogServerId: undefined, VmManagerId: EAST, VmId: 'vm-7' }));
  expect(result.status).toBe('SUCCESS');
  expect(result.physicalResourceId).toBe(created.physicalResourceId);
  expect(calls).not.toContain('CreateReplicationJob');
  expect(calls).not.toContain('DeleteReplicationJob');
  expect(filtersSent().at(-1)).toEqual([{ vmManagerId: EAST, vmId: 'vm-7' }]);
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([only]);
});

test('an address given with a name, or half an address, is refused naming the properties, before anything is read', async () => {
  twoFoldersOneName();
  w = await stackAt({ vmManagerId: EAST, vmId: 'vm-101' });
  await w.cfn.createDependencies(w.jobs.Job);
  const before = emulator.requests.length;
  const both = await w.cfn.create(w.jobs.Job, { VmName: 'web-01' });
  expect(both.status).toBe('FAILED');
  expect(both.reason).toContain('Properties VmManagerId and VmId ("vmm-0000000000000e1", "vm-101") name the server by its VM\'s address; VmName ("web-01") names it again');
  const half = await w.cfn.create(w.jobs.Job, { VmId: undefined });
  expect(half.status).toBe('FAILED');
  expect(half.reason).toContain('Properties VmManagerId and VmId name a VM\'s address in its VM manager together');
  expect(emulator.requests.slice(before).map((r) => r.operation)).toEqual([]);
});
