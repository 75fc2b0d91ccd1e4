/**
 * Stacks of ReplicationJobs for the `status` command's tests and bench: synthesized with the construct, their jobs
 * made in the SMS emulator either by the real handler (CfnDriver) or, for hundreds, seeded directly as the handler
 * makes them (the properties it sends, the marker it writes); served by the CloudFormation API double with the read
 * calls the command makes. The command itself runs as a user runs it: the bundle, in a child process.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { describedWithMarker, eventMarker } from '../../lambda/ownership';
import { decodeProperties } from '../../lambda/properties';
import { ReplicationJob, ReplicationJobProps } from '../../lib';
import { StackResourceView, StackView } from '../harness/cfn-api';
import { ACCOUNT, CfnDriver, REGION, RESOURCE_TYPE } from '../harness/cfn-driver';
import { SmsEmulator } from '../harness/sms-emulator';

export const CLI = path.join(__dirname, '..', '..', 'assets', 'cli', 'index.js');

/** A stack as deployed: the driver that played CloudFormation for it, and the view the API double serves. */
export interface Deployed {
  readonly driver: CfnDriver;
  readonly view: StackView;
  /** The job id of each ReplicationJob, by logical id. */
  readonly jobIds: Record<string, string>;
}

/** A stack of ReplicationJobs, with `aws:cdk:path` metadata as the CDK CLI writes it. */
export function jobStack(stackName: string, jobs: Record<string, ReplicationJobProps>): Stack {
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, stackName, { env: { account: ACCOUNT, region: REGION } });
  for (const [id, props] of Object.entries(jobs)) new ReplicationJob(stack, id, props);
  return stack;
}

/**
 * Deploys the stack: `handler` sends each ReplicationJob's Create to the real handler bundle (a process each, so for
 * a few jobs); `seed` puts each job in the emulator as that Create would have made it.
 */
export async function deploy(stack: Stack, emulator: SmsEmulator, how: 'handler' | 'seed'): Promise<Deployed> {
  const driver = await CfnDriver.start({ stack, emulator });
  const jobIds: Record<string, string> = {};
  for (const logicalId of driver.logicalIds) {
    await driver.createDependencies(logicalId);
    const properties = driver.propertiesOf(logicalId);
    if (how === 'handler') {
      // A server named by its VM (VmName) is the test's to put in the catalog.
      if (properties.ServerId !== undefined && !emulator.hasServer(String(properties.ServerId))) emulator.addServer(String(properties.ServerId));
      const result = await driver.create(logicalId);
      if (result.status !== 'SUCCESS') throw new Error(`Create of ${logicalId} failed: ${result.reason}`);
      jobIds[logicalId] = result.physicalResourceId!;
    } else {
      const p = decodeProperties(properties);
      const seed = Math.floor((p.seedReplicationTime?.getTime() ?? Date.now() + 300_000) / 1000);
      jobIds[logicalId] = emulator.seedJob({
        serverId: p.serverId,
        seedReplicationTime: seed,
        nextReplicationRunStartTime: seed,
        frequency: p.frequency,
        runOnce: p.runOnce ?? false,
        licenseType: p.licenseType,
        roleName: p.roleName,
        description: describedWithMarker(p.description, eventMarker(driver.stackId, logicalId, randomUUID())),
        numberOfRecentAmisToKeep: p.numberOfRecentAmisToKeep,
        encrypted: p.encrypted ?? false,
        kmsKeyId: p.kmsKeyId,
        state: 'PENDING',
      }).replicationJobId;
    }
  }
  driver.stackStatus = 'CREATE_COMPLETE';
  const view: StackView = {
    stackId: driver.stackId,
    stackName: driver.stackName,
    status: () => driver.stackStatus,
    template: () => driver.template,
    resources: () => resourcesOf(driver, jobIds),
  };
  return { driver, view, jobIds };
}

/** Every resource of the template, the ReplicationJobs with their jobs' ids, the others with made-up physical ids. */
function resourcesOf(driver: CfnDriver, jobIds: Record<string, string>): StackResourceView[] {
  return Object.entries<any>(driver.template.Resources).map(([logicalId, r]) => ({
    logicalId,
    type: r.Type,
    physicalId: r.Type === RESOURCE_TYPE ? jobIds[logicalId] : `${driver.stackName}-${logicalId}-1A2B3C4D5E6F`,
  })).filter((r) => r.physicalId !== undefined);
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs the bundled command in a child process, as `npx cdk-sms-replication-job` runs it: credentials and region from
 * the environment (none from this machine's files), the endpoints pointed at the emulators. `env` adds or, with
 * undefined, removes variables.
 */
export function runCli(args: string[], endpoints: { sms: string; cloudFormation: string }, env: Record<string, string | undefined> = {},
  options: { npx?: boolean; onSpawn?: (child: ChildProcess) => void } = {}): Promise<CliResult> {
  const home = mkdtempSync(path.join(tmpdir(), 'status-home-'));
  const base: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    npm_config_update_notifier: 'false',
    AWS_ACCESS_KEY_ID: 'AKIDSTATUSTEST',
    AWS_SECRET_ACCESS_KEY: 'status-test-secret',
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL_SMS: endpoints.sms,
    AWS_ENDPOINT_URL_CLOUDFORMATION: endpoints.cloudFormation,
    ...env,
  };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // npx finds the package's own bin (package.json) in its folder, as in a project that installed the package.
    const [command, argv] = options.npx ? ['npx', ['--no-install', 'cdk-sms-replication-job', ...args]] : [process.execPath, [CLI, ...args]];
    const child = spawn(command, argv, {
      cwd: path.join(__dirname, '..', '..'),
      env: Object.fromEntries(Object.entries(base).filter(([, v]) => v !== undefined)) as Record<string, string>,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}
