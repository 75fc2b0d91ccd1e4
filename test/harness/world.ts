import { App, Stack } from 'aws-cdk-lib';
import { ReplicationJob, ReplicationJobProps, ReplicationJobProvider, ReplicationJobProviderProps } from '../../lib';
import { jobIdOf } from '../../lambda/physical-id';
import { CfnDriver, CfnResult } from './cfn-driver';
import { EmulatedJob, SmsEmulator } from './sms-emulator';

/** A seed time safely in the future, whole seconds (SMS timestamps travel as epoch seconds). */
export function futureSeed(daysAhead = 7): Date {
  const d = new Date(Date.now() + daysAhead * 86_400_000);
  d.setUTCHours(2, 0, 0, 0);
  return d;
}

/** One deployable stack of ReplicationJobs, an emulator holding their servers, and a driver playing CloudFormation. */
export interface World {
  readonly emulator: SmsEmulator;
  readonly cfn: CfnDriver;
  readonly stack: Stack;
  /** The constructs by their construct id. */
  readonly jobs: Record<string, ReplicationJob>;
  /** Closes the driver(s) and the emulator. */
  close(): Promise<void>;
}

export interface WorldOptions {
  /** ReplicationJob props by construct id. */
  readonly jobs: Record<string, ReplicationJobProps | ((stack: Stack) => ReplicationJobProps)>;
  /** Called with the jobs once they are declared, before synthesis (to read their latest AMI, for one). */
  readonly declare?: (jobs: Record<string, ReplicationJob>, stack: Stack) => void;
  readonly stackName?: string;
  /** Overrides the function's Timeout (seconds). */
  readonly functionTimeoutSeconds?: number;
  /** Reuse this emulator (it is then not closed by close()). */
  readonly emulator?: SmsEmulator;
  /** Deploy as a new version of the stack this driver deployed (same StackId). */
  readonly sameStackAs?: CfnDriver;
  readonly parameters?: Record<string, string>;
  /** The SSM endpoint of the function (the latest-AMI parameters' double). */
  readonly ssm?: { readonly endpoint: string };
  /** Settings of the stack's provider (ReplicationJobProvider.configure). Default: those of useProviderSettings, if any. */
  readonly provider?: (stack: Stack) => ReplicationJobProviderProps;
}

/** Provider settings for every world built from now on that names none; see test/lifecycle/locked-down.test.ts. */
let providerSettings: ((stack: Stack) => ReplicationJobProviderProps) | undefined;

/** Makes every later world() configure its provider with `settings`, so that existing sequences run on it unchanged. */
export function useProviderSettings(settings: (stack: Stack) => ReplicationJobProviderProps): void {
  providerSettings = settings;
}

/** Builds a stack from props, puts every server it names in the emulator's catalog, and starts a driver. */
export async function world(options: WorldOptions): Promise<World> {
  // The built-in CloudFormation template validation costs about 8 s per test file (it loads the resource schemas) and
  // checks nothing these sequences are about; the construct's own tests synthesize with it.
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, options.stackName ?? 'SmsJobs', { env: { account: '123456789012', region: 'us-west-2' } });
  const provider = options.provider ?? providerSettings;
  if (provider) {
    ReplicationJobProvider.configure(stack, provider(stack));
  }
  const jobs: Record<string, ReplicationJob> = {};
  const servers = new Set<string>();
  for (const [id, propsOrFn] of Object.entries(options.jobs)) {
    const props = typeof propsOrFn === 'function' ? propsOrFn(stack) : propsOrFn;
    jobs[id] = new ReplicationJob(stack, id, props);
    // A server named by its VM is the test's to put in the catalog (emulator.addServer with its VM).
    const serverId = props.server._render().serverId;
    if (serverId !== undefined) servers.add(serverId);
  }
  options.declare?.(jobs, stack);
  const emulator = options.emulator ?? await SmsEmulator.start();
  for (const server of servers) {
    if (!emulator.hasServer(server)) emulator.addServer(server);
  }
  const cfn = await CfnDriver.start({
    stack,
    emulator,
    functionTimeoutSeconds: options.functionTimeoutSeconds,
    stackId: options.sameStackAs?.stackId,
    parameters: options.parameters,
    ssm: options.ssm,
  });
  return {
    emulator,
    cfn,
    stack,
    jobs,
    close: async () => {
      await cfn.close();
      if (!options.emulator) await emulator.close();
    },
  };
}

/**
 * The end of every sequence: the emulator holds exactly the jobs of the resources that exist in the stacks (each on
 * the server its properties name), plus the foreign jobs unchanged; and no request broke the SMS model.
 */
export function expectNothingLeakedNothingLost(emulator: SmsEmulator, drivers: CfnDriver[], foreign: EmulatedJob[] = []): void {
  const jobs = emulator.jobs();
  // The job each resource holds: the one its physical id names (an adopted job's ends in /adopted).
  const expected = drivers.flatMap((d) => d.liveResources()).map((r) => ({ ...r, jobId: jobIdOf(r.physicalId) ?? r.physicalId }));
  expect(jobs.map((j) => j.replicationJobId).sort()).toEqual(
    [...expected.map((r) => r.jobId), ...foreign.map((f) => f.replicationJobId)].sort());
  for (const resource of expected) {
    // A server named by its VM (VmName, or VmId) has no ServerId property: the tests that resolve it check the server.
    if (resource.properties.VmName === undefined && resource.properties.VmId === undefined) {
      expect(jobs.find((j) => j.replicationJobId === resource.jobId)?.serverId).toBe(resource.properties.ServerId);
    }
  }
  for (const job of foreign) {
    expect(jobs.find((j) => j.replicationJobId === job.replicationJobId)).toEqual(job);
  }
  expect(emulator.violations).toEqual([]);
}

/** The answer was well formed and arrived before the function's deadline. */
export function expectAnsweredInTime(result: CfnResult): void {
  expect(result.protocolViolations).toEqual([]);
  expect(result.status).not.toBe('NO_RESPONSE');
  expect(result.timedOut).toBe(false);
  expect(result.durationMs).toBeLessThan(result.timeoutMs);
}

/** The ResponseURL's signature (and its whole query) never reached the function's logs. */
export function expectSignatureNotLogged(result: CfnResult): void {
  const url = new URL(result.event.ResponseURL);
  expect(result.logs).not.toContain(url.searchParams.get('X-Amz-Signature'));
  expect(result.logs).not.toContain(url.search.slice(1));
}

/** The SMS requests made by one invocation (meaningful when nothing else talks to the emulator meanwhile). */
export async function smsCallsDuring(emulator: SmsEmulator, run: () => Promise<CfnResult>): Promise<{ result: CfnResult; calls: string[] }> {
  const before = emulator.requests.length;
  const result = await run();
  return { result, calls: emulator.requests.slice(before).map((r) => r.operation) };
}
