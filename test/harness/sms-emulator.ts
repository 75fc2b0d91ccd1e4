import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { listenOnLoopback, stopListening } from './loopback';
import { CatalogState, ServerCatalogStatus, VmFields } from './server-catalog';
import { loadSmsModel, SmsModel, validateShape } from './sms-model';

/**
 * A local AWS Server Migration Service that speaks the service's real wire protocol (awsJson1_1),
 * validates every request against the official model, keeps a server catalog and replication
 * jobs, records everything it is asked, and fails on demand.
 */

/** HTTP status codes of the SMS errors, as the service's Smithy model declares them (httpError). */
export const SMS_ERROR_STATUS: Record<string, number> = {
  InvalidParameterException: 400,
  MissingRequiredParameterException: 400,
  UnauthorizedOperationException: 403,
  OperationNotPermittedException: 403,
  ServerCannotBeReplicatedException: 400,
  ReplicationJobAlreadyExistsException: 400,
  ReplicationJobNotFoundException: 404,
  NoConnectorsAvailableException: 430,
  InternalError: 500,
  TemporarilyUnavailableException: 503,
  ThrottlingException: 400,
  ReplicationRunLimitExceededException: 400,
};

export type SmsErrorName = keyof typeof SMS_ERROR_STATUS;

/** A replication job as the service stores it: the model's ReplicationJob shape, timestamps in epoch seconds. */
export interface EmulatedJob {
  replicationJobId: string;
  serverId: string;
  serverType: 'VIRTUAL_MACHINE';
  vmServer: VmServer;
  seedReplicationTime: number;
  frequency?: number;
  runOnce: boolean;
  nextReplicationRunStartTime?: number;
  licenseType?: 'AWS' | 'BYOL';
  roleName?: string;
  latestAmiId?: string;
  state: 'PENDING' | 'ACTIVE' | 'FAILED' | 'DELETING' | 'DELETED' | 'COMPLETED' | 'PAUSED_ON_FAILURE' | 'FAILING';
  statusMessage?: string;
  description?: string;
  numberOfRecentAmisToKeep?: number;
  encrypted: boolean;
  kmsKeyId?: string;
  replicationRunList: unknown[];
}

/** A replication run as the service stores it: the model's ReplicationRun shape, timestamps in epoch seconds. */
export interface EmulatedRun {
  replicationRunId: string;
  state: 'PENDING' | 'MISSED' | 'ACTIVE' | 'FAILED' | 'COMPLETED' | 'DELETING' | 'DELETED';
  type: 'ON_DEMAND' | 'AUTOMATIC';
  statusMessage?: string;
  amiId?: string;
  scheduledStartTime?: number;
  completedTime?: number;
  description?: string;
  encrypted?: boolean;
  kmsKeyId?: string;
  stageDetails?: { stage?: string; stageProgress?: string };
}

/**
 * How an on-demand run moves once StartOnDemandReplicationRun made it: PENDING for `pendingMs`, then ACTIVE through
 * each of `stages` for `stageMs` each (stageDetails: the stage and its progress, "0%" to "100%"), then COMPLETED with
 * an AMI, or FAILED if the job was set to fail (failRunsOf). SMS's own stage names are not in its model (a string);
 * these are made up.
 */
export interface RunTimings {
  readonly pendingMs: number;
  readonly stageMs: number;
  readonly stages: readonly string[];
}

const DEFAULT_RUN_TIMINGS: RunTimings = { pendingMs: 200, stageMs: 300, stages: ['UPLOAD_DISKS', 'CONVERT_TO_AMI', 'CREATE_AMI'] };

interface VmServer {
  vmServerAddress: { vmManagerId: string; vmId: string };
  vmName: string;
  vmManagerName: string;
  vmManagerType: 'VSPHERE';
  vmPath: string;
}

export interface RecordedRequest {
  /** The operation named by X-Amz-Target (or the raw header when it names none). */
  readonly operation: string;
  /** The decoded JSON body (undefined when it was not JSON). */
  readonly body: any;
  readonly headers: http.IncomingHttpHeaders;
  /** Milliseconds since the emulator started. */
  readonly at: number;
  /** What the emulator did: ok, error:<Name>, violation, hang, malformed, lost:<how>. */
  outcome: string;
}

export interface Violation {
  readonly operation: string;
  readonly message: string;
  readonly body: unknown;
}

/** One injected misbehaviour, consumed by the next matching request(s). */
export type Fault =
  /** Answer with this SMS error (status from SMS_ERROR_STATUS unless given). Nothing is changed. */
  | { kind: 'error'; error: string; message?: string; status?: number }
  /** Wait, then behave normally. */
  | { kind: 'delay'; ms: number }
  /** Never answer and change nothing (the socket stays open until the client gives up or close()). */
  | { kind: 'hang' }
  /** Answer 200 with a truncated JSON body and change nothing. */
  | { kind: 'malformed' }
  /** Do the work, then lose the answer: destroy the socket, never answer, or answer with a truncated body. */
  | { kind: 'loseAnswer'; how: 'destroy' | 'hang' | 'malformed' };

export interface SmsEmulatorOptions {
  /** Servers in the catalog at start. */
  readonly servers?: string[];
  /** Page size when a request gives no maxResults; the service documents 50. */
  readonly defaultPageSize?: number;
  /** How on-demand runs move over time (real time, from their start). */
  readonly runTimings?: Partial<RunTimings>;
  /**
   * On-demand runs a job may be asked for in 24 hours, after which StartOnDemandReplicationRun answers
   * ReplicationRunLimitExceededException; SMS's own figure is not in its model. Default: no limit.
   */
  readonly onDemandRunsPerDay?: number;
}

class SmsError extends Error {
  constructor(readonly errorName: string, message: string, readonly status = SMS_ERROR_STATUS[errorName] ?? 400) {
    super(message);
  }
}

interface ArmedFault { fault: Fault; remaining: number }

export class SmsEmulator {
  /** Starts an emulator on 127.0.0.1 on a free port. */
  static async start(options: SmsEmulatorOptions = {}): Promise<SmsEmulator> {
    const emulator = new SmsEmulator(options);
    await listenOnLoopback(emulator.server);
    return emulator;
  }

  /** Every request received, in arrival order, including faulted and invalid ones. */
  readonly requests: RecordedRequest[] = [];
  /** Every way a request broke the SMS model or the awsJson1_1 protocol. */
  readonly violations: Violation[] = [];
  /** When the emulator started (epoch ms): requests' `at` counts from here. */
  readonly startedAt = Date.now();

  private readonly model: SmsModel = loadSmsModel();
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly servers = new Map<string, VmServer>();
  private readonly jobMap = new Map<string, EmulatedJob>();
  private readonly faults = new Map<string, ArmedFault[]>();
  private readonly defaultPageSize: number;
  private throttleRps: number | undefined;
  private readonly acceptedAt: number[] = [];
  private catalogModifiedOn = Date.now() / 1000;
  /** The catalog's status and imports (server-catalog.ts). */
  readonly catalog = new CatalogState(() => (this.catalogModifiedOn = Date.now() / 1000));
  /** How on-demand runs move over time; may be changed between requests. */
  runTimings: RunTimings;
  /** On-demand runs per job per 24 hours (undefined: no limit); may be changed between requests. */
  onDemandRunsPerDay: number | undefined;
  /** The on-demand runs still moving: their job, when they started (epoch ms), and the failure they end in, if any. */
  private readonly moving = new Map<string, { jobId: string; startedAt: number; fail?: string }>();
  /** Jobs whose next on-demand runs fail, with the message. */
  private readonly failingJobs = new Map<string, string>();

  private constructor(options: SmsEmulatorOptions) {
    this.defaultPageSize = options.defaultPageSize ?? 50;
    this.runTimings = { ...DEFAULT_RUN_TIMINGS, ...options.runTimings };
    this.onDemandRunsPerDay = options.onDemandRunsPerDay;
    for (const id of options.servers ?? []) this.addServer(id);
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** The value for AWS_ENDPOINT_URL_SMS or a client's `endpoint`. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Adds a server to the catalog (as if the connector had imported it) and returns its id. */
  addServer(serverId = `s-${randomBytes(4).toString('hex')}`, vm: VmFields = {}): string {
    const n = this.servers.size + 1;
    this.servers.set(serverId, {
      vmServerAddress: { vmManagerId: vm.vmManagerId ?? 'vmm-0001', vmId: vm.vmId ?? `vm-${serverId.slice(2)}` },
      vmName: vm.vmName ?? `vm-${n}`,
      vmManagerName: vm.vmManagerName ?? 'vcenter.example.internal',
      vmManagerType: 'VSPHERE',
      vmPath: vm.vmPath ?? `/Datacenter/vm/vm-${n}`,
    });
    this.catalogModifiedOn = Date.now() / 1000;
    return serverId;
  }

  /** Adds `count` servers named vm-<n>, n from `from` on, with ids s-<0x1000 + n> (8 hex digits), on one VM manager. */
  fillCatalog(count: number, from = 0): this {
    for (let i = from; i < from + count; i++) this.addServer(`s-${(0x1000 + i).toString(16).padStart(8, '0')}`, { vmName: `vm-${i}` });
    return this;
  }

  /** Removes a server from the catalog (its VM decommissioned, then the catalog imported again). */
  removeServer(serverId: string): void {
    if (!this.servers.delete(serverId)) throw new Error(`no server ${serverId} in the catalog`);
    this.catalogModifiedOn = Date.now() / 1000;
  }

  /** Sets the catalog's status; with IMPORTING, an import that ends `catalog.importMs` from now. */
  setCatalogStatus(status: ServerCatalogStatus, options: { importMs?: number } = {}): this {
    if (options.importMs !== undefined) this.catalog.importMs = options.importMs;
    this.catalog.set(status);
    return this;
  }

  /** Whether the server is in the catalog. */
  hasServer(serverId: string): boolean {
    return this.servers.has(serverId);
  }

  /**
   * Puts a job straight into the service, bypassing the API (for example a job someone else created).
   * The server is added to the catalog if needed; a server that already has a job is refused.
   */
  seedJob(fields: Partial<EmulatedJob> & { serverId: string }): EmulatedJob {
    if (!this.servers.has(fields.serverId)) this.addServer(fields.serverId);
    if (this.liveJobFor(fields.serverId)) {
      throw new Error(`server ${fields.serverId} already has a replication job`);
    }
    const seed = fields.seedReplicationTime ?? Math.floor(Date.now() / 1000) + 86400;
    const job: EmulatedJob = {
      replicationJobId: newJobId(),
      serverType: 'VIRTUAL_MACHINE',
      vmServer: this.servers.get(fields.serverId)!,
      seedReplicationTime: seed,
      nextReplicationRunStartTime: seed,
      runOnce: false,
      encrypted: false,
      state: 'ACTIVE',
      replicationRunList: [],
      ...fields,
    };
    this.jobMap.set(job.replicationJobId, job);
    return structuredClone(job);
  }

  /** Deletes a job behind the API's back, as someone using the console would; answers whether it existed. */
  deleteJob(replicationJobId: string): boolean {
    return this.jobMap.delete(replicationJobId);
  }

  /**
   * Changes a job behind the API's back, as the console or SMS itself would (a state SMS moved it to, a setting
   * someone changed); throws when the job does not exist.
   */
  alterJob(replicationJobId: string, changes: Partial<EmulatedJob>): void {
    const job = this.jobMap.get(replicationJobId);
    if (!job) throw new Error(`no replication job ${replicationJobId}`);
    Object.assign(job, changes);
  }

  /** Records a replication run of a job, as SMS does when one starts; a completed run with an AMI becomes the job's latest. */
  addRun(replicationJobId: string, run: EmulatedRun): void {
    const job = this.jobMap.get(replicationJobId);
    if (!job) throw new Error(`no replication job ${replicationJobId}`);
    job.replicationRunList.push(dropUndefined({ ...run }));
    if (run.state === 'COMPLETED' && run.amiId) job.latestAmiId = run.amiId;
  }

  /** The job's on-demand runs started from now on end FAILED with this message (undefined: they complete again). */
  failRunsOf(replicationJobId: string, message: string | undefined = 'Failed to upload the disk: connector disconnected'): this {
    if (message === undefined) this.failingJobs.delete(replicationJobId);
    else this.failingJobs.set(replicationJobId, message);
    return this;
  }

  /** A copy of every job the service holds, in creation order. */
  jobs(): EmulatedJob[] {
    return [...this.jobMap.values()].map((j) => structuredClone(j));
  }

  /** The requests made for one operation. */
  requestsFor(operation: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  /**
   * Arms a fault for the next `times` requests of `operation` ('*' for any operation).
   * Faults armed for one operation are used in the order they were armed.
   */
  inject(operation: string, fault: Fault, times = 1): this {
    const list = this.faults.get(operation) ?? [];
    list.push({ fault, remaining: times });
    this.faults.set(operation, list);
    return this;
  }

  /** The next `times` calls of `operation` fail with `error`. */
  failNext(operation: string, error: string, options: { times?: number; message?: string; status?: number } = {}): this {
    return this.inject(operation, { kind: 'error', error, message: options.message, status: options.status }, options.times ?? 1);
  }

  /** Answers ThrottlingException to any request above `rps` requests in the last second (undefined turns it off). */
  throttleAbove(rps: number | undefined): this {
    this.throttleRps = rps;
    return this;
  }

  /** Removes every armed fault and the throttle. */
  clearFaults(): this {
    this.faults.clear();
    this.throttleRps = undefined;
    return this;
  }

  /** Stops the server, destroying every open socket, including the ones a hang keeps open. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await stopListening(this.server);
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void this.handle(req, Buffer.concat(chunks).toString('utf8'), res);
    });
  }

  private async handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): Promise<void> {
    const prefix = this.model.metadata.targetPrefix;
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(prefix + '.') ? target.slice(prefix.length + 1) : target;
    let body: any;
    let bodyIsJson = true;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      bodyIsJson = false;
    }
    const record: RecordedRequest = { operation, body, headers: req.headers, at: Date.now() - this.startedAt, outcome: 'ok' };
    this.requests.push(record);

    const problems = this.protocolProblems(req, target, operation, raw, bodyIsJson, body);
    if (problems.length > 0) {
      for (const message of problems) this.violations.push({ operation, message, body });
      const missing = problems.some((p) => p.endsWith('required member is missing'));
      const error = missing ? 'MissingRequiredParameterException' : 'InvalidParameterException';
      record.outcome = 'violation';
      this.sendError(res, new SmsError(error, problems.join('; ')));
      return;
    }

    if (this.isThrottled()) {
      record.outcome = 'error:ThrottlingException';
      this.sendError(res, new SmsError('ThrottlingException', 'Rate exceeded'));
      return;
    }
    this.acceptedAt.push(Date.now());

    const fault = this.takeFault(operation);
    if (fault?.kind === 'delay') {
      await new Promise((r) => setTimeout(r, fault.ms));
    }
    if (fault?.kind === 'error') {
      record.outcome = `error:${fault.error}`;
      this.sendError(res, new SmsError(fault.error, fault.message ?? `Injected ${fault.error}`, fault.status));
      return;
    }
    if (fault?.kind === 'hang') {
      record.outcome = 'hang';
      return;
    }

    if (fault?.kind === 'malformed' && !operation.startsWith('Get')) {
      // Cut short before any work is done: the client cannot tell this from a lost answer, but nothing changed.
      record.outcome = 'malformed';
      this.send(res, 200, '{"replicationJobId":"sms-job-');
      return;
    }
    let result: unknown;
    try {
      result = this.perform(operation, body ?? {});
    } catch (e) {
      if (!(e instanceof SmsError)) throw e;
      record.outcome = `error:${e.errorName}`;
      this.sendError(res, e);
      return;
    }
    const json = JSON.stringify(result);
    if (fault?.kind === 'malformed' || (fault?.kind === 'loseAnswer' && fault.how === 'malformed')) {
      record.outcome = fault.kind === 'malformed' ? 'malformed' : 'lost:malformed';
      this.send(res, 200, json.slice(0, Math.max(1, Math.floor(json.length / 2))));
      return;
    }
    if (fault?.kind === 'loseAnswer') {
      record.outcome = `lost:${fault.how}`;
      if (fault.how === 'destroy') req.socket.destroy();
      return;
    }
    this.send(res, 200, json);
  }

  private protocolProblems(req: http.IncomingMessage, target: string, operation: string, raw: string, isJson: boolean, body: unknown): string[] {
    const out: string[] = [];
    if (req.method !== 'POST') out.push(`method is ${req.method}, awsJson1_1 uses POST`);
    if (req.url !== '/') out.push(`path is ${req.url}, awsJson1_1 uses /`);
    const contentType = String(req.headers['content-type'] ?? '');
    const expectedType = `application/x-amz-json-${this.model.metadata.jsonVersion}`;
    if (contentType !== expectedType) out.push(`content-type is "${contentType}", expected ${expectedType}`);
    const auth = String(req.headers.authorization ?? '');
    const scope = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
    const signingName = this.model.metadata.signingName ?? this.model.metadata.endpointPrefix;
    if (!scope) out.push('request is not signed with SigV4');
    else if (scope[2] !== signingName) out.push(`request is signed for service ${scope[2]}, expected ${signingName}`);
    const op = this.model.operations[operation];
    if (!op) {
      out.push(`X-Amz-Target "${target}" names no SMS operation`);
      return out;
    }
    if (!IMPLEMENTED.has(operation)) out.push(`${operation} is a real SMS operation that the emulator does not implement`);
    if (!isJson) {
      out.push(`body is not JSON: ${raw.slice(0, 80)}`);
      return out;
    }
    if (op.input) out.push(...validateShape(this.model, op.input.shape, body ?? {}, operation));
    return out;
  }

  private isThrottled(): boolean {
    if (this.throttleRps === undefined) return false;
    const now = Date.now();
    while (this.acceptedAt.length > 0 && this.acceptedAt[0] <= now - 1000) this.acceptedAt.shift();
    return this.acceptedAt.length >= this.throttleRps;
  }

  private takeFault(operation: string): Fault | undefined {
    for (const key of [operation, '*']) {
      const list = this.faults.get(key);
      const armed = list?.[0];
      if (!armed) continue;
      armed.remaining -= 1;
      if (armed.remaining <= 0) list!.shift();
      return armed.fault;
    }
    return undefined;
  }

  private perform(operation: string, input: any): unknown {
    this.moveRuns();
    switch (operation) {
      case 'StartOnDemandReplicationRun': return this.startOnDemandReplicationRun(input);
      case 'CreateReplicationJob': return this.createReplicationJob(input);
      case 'UpdateReplicationJob': return this.updateReplicationJob(input);
      case 'DeleteReplicationJob': return this.deleteReplicationJob(input);
      case 'GetReplicationJobs': return this.getReplicationJobs(input);
      case 'GetServers': return this.getServers(input);
      case 'ImportServerCatalog':
        this.catalog.startImport();
        return {};
      case 'GetReplicationRuns': return this.getReplicationRuns(input);
      default: throw new SmsError('InvalidParameterException', `${operation} is not implemented by the emulator`);
    }
  }

  private createReplicationJob(input: any): unknown {
    if (!this.servers.has(input.serverId)) {
      throw new SmsError('InvalidParameterException', `Server ${input.serverId} does not exist in the server catalog`);
    }
    if (this.liveJobFor(input.serverId)) {
      throw new SmsError('ReplicationJobAlreadyExistsException', `A replication job already exists for server ${input.serverId}`);
    }
    const job: EmulatedJob = {
      replicationJobId: newJobId(),
      serverId: input.serverId,
      serverType: 'VIRTUAL_MACHINE',
      vmServer: this.servers.get(input.serverId)!,
      seedReplicationTime: input.seedReplicationTime,
      frequency: input.frequency,
      runOnce: input.runOnce ?? false,
      nextReplicationRunStartTime: input.seedReplicationTime,
      licenseType: input.licenseType,
      roleName: input.roleName,
      state: 'PENDING',
      description: input.description,
      numberOfRecentAmisToKeep: input.numberOfRecentAmisToKeep,
      encrypted: input.encrypted ?? false,
      kmsKeyId: input.kmsKeyId,
      replicationRunList: [],
    };
    this.jobMap.set(job.replicationJobId, dropUndefined(job));
    return { replicationJobId: job.replicationJobId };
  }

  private updateReplicationJob(input: any): unknown {
    const job = this.jobMap.get(input.replicationJobId);
    if (!job) {
      throw new SmsError('ReplicationJobNotFoundException', `Replication job ${input.replicationJobId} does not exist`);
    }
    const { replicationJobId: _id, ...changes } = input;
    Object.assign(job, changes);
    return {};
  }

  private deleteReplicationJob(input: any): unknown {
    if (!this.jobMap.delete(input.replicationJobId)) {
      throw new SmsError('ReplicationJobNotFoundException', `Replication job ${input.replicationJobId} does not exist`);
    }
    return {};
  }

  private getReplicationJobs(input: any): unknown {
    const all = input.replicationJobId !== undefined
      ? [...this.jobMap.values()].filter((j) => j.replicationJobId === input.replicationJobId)
      : [...this.jobMap.values()];
    const page = this.page(all, input, 'jobs');
    return dropUndefined({ replicationJobList: page.items, nextToken: page.nextToken });
  }

  private getReplicationRuns(input: any): unknown {
    const job = this.jobMap.get(input.replicationJobId);
    if (!job) {
      throw new SmsError('ReplicationJobNotFoundException', `Replication job ${input.replicationJobId} does not exist`);
    }
    const page = this.page(job.replicationRunList, input, 'runs');
    return dropUndefined({ replicationJob: structuredClone(job), replicationRunList: page.items, nextToken: page.nextToken });
  }

  private startOnDemandReplicationRun(input: any): unknown {
    const job = this.jobMap.get(input.replicationJobId);
    if (!job) {
      // The operation's model names no ReplicationJobNotFoundException.
      throw new SmsError('InvalidParameterException', `Replication job ${input.replicationJobId} does not exist`);
    }
    if (['DELETING', 'DELETED', 'FAILED', 'FAILING', 'COMPLETED'].includes(job.state)) {
      throw new SmsError('OperationNotPermittedException', `Replication job ${job.replicationJobId} is ${job.state}: no run can be started`);
    }
    const now = Date.now();
    const recent = (job.replicationRunList as EmulatedRun[])
      .filter((r) => r.type === 'ON_DEMAND' && (r.scheduledStartTime ?? 0) * 1000 > now - 86_400_000);
    if (this.onDemandRunsPerDay !== undefined && recent.length >= this.onDemandRunsPerDay) {
      throw new SmsError('ReplicationRunLimitExceededException',
        'You have exceeded the number of on-demand replication runs you can request in a 24-hour period.');
    }
    const run: EmulatedRun = dropUndefined({
      replicationRunId: newRunId(),
      state: 'PENDING',
      type: 'ON_DEMAND',
      scheduledStartTime: now / 1000,
      description: input.description,
      encrypted: job.encrypted,
      kmsKeyId: job.kmsKeyId,
    });
    job.replicationRunList.push(run);
    this.moving.set(run.replicationRunId, { jobId: job.replicationJobId, startedAt: now, fail: this.failingJobs.get(job.replicationJobId) });
    return { replicationRunId: run.replicationRunId };
  }

  /** Moves each on-demand run to where its time says (RunTimings): PENDING, ACTIVE by stage, then COMPLETED or FAILED. */
  private moveRuns(): void {
    const now = Date.now();
    const { pendingMs, stageMs, stages } = this.runTimings;
    for (const [runId, moving] of this.moving) {
      const job = this.jobMap.get(moving.jobId);
      const run = (job?.replicationRunList as EmulatedRun[] | undefined)?.find((r) => r.replicationRunId === runId);
      if (!job || !run) {
        this.moving.delete(runId);
        continue;
      }
      const elapsed = now - moving.startedAt - pendingMs;
      if (elapsed < 0) continue;
      const stage = Math.floor(elapsed / stageMs);
      if (stage < stages.length) {
        run.state = 'ACTIVE';
        run.stageDetails = { stage: stages[stage], stageProgress: `${Math.floor(((elapsed % stageMs) / stageMs) * 100)}%` };
        continue;
      }
      delete run.stageDetails;
      run.completedTime = (moving.startedAt + pendingMs + stages.length * stageMs) / 1000;
      if (moving.fail !== undefined) {
        run.state = 'FAILED';
        run.statusMessage = moving.fail;
      } else {
        run.state = 'COMPLETED';
        run.amiId = `ami-${randomBytes(9).toString('hex').slice(0, 17)}`;
        job.latestAmiId = run.amiId;
      }
      this.moving.delete(runId);
    }
  }

  private getServers(input: any): unknown {
    const status = this.catalog.current();
    // Servers are listed once imported: a catalog not (yet) imported, expired or deleted lists none.
    let all = status === 'AVAILABLE' ? [...this.servers.entries()] : [];
    if (input.vmServerAddressList) {
      all = all.filter(([, vm]) => input.vmServerAddressList.some((a: any) =>
        (a.vmId === undefined || a.vmId === vm.vmServerAddress.vmId)
        && (a.vmManagerId === undefined || a.vmManagerId === vm.vmServerAddress.vmManagerId)));
    }
    const page = this.page(all, input, 'servers');
    return dropUndefined({
      lastModifiedOn: this.catalogModifiedOn,
      serverCatalogStatus: status,
      serverList: page.items.map(([serverId, vmServer]) => dropUndefined({
        serverId,
        serverType: 'VIRTUAL_MACHINE',
        vmServer,
        replicationJobId: this.liveJobFor(serverId)?.replicationJobId,
        replicationJobTerminated: false,
      })),
      nextToken: page.nextToken,
    });
  }

  private page<T>(all: T[], input: any, kind: string): { items: T[]; nextToken?: string } {
    let offset = 0;
    if (input.nextToken !== undefined) {
      const decoded = /^(\w+):(\d+)$/.exec(Buffer.from(input.nextToken, 'base64url').toString());
      if (!decoded || decoded[1] !== kind) throw new SmsError('InvalidParameterException', 'Invalid nextToken');
      offset = Number(decoded[2]);
    }
    if (input.maxResults !== undefined && input.maxResults < 1) {
      throw new SmsError('InvalidParameterException', 'maxResults must be at least 1');
    }
    const size = input.maxResults ?? this.defaultPageSize;
    const items = all.slice(offset, offset + size);
    const next = offset + size < all.length ? Buffer.from(`${kind}:${offset + size}`).toString('base64url') : undefined;
    return { items: structuredClone(items), nextToken: next };
  }

  /** The server's job; one SMS ended (DELETED) no longer stops a new one. */
  private liveJobFor(serverId: string): EmulatedJob | undefined {
    return [...this.jobMap.values()].find((j) => j.serverId === serverId && j.state !== 'DELETED');
  }

  private sendError(res: http.ServerResponse, error: SmsError): void {
    this.send(res, error.status, JSON.stringify({ __type: error.errorName, message: error.message }));
  }

  private send(res: http.ServerResponse, status: number, body: string): void {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(body);
  }
}

const IMPLEMENTED = new Set(['CreateReplicationJob', 'UpdateReplicationJob', 'DeleteReplicationJob', 'GetReplicationJobs', 'GetServers',
  'ImportServerCatalog', 'GetReplicationRuns', 'StartOnDemandReplicationRun']);

/** `sms-run-` followed by 17 lowercase hex digits. */
function newRunId(): string {
  return `sms-run-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** `sms-job-` followed by 17 lowercase hex digits, like the service's ids. */
function newJobId(): string {
  return `sms-job-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
