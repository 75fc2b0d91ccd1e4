/**
 * `status` against the emulators, on a stack whose two jobs the real handler made: in sync, a property changed in
 * SMS, a job deleted in SMS, a job PAUSED_ON_FAILURE, and orphans. Each case runs the bundled command as a child
 * process, for the table and for --json (validated against cli/status.schema.json), and checks the exit code.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { describedWithMarker, eventMarker } from '../../lambda/ownership';
import { LicenseType, SmsServer } from '../../lib';
import { CloudFormationApi } from '../harness/cfn-api';
import { SmsEmulator } from '../harness/sms-emulator';
import { Deployed, deploy, jobStack, runCli } from './fixture';
import { validReport } from './schema';

const STACK = 'Migration';
const DAY = 86_400;
const runId = (job: number, run: number) => `sms-run-0000000000000${job}${run}`;
const amiId = (job: number, run: number) => `ami-0000000000000${job}${run}`;

let emulator: SmsEmulator;
let api: CloudFormationApi;
let deployed: Deployed;
let database: string;
let web: string;
const endpoints = () => ({ sms: emulator.endpoint, cloudFormation: api.endpoint });
const status = (...extra: string[]) => runCli(['status', '--stack', STACK, ...extra], endpoints());

beforeEach(async () => {
  emulator = await SmsEmulator.start();
  deployed = await deploy(jobStack(STACK, {
    Database: { server: SmsServer.fromServerId('s-0000000a'), frequency: Duration.hours(12), description: 'database tier' },
    Web: { server: SmsServer.fromServerId('s-0000000b'), licenseType: LicenseType.BYOL, numberOfRecentAmisToKeep: 5 },
  }), emulator, 'handler');
  [database, web] = deployed.driver.logicalIds;
  api = await CloudFormationApi.start(deployed.view);
  const now = Math.floor(Date.now() / 1000);
  for (const [i, logicalId] of [database, web].entries()) {
    emulator.alterJob(deployed.jobIds[logicalId], { state: 'ACTIVE', nextReplicationRunStartTime: now + DAY });
    emulator.addRun(deployed.jobIds[logicalId], {
      replicationRunId: runId(i, 1), state: 'COMPLETED', type: 'AUTOMATIC',
      scheduledStartTime: now - 2 * DAY, completedTime: now - 2 * DAY + 3600, amiId: amiId(i, 1),
    });
    emulator.addRun(deployed.jobIds[logicalId], {
      replicationRunId: runId(i, 2), state: 'COMPLETED', type: 'AUTOMATIC',
      scheduledStartTime: now - DAY, completedTime: now - DAY + 3600, amiId: amiId(i, 2),
    });
  }
}, 120_000);

afterEach(async () => {
  await deployed.driver.close();
  await api.close();
  await emulator.close();
});

test('in sync: every job IN_SYNC and healthy, with its runs and AMIs; exit 0; only read calls made', async () => {
  const before = emulator.requests.length;
  const table = await status();
  expect(table.stderr).toBe('');
  expect(table.code).toBe(0);
  const lines = table.stdout.split('\n');
  expect(lines[0]).toBe(`Stack ${STACK} (CREATE_COMPLETE): 2 replication jobs`);
  expect(lines[1]).toMatch(/^RESOURCE +PATH +JOB +SERVER +STATE +LAST RUN +NEXT RUN +LATEST AMI +DRIFT$/);
  const row = lines.find((l) => l.startsWith(database))!;
  expect(row).toMatch(/^DatabaseB269D8BB +Database +sms-job-/);
  expect(row).toContain(deployed.jobIds[database]);
  expect(row).toMatch(/s-0000000a vm-\d+ +ACTIVE +COMPLETED \d{4}-\d\d-\d\d \d\d:\d\dZ +\d{4}-\d\d-\d\d \d\d:\d\dZ +ami-000000000000002 +IN_SYNC$/);
  expect(row).toContain(amiId(0, 2));
  expect(table.stdout).not.toContain('\x1b[');
  expect(lines.at(-2)).toBe('2 replication jobs in 1 stack; 2 IN_SYNC; 0 failed; 0 orphans. Exit 0: all in sync and healthy.');

  const report = validReport((await status('--json')).stdout);
  expect(report.exitCode).toBe(0);
  const job = report.stacks[0].jobs.find((j: any) => j.logicalId === database);
  expect(job).toMatchObject({
    constructPath: `${STACK}/Database/Resource`,
    jobId: deployed.jobIds[database],
    server: { id: 's-0000000a' },
    state: 'ACTIVE',
    healthy: true,
    latestAmiId: amiId(0, 2),
    lastRun: { id: runId(0, 2), state: 'COMPLETED', amiId: amiId(0, 2) },
    drift: { status: 'IN_SYNC', differences: [] },
  });
  expect(job.drift.notCompared).toEqual([]);
  expect(report.stacks[0].jobs.map((j: any) => j.drift.status)).toEqual(['IN_SYNC', 'IN_SYNC']);

  // Read-only: SMS and CloudFormation saw reads alone, each job's runs read once per run.
  const smsCalls = emulator.requests.slice(before).map((r) => r.operation);
  expect(smsCalls.sort()).toEqual(['GetReplicationJobs', 'GetReplicationJobs', 'GetReplicationRuns', 'GetReplicationRuns',
    'GetReplicationRuns', 'GetReplicationRuns']);
  expect(new Set(api.requests.map((r) => r.action))).toEqual(new Set(['DescribeStacks', 'ListStackResources', 'GetTemplate']));
  expect(emulator.violations).toEqual([]);
  expect(api.violations).toEqual([]);

  // README's least-privilege policy grants exactly the calls the command made.
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Checking what SMS holds (`status`)'));
  const policy = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]);
  const granted = policy.Statement.flatMap((st: any) => st.Action).sort();
  const made = [...new Set([...api.requests.map((r) => `cloudformation:${r.action}`), ...smsCalls.map((op) => `sms:${op}`)])].sort();
  expect(made).toEqual(granted);
}, 60_000);

test('colour only when asked: FORCE_COLOR on a pipe, never with --json', async () => {
  const coloured = await runCli(['status', '--stack', STACK], endpoints(), { FORCE_COLOR: '1' });
  expect(coloured.code).toBe(0);
  expect(coloured.stdout).toContain('\x1b[32mIN_SYNC');
  const json = await runCli(['status', '--stack', STACK, '--json'], endpoints(), { FORCE_COLOR: '1' });
  expect(json.stdout).not.toContain('\x1b[');
}, 60_000);

test('a property changed in SMS: MODIFIED with both values; exit 1', async () => {
  emulator.alterJob(deployed.jobIds[database], { frequency: 24 });
  emulator.alterJob(deployed.jobIds[web], { description: `hand-edited ${emulator.jobs().find((j) => j.replicationJobId === deployed.jobIds[web])!.description}` });
  const table = await status();
  expect(table.code).toBe(1);
  expect(table.stdout).toMatch(new RegExp(`^${database} .* MODIFIED \\(1\\)$`, 'm'));
  expect(table.stdout).toContain(`  ${database}: MODIFIED /Frequency: expected "12", SMS has "24"`);
  expect(table.stdout).toContain(`  ${web}: MODIFIED /Description: expected "", SMS has "hand-edited"`);

  const report = validReport((await status('--json')).stdout);
  expect(report.exitCode).toBe(1);
  expect(report.stacks[0].jobs.map((j: any) => [j.drift.status, j.drift.differences])).toEqual([
    ['MODIFIED', [{ propertyPath: '/Frequency', expectedValue: '12', actualValue: '24', differenceType: 'NOT_EQUAL' }]],
    ['MODIFIED', [{ propertyPath: '/Description', expectedValue: '', actualValue: 'hand-edited', differenceType: 'NOT_EQUAL' }]],
  ]);
}, 60_000);

test('a job deleted in SMS: DELETED; exit 1', async () => {
  emulator.deleteJob(deployed.jobIds[web]);
  const table = await status();
  expect(table.code).toBe(1);
  expect(table.stdout).toContain(`  ${web}: DELETED: SMS has no replication job ${deployed.jobIds[web]}`);
  const report = validReport((await status('--json')).stdout);
  expect(report.stacks[0].jobs[1]).toMatchObject({ jobId: deployed.jobIds[web], state: null, lastRun: null, drift: { status: 'DELETED' } });
  expect(report.stacks[0].jobs[0].drift.status).toBe('IN_SYNC');
}, 60_000);

test('a job PAUSED_ON_FAILURE: not healthy, its status message shown; exit 1', async () => {
  const message = 'Replication paused: the connector could not reach vCenter';
  emulator.alterJob(deployed.jobIds[database], { state: 'PAUSED_ON_FAILURE', statusMessage: message });
  emulator.addRun(deployed.jobIds[database], {
    replicationRunId: 'sms-run-000000000000009', state: 'FAILED', type: 'AUTOMATIC',
    scheduledStartTime: Math.floor(Date.now() / 1000) - 600, statusMessage: 'upload failed',
  });
  const table = await status();
  expect(table.code).toBe(1);
  expect(table.stdout).toMatch(new RegExp(`^${database} .* PAUSED_ON_FAILURE +FAILED `, 'm'));
  expect(table.stdout).toContain(`  ${database}: PAUSED_ON_FAILURE: ${message}`);
  expect(table.stdout).toContain(`  ${database}: last run sms-run-000000000000009 FAILED: upload failed`);
  const report = validReport((await status('--json')).stdout);
  expect(report.stacks[0].jobs[0]).toMatchObject({ state: 'PAUSED_ON_FAILURE', statusMessage: message, healthy: false, drift: { status: 'IN_SYNC' } });
}, 60_000);

test('orphans: jobs marked by this stack, or an earlier one of its name, that it does not hold; with how to delete or adopt them', async () => {
  const stackId = deployed.driver.stackId;
  const kept = emulator.seedJob({ serverId: 's-0000000c', description: describedWithMarker('kept by RETAIN', eventMarker(stackId, 'Removed1234ABCD', randomUUID())) });
  const earlierStackId = stackId.replace(/[0-9a-f-]+$/, randomUUID());
  const earlier = emulator.seedJob({ serverId: 's-0000000d', description: describedWithMarker(undefined, eventMarker(earlierStackId, database, randomUUID())) });
  // Not these stacks' jobs: another stack's, and one made outside CloudFormation.
  emulator.seedJob({ serverId: 's-0000000e', description: describedWithMarker(undefined, eventMarker(stackId.replace(`/${STACK}/`, '/Other/'), 'Job', randomUUID())) });
  emulator.seedJob({ serverId: 's-0000000f', description: 'made by hand' });

  const table = await status();
  expect(table.code).toBe(1);
  expect(table.stdout).toContain(`2 orphans: jobs marked by stack ${STACK} that it does not hold`);
  expect(table.stdout).toContain(`    delete: npx cdk-sms-replication-job orphans --stack ${STACK} delete --job ${kept.replicationJobId} --region us-west-2`);
  expect(table.stdout).toContain('    marked by Removed1234ABCD, which the stack no longer holds');
  expect(table.stdout).toContain(`    adopt:  remove the marker (npx cdk-sms-replication-job orphans --stack ${STACK} release --job ${earlier.replicationJobId} --region us-west-2)`);

  const report = validReport((await status('--json')).stdout);
  expect(report.stacks[0].orphans.map((o: any) => [o.jobId, o.logicalId, o.serverId])).toEqual([
    [kept.replicationJobId, 'Removed1234ABCD', 's-0000000c'],
    [earlier.replicationJobId, database, 's-0000000d'],
  ]);
  expect(report.stacks[0].orphans[1].why).toContain(`marked by an earlier stack named ${STACK}`);
  expect(report.stacks[0].jobs.map((j: any) => j.drift.status)).toEqual(['IN_SYNC', 'IN_SYNC']);
}, 60_000);

test('one job\'s runs unreadable: that read named with its job, every job still reported; exit 2', async () => {
  emulator.failNext('GetReplicationRuns', 'UnauthorizedOperationException', { message: 'not authorized to perform sms:GetReplicationRuns' });
  const result = await status('--json');
  expect(result.code).toBe(2);
  const report = validReport(result.stdout);
  const failed = report.errors[0].jobId;
  expect(result.stderr).toBe(`could not read: SMS GetReplicationRuns (job ${failed}): UnauthorizedOperationException: not authorized to perform sms:GetReplicationRuns\n`);
  expect(report.stacks[0].jobs.map((j: any) => [j.jobId, j.drift.status, j.lastRun?.amiId ?? null]).sort()).toEqual(
    [[deployed.jobIds[database], 'IN_SYNC', amiId(0, 2)], [deployed.jobIds[web], 'IN_SYNC', amiId(1, 2)]]
      .map(([id, drift, ami]) => [id, drift, id === failed ? null : ami]).sort());
}, 60_000);
