import { Buffer } from 'node:buffer';
import { SmsServer } from '../../lib';
import { CfnResult } from '../harness/cfn-driver';
import { SmsEmulator } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, smsCallsDuring, world, World } from '../harness/world';

/**
 * Issue 34: the stack's read of the server catalog (Custom::SmsServerCatalog, lambda/catalog-read.ts), which reads the
 * catalog once for the stack's VM-named jobs and hands each its server (the job's CatalogServerId property), through
 * the sequences CloudFormation sends: creates, a change of selector and its rollback, a cancelled Create, repeated
 * deliveries, throttled, refused and hanging reads, an answer at CloudFormation's size limit, and a stack deployed
 * before the read existed.
 */

jest.setTimeout(120_000);

const seed = futureSeed();
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

/** A stack of jobs named by VM, one per name, with construct ids Job0, Job1, ... */
async function stackNaming(names: string[], functionTimeoutSeconds?: number): Promise<World> {
  return world({
    emulator,
    functionTimeoutSeconds,
    jobs: Object.fromEntries(names.map((name, i) => [`Job${i}`, { server: SmsServer.fromVmName(name), seedReplicationTime: seed }])),
  });
}

/** The read of the catalog and the attribute that a job's CatalogServerId names (Fn::GetAtt). */
function readOf(world: World, job: string): { readId: string; attribute: string; getAtt: unknown } {
  const getAtt = world.cfn.template.Resources[world.cfn.logicalIdOf(world.jobs[job])].Properties.CatalogServerId;
  const [readId, attribute] = getAtt['Fn::GetAtt'];
  return { readId, attribute, getAtt };
}

function bodyBytes(result: CfnResult): number {
  return Buffer.byteLength(result.puts.find((p) => p.answered === 200)!.body);
}

describe('issue 36: jobs named by their VM\'s address', () => {
  const address = (i: number) => ({ vmManagerId: 'vmm-0001', vmId: `vm-a${i}` });
  function addressed(count: number): string[] {
    return Array.from({ length: count }, (_, i) => emulator.addServer(`s-0000a${i.toString(16).padStart(3, '0')}`, { vmName: 'same-name', ...address(i) }));
  }

  test('three: one GetServers filtered to their three VMs, whatever the catalog\'s size; each Create sends CreateReplicationJob alone', async () => {
    emulator.fillCatalog(1000);
    const servers = addressed(3);
    w = await world({ emulator, jobs: Object.fromEntries([0, 1, 2].map((i) => [`Job${i}`, { server: SmsServer.fromVmServerAddress(address(i)), seedReplicationTime: seed }])) });
    const { readId } = readOf(w, 'Job0');
    expect(w.cfn.catalogReadIds()).toEqual([readId]);
    const { result: read, calls } = await smsCallsDuring(emulator, () => w!.cfn.create(readId));
    expect([read.status, calls]).toEqual(['SUCCESS', ['GetServers']]);
    expect(emulator.requestsFor('GetServers')[0].body.vmServerAddressList).toEqual([0, 1, 2].map(address));
    const created = await Promise.all([0, 1, 2].map((i) => smsCallsDuring(emulator, () => w!.cfn.create(w!.jobs[`Job${i}`]))));
    expect(created.map((c) => [c.result.status, c.result.data?.ServerId])).toEqual(servers.map((s) => ['SUCCESS', s]));
    expect(emulator.requestsFor('GetServers')).toHaveLength(1);
    expectNothingLeakedNothingLost(emulator, [w.cfn]);
  });

  test('beside a VM name in one read: every page read once, and each job named', async () => {
    emulator.fillCatalog(120);
    const [server] = addressed(1);
    w = await world({ emulator, jobs: {
      Job0: { server: SmsServer.fromVmServerAddress(address(0)), seedReplicationTime: seed },
      Job1: { server: SmsServer.fromVmName('vm-7'), seedReplicationTime: seed },
    } });
    const { readId } = readOf(w, 'Job0');
    expect(readOf(w, 'Job1').readId).toBe(readId);
    const { result: read, calls } = await smsCallsDuring(emulator, () => w!.cfn.create(readId));
    expect([read.status, calls]).toEqual(['SUCCESS', ['GetServers', 'GetServers', 'GetServers']]);
    expect(emulator.requestsFor('GetServers').map((r) => r.body.vmServerAddressList)).toEqual([undefined, undefined, undefined]);
    const created = await Promise.all(['Job0', 'Job1'].map((id) => w!.cfn.create(w!.jobs[id])));
    expect(created.map((c) => c.data?.ServerId)).toEqual([server, 's-00001007']);
    expect(emulator.requestsFor('GetServers')).toHaveLength(3);
  });

  test('an address in no server: the read answers ?none, and the job fails naming both ids, before any write', async () => {
    addressed(1);
    w = await world({ emulator, jobs: { Job0: { server: SmsServer.fromVmServerAddress(address(5)), seedReplicationTime: seed } } });
    const { readId, attribute } = readOf(w, 'Job0');
    const read = await w.cfn.create(readId);
    expect([read.status, read.data]).toEqual(['SUCCESS', { [attribute]: '?none' }]);
    const created = await w.cfn.create(w.jobs.Job0);
    expect(created.status).toBe('FAILED');
    expect(created.reason).toContain('has no VM with ID "vm-a5" on the VM manager with ID "vmm-0001"');
    expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
  });
});

test('one read of the catalog for three VM-named jobs: each Create sends CreateReplicationJob alone, on its VM\'s server', async () => {
  emulator.fillCatalog(120);
  w = await stackNaming(['vm-3', 'vm-77', 'vm-119']);
  const { readId } = readOf(w, 'Job0');
  expect(w.cfn.catalogReadIds()).toEqual([readId]);

  const { result: read, calls: readCalls } = await smsCallsDuring(emulator, () => w!.cfn.create(readId));
  expectAnsweredInTime(read);
  expect(read.status).toBe('SUCCESS');
  expect(readCalls).toEqual(['GetServers', 'GetServers', 'GetServers']);

  const before = emulator.requests.length;
  const created = await Promise.all(['Job0', 'Job1', 'Job2'].map((id) => w!.cfn.create(w!.jobs[id])));
  expect(emulator.requests.slice(before).map((r) => r.operation)).toEqual(['CreateReplicationJob', 'CreateReplicationJob', 'CreateReplicationJob']);
  const servers = ['s-00001003', 's-0000104d', 's-00001077'];
  created.forEach((result, i) => {
    expectAnsweredInTime(result);
    expect(result.status).toBe('SUCCESS');
    expect(result.data?.ServerId).toBe(servers[i]);
    expect(result.logs).toContain('the stack\'s read of the catalog named the server');
    expect(emulator.jobs().find((j) => j.replicationJobId === result.physicalResourceId)?.serverId).toBe(servers[i]);
  });
  expectNothingLeakedNothingLost(emulator, [w.cfn]);

  // Their Deletes are as an id-named job's: DeleteReplicationJob alone.
  const { calls } = await smsCallsDuring(emulator, async () => {
    for (const id of ['Job0', 'Job1', 'Job2']) expect((await w!.cfn.delete(w!.jobs[id])).status).toBe('SUCCESS');
    return (await w!.cfn.delete(readId));
  });
  expect(calls).toEqual(['DeleteReplicationJob', 'DeleteReplicationJob', 'DeleteReplicationJob']);
  expect(emulator.jobs()).toEqual([]);
});

test('a catalog to import: the read imports it once and waits, and no job asks the catalog anything', async () => {
  emulator.fillCatalog(10);
  emulator.setCatalogStatus('EXPIRED', { importMs: 3000 });
  w = await stackNaming(['vm-1', 'vm-2']);
  const { readId } = readOf(w, 'Job0');
  const read = await w.cfn.create(readId);
  expectAnsweredInTime(read);
  expect(read.status).toBe('SUCCESS');
  const before = emulator.requests.length;
  const created = await Promise.all(['Job0', 'Job1'].map((id) => w!.cfn.create(w!.jobs[id])));
  expect(created.map((c) => c.status)).toEqual(['SUCCESS', 'SUCCESS']);
  expect(emulator.requests.slice(before).map((r) => r.operation)).toEqual(['CreateReplicationJob', 'CreateReplicationJob']);
  expect(emulator.requestsFor('ImportServerCatalog')).toHaveLength(1);
  expectNothingLeakedNothingLost(emulator, [w.cfn]);
});

test('an import longer than one invocation: the read starts it, and the job waits for the same import', async () => {
  emulator.addServer('s-0000beef', { vmName: 'web-01' });
  // 60 s functions: each invocation waits for an import until 26 s in (lambda/budget.ts); the import ends at 30 s,
  // after the read's wait and inside the job's.
  emulator.setCatalogStatus('NOT_IMPORTED', { importMs: 30_000 });
  w = await stackNaming(['web-01'], 60);
  const { readId } = readOf(w, 'Job0');
  const read = await w.cfn.create(readId);
  expectAnsweredInTime(read);
  expect(read.status).toBe('SUCCESS');
  expect(w.cfn.propertiesOf(w.jobs.Job0).CatalogServerId).toBe('?unread');
  const created = await w.cfn.create(w.jobs.Job0);
  expectAnsweredInTime(created);
  expect(created.status).toBe('SUCCESS');
  expect(created.data?.ServerId).toBe('s-0000beef');
  expect(emulator.requestsFor('ImportServerCatalog')).toHaveLength(1);
  expectNothingLeakedNothingLost(emulator, [w.cfn]);
});

test('a server named for another selector is not used: a job whose VmName was overridden reads the catalog itself', async () => {
  emulator.addServer('s-0000beef', { vmName: 'web-01' });
  const other = emulator.addServer('s-0000cafe', { vmName: 'web-02' });
  w = await stackNaming(['web-01']);
  await w.cfn.createDependencies(w.jobs.Job0);
  expect(w.cfn.propertiesOf(w.jobs.Job0).CatalogServerId).toMatch(/^s-0000beef@[0-9a-f]{8}$/);
  const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.create(w!.jobs.Job0, { VmName: 'web-02' }));
  expect(result.status).toBe('SUCCESS');
  expect(calls).toEqual(['GetServers', 'CreateReplicationJob']);
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([other]);
});

describe('a change of selector, forward and back', () => {
  /** web-01 and web-02 on two servers; Job0 made on web-01. */
  async function madeOnWeb01(): Promise<{ readId: string; getAtt: unknown; first: string; second: string; made: CfnResult }> {
    const first = emulator.addServer('s-0000beef', { vmName: 'web-01' });
    const second = emulator.addServer('s-0000cafe', { vmName: 'web-02' });
    w = await stackNaming(['web-01']);
    const { readId, attribute, getAtt } = readOf(w, 'Job0');
    const made = await w.cfn.create(w.jobs.Job0);
    expect(made.status).toBe('SUCCESS');
    // The template's change: the read's properties name web-02 for the job, then the job's do.
    const readUpdate = await w.cfn.update(readId, { Servers: { [attribute]: { VmName: 'web-02' } } });
    expect(readUpdate.status).toBe('SUCCESS');
    // The same physical id: no replacement, so no Delete of the read in the cleanup.
    expect(readUpdate.physicalResourceId).toBe(readUpdate.event.PhysicalResourceId);
    return { readId, getAtt, first, second, made };
  }

  test('forward: the job moves to the server the read named, without a GetServers of its own; the cleanup deletes the old job', async () => {
    const { getAtt, second, made } = await madeOnWeb01();
    const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.update(w!.jobs.Job0, { VmName: 'web-02', CatalogServerId: getAtt }));
    expectAnsweredInTime(result);
    expect(result.status).toBe('SUCCESS');
    expect(calls).not.toContain('GetServers');
    expect(result.logs).toContain('the VM selector changed: the stack\'s read of the catalog named the server');
    expect(result.data?.ServerId).toBe(second);
    expect(result.physicalResourceId).toMatch(new RegExp(`/after/${made.physicalResourceId}/s-0000beef/[0-9a-f]{8}$`));
    expect((await w!.cfn.cleanup(w!.jobs.Job0)).status).toBe('SUCCESS');
    expect(emulator.jobs().map((j) => j.serverId)).toEqual([second]);
    expectNothingLeakedNothingLost(emulator, [w!.cfn]);
  });

  test('rollback: the job goes back to its old job without the catalog, and the read rolls back without an import', async () => {
    const { readId, getAtt, first, made } = await madeOnWeb01();
    expect((await w!.cfn.update(w!.jobs.Job0, { VmName: 'web-02', CatalogServerId: getAtt })).status).toBe('SUCCESS');
    // Another resource failed; the catalog expired meanwhile. CloudFormation rolls back the job, then the read.
    emulator.setCatalogStatus('EXPIRED', { importMs: 60_000 });
    const { result: back, calls } = await smsCallsDuring(emulator, () => w!.cfn.rollbackUpdate(w!.jobs.Job0, { replacement: 'update' }));
    expectAnsweredInTime(back);
    expect(back.status).toBe('SUCCESS');
    expect(calls).not.toContain('GetServers');
    expect(back.physicalResourceId).toBe(made.physicalResourceId);
    const readBack = await w!.cfn.rollbackUpdate(readId);
    expectAnsweredInTime(readBack);
    expect(readBack.status).toBe('SUCCESS');
    expect(readBack.durationMs).toBeLessThan(10_000);
    expect(emulator.requestsFor('ImportServerCatalog')).toEqual([]);
    expect((await w!.cfn.cleanup(w!.jobs.Job0)).status).toBe('SUCCESS');
    expect(emulator.jobs().map((j) => j.serverId)).toEqual([first]);
    expectNothingLeakedNothingLost(emulator, [w!.cfn]);
  });
});

describe('Updates that only the read changed: never a write, a catalog read or a failure, forward or back', () => {
  /** Job0 on web-x made; then the VM leaves the catalog and its job is deleted outside CloudFormation. */
  async function jobAndVmGone(): Promise<{ readId: string; getAtt: unknown; made: CfnResult }> {
    emulator.addServer('s-0000aaaa', { vmName: 'web-x' });
    emulator.addServer('s-0000bbbb', { vmName: 'web-y' });
    w = await world({ emulator, jobs: {
      Job0: { server: SmsServer.fromVmName('web-x'), seedReplicationTime: seed },
      Job1: { server: SmsServer.fromVmName('web-y'), seedReplicationTime: seed },
    } });
    const { readId, attribute, getAtt } = readOf(w, 'Job0');
    // Deployment 1: the template had Job0 alone.
    expect((await w.cfn.create(readId, { Servers: { [attribute]: { VmName: 'web-x' } } })).status).toBe('SUCCESS');
    const made = await w.cfn.create(w.jobs.Job0);
    expect(made.status).toBe('SUCCESS');
    emulator.removeServer('s-0000aaaa');
    emulator.deleteJob(made.physicalResourceId!);
    return { readId, getAtt, made };
  }

  test('adding Job1 runs the read, which no longer finds Job0\'s VM: Job0\'s Update and its rollback succeed without the catalog', async () => {
    const { readId, getAtt, made } = await jobAndVmGone();
    const before = w!.cfn.propertiesOf(w!.jobs.Job0).CatalogServerId;
    // Deployment 2 adds Job1: the read runs again, and Job0's attribute changes, so CloudFormation updates Job0.
    expect((await w!.cfn.update(readId, { Servers: w!.cfn.propertiesOf(readId).Servers })).status).toBe('SUCCESS');
    expect(w!.cfn.propertiesOf(w!.jobs.Job0).CatalogServerId).not.toEqual(before);
    const { result: forward, calls } = await smsCallsDuring(emulator, () => w!.cfn.update(w!.jobs.Job0, { CatalogServerId: getAtt }));
    expectAnsweredInTime(forward);
    expect([forward.status, calls]).toEqual(['SUCCESS', ['GetReplicationJobs']]);
    expect(forward.physicalResourceId).toBe(made.physicalResourceId);
    // Something else fails: CloudFormation rolls back Job0, then the read it depends on.
    expect((await w!.cfn.rollbackUpdate(w!.jobs.Job0)).status).toBe('SUCCESS');
    expect((await w!.cfn.rollbackUpdate(readId)).status).toBe('SUCCESS');
    expect(emulator.requestsFor('CreateReplicationJob')).toHaveLength(1);
  });

  test('the upgrade from a version without the read, when a job was deleted and its VM left the catalog, succeeds with one GetReplicationJobs', async () => {
    emulator.addServer('s-0000aaaa', { vmName: 'web-x' });
    w = await stackNaming(['web-x']);
    const { readId, getAtt } = readOf(w, 'Job0');
    const made = await w.cfn.create(w.jobs.Job0, { CatalogServerId: undefined });
    emulator.removeServer('s-0000aaaa');
    emulator.deleteJob(made.physicalResourceId!);
    expect((await w.cfn.create(readId)).status).toBe('SUCCESS');
    const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.update(w!.jobs.Job0, { CatalogServerId: getAtt }));
    expect([result.status, calls]).toEqual(['SUCCESS', ['GetReplicationJobs']]);
    const { result: back, calls: backCalls } = await smsCallsDuring(emulator, () => w!.cfn.rollbackUpdate(w!.jobs.Job0));
    expect([back.status, backCalls]).toEqual(['SUCCESS', ['GetReplicationJobs']]);
  });

  test('a read throttled when a job is added turns its neighbours\' attributes to ?unread; each of their Updates is one GetReplicationJobs', async () => {
    for (let i = 0; i < 4; i++) emulator.addServer(`s-0000aaa${i}`, { vmName: `web-${i}` });
    w = await world({ emulator, functionTimeoutSeconds: 10,
      jobs: Object.fromEntries([0, 1, 2, 3].map((i) => [`Job${i}`, { server: SmsServer.fromVmName(`web-${i}`), seedReplicationTime: seed }])) });
    const { readId } = readOf(w, 'Job0');
    const all = w.cfn.propertiesOf(readId).Servers as Record<string, unknown>;
    expect((await w.cfn.create(readId, { Servers: Object.fromEntries(Object.entries(all).slice(0, 3)) })).status).toBe('SUCCESS');
    const made = await Promise.all([0, 1, 2].map((i) => w!.cfn.create(w!.jobs[`Job${i}`])));
    expect(made.map((m) => m.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    emulator.failNext('GetServers', 'ThrottlingException', { times: 10_000 });
    expect((await w.cfn.update(readId, { Servers: all })).status).toBe('SUCCESS');
    emulator.clearFaults();
    const before = emulator.requests.length;
    const updates = await Promise.all([0, 1, 2].map((i) => w!.cfn.update(w!.jobs[`Job${i}`], { CatalogServerId: readOf(w!, `Job${i}`).getAtt })));
    expect(updates.map((u) => [u.status, u.data?.ServerId])).toEqual([0, 1, 2].map((i) => ['SUCCESS', `s-0000aaa${i}`]));
    expect(emulator.requests.slice(before).map((r) => r.operation)).toEqual(['GetReplicationJobs', 'GetReplicationJobs', 'GetReplicationJobs']);
  });
});

test('an Update that only adds CatalogServerId (a stack deployed before the read existed) asks the catalog nothing and writes nothing', async () => {
  const target = emulator.addServer('s-0000beef', { vmName: 'web-01' });
  w = await stackNaming(['web-01']);
  const { getAtt } = readOf(w, 'Job0');
  // The job as the earlier template made it, without the property; the upgrade adds the read, then the property.
  const made = await w.cfn.create(w.jobs.Job0, { CatalogServerId: undefined });
  expect(made.status).toBe('SUCCESS');
  emulator.setCatalogStatus('EXPIRED', { importMs: 1000 });
  const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.update(w!.jobs.Job0, { CatalogServerId: getAtt }));
  expect(result.status).toBe('SUCCESS');
  expect(calls).toEqual(['GetReplicationJobs']);
  expect(result.physicalResourceId).toBe(made.physicalResourceId);
  expect(result.data?.ServerId).toBe(target);
});

describe('the read never fails, and answers in time', () => {
  test('a cancelled Create of the read: its rollback Delete answers SUCCESS without a call to SMS', async () => {
    emulator.fillCatalog(200);
    w = await stackNaming(['vm-150']);
    const { readId } = readOf(w, 'Job0');
    emulator.inject('GetServers', { kind: 'delay', ms: 400 }, 10);
    const before = emulator.requests.length;
    const { forward, rollback } = await w.cfn.cancelCreate(readId, { afterMs: 300 });
    expect(rollback.status).toBe('SUCCESS');
    expect(rollback.event.PhysicalResourceId).not.toMatch(/^server-catalog-read\//);
    expect(forward.status).toBe('SUCCESS');
    expect(emulator.requests.slice(before).map((r) => r.operation).every((op) => op === 'GetServers')).toBe(true);
    expect(emulator.jobs()).toEqual([]);
  });

  test('delivered twice: both deliveries answer the same servers, and the catalog is imported once', async () => {
    emulator.fillCatalog(60);
    emulator.setCatalogStatus('NOT_IMPORTED', { importMs: 1500 });
    w = await stackNaming(['vm-5', 'vm-55']);
    const { readId } = readOf(w, 'Job0');
    const deliveries = await w.cfn.createDelivered(2, readId);
    expect(deliveries.map((d) => d.status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(deliveries[1].data).toEqual(deliveries[0].data);
    expect(emulator.requestsFor('ImportServerCatalog').length).toBeLessThanOrEqual(2);
    expect(emulator.catalog.imports).toBe(1);
    const created = await Promise.all(['Job0', 'Job1'].map((id) => w!.cfn.create(w!.jobs[id])));
    expect(created.map((c) => c.data?.ServerId)).toEqual(['s-00001005', 's-00001037']);
  });

  test.each([
    ['throttled on every GetServers', () => emulator.failNext('GetServers', 'ThrottlingException', { times: 10_000 }), /ThrottlingException/],
    ['refused (UnauthorizedOperationException)', () => emulator.failNext('GetServers', 'UnauthorizedOperationException', { times: 10_000 }), /UnauthorizedOperationException/],
    ['hanging on every GetServers', () => emulator.inject('GetServers', { kind: 'hang' }, 10_000), /GetServers/],
  ])('%s: the read answers SUCCESS in time; the job then reads for itself, fails naming why, and leaves nothing', async (_, fault, reason) => {
    emulator.addServer('s-0000beef', { vmName: 'web-01' });
    w = await stackNaming(['web-01'], 10);
    const { readId } = readOf(w, 'Job0');
    fault();
    const read = await w.cfn.create(readId);
    expectAnsweredInTime(read);
    expect(read.status).toBe('SUCCESS');
    expect(read.data).toEqual({ [readOf(w, 'Job0').attribute]: '?unread' });
    const created = await w.cfn.create(w.jobs.Job0);
    expectAnsweredInTime(created);
    expect(created.status).toBe('FAILED');
    expect(created.reason).toMatch(reason);
    expect(created.physicalResourceId).toMatch(/^create-refused-/);
    emulator.clearFaults();
    expect((await w.cfn.delete(w.jobs.Job0)).status).toBe('SUCCESS');
    expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
    expect(emulator.jobs()).toEqual([]);
  });

  test('50 jobs with 17-digit server ids fit in one answer; 150 names do not, and the last ones are left to their jobs', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `web-${i}`);
    names.forEach((name, i) => emulator.addServer(`s-${(0x10000000000000000n + BigInt(i)).toString(16).padStart(17, '0').slice(-17)}`, { vmName: name }));
    w = await stackNaming(names);
    const { readId } = readOf(w, 'Job0');
    expect(w.cfn.catalogReadIds()).toEqual([readId]);
    const read = await w.cfn.create(readId);
    expectAnsweredInTime(read);
    expect(read.status).toBe('SUCCESS');
    expect(Object.values(read.data!).filter((v) => /^s-[0-9a-f]{17}@[0-9a-f]{8}$/.test(String(v)))).toHaveLength(50);
    expect(bodyBytes(read)).toBeLessThanOrEqual(4096);

    // 150 names in one read (the construct makes one per 50; an escape hatch could do this).
    const servers = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`S${String(i).padStart(8, '0')}`, { VmName: `web-${i % 50}` }]));
    const big = await w.cfn.update(readId, { Servers: servers });
    expectAnsweredInTime(big);
    expect(big.status).toBe('SUCCESS');
    expect(bodyBytes(big)).toBeLessThanOrEqual(4096);
    // The old properties' names go first (only a rollback that read the new attributes would need them), then servers.
    const answered = Object.keys(big.data!);
    expect(answered.every((name) => name in servers)).toBe(true);
    expect(answered.length).toBe(150);
    const values = Object.values(big.data!).map(String);
    expect(values.filter((v) => v === '?').length).toBeGreaterThan(0);
    expect(values.filter((v) => v.startsWith('s-')).length).toBeGreaterThan(0);
    expect(big.logs).toContain('servers left to their jobs\' own reads');
  });
});
