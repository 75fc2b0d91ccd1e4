import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CfnElement, CfnResource, Stack, Stage } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { CloudFormationApi, StackEventView } from './cfn-api';
import { listenOnLoopback, stopListening } from './loopback';
import { testTls } from './tls';

/**
 * Plays CloudFormation for the custom resources of a synthesized stack: sends Create, Update and Delete events the
 * way CloudFormation does, runs the very Lambda bundle the stack deploys in a child process as the Lambda Node.js
 * runtime would, and collects the answer on an HTTPS endpoint standing in for the pre-signed S3 URL. It keeps the
 * stack's status as CloudFormation would through the operations it plays, and answers the function's DescribeStacks
 * with it (cfn-api.ts). It can cancel an event as CloudFormation does when another resource fails: the rollback event
 * is sent while the first invocation still runs, in another process.
 */

export const RESOURCE_TYPE = 'Custom::SmsReplicationJob';
/** The stack's reads of the server catalog, for VM-named jobs (lambda/catalog-read.ts). */
export const CATALOG_READ_TYPE = 'Custom::SmsServerCatalog';
export const REGION = 'us-west-2';
export const ACCOUNT = '123456789012';
/** CloudFormation rejects a response body larger than this. */
export const MAX_RESPONSE_BYTES = 4096;

const RUNNER = path.join(__dirname, 'lambda-runner.cjs');
/** Lambda's limit on a function's init phase (loading the module), which is not part of the invocation's timeout. */
const INIT_LIMIT_MS = 10_000;

export type RequestType = 'Create' | 'Update' | 'Delete';

/** Stack statuses the driver plays (CloudFormation's StackStatus values). */
export type StackStatus = 'CREATE_IN_PROGRESS' | 'UPDATE_IN_PROGRESS' | 'ROLLBACK_IN_PROGRESS' | 'UPDATE_ROLLBACK_IN_PROGRESS'
| 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' | 'DELETE_IN_PROGRESS' | 'CREATE_COMPLETE' | 'UPDATE_COMPLETE' | 'ROLLBACK_COMPLETE'
| 'UPDATE_ROLLBACK_COMPLETE';

/** When CloudFormation cancels a running event. */
export interface CancelOptions {
  /** Milliseconds after the invocation started (or after `once` held). */
  readonly afterMs: number;
  /** A condition polled from the invocation's start, e.g. "its first write reached SMS". */
  readonly once?: () => boolean;
}

/** A forward event CloudFormation cancelled, and the rollback event it sent meanwhile. */
export interface Cancelled {
  /** The cancelled event's invocation, which ran to its end; CloudFormation ignores its answer. */
  readonly forward: CfnResult;
  /** The rollback event's invocation. */
  readonly rollback: CfnResult;
}

/** The event CloudFormation sends to a custom resource's ServiceToken. */
export interface CfnEvent {
  RequestType: RequestType;
  ServiceToken: string;
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType: string;
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
  PhysicalResourceId?: string;
}

/** One PUT that reached the response endpoint. */
export interface ResponsePut {
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly bodyBytes: number;
  /** Milliseconds after the invocation started. */
  readonly atMs: number;
  /** What the endpoint answered: 200, or the injected failure. */
  readonly answered: number | 'reset';
  /** Breaches of the response protocol (method, content-length, size, fields). */
  readonly violations: string[];
}

export interface CfnResult {
  /** The Status of the first accepted answer; NO_RESPONSE when none arrived (CloudFormation would wait). */
  readonly status: 'SUCCESS' | 'FAILED' | 'NO_RESPONSE';
  readonly reason?: string;
  readonly physicalResourceId?: string;
  readonly data?: Record<string, unknown>;
  /** The function's stdout and stderr, as CloudWatch Logs would hold them, plus the platform's timeout line. */
  readonly logs: string;
  /** Milliseconds from the start of the invocation (after init) to the accepted answer, or to the end of the process. */
  readonly durationMs: number;
  /** When the event was sent (the process spawned), when the invocation started (after init) and when the process ended, epoch ms. */
  readonly sentAt: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Whether the process was killed at the function's deadline. */
  readonly timedOut: boolean;
  /** The function timeout used, in milliseconds. */
  readonly timeoutMs: number;
  /** How the handler ended, as the runner saw it (returned, error, initError), unless killed. */
  readonly outcome?: { kind: string; error?: { errorType: string; errorMessage: string } };
  readonly event: CfnEvent;
  /** Every PUT made to this event's ResponseURL, accepted or not. */
  readonly puts: ResponsePut[];
  /** Protocol breaches of every PUT, flattened. */
  readonly protocolViolations: string[];
}

export interface CfnDriverOptions {
  /** A stack holding ReplicationJob constructs; its app is synthesized. */
  readonly stack: Stack;
  /** The SMS endpoint the function talks to (AWS_ENDPOINT_URL_SMS). */
  readonly emulator: { readonly endpoint: string };
  /** Overrides the function's Timeout, to keep tests of hangs short. */
  readonly functionTimeoutSeconds?: number;
  /** The StackId to use, e.g. to deploy a second version of the same stack. Default: a new stack id. */
  readonly stackId?: string;
  /** Values of the template's parameters. */
  readonly parameters?: Record<string, string>;
  /** The SSM endpoint the function talks to (AWS_ENDPOINT_URL_SSM), for the latest-AMI parameters. */
  readonly ssm?: { readonly endpoint: string };
}

/** How an invocation by another service than CloudFormation (EventBridge) ended. */
export interface DirectResult {
  readonly logs: string;
  /** How the handler ended, as the runner saw it: returned or error. */
  readonly outcome?: { kind: string; error?: { errorType: string; errorMessage: string } };
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** What CloudFormation currently knows about one custom resource. */
interface ResourceState {
  /** The physical id of the last Create (even a failed one: the rollback Delete carries it) or successful Update. */
  physicalId?: string;
  /** The properties of that event, as sent (stringified). */
  properties?: Record<string, unknown>;
  /** Whether the resource exists in the stack: created successfully and not deleted since. */
  exists: boolean;
  /** The Data of the last SUCCESS answer of a Create or Update: what Fn::GetAtt of the resource reads. */
  data?: Record<string, unknown>;
  /** The last Update sent, for its rollback. */
  lastUpdate?: { oldProperties: Record<string, unknown>; newProperties: Record<string, unknown>; oldPhysicalId: string; result: CfnResult };
  /** A physical id replaced by an Update, which CloudFormation deletes in the cleanup phase. */
  replacedPhysicalId?: string;
  replacedProperties?: Record<string, unknown>;
}

interface FunctionDefinition {
  readonly logicalId: string;
  readonly functionName: string;
  readonly arn: string;
  readonly assetDir: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly runtime: string;
  readonly environment: Record<string, string>;
  /** The ARN of the role the function runs as. */
  readonly role: string;
  /** The function's subnets and security groups, when it is in a VPC. The child process runs on this machine's network. */
  readonly vpcConfig?: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
}

interface PendingResponse {
  readonly signature: string;
  readonly event: CfnEvent;
  /** When the latest delivery of the event started. */
  startedAt: number;
  readonly puts: ResponsePut[];
}

export class CfnDriver {
  /** Synthesizes the stack's app and starts the response endpoint. */
  static async start(options: CfnDriverOptions): Promise<CfnDriver> {
    const driver = new CfnDriver(options);
    await listenOnLoopback(driver.responseServer);
    driver.cfnApi = await CloudFormationApi.start({
      stackId: driver.stackId, stackName: driver.stackName, status: () => driver.stackStatus, parentId: () => driver.parentStackId,
      events: () => driver.stackEvents,
      resource: (logicalId) => {
        const state = driver.states.get(logicalId);
        return state?.exists ? { logicalId, physicalId: state.physicalId, type: driver.template.Resources?.[logicalId]?.Type ?? RESOURCE_TYPE } : undefined;
      },
    });
    return driver;
  }

  readonly stackId: string;
  readonly stackName: string;
  /** The template as synthesized. */
  readonly template: any;
  /** Logical ids of every Custom::SmsReplicationJob in the template. */
  readonly logicalIds: string[];
  /** Every invocation made, in order. */
  readonly invocations: CfnResult[] = [];

  private readonly stack: Stack;
  private readonly options: CfnDriverOptions;
  private readonly assemblyDir: string;
  private readonly assets: Map<string, string>;
  private readonly responseServer: https.Server;
  private readonly pending = new Map<string, PendingResponse>();
  private readonly states = new Map<string, ResourceState>();
  private readonly workDir = mkdtempSync(path.join(tmpdir(), 'cfn-driver-'));
  private putFaults: Array<'500' | 'reset'> = [];
  private cfnApi?: CloudFormationApi;
  /**
   * The stack's events as DescribeStackEvents answers them (oldest first here): one of the stack's own each time its
   * status changes, when it changes, and one of a resource's for each event sent to the function.
   */
  readonly stackEvents: StackEventView[] = [{ status: 'CREATE_IN_PROGRESS', at: Date.now() }];
  private status: StackStatus = 'CREATE_IN_PROGRESS';

  /** What DescribeStacks answers. Each operation sets it as CloudFormation would; tests may set it too. */
  get stackStatus(): StackStatus {
    return this.status;
  }

  set stackStatus(status: StackStatus) {
    if (status !== this.status) this.stackEvents.push({ status, at: Date.now() });
    this.status = status;
  }
  /** Set to make the stack a nested one: DescribeStacks then answers this ParentId. */
  parentStackId?: string;

  private constructor(options: CfnDriverOptions) {
    this.options = options;
    this.stack = options.stack;
    this.stackName = options.stack.stackName;
    this.stackId = options.stackId ?? `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/${randomUUID()}`;

    const stage = Stage.of(options.stack);
    if (!stage) throw new Error('the stack is not in an App');
    const assembly = stage.synth();
    const artifact = assembly.getStackArtifact(options.stack.artifactId);
    this.assemblyDir = assembly.directory;
    this.template = artifact.template;
    this.assets = this.readAssetManifest(path.join(assembly.directory, `${options.stack.artifactId}.assets.json`));
    this.logicalIds = Object.entries<any>(this.template.Resources ?? {})
      .filter(([, r]) => r.Type === RESOURCE_TYPE)
      .map(([id]) => id);

    const tls = testTls();
    this.responseServer = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => this.onPut(req, res));
  }

  /** The logical id of a construct's Custom::SmsReplicationJob (or the id itself). */
  logicalIdOf(target: string | IConstruct): string {
    if (typeof target === 'string') {
      if (!this.template.Resources?.[target]) throw new Error(`no resource ${target} in the template; have ${this.logicalIds.join(', ')}`);
      return target;
    }
    const cfn = target.node.findAll().find((c): c is CfnResource => c instanceof CfnResource && c.cfnResourceType === RESOURCE_TYPE);
    if (!cfn) throw new Error(`${target.node.path} holds no ${RESOURCE_TYPE}`);
    return this.stack.resolve((cfn as CfnElement).logicalId);
  }

  /** The properties CloudFormation would send for a resource of the template, every value stringified. */
  propertiesOf(target: string | IConstruct, changes: Record<string, unknown> = {}): Record<string, unknown> {
    const logicalId = this.logicalIdOf(target);
    const resolved = this.resolve(this.template.Resources[logicalId].Properties ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete resolved[key];
      else resolved[key] = this.resolve(value);
    }
    return stringifyLeaves(resolved) as Record<string, unknown>;
  }

  /** Sends Create with the template's properties, optionally changed (undefined removes a property). */
  async create(target: string | IConstruct = this.only(), changes: Record<string, unknown> = {}): Promise<CfnResult> {
    const logicalId = this.logicalIdOf(target);
    await this.createDependencies(logicalId);
    const properties = this.propertiesOf(logicalId, changes);
    this.stackStatus = this.forwardStatus();
    const result = await this.invoke(this.event('Create', logicalId, properties));
    // Whatever the outcome, CloudFormation remembers the physical id: a failed Create's rollback Delete carries it.
    this.states.set(logicalId, { physicalId: result.physicalResourceId, properties, exists: result.status === 'SUCCESS', data: result.data });
    return result;
  }

  /** Logical ids of the template's reads of the server catalog (Custom::SmsServerCatalog). */
  catalogReadIds(): string[] {
    return Object.entries<any>(this.template.Resources ?? {}).filter(([, r]) => r.Type === CATALOG_READ_TYPE).map(([id]) => id);
  }

  /**
   * Creates, as CloudFormation does before a resource that reads their attributes, each read of the server catalog
   * that the resource's properties name (Fn::GetAtt) and that does not exist yet. Throws if one fails: it never should.
   */
  async createDependencies(target: string | IConstruct): Promise<void> {
    const logicalId = this.logicalIdOf(target);
    for (const id of getAttTargets(this.template.Resources[logicalId].Properties)) {
      if (this.template.Resources[id]?.Type !== CATALOG_READ_TYPE || this.states.get(id)?.exists) continue;
      const result = await this.create(id);
      if (result.status !== 'SUCCESS') throw new Error(`the read of the server catalog ${id} failed: ${result.reason}`);
    }
  }

  /**
   * Delivers one Create event `times` at once, as Lambda may (at-least-once delivery), and returns every delivery's
   * result. The resource's state follows the first accepted answer. PUTs cannot be told apart by delivery: read
   * them all with putsFor(event).
   */
  async createDelivered(times: number, target: string | IConstruct = this.only(), changes: Record<string, unknown> = {}): Promise<CfnResult[]> {
    const logicalId = this.logicalIdOf(target);
    await this.createDependencies(logicalId);
    const properties = this.propertiesOf(logicalId, changes);
    const event = this.event('Create', logicalId, properties);
    this.stackStatus = this.forwardStatus();
    const results = await Promise.all(Array.from({ length: times }, (_, i) => this.invoke(event, i > 0)));
    const first = this.putsFor(event).find((p) => p.answered === 200 && p.violations.length === 0);
    const body = first ? JSON.parse(first.body) : undefined;
    this.states.set(logicalId, { physicalId: body?.PhysicalResourceId, properties, exists: body?.Status === 'SUCCESS', data: body?.Data });
    return results;
  }

  /** Sends Update from the current properties to the current ones with `changes` applied. */
  async update(target: string | IConstruct, changes: Record<string, unknown>): Promise<CfnResult> {
    const logicalId = this.logicalIdOf(target);
    const state = this.existing(logicalId);
    const newProperties = this.changed(state.properties!, changes);
    this.stackStatus = 'UPDATE_IN_PROGRESS';
    return this.sendUpdate(logicalId, state, state.properties!, newProperties);
  }

  /**
   * Rolls back the last Update as CloudFormation does: an Update with the old and new properties swapped, to the
   * old physical id; or, when that Update had replaced the resource, a Delete of the replacement. With
   * `replacement: 'update'`, a replacement is rolled back as an Update too (old and new swapped, to the replacement's
   * physical id), after which `cleanup` sends the Delete of whichever id the handler moved away from.
   */
  async rollbackUpdate(target: string | IConstruct, options: { replacement?: 'delete' | 'update' } = {}): Promise<CfnResult> {
    const logicalId = this.logicalIdOf(target);
    const state = this.existing(logicalId);
    const last = state.lastUpdate;
    if (!last) throw new Error(`${logicalId} has had no Update to roll back`);
    state.lastUpdate = undefined;
    this.stackStatus = 'UPDATE_ROLLBACK_IN_PROGRESS';
    const replacement = last.result.status === 'SUCCESS' && last.result.physicalResourceId !== last.oldPhysicalId;
    if (replacement && options.replacement !== 'update') {
      const result = await this.invoke(this.event('Delete', logicalId, last.newProperties, { physicalId: last.result.physicalResourceId }));
      state.physicalId = last.oldPhysicalId;
      state.properties = last.oldProperties;
      state.replacedPhysicalId = undefined;
      return result;
    }
    if (!replacement) {
      state.physicalId = last.oldPhysicalId;
    }
    state.replacedPhysicalId = undefined;
    state.properties = last.newProperties;
    const result = await this.sendUpdate(logicalId, state, last.newProperties, last.oldProperties);
    state.lastUpdate = undefined;
    return result;
  }

  /** The cleanup phase after a successful stack update: Delete of the physical id an Update replaced. */
  async cleanup(target: string | IConstruct): Promise<CfnResult> {
    const logicalId = this.logicalIdOf(target);
    const state = this.existing(logicalId);
    if (!state.replacedPhysicalId) throw new Error(`${logicalId} has no replaced physical id to clean up`);
    this.stackStatus = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
    const result = await this.invoke(this.event('Delete', logicalId, state.replacedProperties!, { physicalId: state.replacedPhysicalId }));
    state.replacedPhysicalId = undefined;
    state.lastUpdate = undefined;
    return result;
  }

  /**
   * A Create that CloudFormation cancels `afterMs` into its invocation (another resource failed): the stack starts to
   * roll back, and the rollback Delete goes out at once, in another process, while the Create still runs. The Delete
   * carries a physical id CloudFormation made up, as it does for a resource whose Create never answered
   * (`<stack name>-<logical id>-<12 random characters>`, cloudformation-coverage-roadmap issue 1814). The Create's
   * answer, whenever it comes, is ignored: the resource does not exist in the stack.
   */
  async cancelCreate(target: string | IConstruct = this.only(), options: CancelOptions & { changes?: Record<string, unknown> }): Promise<Cancelled> {
    const logicalId = this.logicalIdOf(target);
    await this.createDependencies(logicalId);
    const properties = this.propertiesOf(logicalId, options.changes ?? {});
    const creating = this.forwardStatus();
    this.stackStatus = creating;
    const forward = this.launch(this.event('Create', logicalId, properties));
    await this.untilCancelled(forward.started, options);
    this.stackStatus = creating === 'CREATE_IN_PROGRESS' ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_IN_PROGRESS';
    const madeUp = madeUpPhysicalId(this.stackName, logicalId);
    const rollback = this.invoke(this.event('Delete', logicalId, properties, { physicalId: madeUp }));
    const results = { forward: await forward.result, rollback: await rollback };
    this.states.set(logicalId, { physicalId: madeUp, properties, exists: false });
    return results;
  }

  /**
   * An Update that CloudFormation cancels `afterMs` into its invocation: the stack starts to roll back, and the
   * rollback Update (old and new properties swapped, to the physical id the stack had) goes out at once, in another
   * process, while the cancelled Update still runs. Its answer, whenever it comes, is ignored. A replacement's
   * rollback is an Update too: CloudFormation never learned the new id.
   */
  async cancelUpdate(target: string | IConstruct, changes: Record<string, unknown>, options: CancelOptions): Promise<Cancelled> {
    const logicalId = this.logicalIdOf(target);
    const state = this.existing(logicalId);
    const oldProperties = state.properties!;
    const newProperties = this.changed(oldProperties, changes);
    this.stackStatus = 'UPDATE_IN_PROGRESS';
    const forward = this.launch(this.event('Update', logicalId, newProperties, { physicalId: state.physicalId, oldProperties }));
    await this.untilCancelled(forward.started, options);
    this.stackStatus = 'UPDATE_ROLLBACK_IN_PROGRESS';
    const rollback = this.invoke(this.event('Update', logicalId, oldProperties, { physicalId: state.physicalId, oldProperties: newProperties }));
    const results = { forward: await forward.result, rollback: await rollback };
    if (results.rollback.status === 'SUCCESS') state.physicalId = results.rollback.physicalResourceId;
    state.lastUpdate = undefined;
    return results;
  }

  /**
   * An Update that Lambda delivers late: CloudFormation sends it (its ResponseURL is signed then), another resource
   * fails `afterMs` later, and the rollback Update runs to its answer; only then does the forward Update's invocation
   * start, while the stack still rolls back (Lambda queues and retries asynchronous invocations for up to the
   * function's maximum event age, and may deliver one twice). CloudFormation ignores the forward Update's answer.
   */
  async lateUpdate(target: string | IConstruct, changes: Record<string, unknown>, options: { afterMs: number }): Promise<Cancelled> {
    const logicalId = this.logicalIdOf(target);
    const state = this.existing(logicalId);
    const oldProperties = state.properties!;
    const newProperties = this.changed(oldProperties, changes);
    this.stackStatus = 'UPDATE_IN_PROGRESS';
    const forwardEvent = this.event('Update', logicalId, newProperties, { physicalId: state.physicalId, oldProperties });
    await sleep(options.afterMs);
    this.stackStatus = 'UPDATE_ROLLBACK_IN_PROGRESS';
    const rollback = await this.invoke(this.event('Update', logicalId, oldProperties, { physicalId: state.physicalId, oldProperties: newProperties }));
    const forward = await this.invoke(forwardEvent);
    if (rollback.status === 'SUCCESS') state.physicalId = rollback.physicalResourceId;
    state.lastUpdate = undefined;
    return { forward, rollback };
  }

  /** Sends Delete with the resource's physical id: the stack's deletion, or the rollback of a failed Create. */
  async delete(target: string | IConstruct = this.only()): Promise<CfnResult> {
    const logicalId = this.logicalIdOf(target);
    const state = this.states.get(logicalId);
    if (!state || state.physicalId === undefined) throw new Error(`${logicalId} was never created`);
    // The stack's deletion, or the rollback of the stack's creation after this resource's Create failed.
    this.stackStatus = state.exists ? 'DELETE_IN_PROGRESS' : 'ROLLBACK_IN_PROGRESS';
    const result = await this.invoke(this.event('Delete', logicalId, state.properties!, { physicalId: state.physicalId }));
    if (result.status === 'SUCCESS') state.exists = false;
    return result;
  }

  /**
   * Keeps a resource whose Create failed in the stack, as a stack created with "preserve successfully provisioned
   * resources" (--disable-rollback) does instead of rolling back: the next stack update sends it an Update carrying
   * the failed Create's physical id, and, if the Update answers another id, `cleanup` sends the Delete of the old one.
   */
  keepFailedCreate(target: string | IConstruct = this.only()): void {
    const logicalId = this.logicalIdOf(target);
    const state = this.states.get(logicalId);
    if (!state || state.exists || state.physicalId === undefined) throw new Error(`${logicalId} has no failed Create to keep`);
    state.exists = true;
  }

  /** Delivers an event again, unchanged (same RequestId and ResponseURL): Lambda delivers at least once. */
  async redeliver(event: CfnEvent): Promise<CfnResult> {
    if (!this.pending.has(new URL(event.ResponseURL).pathname)) throw new Error('not an event of this driver');
    return this.invoke(event, true);
  }

  /** Every PUT made so far to an event's ResponseURL, by every delivery of it. */
  putsFor(event: CfnEvent): ResponsePut[] {
    return [...(this.pending.get(new URL(event.ResponseURL).pathname)?.puts ?? [])];
  }

  /** The next `count` PUTs of any answer fail: with HTTP 500 (as S3 can), or with the connection reset. */
  failNextResponsePuts(count: number, how: '500' | 'reset' = '500'): void {
    this.putFaults.push(...Array<'500' | 'reset'>(count).fill(how));
  }

  /** Physical ids of the resources that exist in the stack: the jobs that must exist, and no others. */
  liveJobIds(): string[] {
    return this.liveResources().map((r) => r.physicalId);
  }

  /** The resources that exist in the stack, with the properties CloudFormation last sent for them. */
  liveResources(): Array<{ logicalId: string; physicalId: string; properties: Record<string, unknown> }> {
    return [...this.states.entries()].filter(([id, s]) => s.exists && this.template.Resources[id]?.Type !== CATALOG_READ_TYPE)
      .map(([logicalId, s]) => ({ logicalId, physicalId: s.physicalId!, properties: s.properties! }));
  }

  /**
   * Invokes the provider's function with an event of another service, as EventBridge does (asynchronously, once: what
   * Lambda would do after an error is the test's to decide), in a process of its own. No ResponseURL: any answer the
   * handler tried to send would fail and show in the logs.
   */
  async invokeDirect(event: unknown): Promise<DirectResult> {
    const fn = this.functionOf(this.logicalIds[0]);
    const timeoutMs = (this.options.functionTimeoutSeconds ?? fn.timeoutSeconds) * 1000;
    const requestId = randomUUID();
    const eventFile = path.join(this.workDir, `${requestId}.json`);
    writeFileSync(eventFile, JSON.stringify(event));
    const startedAt = Date.now();
    const child = spawn(process.execPath, [RUNNER, eventFile, String(timeoutMs), requestId, fn.arn], {
      cwd: fn.assetDir, env: this.environmentOf(fn), stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let logs = '';
    let reports = '';
    child.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => (reports += c.toString()));
    let timedOut = false;
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs + INIT_LIMIT_MS);
    await new Promise<void>((resolve) => child.on('close', () => resolve()));
    clearTimeout(killer);
    const outcome = reports.split('\n').filter((l) => l && !l.startsWith('{"kind":"invoke"')).map((l) => JSON.parse(l))[0];
    return { logs, outcome, timedOut, durationMs: Date.now() - startedAt };
  }

  /** Stops the response endpoint and removes temporary files. */
  async close(): Promise<void> {
    await stopListening(this.responseServer);
    await this.cfnApi?.close();
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** The function behind a custom resource, as Lambda would run it. */
  functionOf(logicalId: string): FunctionDefinition {
    const token = this.template.Resources[logicalId].Properties.ServiceToken;
    const fnId = token?.['Fn::GetAtt']?.[0];
    if (!fnId || token['Fn::GetAtt'][1] !== 'Arn') throw new Error(`ServiceToken of ${logicalId} is not Fn::GetAtt [function, Arn]: ${JSON.stringify(token)}`);
    const fn = this.template.Resources[fnId];
    if (fn?.Type !== 'AWS::Lambda::Function') throw new Error(`ServiceToken of ${logicalId} points at ${fn?.Type}, not AWS::Lambda::Function`);
    const p = fn.Properties;
    const assetDir = this.assetDirOf(fnId, fn);
    const environment = Object.fromEntries(Object.entries<unknown>(p.Environment?.Variables ?? {}).map(([k, v]) => {
      const value = this.resolve(v);
      if (typeof value !== 'string') throw new Error(`environment variable ${k} of ${fnId} does not resolve to a string`);
      return [k, value];
    }));
    const functionName = p.FunctionName ? String(this.resolve(p.FunctionName)) : physicalName(this.stackName, fnId);
    return {
      logicalId: fnId,
      functionName,
      arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
      assetDir,
      handler: p.Handler,
      timeoutSeconds: p.Timeout ?? 3,
      memorySize: p.MemorySize ?? 128,
      runtime: p.Runtime,
      environment,
      role: String(this.resolve(p.Role)),
      vpcConfig: p.VpcConfig && {
        subnetIds: this.resolve(p.VpcConfig.SubnetIds) as string[],
        securityGroupIds: this.resolve(p.VpcConfig.SecurityGroupIds) as string[],
      },
    };
  }

  /**
   * The stack is deleted: Delete for the resource, unless its DeletionPolicy is Retain or RetainExceptOnCreate
   * (CloudFormation then leaves it without a word). Returns the Delete's result, or 'retained'.
   */
  async deleteStack(target: string | IConstruct = this.only()): Promise<CfnResult | 'retained'> {
    return this.deleteUnlessRetained(target, 'DELETE_IN_PROGRESS', ['Retain', 'RetainExceptOnCreate']);
  }

  /** An update that succeeded removed the resource from the template: its cleanup phase, honouring the DeletionPolicy. */
  async removeFromStack(target: string | IConstruct = this.only()): Promise<CfnResult | 'retained'> {
    return this.deleteUnlessRetained(target, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', ['Retain', 'RetainExceptOnCreate']);
  }

  /**
   * The stack's create failed elsewhere and rolls back a resource whose Create succeeded. A DeletionPolicy of Retain
   * keeps it, unless the operation was run with RetainExceptOnCreate, which deletes what the failed operation made
   * whatever the policy; a DeletionPolicy of RetainExceptOnCreate deletes it too. CloudFormation's DeletionPolicy
   * page says RetainExceptOnCreate acts as Retain in every stack operation but a rollback of the one that created the
   * resource, which deletes it; stack deletion keeps it, hence no Delete in deleteStack and removeFromStack
   * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html). The
   * operation's flag (CreateStack, UpdateStack, ExecuteChangeSet: RetainExceptOnCreate) deletes the resources the
   * operation created when it rolls back, those marked Retain included (CloudFormation API Reference, CreateStack).
   */
  async rollbackCreate(target: string | IConstruct = this.only(), options: { retainExceptOnCreate?: boolean } = {}): Promise<CfnResult | 'retained'> {
    return this.deleteUnlessRetained(target, 'ROLLBACK_IN_PROGRESS', options.retainExceptOnCreate ? [] : ['Retain']);
  }

  /** DescribeStacks answers AccessDenied to the next `count` requests, as it does without the permission. */
  denyNextDescribeStacks(count: number): void {
    this.cfnApi!.denyNext(count);
  }

  /** DescribeStackEvents answers AccessDenied to the next `count` requests, as to a role without that permission. */
  denyNextDescribeStackEvents(count: number): void {
    this.cfnApi!.denyNextOf('DescribeStackEvents', count);
  }

  /** DescribeStackResource answers AccessDenied to the next `count` requests, as to a role without that permission. */
  denyNextDescribeStackResource(count: number): void {
    this.cfnApi!.denyNextOf('DescribeStackResource', count);
  }

  /** The DescribeStackResource requests the function made so far (an AMI event's read of its resource's job). */
  describeStackResourceCalls(): Array<{ answered: string; at: number; params: Record<string, string> }> {
    return this.cfnApi!.describeStackResourceCalls();
  }

  /**
   * DescribeStacks answers Throttling to the next `count` requests (Infinity: until clearDescribeStacksFaults); so does
   * any other CloudFormation call of the function (DescribeStackEvents, DescribeStackResource) that comes first.
   */
  throttleNextDescribeStacks(count: number): void {
    this.cfnApi!.throttleNext(count);
  }

  /** DescribeStacks leaves the next `count` requests (Infinity: every one) without an answer. */
  hangNextDescribeStacks(count: number): void {
    this.cfnApi!.hangNext(count);
  }

  /** DescribeStacks answers every request again. */
  clearDescribeStacksFaults(): void {
    this.cfnApi!.clearFaults();
  }

  /** The DescribeStacks requests the function made so far. */
  describeStacksCalls(): Array<{ answered: string; at: number }> {
    return this.cfnApi!.describeStacksCalls();
  }

  /** Breaches of CloudFormation's query protocol by the function's requests. */
  cfnApiViolations(): string[] {
    return [...this.cfnApi!.violations];
  }

  /** Waits until the invocation has started, then until `once` holds (if given), then `afterMs`. */
  private async untilCancelled(started: Promise<void>, options: CancelOptions): Promise<void> {
    await started;
    while (options.once && !options.once()) await sleep(5);
    await sleep(options.afterMs);
  }

  private async deleteUnlessRetained(target: string | IConstruct, status: StackStatus, retainedBy: string[]): Promise<CfnResult | 'retained'> {
    const logicalId = this.logicalIdOf(target);
    const state = this.existing(logicalId);
    this.stackStatus = status;
    if (retainedBy.includes(this.template.Resources[logicalId].DeletionPolicy)) {
      state.exists = false;
      return 'retained';
    }
    const result = await this.invoke(this.event('Delete', logicalId, state.properties!, { physicalId: state.physicalId }));
    if (result.status === 'SUCCESS') state.exists = false;
    return result;
  }

  /** The status of an operation that creates a resource: the stack's creation, or an update that adds one. */
  private forwardStatus(): StackStatus {
    return this.liveResources().length === 0 ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
  }

  private only(): string {
    if (this.logicalIds.length !== 1) throw new Error(`name the resource; the template has ${this.logicalIds.join(', ')}`);
    return this.logicalIds[0];
  }

  private existing(logicalId: string): ResourceState {
    const state = this.states.get(logicalId);
    if (!state?.exists) throw new Error(`${logicalId} does not exist in the stack`);
    return state;
  }

  /** The properties CloudFormation sends after `changes` (undefined removes a property), every value stringified. */
  private changed(properties: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
    const next = stringifyLeaves({ ...properties, ...this.resolve(changes) as object }) as Record<string, unknown>;
    for (const [key, value] of Object.entries(changes)) if (value === undefined) delete next[key];
    return next;
  }

  private async sendUpdate(logicalId: string, state: ResourceState, oldProperties: Record<string, unknown>, newProperties: Record<string, unknown>): Promise<CfnResult> {
    const oldPhysicalId = state.physicalId!;
    const result = await this.invoke(this.event('Update', logicalId, newProperties, { physicalId: oldPhysicalId, oldProperties }));
    state.lastUpdate = { oldProperties, newProperties, oldPhysicalId, result };
    if (result.status === 'SUCCESS') {
      if (result.physicalResourceId !== oldPhysicalId) {
        // A new physical id means a replacement: CloudFormation deletes the old one in the cleanup phase.
        state.replacedPhysicalId = oldPhysicalId;
        state.replacedProperties = oldProperties;
      }
      state.physicalId = result.physicalResourceId;
      state.properties = newProperties;
      state.data = result.data;
    }
    return result;
  }

  private event(type: RequestType, logicalId: string, properties: Record<string, unknown>,
    extra: { physicalId?: string; oldProperties?: Record<string, unknown> } = {}): CfnEvent {
    const requestId = randomUUID();
    const signature = randomBytes(32).toString('hex');
    const port = (this.responseServer.address() as AddressInfo).port;
    const key = encodeURIComponent(`${this.stackId}|${logicalId}|${requestId}`);
    const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': date,
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Expires': '7200',
      'X-Amz-Credential': `AKIA6ODU5DHT7EXAMPLE/${date.slice(0, 8)}/${REGION}/s3/aws4_request`,
      'X-Amz-Signature': signature,
    });
    const pathname = `/cloudformation-custom-resource-response-${REGION.replace(/-/g, '')}/${key}`;
    const event: CfnEvent = {
      RequestType: type,
      ServiceToken: String(properties.ServiceToken),
      ResponseURL: `https://127.0.0.1:${port}${pathname}?${query}`,
      StackId: this.stackId,
      RequestId: requestId,
      LogicalResourceId: logicalId,
      ResourceType: this.template.Resources[logicalId].Type,
      ResourceProperties: properties,
    };
    if (type === 'Update') event.OldResourceProperties = extra.oldProperties;
    if (type !== 'Create') event.PhysicalResourceId = extra.physicalId;
    this.stackEvents.push({ status: `${type.toUpperCase()}_IN_PROGRESS`, at: Date.now(), logicalId, physicalId: extra.physicalId, type: event.ResourceType });
    this.pending.set(pathname, { signature, event, startedAt: 0, puts: [] });
    return event;
  }

  /** Runs the function on the event in a fresh process and waits for the process to end. */
  private invoke(event: CfnEvent, again = false): Promise<CfnResult> {
    return this.launch(event, again).result;
  }

  /** Runs the function on the event in a fresh process: `started` when the invocation begins (after init), `result` at its end. */
  private launch(event: CfnEvent, again = false): { started: Promise<void>; result: Promise<CfnResult> } {
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const result = this.run(event, again, markStarted);
    // A process that never starts its invocation (init failed or timed out) releases whoever waits for the start.
    void result.finally(markStarted);
    return { started, result };
  }

  private async run(event: CfnEvent, again: boolean, markStarted: () => void): Promise<CfnResult> {
    const fn = this.functionOf(event.LogicalResourceId);
    const timeoutMs = (this.options.functionTimeoutSeconds ?? fn.timeoutSeconds) * 1000;
    const pathname = new URL(event.ResponseURL).pathname;
    const pending = this.pending.get(pathname)!;
    const startedAt = Date.now();
    const putsBefore = again ? pending.puts.length : 0;
    pending.startedAt = startedAt;

    const requestId = randomUUID();
    const eventFile = path.join(this.workDir, `${requestId}.json`);
    writeFileSync(eventFile, JSON.stringify(event));
    const child = spawn(process.execPath, [RUNNER, eventFile, String(timeoutMs), requestId, fn.arn], {
      cwd: fn.assetDir,
      env: this.environmentOf(fn),
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let logs = '';
    let reports = '';
    child.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (logs += c.toString()));

    // Lambda limits the init phase to 10 s, and times the invocation from its end. The deadline is checked from the
    // check phase (setImmediate), after pending pipe data was read: when fifty spawns block this process's event
    // loop, a timer may fire late, before the child's report that it had started was read.
    let timedOut = false;
    let invokedAt: number | undefined;
    let killer: NodeJS.Timeout | undefined;
    const check = () => {
      const deadline = invokedAt === undefined ? startedAt + INIT_LIMIT_MS : invokedAt + timeoutMs;
      if (Date.now() < deadline) {
        killer = setTimeout(() => setImmediate(check), deadline - Date.now());
        return;
      }
      timedOut = true;
      child.kill('SIGKILL');
    };
    check();
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => {
      reports += c.toString();
      const started = reports.split('\n').find((l) => l.startsWith('{"kind":"invoke"'));
      if (invokedAt === undefined && started) {
        invokedAt = JSON.parse(started).at as number;
        pending.startedAt = invokedAt;
        markStarted();
        logs = `START RequestId: ${requestId} Version: $LATEST\n` + logs;
        clearTimeout(killer);
        check();
      }
    });
    await new Promise<void>((resolve) => child.on('close', () => resolve()));
    clearTimeout(killer);
    const endedAt = Date.now();
    if (timedOut) {
      logs += invokedAt === undefined
        ? `${new Date().toISOString()} INIT_REPORT Init Duration: ${INIT_LIMIT_MS} ms Phase: init Status: timeout\n`
        : `${new Date().toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds\n`;
    }
    logs += `END RequestId: ${requestId}\n`;

    const puts = pending.puts.slice(putsBefore);
    const accepted = puts.find((p) => p.answered === 200 && p.violations.length === 0);
    const body = accepted ? JSON.parse(accepted.body) : undefined;
    const outcome = reports.split('\n').filter((l) => l && !l.startsWith('{"kind":"invoke"')).map((l) => JSON.parse(l))[0];
    const result: CfnResult = {
      status: body?.Status ?? 'NO_RESPONSE',
      reason: body?.Reason,
      physicalResourceId: body?.PhysicalResourceId,
      data: body?.Data,
      logs,
      durationMs: accepted ? accepted.atMs : endedAt - (invokedAt ?? startedAt),
      sentAt: startedAt,
      startedAt: invokedAt ?? startedAt,
      endedAt,
      timedOut,
      timeoutMs,
      outcome,
      event,
      puts,
      protocolViolations: puts.flatMap((p) => p.violations),
    };
    this.invocations.push(result);
    return result;
  }

  private environmentOf(fn: FunctionDefinition): NodeJS.ProcessEnv {
    return {
      // The function's own environment first: Lambda's reserved variables win over it, as in Lambda.
      ...fn.environment,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'ASIAEMULATEDLAMBDA01',
      AWS_SECRET_ACCESS_KEY: 'emulated-lambda-secret-access-key',
      AWS_SESSION_TOKEN: 'emulated-lambda-session-token',
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomBytes(16).toString('hex')}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      LAMBDA_TASK_ROOT: fn.assetDir,
      LAMBDA_RUNTIME_DIR: path.dirname(RUNNER),
      _HANDLER: fn.handler,
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      AWS_ENDPOINT_URL_SMS: this.options.emulator.endpoint,
      AWS_ENDPOINT_URL_CLOUDFORMATION: this.cfnApi!.endpoint,
      ...(this.options.ssm ? { AWS_ENDPOINT_URL_SSM: this.options.ssm.endpoint } : {}),
      NODE_EXTRA_CA_CERTS: testTls().caPath,
    };
  }

  private onPut(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const pending = this.pending.get(url.pathname);
      const raw = Buffer.concat(chunks);
      if (!pending || url.searchParams.get('X-Amz-Signature') !== pending.signature) {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
        return;
      }
      const fault = this.putFaults.shift();
      const put: ResponsePut = {
        method: req.method ?? '',
        headers: req.headers,
        body: raw.toString('utf8'),
        bodyBytes: raw.length,
        atMs: Date.now() - pending.startedAt,
        answered: fault === 'reset' ? 'reset' : fault === '500' ? 500 : 200,
        violations: responseViolations(req, raw, pending.event),
      };
      pending.puts.push(put);
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault === '500') {
        res.writeHead(500, { 'content-type': 'application/xml' });
        res.end('<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>');
        return;
      }
      res.writeHead(200, { etag: '"0"', 'content-length': 0 });
      res.end();
    });
  }

  private readAssetManifest(file: string): Map<string, string> {
    const assets = new Map<string, string>();
    if (!existsSync(file)) return assets;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    for (const asset of Object.values<any>(manifest.files ?? {})) {
      for (const destination of Object.values<any>(asset.destinations ?? {})) {
        assets.set(destination.objectKey, path.join(this.assemblyDir, asset.source.path));
      }
    }
    return assets;
  }

  /** The staged asset folder of a function: by the S3 key its Code names in the asset manifest, else by metadata. */
  private assetDirOf(fnId: string, fn: any): string {
    const key = fn.Properties.Code?.S3Key;
    const dir = (typeof key === 'string' && this.assets.get(key))
      || (fn.Metadata?.['aws:asset:path'] && path.join(this.assemblyDir, fn.Metadata['aws:asset:path']));
    if (!dir || !existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new Error(`cannot find the asset folder of ${fnId} (Code: ${JSON.stringify(fn.Properties.Code)})`);
    }
    return dir;
  }

  /** Resolves the intrinsic functions a custom resource's properties can hold, as CloudFormation would. */
  private resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, any>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === 'Ref') return this.ref(obj.Ref);
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') return this.getAtt(obj['Fn::GetAtt'][0], obj['Fn::GetAtt'][1]);
    if (keys.length === 1 && keys[0] === 'Fn::Join') {
      const [sep, parts] = obj['Fn::Join'];
      return (this.resolve(parts) as unknown[]).join(sep);
    }
    if (keys.length === 1 && keys[0] === 'Fn::Select') {
      const [index, list] = obj['Fn::Select'];
      return (this.resolve(list) as unknown[])[Number(index)];
    }
    if (keys.length === 1 && keys[0] === 'Fn::Sub' && typeof obj['Fn::Sub'] === 'string') {
      return obj['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_: string, name: string) => {
        const [id, attr] = name.split('.');
        return String(attr ? this.getAtt(id, attr) : this.ref(id));
      });
    }
    if (keys.some((k) => k.startsWith('Fn::'))) throw new Error(`the driver cannot resolve ${JSON.stringify(obj)}`);
    return Object.fromEntries(keys.map((k) => [k, this.resolve(obj[k])]));
  }

  private ref(name: string): unknown {
    const pseudo: Record<string, string> = {
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stackName,
      'AWS::StackId': this.stackId,
    };
    if (name in pseudo) return pseudo[name];
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      const value = this.options.parameters?.[name] ?? parameter.Default;
      if (value === undefined) throw new Error(`parameter ${name} has no value`);
      return value;
    }
    const resource = this.template.Resources?.[name];
    if (!resource) throw new Error(`Ref to unknown ${name}`);
    if (resource.Type === 'AWS::KMS::Key') return uuidOf(name);
    return physicalName(this.stackName, name);
  }

  private getAtt(logicalId: string, attribute: string): unknown {
    const resource = this.template.Resources?.[logicalId];
    if (!resource) throw new Error(`Fn::GetAtt of unknown ${logicalId}`);
    if (resource.Type.startsWith('Custom::')) {
      // CloudFormation reads a custom resource's attributes from the Data of its last answer, and fails the reader
      // ("Vendor response doesn't contain <attribute> key") when it lacks one.
      const state = this.states.get(logicalId);
      if (!state?.exists) throw new Error(`Fn::GetAtt of ${logicalId}.${attribute}: ${logicalId} does not exist (create it first: createDependencies)`);
      if (typeof state.data?.[attribute] !== 'string') throw new Error(`Vendor response doesn't contain ${attribute} key in object ${logicalId}`);
      return state.data[attribute];
    }
    if (attribute !== 'Arn') throw new Error(`the driver cannot resolve ${logicalId}.${attribute}`);
    switch (resource.Type) {
      case 'AWS::KMS::Key': return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${uuidOf(logicalId)}`;
      case 'AWS::Lambda::Function': return this.functionArnOf(logicalId);
      case 'AWS::IAM::Role': return `arn:aws:iam::${ACCOUNT}:role/${physicalName(this.stackName, logicalId)}`;
      default: return `arn:aws:${resource.Type.split('::')[1].toLowerCase()}:${REGION}:${ACCOUNT}:${physicalName(this.stackName, logicalId)}`;
    }
  }

  private functionArnOf(logicalId: string): string {
    const p = this.template.Resources[logicalId].Properties;
    const name = p.FunctionName ? String(this.resolve(p.FunctionName)) : physicalName(this.stackName, logicalId);
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
  }
}

/** The checks CloudFormation (through S3) applies to an answer. */
function responseViolations(req: import('node:http').IncomingMessage, raw: Buffer, event: CfnEvent): string[] {
  const out: string[] = [];
  if (req.method !== 'PUT') out.push(`answer sent with ${req.method}, the pre-signed URL is for PUT`);
  const length = req.headers['content-length'];
  if (length === undefined) out.push('answer has no content-length (S3 refuses a chunked PUT)');
  else if (Number(length) !== raw.length) out.push(`content-length ${length} but the body has ${raw.length} bytes`);
  if (raw.length > MAX_RESPONSE_BYTES) out.push(`answer body is ${raw.length} bytes, more than ${MAX_RESPONSE_BYTES}`);
  let body: any;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    out.push('answer body is not JSON');
    return out;
  }
  if (body.Status !== 'SUCCESS' && body.Status !== 'FAILED') out.push(`Status is ${JSON.stringify(body.Status)}`);
  if (body.Status === 'FAILED' && !body.Reason) out.push('a FAILED answer has no Reason');
  if (typeof body.PhysicalResourceId !== 'string' || body.PhysicalResourceId === '') out.push('PhysicalResourceId is missing');
  else if (Buffer.byteLength(body.PhysicalResourceId) > 1024) out.push('PhysicalResourceId is longer than 1 KB');
  for (const field of ['StackId', 'RequestId', 'LogicalResourceId'] as const) {
    if (body[field] !== event[field]) out.push(`${field} is ${JSON.stringify(body[field])}, the event's is ${JSON.stringify(event[field])}`);
  }
  if (body.Data !== undefined && (typeof body.Data !== 'object' || body.Data === null || Array.isArray(body.Data))) out.push('Data is not an object');
  return out;
}

/** CloudFormation hands custom resources every scalar as a string. */
export function stringifyLeaves(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringifyLeaves);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringifyLeaves(v)]));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

function physicalName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`.slice(0, 52) + '-' + hashOf(logicalId).slice(0, 12).toUpperCase();
}

function uuidOf(name: string): string {
  const h = hashOf(name);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** An id as CloudFormation makes one up for a resource whose Create never answered: `<stack>-<logical id>-<12 of [A-Z0-9]>`. */
export function madeUpPhysicalId(stackName: string, logicalId: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const suffix = Array.from(randomBytes(12), (b) => alphabet[b % alphabet.length]).join('');
  return `${`${stackName}-${logicalId}`.slice(0, 52)}-${suffix}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The logical ids that Fn::GetAtt names anywhere in `value`. */
function getAttTargets(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(getAttTargets);
  if (value === null || typeof value !== 'object') return [];
  const obj = value as Record<string, any>;
  if (Object.keys(obj).length === 1 && Array.isArray(obj['Fn::GetAtt'])) return [String(obj['Fn::GetAtt'][0])];
  return Object.values(obj).flatMap(getAttTargets);
}
