import { createHash } from 'node:crypto';
import { Duration } from 'aws-cdk-lib';
import { ExistingJobPolicy, ReplicationJobProps, SmsServer } from '../../lib';
import { CfnDriver } from '../harness/cfn-driver';
import { EmulatedJob, SmsEmulator } from '../harness/sms-emulator';
import { world, World } from '../harness/world';

/** What the adoption sequences (adoption*.test.ts) share: a job made in the SMS console, and stacks that adopt it. */

export const SERVER = 's-0000ad07';
const HOUR = 3600;
const now = () => Math.floor(Date.now() / 1000);
/** The job's first run was long ago: its seed time, and the template's, are past. */
export const pastSeed = new Date((now() - 20 * 24 * HOUR) * 1000);

/** Where a stack is built: its name, and the construct id of its job (so its logical id). */
export interface StackOptions {
  readonly functionTimeoutSeconds?: number;
  /** @default 'SmsJobs' */
  readonly stackName?: string;
  /** @default 'Job' */
  readonly id?: string;
}

/** An SMS emulator per test, and the stacks built on it, closed after each test. */
export interface AdoptionFixture {
  readonly emulator: SmsEmulator;
  /** A job someone made in the SMS console, running every 24 hours, its next run in 5 hours. */
  consoleJob(fields?: Partial<EmulatedJob>): EmulatedJob;
  /** A stack of one ReplicationJob for SERVER that says existingJob ADOPT, with `props` over that. */
  stackWith(props?: Partial<ReplicationJobProps>, options?: StackOptions): Promise<World>;
  jobNamed(id: string): EmulatedJob | undefined;
  /** The requests that changed or deleted the job. */
  changesTo(id: string): string[];
}

/** Registers the hooks that start and close the emulator and the stacks. */
export function adoptionFixture(): AdoptionFixture {
  const worlds: World[] = [];
  let emulator: SmsEmulator | undefined;
  const current = () => {
    if (!emulator) throw new Error('the emulator runs only inside a test');
    return emulator;
  };

  beforeEach(async () => {
    emulator = await SmsEmulator.start();
  });

  afterEach(async () => {
    for (const w of worlds.splice(0).reverse()) await w.close();
    await current().close();
    emulator = undefined;
  });

  return {
    get emulator() {
      return current();
    },
    consoleJob: (fields = {}) => current().seedJob({
      serverId: SERVER,
      description: 'Database server, replicated by hand',
      frequency: 24,
      seedReplicationTime: Math.floor(pastSeed.getTime() / 1000),
      nextReplicationRunStartTime: now() + 5 * HOUR,
      ...fields,
    }),
    stackWith: async (props = {}, options = {}) => {
      const w = await world({
        emulator: current(),
        functionTimeoutSeconds: options.functionTimeoutSeconds,
        stackName: options.stackName,
        jobs: {
          [options.id ?? 'Job']: {
            server: SmsServer.fromServerId(SERVER), seedReplicationTime: pastSeed, frequency: Duration.hours(6), description: 'db',
            existingJob: ExistingJobPolicy.ADOPT, ...props,
          },
        },
      });
      worlds.push(w);
      return w;
    },
    jobNamed: (id) => current().jobs().find((j) => j.replicationJobId === id),
    changesTo: (id) => current().requests
      .filter((r) => r.body?.replicationJobId === id && r.operation !== 'GetReplicationJobs').map((r) => r.operation),
  };
}

/** The marker a job adopted by the driver's resource in the event `requestId` carries. */
export function adoptedMarkerOf(cfn: CfnDriver, requestId: string): string {
  const hex8 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);
  return `[cfn:${cfn.stackName}/${cfn.logicalIds[0]}/${hex8(cfn.stackId)}/${hex8(requestId)}/adopted]`;
}
