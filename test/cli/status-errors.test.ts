/**
 * `status` when it cannot read: no credentials, an unknown stack, SMS refusing; each named (service, call, error),
 * exit 2. And the credential chain's profile (--profile), and a usage error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudFormationApi } from '../harness/cfn-api';
import { SmsEmulator } from '../harness/sms-emulator';
import { Deployed, deploy, jobStack, runCli } from './fixture';
import { validReport } from './schema';
import { SmsServer } from '../../lib';

let emulator: SmsEmulator;
let api: CloudFormationApi;
let deployed: Deployed;
const endpoints = () => ({ sms: emulator.endpoint, cloudFormation: api.endpoint });

beforeAll(async () => {
  emulator = await SmsEmulator.start();
  deployed = await deploy(jobStack('Known', { Job: { server: SmsServer.fromServerId('s-0000000a') } }), emulator, 'seed');
  api = await CloudFormationApi.start(deployed.view);
});

afterAll(async () => {
  await deployed.driver.close();
  await api.close();
  await emulator.close();
});

test('no credentials: CloudFormation DescribeStacks named with the SDK\'s error; nothing reached either service; exit 2', async () => {
  const before = { sms: emulator.requests.length, cfn: api.requests.length };
  const noCredentials = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };
  const table = await runCli(['status', '--stack', 'Known'], endpoints(), noCredentials);
  expect(table.code).toBe(2);
  expect(table.stderr).toMatch(/^could not read: CloudFormation DescribeStacks \(stack Known\): CredentialsProviderError: Could not load credentials from any providers: the SDK tried .*\n$/);
  expect(table.stdout).toContain('Stack Known: not read');
  const json = await runCli(['status', '--stack', 'Known', '--json'], endpoints(), noCredentials);
  expect(json.code).toBe(2);
  expect(validReport(json.stdout).errors).toEqual([{
    service: 'CloudFormation', call: 'DescribeStacks', stackName: 'Known', jobId: null, code: 'CredentialsProviderError', message: expect.stringMatching(/^Could not load credentials from any providers: the SDK tried the environment/),
  }]);
  expect({ sms: emulator.requests.length, cfn: api.requests.length }).toEqual(before);
}, 60_000);

test('an unknown stack: named with CloudFormation\'s error, the known one still reported; exit 2', async () => {
  const table = await runCli(['status', '--stack', 'Known', '--stack', 'Unknown'], endpoints());
  expect(table.code).toBe(2);
  expect(table.stderr).toBe('could not read: CloudFormation DescribeStacks (stack Unknown): ValidationError: Stack with id Unknown does not exist\n');
  expect(table.stdout).toMatch(/^JobA?[0-9A-F]* .* IN_SYNC$/m);
  expect(table.stdout).toContain('Stack Unknown: not read');
  const report = validReport((await runCli(['status', '--stack', 'Known', '--stack', 'Unknown', '--json'], endpoints())).stdout);
  expect(report.stacks.map((s: any) => [s.stackName, s.read, s.jobs.length])).toEqual([['Known', true, 1], ['Unknown', false, 0]]);
  expect(report.exitCode).toBe(2);
}, 60_000);

test('SMS refusing the listing: SMS GetReplicationJobs named, no job called DELETED; exit 2', async () => {
  emulator.failNext('GetReplicationJobs', 'UnauthorizedOperationException', { message: 'User is not authorized to perform sms:GetReplicationJobs' });
  const result = await runCli(['status', '--stack', 'Known', '--json'], endpoints());
  expect(result.code).toBe(2);
  expect(result.stderr).toBe('could not read: SMS GetReplicationJobs: UnauthorizedOperationException: User is not authorized to perform sms:GetReplicationJobs\n');
  const report = validReport(result.stdout);
  expect(report.stacks[0]).toMatchObject({ read: true, jobs: [], orphans: [] });
}, 60_000);

test('--profile: credentials and region from the named profile of the shared files', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'status-profile-'));
  writeFileSync(path.join(dir, 'credentials'), '[migration]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n');
  writeFileSync(path.join(dir, 'config'), '[profile migration]\nregion = us-west-2\n');
  const before = emulator.requests.length;
  const result = await runCli(['status', '--stack', 'Known', '--profile', 'migration'], endpoints(), {
    AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_REGION: undefined,
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'), AWS_CONFIG_FILE: path.join(dir, 'config'),
  });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(String(emulator.requests[before].headers.authorization)).toContain('Credential=AKIDPROFILE/');
}, 60_000);

test('as a user runs it: npx cdk-sms-replication-job status, the package\'s bin', async () => {
  const result = await runCli(['status', '--stack', 'Known'], endpoints(), {}, { npx: true });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^Stack Known \(CREATE_COMPLETE\): 1 replication job\n/);
}, 60_000);

test('CloudFormation throttling its reads: retried, then answered; exit 0', async () => {
  const before = api.requests.length;
  api.throttleNext(4);
  const result = await runCli(['status', '--stack', 'Known'], endpoints());
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(api.requests.slice(before).map((r) => r.answered).filter((a) => a === 'Throttling')).toHaveLength(4);
}, 60_000);

test('usage: no --stack is refused with the usage; exit 2', async () => {
  const result = await runCli(['status'], endpoints());
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^--stack NAME is required.*\n\nUsage: cdk-sms-replication-job status --stack NAME/s);
  expect(result.stdout).toBe('');
}, 60_000);
