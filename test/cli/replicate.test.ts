/**
 * `replicate` against the emulators: on-demand runs that move over time (PENDING, ACTIVE by stage, COMPLETED with an
 * AMI or FAILED), followed with --wait; the on-demand limit of 24 hours; StartOnDemandReplicationRun throttled; a job
 * already running; --timeout; and the writes' deliberateness (no terminal, no --yes: nothing written; --dry-run).
 */
import type { ChildProcess } from 'node:child_process';
import { CloudFormationApi } from '../harness/cfn-api';
import { SmsEmulator } from '../harness/sms-emulator';
import { Deployed, deploy, jobStack, runCli } from './fixture';
import { validReport } from './schema';
import { SmsServer } from '../../lib';

const STACK = 'Cutover';
const HOUR = 3600;
/** Runs of about a second: PENDING 0.1 s, then three stages of 0.25 s. */
const TIMINGS = { pendingMs: 100, stageMs: 250, stages: ['UPLOAD_DISKS', 'CONVERT_TO_AMI', 'CREATE_AMI'] };
const FAST = ['--interval', '0.1'];

let emulator: SmsEmulator;
let api: CloudFormationApi;
let deployed: Deployed;
let ids: string[];
const endpoints = () => ({ sms: emulator.endpoint, cloudFormation: api.endpoint });
const replicate = (...args: string[]) => runCli(['replicate', '--stack', STACK, ...args], endpoints());
const jobOf = (logicalId: string) => deployed.jobIds[logicalId];
const onDemandRuns = (jobId: string) => emulator.jobs().find((j) => j.replicationJobId === jobId)!.replicationRunList
  .filter((r: any) => r.type === 'ON_DEMAND') as any[];
const startsFor = (jobId: string) => emulator.requestsFor('StartOnDemandReplicationRun').filter((r) => r.body.replicationJobId === jobId);

beforeEach(async () => {
  emulator = await SmsEmulator.start({ runTimings: TIMINGS });
  deployed = await deploy(jobStack(STACK, {
    Web: { server: SmsServer.fromServerId('s-0000c001') }, App: { server: SmsServer.fromServerId('s-0000c002') }, Db: { server: SmsServer.fromServerId('s-0000c003') },
  }), emulator, 'seed');
  ids = deployed.driver.logicalIds;
  for (const id of ids) emulator.alterJob(jobOf(id), { state: 'ACTIVE' });
  api = await CloudFormationApi.start(deployed.view);
}, 60_000);

afterEach(async () => {
  await deployed.driver.close();
  await api.close();
  await emulator.close();
});

test('--wait for 3 jobs, one failing: each run followed through its stages; the AMIs printed; exit 1', async () => {
  const [web, app, db] = ids;
  emulator.failRunsOf(jobOf(db), 'Failed to upload the disk: connector disconnected');
  const result = await replicate('--wait', '--yes', '--json', ...FAST);
  expect(result.code).toBe(1);
  const report = validReport(result.stdout, 'replicate');
  const byId = Object.fromEntries(report.jobs.map((j: any) => [j.logicalId, j]));
  const amiOf = (id: string) => emulator.jobs().find((j) => j.replicationJobId === jobOf(id))!.latestAmiId;
  for (const id of [web, app]) {
    expect(byId[id]).toMatchObject({ outcome: 'COMPLETED', state: 'COMPLETED', amiId: amiOf(id), alreadyRunning: false, error: null });
    expect(byId[id].amiId).toMatch(/^ami-/);
  }
  expect(byId[db]).toMatchObject({ outcome: 'FAILED', state: 'FAILED', amiId: null, statusMessage: 'Failed to upload the disk: connector disconnected' });
  // One run started per job, each logged with its job and run.
  for (const id of ids) {
    expect(onDemandRuns(jobOf(id))).toHaveLength(1);
    expect(result.stderr).toContain(`SMS StartOnDemandReplicationRun ${jobOf(id)}: started ${onDemandRuns(jobOf(id))[0].replicationRunId}`);
  }
  // The live view showed the stages the runs went through (stderr is no terminal: a line per change).
  for (const stage of TIMINGS.stages) expect(result.stderr).toContain(`ACTIVE  ${stage}`);
  const table = await replicate('--dry-run');
  expect(table.code).toBe(0);
}, 60_000);

test('the table for people names each AMI and the failure; exit 0 when every run completed', async () => {
  const result = await replicate('--wait', '--yes', ...FAST);
  expect(result.code).toBe(0);
  for (const id of ids) {
    const ami = emulator.jobs().find((j) => j.replicationJobId === jobOf(id))!.latestAmiId!;
    expect(result.stdout).toMatch(new RegExp(`^${id} +${jobOf(id)} +sms-run-[0-9a-f]+ +COMPLETED +COMPLETED +${ami}`, 'm'));
  }
  expect(result.stdout).toMatch(/3 COMPLETED\. Exit 0: every run completed with an AMI\.\n$/);
}, 60_000);

test('the on-demand limit hit on one job: named, with when it may run again; never retried; the others run; exit 2', async () => {
  const [web, app] = ids;
  emulator.onDemandRunsPerDay = 1;
  const earlier = Math.floor(Date.now() / 1000) - 2 * HOUR;
  emulator.addRun(jobOf(app), { replicationRunId: 'sms-run-00000000000000a01', state: 'COMPLETED', type: 'ON_DEMAND', scheduledStartTime: earlier,
    completedTime: earlier + 600, amiId: 'ami-00000000000000a01' });
  const result = await replicate('--wait', '--yes', '--json', ...FAST);
  expect(result.code).toBe(2);
  const report = validReport(result.stdout, 'replicate');
  const limited = report.jobs.find((j: any) => j.logicalId === app);
  expect(limited).toMatchObject({ outcome: 'LIMIT_EXCEEDED', runId: null,
    limit: { message: expect.stringContaining('24-hour period'), notBefore: new Date((earlier + 24 * HOUR) * 1000).toISOString() } });
  expect(startsFor(jobOf(app))).toHaveLength(1);
  expect(report.jobs.filter((j: any) => j.logicalId !== app).map((j: any) => j.outcome)).toEqual(['COMPLETED', 'COMPLETED']);
  expect(result.stderr).toContain(`SMS StartOnDemandReplicationRun ${jobOf(app)}: refused: ReplicationRunLimitExceededException; not retried`);
  // The table says it too.
  const table = await replicate('--yes', '--job', app);
  expect(table.code).toBe(2);
  expect(table.stdout).toMatch(new RegExp(`^${app} .* LIMIT_EXCEEDED .*not before ${new Date((earlier + 24 * HOUR) * 1000).toISOString()}`, 'm'));
  expect(startsFor(jobOf(app))).toHaveLength(2);
  expect(startsFor(jobOf(web))).toHaveLength(1);
}, 60_000);

test('StartOnDemandReplicationRun throttled: retried until started, one run per job; a job already running is followed, not started', async () => {
  const [web, app, db] = ids;
  const now = Math.floor(Date.now() / 1000);
  emulator.addRun(jobOf(web), { replicationRunId: 'sms-run-00000000000000b01', state: 'ACTIVE', type: 'AUTOMATIC', scheduledStartTime: now - 60,
    stageDetails: { stage: 'UPLOAD_DISKS', stageProgress: '40%' } });
  emulator.failNext('StartOnDemandReplicationRun', 'ThrottlingException', { times: 3, message: 'Rate exceeded' });
  const result = await replicate('--yes', '--json');
  expect(result.code).toBe(0);
  const report = validReport(result.stdout, 'replicate');
  expect(report.jobs.map((j: any) => [j.logicalId, j.outcome, j.alreadyRunning])).toEqual([
    [web, 'ALREADY_RUNNING', true], [app, 'STARTED', false], [db, 'STARTED', false],
  ]);
  expect(report.jobs[0]).toMatchObject({ runId: 'sms-run-00000000000000b01', state: 'ACTIVE', stage: 'UPLOAD_DISKS', stageProgress: '40%' });
  expect(startsFor(jobOf(web))).toHaveLength(0);
  expect(emulator.requestsFor('StartOnDemandReplicationRun').filter((r) => r.outcome === 'error:ThrottlingException')).toHaveLength(3);
  for (const id of [app, db]) expect(onDemandRuns(jobOf(id))).toHaveLength(1);
}, 60_000);

test('writes are deliberate: no terminal and no --yes writes nothing (exit 2); --dry-run prints the plan (exit 0)', async () => {
  const refused = await replicate('--wait');
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('there is no terminal to confirm on: pass --yes to go ahead, or --dry-run to print the plan only. Nothing was written.');
  const dry = await replicate('--dry-run', '--wait');
  expect(dry.code).toBe(0);
  for (const id of ids) expect(dry.stdout).toContain(`StartOnDemandReplicationRun ${jobOf(id)} (${id}, server s-0000c00`);
  const dryJson = validReport((await replicate('--dry-run', '--json')).stdout, 'replicate');
  expect(dryJson.jobs.map((j: any) => j.outcome)).toEqual(['PLANNED', 'PLANNED', 'PLANNED']);
  expect(emulator.requestsFor('StartOnDemandReplicationRun')).toEqual([]);
}, 60_000);

test('--timeout: runs still under way are reported RUNNING, not failed; exit 3', async () => {
  emulator.runTimings = { ...TIMINGS, stageMs: 60_000 };
  const result = await replicate('--wait', '--yes', '--json', '--timeout', '0.5', ...FAST);
  expect(result.code).toBe(3);
  const report = validReport(result.stdout, 'replicate');
  expect(report.jobs.map((j: any) => j.outcome)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
  expect(result.stderr).toContain('--timeout: 3 runs still under way');
}, 60_000);

test('a job deleted outside CloudFormation is named and not started; the others are; exit 2', async () => {
  const [web] = ids;
  emulator.deleteJob(jobOf(web));
  const result = await replicate('--yes', '--json');
  expect(result.code).toBe(2);
  const report = validReport(result.stdout, 'replicate');
  expect(report.jobs[0]).toMatchObject({ outcome: 'NOT_STARTED', error: { service: 'SMS', call: 'GetReplicationRuns', code: 'ReplicationJobNotFoundException' } });
  expect(report.jobs.slice(1).map((j: any) => j.outcome)).toEqual(['STARTED', 'STARTED']);
}, 60_000);

test('usage: each bad input named with its flag, its value and what is allowed; exit 2, nothing sent', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['replicate'], /^replicate needs --stack NAME/],
    [['replicate', '--stack', STACK, '--wait', '--timeout', 'soon'], /^--timeout soon: a number of seconds above 0 is allowed/],
    [['replicate', '--stack', STACK, '--job', 'Nope'], new RegExp(`^--job Nope: no ReplicationJob of stack ${STACK} has that logical id; its ReplicationJobs: ${ids.join(', ')}`)],
    [['replicate', '--stack', STACK, '--vm-name', 'x'], /^--vm-name is not an option of replicate/],
    [['replicate', '--stack', STACK, '--yes', '--dry-run'], /^--yes and --dry-run together/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args, endpoints());
    expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
  }
  expect(emulator.requestsFor('StartOnDemandReplicationRun')).toEqual([]);
}, 60_000);

test('Ctrl-C while waiting: the report of what was started, the runs left going on in SMS; exit 130', async () => {
  emulator.runTimings = { ...TIMINGS, stageMs: 60_000 };
  let child: ChildProcess | undefined;
  const running = runCli(['replicate', '--stack', STACK, '--wait', '--yes', '--json', ...FAST], endpoints(), {}, { onSpawn: (c) => { child = c; } });
  while (emulator.requestsFor('StartOnDemandReplicationRun').length < 3 || emulator.requestsFor('GetReplicationRuns').length < 6) {
    await new Promise((r) => setTimeout(r, 20));
  }
  child!.kill('SIGINT');
  const result = await running;
  expect(result.code).toBe(130);
  const report = validReport(result.stdout, 'replicate');
  expect(report).toMatchObject({ interrupted: true });
  expect(report.jobs.map((j: any) => [j.outcome, j.runId])).toEqual(ids.map((id) => ['RUNNING', onDemandRuns(jobOf(id))[0].replicationRunId]));
  expect(result.stderr).toContain('interrupted: no more writes; what was started goes on in SMS');
}, 60_000);

test('a start that failed with a 5xx is not retried (SMS may have acted on it) and says so; exit 2', async () => {
  const [web] = ids;
  emulator.failNext('StartOnDemandReplicationRun', 'InternalError', { message: 'Internal error' });
  const result = await replicate('--yes', '--json', '--job', web);
  expect(result.code).toBe(2);
  expect(startsFor(jobOf(web))).toHaveLength(1);
  expect(validReport(result.stdout, 'replicate').jobs[0]).toMatchObject({
    outcome: 'NOT_STARTED', error: { service: 'SMS', call: 'StartOnDemandReplicationRun', code: 'InternalError',
      message: expect.stringContaining('SMS may have started a run all the same: check with status before running replicate again') },
  });
}, 60_000);

test('a stack with no ReplicationJob: nothing to replicate, said with the stack; exit 2', async () => {
  const emptyApi = await CloudFormationApi.start({
    stackId: 'arn:aws:cloudformation:us-west-2:123456789012:stack/Empty/5d1b7c20-0000-11ef-8000-0a1b2c3d4e5f', stackName: 'Empty',
    status: () => 'CREATE_COMPLETE', template: () => ({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }),
    resources: () => [{ logicalId: 'Topic', type: 'AWS::SNS::Topic', physicalId: 'arn:aws:sns:us-west-2:123456789012:Empty-Topic' }],
  });
  try {
    const result = await runCli(['replicate', '--stack', 'Empty', '--yes'], { sms: emulator.endpoint, cloudFormation: emptyApi.endpoint });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('failed: CloudFormation ListStackResources (stack Empty): NoReplicationJobs: stack Empty holds no Custom::SmsReplicationJob');
    expect(emulator.requestsFor('StartOnDemandReplicationRun')).toEqual([]);
  } finally {
    await emptyApi.close();
  }
}, 60_000);
