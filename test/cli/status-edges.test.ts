/**
 * Issue 35: `status` at the edges a migration team meets in a morning script or on a laptop with the wrong profile:
 * a failed run hidden by the next one, a stack named by its ARN, an endpoint that refuses, a failed read that must not
 * keep the process alive, setup errors that name their fix once, --version and --help. Each case runs the bundled
 * command in a child process against the SMS emulator and the CloudFormation double.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describedWithMarker, eventMarker } from '../../lambda/ownership';
import { runsOf } from '../../cli/inspect';
import { CloudFormationApi } from '../harness/cfn-api';
import { SmsEmulator } from '../harness/sms-emulator';
import { Deployed, deploy, jobStack, runCli } from './fixture';
import { validReport } from './schema';
import { SmsServer } from '../../lib';

const STACK = 'Edges';
const DAY = 86_400;
let emulator: SmsEmulator;
let api: CloudFormationApi;
let deployed: Deployed;
let jobId: string;
const endpoints = () => ({ sms: emulator.endpoint, cloudFormation: api.endpoint });

beforeAll(async () => {
  emulator = await SmsEmulator.start();
  deployed = await deploy(jobStack(STACK, { Job: { server: SmsServer.fromServerId('s-0000e0e0') } }), emulator, 'seed');
  api = await CloudFormationApi.start(deployed.view);
  jobId = Object.values(deployed.jobIds)[0];
  emulator.alterJob(jobId, { state: 'ACTIVE' });
});

afterAll(async () => {
  await deployed.driver.close();
  await api.close();
  await emulator.close();
});

/** A port on 127.0.0.1 that nothing listens on: connections to it are refused. */
async function refusedEndpoint(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('the last run is the last that ended', () => {
  test('a FAILED run followed by a scheduled one: the failed run is the last run, the scheduled one the next; exit 1', async () => {
    const now = Math.floor(Date.now() / 1000);
    emulator.addRun(jobId, { replicationRunId: 'sms-run-0000000000000e1', state: 'COMPLETED', type: 'AUTOMATIC', scheduledStartTime: now - 2 * DAY, completedTime: now - 2 * DAY + 600 });
    emulator.addRun(jobId, { replicationRunId: 'sms-run-0000000000000e2', state: 'FAILED', type: 'AUTOMATIC', scheduledStartTime: now - DAY, completedTime: now - DAY + 600, statusMessage: 'upload failed' });
    emulator.addRun(jobId, { replicationRunId: 'sms-run-0000000000000e3', state: 'PENDING', type: 'AUTOMATIC', scheduledStartTime: now + 3600 });
    try {
      const table = await runCli(['status', '--stack', STACK], endpoints());
      expect(table.code).toBe(1);
      expect(table.stdout).toMatch(/ FAILED \d{4}-\d\d-\d\d \d\d:\d\dZ /);
      const report = validReport((await runCli(['status', '--stack', STACK, '--json'], endpoints())).stdout);
      expect(report.stacks[0].jobs[0]).toMatchObject({
        healthy: false,
        lastRun: { id: 'sms-run-0000000000000e2', state: 'FAILED', at: new Date((now - DAY + 600) * 1000).toISOString() },
        nextRun: { id: 'sms-run-0000000000000e3', state: 'PENDING', at: new Date((now + 3600) * 1000).toISOString() },
      });
      expect(report.exitCode).toBe(1);
    } finally {
      emulator.alterJob(jobId, { replicationRunList: [] });
    }
  }, 60_000);

  test('MISSED, ACTIVE and PENDING runs never hide the outcome; a run under way is the next run', () => {
    const at = (h: number) => new Date(Date.UTC(2026, 11, 7, h));
    const { lastRun, nextRun } = runsOf([
      { replicationRunId: 'a', state: 'COMPLETED', completedTime: at(1), scheduledStartTime: at(0) },
      { replicationRunId: 'b', state: 'FAILED', completedTime: at(3), scheduledStartTime: at(2) },
      { replicationRunId: 'c', state: 'MISSED', scheduledStartTime: at(4) },
      { replicationRunId: 'd', state: 'PENDING', scheduledStartTime: at(12) },
      { replicationRunId: 'e', state: 'ACTIVE', scheduledStartTime: at(6) },
    ]);
    expect([lastRun?.id, nextRun?.id]).toEqual(['b', 'e']);
    expect(runsOf([{ replicationRunId: 'p', state: 'PENDING', scheduledStartTime: at(5) }])).toMatchObject({ lastRun: null, nextRun: { id: 'p' } });
    // A later success is the last run: the failure is over.
    expect(runsOf([
      { replicationRunId: 'f', state: 'FAILED', completedTime: at(1) },
      { replicationRunId: 'g', state: 'COMPLETED', completedTime: at(2) },
    ]).lastRun?.id).toBe('g');
  });
});

test('--stack with the stack\'s ARN: the same jobs and orphans as by its name, under its name', async () => {
  const orphan = emulator.seedJob({ serverId: 's-0000e0e1', description: describedWithMarker('kept', eventMarker(deployed.driver.stackId, 'Gone1234ABCD', randomUUID())) });
  try {
    const byName = validReport((await runCli(['status', '--stack', STACK, '--json'], endpoints())).stdout);
    const byArn = await runCli(['status', '--stack', deployed.driver.stackId, '--json'], endpoints());
    const report = validReport(byArn.stdout);
    expect(report.stacks.map((s: any) => [s.stackName, s.stackId])).toEqual([[STACK, deployed.driver.stackId]]);
    expect(report.stacks[0].orphans.map((o: any) => o.jobId)).toEqual([orphan.replicationJobId]);
    expect(report.stacks[0]).toEqual(byName.stacks[0]);
    expect(byArn.code).toBe(1);
    // Named both ways, it is one stack.
    const both = validReport((await runCli(['status', '--stack', STACK, '--stack', deployed.driver.stackId, '--json'], endpoints())).stdout);
    expect(both.stacks.map((s: any) => s.stackName)).toEqual([STACK]);
  } finally {
    emulator.deleteJob(orphan.replicationJobId);
  }
}, 60_000);

test('--stack with a deleted stack\'s ARN: only that stack\'s own jobs are its orphans, not a live stack\'s of the same name', async () => {
  const deletedId = deployed.driver.stackId.replace(/[0-9a-f-]+$/, randomUUID());
  const gone = await CloudFormationApi.start({ ...deployed.view, stackId: deletedId, status: () => 'DELETE_COMPLETE', resources: () => [] });
  const kept = emulator.seedJob({ serverId: 's-0000e0e2', description: describedWithMarker('kept', eventMarker(deletedId, 'Job', randomUUID())) });
  try {
    const result = await runCli(['status', '--stack', deletedId, '--json'], { sms: emulator.endpoint, cloudFormation: gone.endpoint });
    const report = validReport(result.stdout);
    // The live stack's job (marked by the live stack of the same name) is not this deleted stack's orphan.
    expect(report.stacks[0].orphans.map((o: any) => o.jobId)).toEqual([kept.replicationJobId]);
    expect(report.stacks[0].orphans[0].why).toContain('which is deleted');
  } finally {
    emulator.deleteJob(kept.replicationJobId);
    await gone.close();
  }
}, 60_000);

describe('an endpoint that refuses connections', () => {
  test('is tried 3 times, then named once, the other stack not tried; exit 2 within 30 s', async () => {
    const refused = await refusedEndpoint();
    const result = await runCli(['status', '--stack', STACK, '--stack', 'Other'], endpoints(), { AWS_ENDPOINT_URL_CLOUDFORMATION: undefined, AWS_ENDPOINT_URL: refused });
    expect(result.code).toBe(2);
    expect(result.ms).toBeLessThan(30_000);
    expect(result.stderr).toMatch(new RegExp(`^could not read: CloudFormation DescribeStacks \\(stack ${STACK}\\): ECONNREFUSED: .*ECONNREFUSED .*\\(after 3 attempts\\): `
      + `no answer from ${refused.replace(/[.]/g, '\\.')} \\(AWS_ENDPOINT_URL\\); check that endpoint, the network route to it, and any proxy\\n$`));
  }, 60_000);

  test('with one attempt, the process ends within 10 s of starting, the report written: no timer outlives it', async () => {
    const refused = await refusedEndpoint();
    const result = await runCli(['status', '--stack', STACK, '--json'], endpoints(), { AWS_ENDPOINT_URL_CLOUDFORMATION: refused, AWS_MAX_ATTEMPTS: '1' });
    expect(result.code).toBe(2);
    expect(result.ms).toBeLessThan(10_000);
    expect(validReport(result.stdout).errors.map((e: any) => e.code)).toEqual(['ECONNREFUSED']);
  }, 60_000);
});

describe('setup errors name their fix, once', () => {
  test('no region: --region and AWS_REGION, one line for two stacks; nothing read', async () => {
    const before = { sms: emulator.requests.length, cfn: api.requests.length };
    const result = await runCli(['status', '--stack', STACK, '--stack', 'Other'], endpoints(), { AWS_REGION: undefined });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^could not read: CloudFormation DescribeStacks \\(stack ${STACK}\\): RegionMissing: no AWS region was given: pass --region REGION, `
      + 'set AWS_REGION, or set region in the profile\'s section of /tmp/[^ ]+/no-config\\n$'));
    expect(result.stdout.match(/RegionMissing|no AWS region/g)).toBeNull();
    expect({ sms: emulator.requests.length, cfn: api.requests.length }).toEqual(before);
  }, 60_000);

  test('no credentials: the sources the SDK tried, and how to give one', async () => {
    const result = await runCli(['status', '--stack', STACK], endpoints(), { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^could not read: CloudFormation DescribeStacks \(stack Edges\): CredentialsProviderError: Could not load credentials from any providers: the SDK tried the environment \(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY\), profile default .* Pass --profile NAME \(or set AWS_PROFILE\)/);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  }, 60_000);

  test('--profile that the shared files do not have: named as such, with the profiles they have', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'status-profile-'));
    writeFileSync(path.join(dir, 'credentials'), '[migration]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n');
    writeFileSync(path.join(dir, 'config'), '[profile audit]\nregion = us-west-2\n');
    const before = api.requests.length;
    const result = await runCli(['status', '--stack', STACK, '--profile', 'nope'], endpoints(), {
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'), AWS_CONFIG_FILE: path.join(dir, 'config'),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^could not read: CloudFormation DescribeStacks \\(stack ${STACK}\\): ProfileNotFound: profile nope \\(--profile or AWS_PROFILE\\) is in neither `
      + `${path.join(dir, 'credentials')} nor ${path.join(dir, 'config')} \\(the profiles there: audit, migration\\); Could not load credentials from any providers: `
      + 'the SDK tried not the environment\'s keys \\(a profile is named: unset AWS_PROFILE to use AWS_ACCESS_KEY_ID\\), profile nope .*\\n$'));
    expect(api.requests.length).toBe(before);
  }, 60_000);
});

describe('--version and --help', () => {
  test('--version prints the package\'s version; an unknown option is named plainly', async () => {
    const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const printed = await runCli(['--version'], endpoints());
    expect([printed.code, printed.stdout, printed.stderr]).toEqual([0, `${version}\n`, '']);
    const unknown = await runCli(['status', '--stack', STACK, '--verbose'], endpoints());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^unknown option --verbose\n\nUsage: /);
  }, 60_000);

  test('--help names the environment variables the command honours, the exit codes and the schema of --json', async () => {
    const help = await runCli(['--help'], endpoints());
    expect(help.code).toBe(0);
    for (const name of ['AWS_REGION', 'AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SMS', 'AWS_ENDPOINT_URL_CLOUDFORMATION', 'AWS_MAX_ATTEMPTS',
      'AWS_RETRY_MODE', 'NO_COLOR', 'FORCE_COLOR', 'cli/status.schema.json', 'Exit 0', '--version']) {
      expect(help.stdout).toContain(name);
    }
  }, 60_000);
});
