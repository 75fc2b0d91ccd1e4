import { RemovalPolicy } from 'aws-cdk-lib';
import { jobIdOf } from '../../lambda/physical-id';
import { SmsServer, VmNameOptions } from '../../lib';
import { SmsEmulator } from '../harness/sms-emulator';
import { expectAnsweredInTime, expectNothingLeakedNothingLost, futureSeed, smsCallsDuring, world, World } from '../harness/world';

/** Issue 24: a job whose server is named by its VM (SmsServer.fromVmName), resolved by the provider at deploy time. */

jest.setTimeout(60_000);

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

async function stackNaming(vmName: string, options?: VmNameOptions, functionTimeoutSeconds?: number): Promise<World> {
  return world({ emulator, functionTimeoutSeconds, jobs: { Job: { server: SmsServer.fromVmName(vmName, options), seedReplicationTime: seed } } });
}

test('a VM on the catalog\'s second page: every page is read, once, and the job is made on its server', async () => {
  emulator.fillCatalog(60);
  const target = emulator.addServer('s-0000beef', { vmName: 'web-01', vmManagerName: 'vc-east' });
  w = await stackNaming('web-01');
  const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.create(w!.jobs.Job));
  expectAnsweredInTime(result);
  expect(result.status).toBe('SUCCESS');
  expect(calls).toEqual(['GetServers', 'GetServers', 'CreateReplicationJob']);
  const [job] = emulator.jobs();
  expect(job.serverId).toBe(target);
  expect(result.physicalResourceId).toBe(job.replicationJobId);
  expect(result.data).toEqual({ ReplicationJobId: job.replicationJobId, ServerId: target });
  expectNothingLeakedNothingLost(emulator, [w.cfn]);

  const deleted = await w.cfn.delete(w.jobs.Job);
  expect(deleted.status).toBe('SUCCESS');
  expect(emulator.jobs()).toEqual([]);
});

test('an ambiguous name fails before any write, listing each server with its VM manager and path, and how to narrow it', async () => {
  emulator.addServer('s-000000e1', { vmName: 'web-01', vmManagerName: 'vc-east', vmPath: '/East/vm/web-01' });
  emulator.addServer('s-000000a1', { vmName: 'web-01', vmManagerName: 'vc-west', vmPath: '/West/vm/web-01' });
  w = await stackNaming('web-01');
  // The stack's read of the catalog (lambda/catalog-read.ts) names no server for it, and answers SUCCESS: the job reads
  // the catalog itself, for its Reason.
  await w.cfn.createDependencies(w.jobs.Job);
  expect(w.cfn.propertiesOf(w.jobs.Job).CatalogServerId).toBe('?several');
  const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.create(w!.jobs.Job));
  expectAnsweredInTime(result);
  expect(result.status).toBe('FAILED');
  expect(calls).toEqual(['GetServers']);
  expect(result.reason).toMatch(/^ServerAmbiguous: 2 servers match SmsServer\.fromVmName\('web-01'\) in the SMS server catalog \(AVAILABLE, last modified \d{4}-/);
  expect(result.reason).toContain('s-000000e1 (VM manager vc-east, VM path /East/vm/web-01), s-000000a1 (VM manager vc-west, VM path /West/vm/web-01)');
  expect(result.reason).toContain('No replication job was made');
  expect(result.reason).toContain("SmsServer.fromVmName('web-01', { vmManagerName: 'vc-east' })");
  expect(result.reason).not.toMatch(/retry/i);
  expect(result.physicalResourceId).toMatch(/^create-refused-/);

  // The rollback's Delete knows that nothing was made: no SMS call.
  const { result: deleted, calls: deleteCalls } = await smsCallsDuring(emulator, () => w!.cfn.delete(w!.jobs.Job));
  expect(deleted.status).toBe('SUCCESS');
  expect(deleteCalls).toEqual([]);
  expect(emulator.jobs()).toEqual([]);
});

test('vmManagerName narrows the name to one server', async () => {
  emulator.addServer('s-000000e1', { vmName: 'web-01', vmManagerName: 'vc-east' });
  const west = emulator.addServer('s-000000a1', { vmName: 'web-01', vmManagerName: 'vc-west' });
  w = await stackNaming('web-01', { vmManagerName: 'vc-west' });
  const created = await w.cfn.create(w.jobs.Job);
  expect(created.status).toBe('SUCCESS');
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([west]);
  expect(created.data?.ServerId).toBe(west);
});

test('a name not in the catalog fails naming the name, the selector, the catalog\'s status and time, and what to do', async () => {
  emulator.fillCatalog(3);
  w = await stackNaming('web-01', { vmManagerName: 'vc-east' });
  const created = await w.cfn.create(w.jobs.Job);
  expectAnsweredInTime(created);
  expect(created.status).toBe('FAILED');
  expect(created.reason).toMatch(new RegExp("^ServerNotFound: No server matches SmsServer\\.fromVmName\\('web-01', \\{ vmManagerName: 'vc-east' \\}\\): " +
    'the SMS server catalog \\(AVAILABLE, last modified \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, 3 servers\\) has no VM named "web-01" on VM manager "vc-east"\\.'));
  expect(created.reason).toContain('ImportServerCatalog');
  expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
  expect(created.physicalResourceId).toMatch(/^create-refused-/);
});

test('a catalog NOT_IMPORTED is imported, waited for, then read, and the job made, within one invocation', async () => {
  const target = emulator.addServer('s-0000beef', { vmName: 'web-01' });
  emulator.setCatalogStatus('NOT_IMPORTED', { importMs: 1500 });
  w = await stackNaming('web-01');
  const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.create(w!.jobs.Job));
  expectAnsweredInTime(result);
  expect(result.status).toBe('SUCCESS');
  expect(calls[0]).toBe('GetServers');
  expect(calls[1]).toBe('ImportServerCatalog');
  expect(calls.filter((c) => c === 'ImportServerCatalog')).toHaveLength(1);
  // Looked at while it imported, then read: only GetServers between the import and the job.
  expect(calls.slice(2, -1).length).toBeGreaterThanOrEqual(2);
  expect(calls.slice(2, -1).every((c) => c === 'GetServers')).toBe(true);
  expect(calls[calls.length - 1]).toBe('CreateReplicationJob');
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([target]);
  expectNothingLeakedNothingLost(emulator, [w.cfn]);
});

test('a catalog already IMPORTING is waited for, not imported again', async () => {
  const target = emulator.addServer('s-0000beef', { vmName: 'web-01' });
  emulator.setCatalogStatus('IMPORTING', { importMs: 1200 });
  w = await stackNaming('web-01');
  const created = await w.cfn.create(w.jobs.Job);
  expect(created.status).toBe('SUCCESS');
  expect(emulator.requestsFor('ImportServerCatalog')).toEqual([]);
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([target]);
});

test('an import slower than the budget: a clear FAILED in time, and no job', async () => {
  emulator.addServer('s-0000beef', { vmName: 'web-01' });
  emulator.setCatalogStatus('EXPIRED', { importMs: 600_000 });
  w = await stackNaming('web-01', undefined, 8);
  // The stack's read of the catalog starts the import, waits what it may, and leaves the server to the job.
  await w.cfn.createDependencies(w.jobs.Job);
  expect(w.cfn.propertiesOf(w.jobs.Job).CatalogServerId).toBe('?unread');
  const created = await w.cfn.create(w.jobs.Job);
  expectAnsweredInTime(created);
  expect(created.status).toBe('FAILED');
  expect(created.reason).toMatch(/^ServerCatalogNotAvailable: The SMS server catalog was still IMPORTING \d+ s after the provider found it importing/);
  expect(created.reason).toContain('no replication job was made');
  expect(created.reason).toContain('deploy again once GetServers reports serverCatalogStatus AVAILABLE');
  expect(emulator.requestsFor('ImportServerCatalog')).toHaveLength(1);
  expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
  expect(created.physicalResourceId).toMatch(/^create-refused-/);
  expect(emulator.jobs()).toEqual([]);
});

test('a throttled GetServers is retried, and the job made', async () => {
  emulator.fillCatalog(60);
  const target = emulator.addServer('s-0000beef', { vmName: 'web-01' });
  emulator.failNext('GetServers', 'ThrottlingException', { times: 3 });
  w = await stackNaming('web-01');
  const created = await w.cfn.create(w.jobs.Job);
  expect(created.status).toBe('SUCCESS');
  expect(emulator.requestsFor('GetServers').map((r) => r.outcome)).toEqual([
    'error:ThrottlingException', 'error:ThrottlingException', 'error:ThrottlingException', 'ok', 'ok']);
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([target]);
});

test('an Update that keeps the selector asks the catalog nothing, and changes the job in place', async () => {
  const target = emulator.addServer('s-0000beef', { vmName: 'web-01' });
  w = await stackNaming('web-01');
  const created = await w.cfn.create(w.jobs.Job);
  // The catalog changes meanwhile: an unchanged selector is not resolved again.
  emulator.addServer('s-0000cafe', { vmName: 'web-01', vmManagerName: 'vc-other' });
  const { result, calls } = await smsCallsDuring(emulator, () => w!.cfn.update(w!.jobs.Job, { Description: 'nightly' }));
  expect(result.status).toBe('SUCCESS');
  expect(calls).not.toContain('GetServers');
  expect(calls).not.toContain('ImportServerCatalog');
  expect(calls).not.toContain('CreateReplicationJob');
  expect(calls).toContain('UpdateReplicationJob');
  expect(result.physicalResourceId).toBe(created.physicalResourceId);
  expect(result.data).toEqual({ ReplicationJobId: created.physicalResourceId, ServerId: target });
  expect(emulator.jobs().map((j) => [j.serverId, j.description?.startsWith('nightly ')])).toEqual([[target, true]]);
});

test('a selector moved to another server replaces the job: the new one made, the old one deleted by the cleanup', async () => {
  const first = emulator.addServer('s-0000beef', { vmName: 'web-01' });
  const second = emulator.addServer('s-0000cafe', { vmName: 'web-02' });
  w = await stackNaming('web-01');
  const created = await w.cfn.create(w.jobs.Job);
  expect(created.data?.ServerId).toBe(first);

  const updated = await w.cfn.update(w.jobs.Job, { VmName: 'web-02' });
  expect(updated.status).toBe('SUCCESS');
  expect(updated.physicalResourceId).not.toBe(created.physicalResourceId);
  // The physical id records the job it replaced (issue 33); the attribute is the new job's id.
  expect(updated.data).toEqual({ ReplicationJobId: jobIdOf(updated.physicalResourceId!), ServerId: second });
  expect(emulator.jobs().map((j) => j.serverId).sort()).toEqual([first, second]);

  const cleanup = await w.cfn.cleanup(w.jobs.Job);
  expect(cleanup.status).toBe('SUCCESS');
  expect(emulator.jobs().map((j) => [j.replicationJobId, j.serverId])).toEqual([[jobIdOf(updated.physicalResourceId!), second]]);
  expectNothingLeakedNothingLost(emulator, [w.cfn]);
});

test('a selector changed to one that resolves to the same server changes nothing in SMS\'s job', async () => {
  const target = emulator.addServer('s-0000beef', { vmName: 'web-01', vmManagerName: 'vc-east' });
  w = await stackNaming('web-01');
  const created = await w.cfn.create(w.jobs.Job);
  const updated = await w.cfn.update(w.jobs.Job, { VmManagerName: 'vc-east' });
  expect(updated.status).toBe('SUCCESS');
  expect(updated.physicalResourceId).toBe(created.physicalResourceId);
  expect(emulator.requestsFor('CreateReplicationJob')).toHaveLength(1);
  expect(emulator.jobs().map((j) => j.serverId)).toEqual([target]);
});

test('a Create whose answer was lost and whose look-up failed: its Delete finds the job by its marker, with no server in the template', async () => {
  emulator.addServer('s-0000beef', { vmName: 'web-01' });
  w = await stackNaming('web-01', undefined, 5);
  emulator.inject('CreateReplicationJob', { kind: 'loseAnswer', how: 'hang' });
  emulator.inject('GetReplicationJobs', { kind: 'hang' }, Infinity);
  const failed = await w.cfn.create(w.jobs.Job);
  expect(failed.status).toBe('FAILED');
  expect(failed.physicalResourceId).toMatch(/^create-failed-/);
  expect(emulator.jobs()).toHaveLength(1);

  emulator.clearFaults();
  const { result: rollback, calls } = await smsCallsDuring(emulator, () => w!.cfn.delete(w!.jobs.Job));
  expect(rollback.status).toBe('SUCCESS');
  expect(calls).toEqual(['GetReplicationJobs', 'DeleteReplicationJob']);
  expect(emulator.jobs()).toEqual([]);
  expectNothingLeakedNothingLost(emulator, [w.cfn]);
});

describe('issue 33: a consistent read of the catalog, within the budget', () => {
  /** Holds the second GetServers for a second, and changes the catalog while it is held, as an import mid-read would. */
  function changeCatalogBeforePageTwo(change: () => void): void {
    const before = emulator.requestsFor('GetServers').length;
    emulator.inject('GetServers', { kind: 'delay', ms: 0 }, 1);
    emulator.inject('GetServers', { kind: 'delay', ms: 1000 }, 1);
    const timer = setInterval(() => {
      if (emulator.requestsFor('GetServers').length >= before + 2) {
        clearInterval(timer);
        change();
      }
    }, 20);
  }

  test('the catalog EXPIRED after page 1 of 3: read again after its import, and a name on pages 1 and 3 is ambiguous, not page 1\'s', async () => {
    emulator.addServer('s-000000e1', { vmName: 'app-01', vmManagerName: 'vc-east' });
    emulator.fillCatalog(120);
    emulator.addServer('s-000000a1', { vmName: 'app-01', vmManagerName: 'vc-west' });
    w = await stackNaming('app-01');
    // The stack's read found two servers and left the name to the job, whose own read the catalog changes under.
    await w.cfn.createDependencies(w.jobs.Job);
    expect(w.cfn.propertiesOf(w.jobs.Job).CatalogServerId).toBe('?several');
    changeCatalogBeforePageTwo(() => emulator.setCatalogStatus('EXPIRED', { importMs: 500 }));
    const created = await w.cfn.create(w.jobs.Job);
    expectAnsweredInTime(created);
    expect(created.status).toBe('FAILED');
    expect(created.reason).toMatch(/^ServerAmbiguous: 2 servers match SmsServer\.fromVmName\('app-01'\) in the SMS server catalog \(AVAILABLE, .*122 servers, imported by this deployment\)/);
    expect(created.reason).toContain('s-000000e1 (VM manager vc-east');
    expect(created.reason).toContain('s-000000a1 (VM manager vc-west');
    expect(created.logs).toContain('the server catalog changed while it was read: reading it again');
    expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
    expect(created.physicalResourceId).toMatch(/^create-refused-/);
    expect(emulator.jobs()).toEqual([]);
  });

  test('the catalog IMPORTING from page 2 on: waited for and read again, and the VM found among all 121 servers', async () => {
    emulator.fillCatalog(77);
    const target = emulator.addServer('s-0000f077', { vmName: 'web-77' });
    emulator.fillCatalog(43, 77);
    w = await stackNaming('web-77');
    changeCatalogBeforePageTwo(() => emulator.setCatalogStatus('IMPORTING', { importMs: 1500 }));
    const created = await w.cfn.create(w.jobs.Job);
    expectAnsweredInTime(created);
    expect(created.status).toBe('SUCCESS');
    expect(created.data?.ServerId).toBe(target);
    expect(emulator.jobs().map((j) => j.serverId)).toEqual([target]);
    expect(emulator.requestsFor('ImportServerCatalog')).toEqual([]);
    // Read again after the import: three pages of the 121 servers.
    expect(emulator.requestsFor('GetServers').filter((r) => r.outcome === 'ok').length).toBeGreaterThanOrEqual(5);
    expectNothingLeakedNothingLost(emulator, [w.cfn]);
  });

  test('an import that would end too late for the write fails in time naming the import, and its id says no job was made', async () => {
    emulator.addServer('s-0000beef', { vmName: 'web-01' });
    // 60 s function: SMS calls until 46 s, a write lease of 10 s; the import ends at 33.5 s, past the 26 s the wait may use.
    w = await stackNaming('web-01', undefined, 60);
    // The stack's read could not read the catalog (refused here): the job imports it and waits.
    emulator.failNext('GetServers', 'UnauthorizedOperationException');
    await w.cfn.createDependencies(w.jobs.Job);
    expect(w.cfn.propertiesOf(w.jobs.Job).CatalogServerId).toBe('?unread');
    emulator.setCatalogStatus('NOT_IMPORTED', { importMs: 33_500 });
    const created = await w.cfn.create(w.jobs.Job);
    expectAnsweredInTime(created);
    expect(created.status).toBe('FAILED');
    expect(created.reason).toMatch(/^ServerCatalogNotAvailable: The SMS server catalog was still IMPORTING \d+ s after this deployment started its import \(it was NOT_IMPORTED before\), when the provider's time ran out \(the rest is kept for the write\)/);
    expect(created.reason).not.toMatch(/Timeout|SMS did not answer/);
    expect(created.physicalResourceId).toMatch(/^create-refused-/);
    expect(emulator.requestsFor('CreateReplicationJob')).toEqual([]);
    expect(emulator.jobs()).toEqual([]);
  });
});

describe('issue 33: rollbacks and cleanups that never re-ask the catalog for what they already know', () => {
  /** web-01 on one server, web-02 on another; a job made for web-01, then replaced onto web-02 by an update. */
  async function replacedOntoWeb02(): Promise<{ first: string; second: string; j1: string; updated: string }> {
    const first = emulator.addServer('s-0000beef', { vmName: 'web-01' });
    const second = emulator.addServer('s-0000cafe', { vmName: 'web-02' });
    w = await stackNaming('web-01');
    const created = await w.cfn.create(w.jobs.Job);
    expect(created.status).toBe('SUCCESS');
    const updated = await w.cfn.update(w.jobs.Job, { VmName: 'web-02', Description: 'moved' });
    expect(updated.status).toBe('SUCCESS');
    // The replacement's physical id records the job it replaced, that job's server, and the change of selector.
    expect(updated.physicalResourceId).toMatch(new RegExp(`^sms-job-[0-9a-z]+/after/${created.physicalResourceId}/${first}/[0-9a-f]{8}$`));
    expect(updated.data?.ServerId).toBe(second);
    return { first, second, j1: created.physicalResourceId!, updated: updated.physicalResourceId! };
  }

  /** The update rolls back (an Update back to web-01, to the replacement's id), then the cleanup deletes the replacement. */
  async function rollBackAndCleanUp(j1: string, first: string): Promise<void> {
    const stateBefore = emulator.jobs().find((j) => j.replicationJobId === j1)?.state;
    const { result: rollback, calls } = await smsCallsDuring(emulator, () => w!.cfn.rollbackUpdate(w!.jobs.Job, { replacement: 'update' }));
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(calls).not.toContain('GetServers');
    expect(calls).not.toContain('ImportServerCatalog');
    expect(calls).not.toContain('CreateReplicationJob');
    expect(rollback.physicalResourceId).toBe(j1);
    expect(rollback.data).toEqual({ ReplicationJobId: j1, ServerId: first });
    const cleanup = await w!.cfn.cleanup(w!.jobs.Job);
    expect(cleanup.status).toBe('SUCCESS');
    // J1 alone, on its server, back to the old properties, with this resource's marker.
    const jobs = emulator.jobs();
    expect(jobs.map((j) => [j.replicationJobId, j.serverId, j.description?.includes(`[cfn:${w!.cfn.stackName}/`)])).toEqual([[j1, first, true]]);
    expect(jobs[0].description?.startsWith('moved')).toBe(false);
    expect(jobs[0].state).toBe(stateBefore);
    expectNothingLeakedNothingLost(emulator, [w!.cfn]);
  }

  test('1. the old VM was renamed since: the rollback returns to J1 all the same, and J2 goes in the cleanup', async () => {
    const { first, j1 } = await replacedOntoWeb02();
    emulator.addServer(first, { vmName: 'web-01-decommissioned' });
    await rollBackAndCleanUp(j1, first);
  });

  test('2. the catalog EXPIRED since: the rollback imports nothing, waits for nothing, and returns to J1', async () => {
    const { first, j1 } = await replacedOntoWeb02();
    emulator.setCatalogStatus('EXPIRED', { importMs: 600_000 });
    await rollBackAndCleanUp(j1, first);
    expect(emulator.requestsFor('ImportServerCatalog')).toEqual([]);
  });

  test('3. another VM is named web-01 now: the rollback returns to J1, not to a job on the other VM\'s server', async () => {
    const { first, j1 } = await replacedOntoWeb02();
    emulator.addServer(first, { vmName: 'web-01-old' });
    emulator.addServer('s-0000d00d', { vmName: 'web-01' });
    await rollBackAndCleanUp(j1, first);
    expect(emulator.jobs().some((j) => j.serverId === 's-0000d00d')).toBe(false);
  });

  test('4. a replacement whose Create made J2 but lost the answer, then failed: its rollback deletes J2 and keeps J1', async () => {
    const first = emulator.addServer('s-0000beef', { vmName: 'web-01' });
    emulator.addServer('s-0000cafe', { vmName: 'web-02' });
    w = await stackNaming('web-01', undefined, 20);
    const created = await w.cfn.create(w.jobs.Job);
    // The job's look-up and the listing answer; the Create makes J2 and its answer is lost; the retry hears
    // AlreadyExists; the look-up after it is refused.
    emulator.inject('GetReplicationJobs', { kind: 'delay', ms: 0 }, 2);
    emulator.inject('CreateReplicationJob', { kind: 'loseAnswer', how: 'destroy' });
    emulator.failNext('GetReplicationJobs', 'UnauthorizedOperationException', { times: 50 });
    const failed = await w.cfn.update(w.jobs.Job, { VmName: 'web-02' });
    emulator.clearFaults();
    expect(failed.status).toBe('FAILED');
    expect(emulator.jobs()).toHaveLength(2);

    const rollback = await w.cfn.rollbackUpdate(w.jobs.Job);
    expectAnsweredInTime(rollback);
    expect(rollback.status).toBe('SUCCESS');
    expect(rollback.physicalResourceId).toBe(created.physicalResourceId);
    expect(rollback.logs).toContain('deleting the job a failed replacement left behind');
    expect(emulator.jobs().map((j) => [j.replicationJobId, j.serverId])).toEqual([[created.physicalResourceId, first]]);
    expectNothingLeakedNothingLost(emulator, [w.cfn]);
  });

  test('5. a job kept by RETAIN on web-01, the resource added back naming web-02 and that Create cancelled: the rollback deletes only the Create\'s job', async () => {
    const first = emulator.addServer('s-0000beef', { vmName: 'web-01' });
    const second = emulator.addServer('s-0000cafe', { vmName: 'web-02' });
    w = await world({ emulator, jobs: { Job: { server: SmsServer.fromVmName('web-01'), seedReplicationTime: seed, removalPolicy: RemovalPolicy.RETAIN } } });
    const created = await w.cfn.create(w.jobs.Job);
    expect(await w.cfn.removeFromStack(w.jobs.Job)).toBe('retained');
    const kept = emulator.jobs()[0];
    expect([kept.replicationJobId, kept.serverId]).toEqual([created.physicalResourceId, first]);

    const before = emulator.requestsFor('CreateReplicationJob').length;
    const race = await w.cfn.cancelCreate(w.jobs.Job, {
      changes: { VmName: 'web-02' }, once: () => emulator.requestsFor('CreateReplicationJob').length > before, afterMs: 300,
    });
    expect(race.rollback.status).toBe('SUCCESS');
    // The cancelled Create made its job on web-02; the rollback deleted it, and only it: the kept job is untouched.
    const made = emulator.requestsFor('CreateReplicationJob').slice(before).filter((r) => r.outcome === 'ok');
    expect(made).toHaveLength(1);
    expect(emulator.requestsFor('DeleteReplicationJob').map((r) => r.body.replicationJobId)).not.toContain(kept.replicationJobId);
    expect(emulator.jobs()).toEqual([kept]);
    expect(emulator.jobs().some((j) => j.serverId === second)).toBe(false);
  });

  test('a job kept by RETAIN, added back with the same VM and another runOnce: refused as made by no event, and its rollback keeps the job', async () => {
    const first = emulator.addServer('s-0000beef', { vmName: 'web-01' });
    w = await world({ emulator, jobs: { Job: { server: SmsServer.fromVmName('web-01'), seedReplicationTime: seed, removalPolicy: RemovalPolicy.RETAIN } } });
    const created = await w.cfn.create(w.jobs.Job);
    expect(await w.cfn.removeFromStack(w.jobs.Job)).toBe('retained');
    const kept = emulator.jobs()[0];
    const again = await w.cfn.create(w.jobs.Job, { RunOnce: true });
    expect(again.status).toBe('FAILED');
    expect(again.reason).toMatch(/^RunOnceChangeNotSupported: /);
    expect(again.physicalResourceId).toMatch(/^create-refused-/);
    // The rollback of the failed Create: a Delete of its refused id, which asks SMS nothing.
    const { result: rollback, calls } = await smsCallsDuring(emulator, () => w!.cfn.delete(w!.jobs.Job));
    expect(rollback.status).toBe('SUCCESS');
    expect(calls).toEqual([]);
    expect(emulator.jobs()).toEqual([kept]);
    expect([kept.replicationJobId, kept.serverId]).toEqual([created.physicalResourceId, first]);
  });

  test('a move to web-02 whose stack status could not be read (taken as a rollback) still records J1, and its rollback returns there', async () => {
    const first = emulator.addServer('s-0000beef', { vmName: 'web-01' });
    const second = emulator.addServer('s-0000cafe', { vmName: 'web-02' });
    w = await stackNaming('web-01');
    const created = await w.cfn.create(w.jobs.Job);
    w.cfn.denyNextDescribeStacks(Infinity);
    const moved = await w.cfn.update(w.jobs.Job, { VmName: 'web-02' });
    w.cfn.clearDescribeStacksFaults();
    expect(moved.status).toBe('SUCCESS');
    expect(moved.logs).toContain('the Update is taken as a rollback');
    expect(moved.physicalResourceId).toMatch(new RegExp(`/after/${created.physicalResourceId}/${first}/[0-9a-f]{8}$`));
    expect(moved.data?.ServerId).toBe(second);
    await rollBackAndCleanUp(created.physicalResourceId!, first);
  });
});
