/**
 * `orphans` against the emulators: the orphans it acts on are those `status` reports; `release` removes the marker
 * so that another stack adopts the job (the adoption sequence of test/lifecycle, by the real handler); `delete`
 * refuses a job the stack holds or another stack's; a job whose marker changes between the listing and the write is
 * left alone; and nothing is written without --yes when there is no terminal.
 */
import { randomUUID } from 'node:crypto';
import { Duration } from 'aws-cdk-lib';
import { describedWithMarker, eventMarker } from '../../lambda/ownership';
import { ExistingJobPolicy, SmsServer } from '../../lib';
import { CloudFormationApi } from '../harness/cfn-api';
import { SmsEmulator } from '../harness/sms-emulator';
import { World, world } from '../harness/world';
import { Deployed, deploy, jobStack, runCli } from './fixture';
import { validReport } from './schema';

const STACK = 'Migration';
const ORPHAN_SERVER = 's-0000ad07';
const OTHER_SERVER = 's-0000e003';
let emulator: SmsEmulator;
let api: CloudFormationApi;
let deployed: Deployed;
let held: string;
let orphan: string;
let other: string;
const worlds: World[] = [];
const endpoints = () => ({ sms: emulator.endpoint, cloudFormation: api.endpoint });
const orphans = (...args: string[]) => runCli(['orphans', '--stack', STACK, ...args], endpoints());
const writes = () => emulator.requests.filter((r) => ['DeleteReplicationJob', 'UpdateReplicationJob'].includes(r.operation));
const jobNamed = (id: string) => emulator.jobs().find((j) => j.replicationJobId === id);

beforeEach(async () => {
  emulator = await SmsEmulator.start();
  deployed = await deploy(jobStack(STACK, { Web: { server: SmsServer.fromServerId('s-0000e001') } }), emulator, 'seed');
  held = Object.values(deployed.jobIds)[0];
  api = await CloudFormationApi.start(deployed.view);
  // Jobs the stack marked and no longer holds (removed with RETAIN), and one of another stack.
  orphan = emulator.seedJob({ serverId: ORPHAN_SERVER, description: describedWithMarker('file server', eventMarker(deployed.driver.stackId, 'FileServer1A2B3C4D', randomUUID())) }).replicationJobId;
  other = emulator.seedJob({ serverId: OTHER_SERVER, description: describedWithMarker(undefined, eventMarker(deployed.driver.stackId, 'OldApp5E6F7A8B', randomUUID())) }).replicationJobId;
  emulator.seedJob({ serverId: 's-0000e004', description: describedWithMarker('theirs', eventMarker('arn:aws:cloudformation:us-west-2:123456789012:stack/Other/1', 'Job', randomUUID())) });
}, 60_000);

afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close();
  await deployed.driver.close();
  await api.close();
  await emulator.close();
});

test('the orphans acted on are the ones status reports', async () => {
  const status = validReport((await runCli(['status', '--stack', STACK, '--json'], endpoints())).stdout);
  const plan = await orphans('delete', '--dry-run', '--json');
  expect(plan.code).toBe(0);
  const report = validReport(plan.stdout, 'orphans');
  expect(report.jobs.map((j: any) => j.jobId).sort()).toEqual(status.stacks[0].orphans.map((o: any) => o.jobId).sort());
  expect(report.jobs.map((j: any) => j.jobId).sort()).toEqual([orphan, other].sort());
  expect(report.jobs.map((j: any) => j.outcome)).toEqual(['PLANNED', 'PLANNED']);
  expect(writes()).toEqual([]);
}, 60_000);

test('release, then a stack adopts the job: refused while the marker is on it, adopted once it is off', async () => {
  const adopter = await world({
    emulator, stackName: 'Adopter',
    jobs: { Job: { server: SmsServer.fromServerId(ORPHAN_SERVER), frequency: Duration.hours(6), description: 'file server', existingJob: ExistingJobPolicy.ADOPT } },
  });
  worlds.push(adopter);
  const refused = await adopter.cfn.create();
  expect(refused.status).toBe('FAILED');
  expect(refused.reason).toContain('ReplicationJobAlreadyExistsException');

  const result = await orphans('release', '--job', orphan, '--yes', '--json');
  expect(result.code).toBe(0);
  const report = validReport(result.stdout, 'orphans');
  expect(report.jobs).toEqual([expect.objectContaining({ jobId: orphan, call: 'UpdateReplicationJob', newDescription: 'file server', outcome: 'DONE' })]);
  expect(jobNamed(orphan)!.description).toBe('file server');
  expect(result.stderr).toMatch(new RegExp(`SMS UpdateReplicationJob ${orphan}: released: description "file server", without \\[cfn:${STACK}/FileServer1A2B3C4D/`));
  expect(writes().map((w) => [w.operation, w.body.replicationJobId])).toEqual([['UpdateReplicationJob', orphan]]);

  const adopted = await adopter.cfn.create();
  expect(adopted.status).toBe('SUCCESS');
  expect(adopted.physicalResourceId).toBe(`${orphan}/adopted`);
  expect(jobNamed(orphan)!.description).toMatch(/^file server \[cfn:Adopter\/Job[0-9A-F]*\/[0-9a-f]{8}\/[0-9a-f]{8}\/adopted\]$/);
  // The other orphan and the stack's own job are untouched.
  expect(jobNamed(other)!.description).toMatch(/^\[cfn:Migration\/OldApp5E6F7A8B\//);
}, 60_000);

test('delete refuses a job the stack holds and another stack\'s job, writing nothing; exit 2', async () => {
  const heldResult = await orphans('delete', '--job', held, '--yes');
  expect(heldResult.code).toBe(2);
  expect(heldResult.stderr).toMatch(new RegExp(`^--job ${held}: the job is held by Web[0-9A-F]* of stack ${STACK}, not an orphan; orphans never touches a job its stack holds`));
  const theirs = emulator.jobs().find((j) => j.serverId === 's-0000e004')!.replicationJobId;
  const theirsResult = await orphans('delete', '--job', theirs, '--yes');
  expect(theirsResult.code).toBe(2);
  expect(theirsResult.stderr).toMatch(new RegExp(`^--job ${theirs}: not an orphan of stack ${STACK}: its marker \\[cfn:Other/Job/`));
  expect(writes()).toEqual([]);
  expect(emulator.jobs()).toHaveLength(4);
}, 60_000);

test('delete: every orphan deleted, each write logged; status then reports none; exit 0', async () => {
  const result = await orphans('delete', '--yes');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/Exit 0: done\.\n$/);
  for (const id of [orphan, other]) expect(result.stderr).toMatch(new RegExp(`SMS DeleteReplicationJob ${id}: deleted\n`));
  expect(writes().map((w) => w.operation)).toEqual(['DeleteReplicationJob', 'DeleteReplicationJob']);
  expect(jobNamed(orphan)).toBeUndefined();
  expect(jobNamed(held)).toBeDefined();
  const status = validReport((await runCli(['status', '--stack', STACK, '--json'], endpoints())).stdout);
  expect(status.stacks[0].orphans).toEqual([]);
}, 60_000);

test('a job whose marker changed between the listing and the write is left alone; exit 2', async () => {
  // The listing answers at once; the job's own read just before its write waits, while a deployment takes the job over.
  emulator.inject('GetReplicationJobs', { kind: 'delay', ms: 0 }).inject('GetReplicationJobs', { kind: 'delay', ms: 800 });
  const running = orphans('delete', '--job', orphan, '--yes', '--json');
  while (emulator.requestsFor('GetReplicationJobs').length < 2) await new Promise((r) => setTimeout(r, 20));
  const takenOver = describedWithMarker('file server', eventMarker(deployed.driver.stackId, 'FileServer1A2B3C4D', randomUUID()));
  emulator.alterJob(orphan, { description: takenOver });
  const result = await running;
  expect(result.code).toBe(2);
  expect(validReport(result.stdout, 'orphans').jobs[0]).toMatchObject({ jobId: orphan, outcome: 'CHANGED', error: { code: 'MarkerChanged' } });
  expect(writes()).toEqual([]);
  expect(jobNamed(orphan)!.description).toBe(takenOver);
}, 60_000);

test('no terminal and no --yes: the plan shown, nothing written; usage errors name the flag; exit 2', async () => {
  const result = await orphans('delete');
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`orphans delete will:\n  DeleteReplicationJob ${orphan}`);
  expect(result.stderr).toContain('there is no terminal to confirm on: pass --yes');
  const noAction = await orphans();
  expect(noAction.code).toBe(2);
  expect(noAction.stderr).toMatch(/^orphans needs an action: delete or release/);
  const badAction = await orphans('purge');
  expect(badAction.code).toBe(2);
  expect(badAction.stderr).toMatch(/^orphans purge: the actions are delete and release/);
  expect(writes()).toEqual([]);
}, 60_000);

test('SMS refusing the delete: that job FAILED, named with the call, the error and the permission to allow; exit 2', async () => {
  emulator.failNext('DeleteReplicationJob', 'UnauthorizedOperationException', { message: 'User is not authorized to perform sms:DeleteReplicationJob' });
  const result = await orphans('delete', '--job', orphan, '--yes', '--json');
  expect(result.code).toBe(2);
  expect(validReport(result.stdout, 'orphans').jobs[0]).toMatchObject({ jobId: orphan, outcome: 'FAILED', error: {
    service: 'SMS', call: 'DeleteReplicationJob', code: 'UnauthorizedOperationException',
    message: 'User is not authorized to perform sms:DeleteReplicationJob: allow sms:DeleteReplicationJob to the caller (README, "Commands", has each command\'s policy)',
  } });
  expect(jobNamed(orphan)).toBeDefined();
}, 60_000);

describe('a stack whose operation is under way, or whose deletion failed (from the review of 1.0.0)', () => {
  /** The stack as CloudFormation describes it, in another status, and with its resources changed. */
  async function stackIn(status: string, resources: (base: any[]) => any[]): Promise<CloudFormationApi> {
    await api.close();
    const base = deployed.view;
    api = await CloudFormationApi.start({ ...base, status: () => status, resources: () => resources(base.resources!()) });
    return api;
  }

  test('UPDATE_IN_PROGRESS: a job an unanswered Create just made looks orphaned, and is not deleted; exit 2', async () => {
    const inflight = emulator.seedJob({ serverId: 's-0000e009', description: describedWithMarker('new', eventMarker(deployed.driver.stackId, 'NewJob1234ABCD', randomUUID())) }).replicationJobId;
    await stackIn('UPDATE_IN_PROGRESS', (base) => [...base, { logicalId: 'NewJob1234ABCD', type: 'Custom::SmsReplicationJob', status: 'CREATE_IN_PROGRESS' }]);
    const result = await orphans('delete', '--yes');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`stack ${STACK} is UPDATE_IN_PROGRESS: its resources may be about to hold the jobs that look orphaned now`);
    expect(writes()).toEqual([]);
    expect(jobNamed(inflight)?.state).not.toMatch(/DELET/);
  }, 60_000);

  test('DELETE_FAILED: the job its DELETE_FAILED resource holds is no orphan, so no release hands it to another stack', async () => {
    await stackIn('DELETE_FAILED', (base) => base.map((r) => r.type === 'Custom::SmsReplicationJob' ? { ...r, status: 'DELETE_FAILED' } : r));
    const result = await orphans('release', '--yes', '--json');
    const report = validReport(result.stdout, 'orphans');
    expect(report.jobs.map((j: any) => j.jobId)).not.toContain(held);
    expect(jobNamed(held)?.description).toContain(`[cfn:${STACK}/`);
    expect(emulator.requests.filter((r) => r.operation === 'UpdateReplicationJob' && r.body.replicationJobId === held)).toEqual([]);
  }, 60_000);
});
