/**
 * `status` on a stack of 300 jobs (seeded as the handler makes them): every page of ListStackResources and
 * GetReplicationJobs read, progress on stderr, and at most one GetReplicationRuns per job; and the same reads through
 * SMS throttling, which the SDK's adaptive retries ride out.
 */
import { CloudFormationApi } from '../harness/cfn-api';
import { SmsEmulator } from '../harness/sms-emulator';
import { Deployed, deploy, jobStack, runCli } from './fixture';
import { validReport } from './schema';
import { SmsServer } from '../../lib';

let emulator: SmsEmulator;
let api: CloudFormationApi;
let deployed: Deployed;

afterEach(async () => {
  await deployed.driver.close();
  await api.close();
  await emulator.close();
});

async function stackOf(n: number, stackName: string): Promise<void> {
  emulator = await SmsEmulator.start();
  const jobs = Object.fromEntries(Array.from({ length: n }, (_, i) => [`Server${i}`, { server: SmsServer.fromServerId(`s-${(0x10000000 + i).toString(16)}`) }]));
  deployed = await deploy(jobStack(stackName, jobs), emulator, 'seed');
  api = await CloudFormationApi.start(deployed.view);
}

test('300 jobs across pages: each read once, progress on stderr, the one drifted job on the last page found; exit 1', async () => {
  await stackOf(300, 'Big');
  const last = deployed.driver.logicalIds.at(-1)!;
  emulator.alterJob(deployed.jobIds[last], { numberOfRecentAmisToKeep: 3 });

  const result = await runCli(['status', '--stack', 'Big', '--json'], { sms: emulator.endpoint, cloudFormation: api.endpoint });
  expect(result.code).toBe(1);
  const report = validReport(result.stdout);
  const jobs = report.stacks[0].jobs;
  expect(jobs).toHaveLength(300);
  expect(new Set(jobs.map((j: any) => j.jobId))).toEqual(new Set(Object.values(deployed.jobIds)));
  expect(jobs.filter((j: any) => j.drift.status !== 'IN_SYNC').map((j: any) => [j.logicalId, j.drift.differences])).toEqual([
    [last, [{ propertyPath: '/NumberOfRecentAmisToKeep', expectedValue: '0', actualValue: '3', differenceType: 'NOT_EQUAL' }]],
  ]);
  // 306 resources: 4 pages of 100; 300 jobs: 3 pages of 100; one GetReplicationRuns per job.
  expect(api.requests.filter((r) => r.action === 'ListStackResources')).toHaveLength(4);
  expect(emulator.requestsFor('GetReplicationJobs')).toHaveLength(3);
  expect(emulator.requestsFor('GetReplicationRuns')).toHaveLength(300);
  expect(result.stderr.trim().split('\n')).toEqual([75, 150, 225, 300].map((n) => `read the runs of ${n} of 300 replication jobs`));

  const table = await runCli(['status', '--stack', 'Big'], { sms: emulator.endpoint, cloudFormation: api.endpoint });
  expect(table.code).toBe(1);
  expect(table.stdout.split('\n').filter((l) => / (IN_SYNC|MODIFIED \(1\))$/.test(l))).toHaveLength(300);
}, 120_000);

test('throttled reads: SMS refuses above 10 requests a second, the reads are retried and all answer; exit 0', async () => {
  await stackOf(60, 'Throttled');
  emulator.throttleAbove(10);
  const result = await runCli(['status', '--stack', 'Throttled', '--json'], { sms: emulator.endpoint, cloudFormation: api.endpoint });
  expect(result.stderr.split('\n').filter((l) => l.startsWith('could not read'))).toEqual([]);
  expect(result.code).toBe(0);
  const report = validReport(result.stdout);
  expect(report.stacks[0].jobs.map((j: any) => j.drift.status)).toEqual(Array(60).fill('IN_SYNC'));
  const throttled = emulator.requests.filter((r) => r.outcome === 'error:ThrottlingException').length;
  expect(throttled).toBeGreaterThan(0);
  // Every job's runs were read, once each once through: the throttled attempts came on top.
  const runsRead = emulator.requestsFor('GetReplicationRuns').filter((r) => r.outcome === 'ok').length;
  expect(runsRead).toBe(60);
}, 120_000);
