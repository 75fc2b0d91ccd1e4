/**
 * Runs the two custom resource handlers as Lambda would: ours (the bundle in assets/handler) and the one aws-cdk-lib
 * ships for AwsCustomResource, which loads `@aws-sdk/client-sms` from the module path (NODE_PATH here, the
 * runtime's preinstalled SDK on Lambda). Both answer CloudFormation events taken from the synthesized templates,
 * call a local SMS emulator and PUT their answer to a local HTTPS server.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationApi } from '../test/harness/cfn-api';
import { SmsEmulator } from '../test/harness/sms-emulator';
import { AnswerServer, CfnAnswer } from './answer-server';
import { Library, STACK_NAME } from './stacks';
import { stackIdOf } from './template';

const CHILD = path.join(__dirname, 'handler-child.cjs');
const REPO = path.resolve(__dirname, '..');

/** Where each handler's code is copied from; the copy sits alone in a folder, like /var/task. */
export const HANDLER_SOURCES: Record<Library, string> = {
  ours: path.join(REPO, 'assets', 'handler', 'index.js'),
  baseline: path.join(REPO, 'node_modules', 'aws-cdk-lib', 'custom-resource-handlers', 'dist', 'custom-resources',
    'aws-custom-resource-handler', 'index.js'),
};

/** A CloudFormation event without its ResponseURL, which each run fills in. */
export interface EventTemplate {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
  readonly PhysicalResourceId?: string;
}

/** One event of a concurrent batch: its answer, and the time from sending the batch to the answer's arrival. */
export interface ConcurrentAnswer {
  readonly answer: CfnAnswer;
  readonly ms: number;
}

/** One asynchronous invocation of a batch: how it ended, and the time from sending the batch to its end. */
export interface AsyncInvocation {
  readonly ms: number;
  /** What the invocation threw (Lambda retries such an event). */
  readonly error?: { readonly name: string; readonly message: string };
  readonly timedOut?: boolean;
}

export interface ColdRun {
  /** From spawning the process to the answer's arrival. */
  readonly ms: number;
  readonly cpuMs: number;
  readonly maxRssKb: number;
  readonly loadedBytes: number;
}

export interface WarmRuns {
  readonly ms: number[];
  readonly cpuMs: number[];
  readonly maxRssKb: number;
  readonly peakHeapBytes: number;
  readonly loadedBytes: number;
}

/** The stack of every event: the one the bench synthesizes, with the id its template's `AWS::StackId` resolves to. */
const STACK_ID = stackIdOf(STACK_NAME);

/**
 * The bench stack's status, which the handler reads with DescribeStacks before each write (lambda/rollback.ts): the
 * phases set it as CloudFormation would (CREATE_IN_PROGRESS while it creates, UPDATE_IN_PROGRESS while it replaces).
 */
export interface BenchStack {
  status: string;
  /**
   * The physical id of each resource the bench created, by logical id: what DescribeStackResource answers (an AMI
   * event writes the latest AMI only for the job its resource holds, lambda/latest-ami.ts).
   */
  readonly physicalIds: Map<string, string>;
}

export class HandlerBench {
  static async start(workDir: string): Promise<HandlerBench> {
    const stack: BenchStack = { status: 'CREATE_IN_PROGRESS', physicalIds: new Map() };
    const cloudFormation = await CloudFormationApi.start({
      stackId: STACK_ID, stackName: STACK_NAME, status: () => stack.status,
      resource: (logicalId) => {
        const physicalId = stack.physicalIds.get(logicalId);
        return physicalId === undefined ? undefined : { logicalId, physicalId, type: 'Custom::SmsReplicationJob' };
      },
    });
    const answers = await AnswerServer.start(workDir);
    const handlers = {} as Record<Library, string>;
    for (const library of ['ours', 'baseline'] as Library[]) {
      const dir = path.join(workDir, `task-${library}`);
      fs.mkdirSync(dir, { recursive: true });
      await copyWhenPresent(HANDLER_SOURCES[library], path.join(dir, 'index.js'));
      handlers[library] = path.join(dir, 'index.js');
    }
    return new HandlerBench(workDir, answers, handlers, stack, cloudFormation);
  }

  private constructor(
    private readonly workDir: string,
    readonly answers: AnswerServer,
    private readonly handlers: Record<Library, string>,
    readonly stack: BenchStack,
    readonly cloudFormation: CloudFormationApi,
  ) {}

  /** The answer server listens on 443 (no port redirection needed). */
  get answersOn443(): boolean {
    return this.answers.port === 443;
  }

  /** Spawns a fresh process that loads the handler and answers one Create event; times spawn to answer. */
  async cold(library: Library, sms: SmsEmulator, event: EventTemplate): Promise<ColdRun> {
    const token = randomUUID();
    const expected = this.answers.expect(token);
    const eventFile = path.join(this.workDir, `${token}.json`);
    fs.writeFileSync(eventFile, JSON.stringify(this.cfnEvent(event, expected.url)));

    const start = performance.now();
    const child = spawn(process.execPath, [CHILD, 'cold', this.handlers[library], eventFile], {
      env: this.env(sms), stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const output = collect(child);
    const report = readStream(child.stdio[3] as NodeJS.ReadableStream);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const answer = await Promise.race([expected.answer, exited.then((code) => {
      throw new Error(`${library} handler exited (${code}) without answering:\n${output()}`);
    })]);
    const ms = performance.now() - start;
    await exited;
    checkAnswer(library, answer, output);
    return { ms, ...JSON.parse(await report) };
  }

  /**
   * Loads the handler once and sends it `count` events alternating Create and Delete (each Delete removes the job
   * the Create before it made), timing each invocation inside the process.
   */
  async warm(library: Library, sms: SmsEmulator, creates: EventTemplate[], count: number): Promise<WarmRuns> {
    const child = spawn(process.execPath, [CHILD, 'warm', this.handlers[library]], {
      env: this.env(sms), stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const output = collect(child);
    const messages: unknown[] = [];
    let wake: (() => void) | undefined;
    child.on('message', (m) => {
      messages.push(m);
      wake?.();
    });
    child.on('exit', () => wake?.());
    const next = async (): Promise<any> => {
      while (messages.length === 0) {
        if (child.exitCode !== null) throw new Error(`${library} handler exited:\n${output()}`);
        await new Promise<void>((resolve) => { wake = resolve; });
      }
      return messages.shift();
    };

    await next();
    const ms: number[] = [];
    const cpuMs: number[] = [];
    let jobId = '';
    for (let i = 0; i < count; i++) {
      const create = creates[Math.floor(i / 2) % creates.length];
      const event: EventTemplate = i % 2 === 0 ? create : { ...create, RequestType: 'Delete', PhysicalResourceId: jobId };
      const token = randomUUID();
      const expected = this.answers.expect(token);
      child.send(this.cfnEvent(event, expected.url));
      const [timing, answer] = await Promise.all([next(), expected.answer]);
      checkAnswer(library, answer, output);
      jobId = answer.PhysicalResourceId;
      ms.push(timing.ms);
      cpuMs.push(timing.cpuMs);
    }
    child.send('done');
    const final = await next();
    await new Promise((resolve) => child.exitCode !== null ? resolve(null) : child.on('exit', resolve));
    if (sms.jobs().length !== 0) throw new Error(`${library}: ${sms.jobs().length} jobs left after the warm runs`);
    return { ms, cpuMs, ...final };
  }

  /**
   * Starts `size` processes that each load the handler and answer one event at a time: a pool of Lambda execution
   * environments, one per concurrent event (each with its own SDK client). Each answers `warmUp` first, one process
   * at a time: on Lambda every environment has a CPU of its own, here they share the machine's cores, and their first
   * SMS requests (the SDK's lazy set-up) would otherwise queue for the CPU rather than for SMS.
   */
  async pool(handlerFile: string, sms: SmsEmulator, size: number, timeoutMs: number, warmUp: EventTemplate,
    env: NodeJS.ProcessEnv = {}): Promise<HandlerPool> {
    const children = Array.from({ length: size }, () => {
      const child = spawn(process.execPath, [CHILD, 'warm', handlerFile, String(timeoutMs)], {
        env: { ...this.env(sms), ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      const output = collect(child);
      const ready = new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`handler exited (${code}) before it was ready:\n${output()}`)));
      });
      return { child, ready };
    });
    const pool = new HandlerPool(children.map((c) => c.child), (event, url) => this.cfnEvent(event, url), this.answers, timeoutMs, this.stack, this.cloudFormation);
    for (const { child } of children) pool.watchLogs(child);
    try {
      await Promise.all(children.map((c) => c.ready));
      for (const child of pool.children) {
        const [{ answer }] = await pool.batch([warmUp], [child]);
        if (answer.Status !== 'SUCCESS') throw new Error(`the warm-up event failed: ${answer.Reason}`);
      }
    } catch (e) {
      pool.close();
      throw e;
    }
    return pool;
  }

  async close(): Promise<void> {
    await Promise.all([this.answers.close(), this.cloudFormation.close()]);
  }

  private cfnEvent(event: EventTemplate, responseUrl: string): Record<string, unknown> {
    return {
      ...event,
      ServiceToken: event.ResourceProperties.ServiceToken,
      ResponseURL: responseUrl,
      StackId: STACK_ID,
      RequestId: randomUUID(),
    };
  }

  /** What Lambda gives a function: credentials, region, a NODE_PATH with the SDK; no user files. */
  private env(sms: SmsEmulator): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: this.workDir,
      NODE_PATH: path.join(REPO, 'node_modules'),
      AWS_REGION: 'us-west-2',
      AWS_DEFAULT_REGION: 'us-west-2',
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_SESSION_TOKEN: 'bench-session-token',
      AWS_CONFIG_FILE: path.join(this.workDir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(this.workDir, 'no-aws-credentials'),
      AWS_ENDPOINT_URL_SMS: sms.endpoint,
      AWS_ENDPOINT_URL_CLOUDFORMATION: this.cloudFormation.endpoint,
      ...this.answers.clientEnv(),
    };
  }
}

/** Processes that each answer one event at a time, as Lambda's execution environments do. */
export class HandlerPool {
  constructor(
    readonly children: ChildProcess[],
    private readonly cfnEvent: (event: EventTemplate, responseUrl: string) => Record<string, unknown>,
    private readonly answers: AnswerServer,
    private readonly timeoutMs: number,
    readonly stack: BenchStack,
    readonly cloudFormation: CloudFormationApi,
  ) {}

  /** The lines the processes logged that say something could not be done or was kept (a log of warnings, for counting). */
  private readonly notable: string[] = [];

  /** Keeps the child's log lines that say something could not be done or was kept. */
  watchLogs(child: ChildProcess): void {
    let partial = '';
    const onData = (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      this.notable.push(...lines.filter((line) => /could not|kept/.test(line)));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  }

  /** Where the log of notable lines ends now. */
  logMark(): number {
    return this.notable.length;
  }

  /** The notable lines logged since `mark`, one a line. */
  logsSince(mark: number): string {
    return this.notable.slice(mark).join('\n');
  }

  /**
   * Sends `events` at once, the i-th to the i-th process (of `children`, default the whole pool), and times each from
   * then to its answer's arrival.
   */
  async batch(events: EventTemplate[], children = this.children): Promise<ConcurrentAnswer[]> {
    if (events.length > children.length) throw new Error(`${events.length} events for ${children.length} processes`);
    const start = performance.now();
    return Promise.all(events.map(async (event, i) => {
      const expected = this.answers.expect(randomUUID(), this.timeoutMs + 10_000);
      children[i].send(this.cfnEvent(event, expected.url));
      const answer = await expected.answer;
      return { answer, ms: performance.now() - start };
    }));
  }

  /**
   * Sends `events` at once, the i-th to the i-th process, as Lambda invokes a function asynchronously (an EventBridge
   * target): the event as it is, no answer to CloudFormation. Each resolves when its invocation returns or throws (the
   * error's name and message), or when the function's timeout and 10 s more have passed (`timedOut`).
   */
  async invoke(events: unknown[], children = this.children): Promise<AsyncInvocation[]> {
    if (events.length > children.length) throw new Error(`${events.length} events for ${children.length} processes`);
    const start = performance.now();
    return Promise.all(events.map((event, i) => new Promise<AsyncInvocation>((resolve) => {
      const id = randomUUID();
      const child = children[i];
      const done = (result: Omit<AsyncInvocation, 'ms'>) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve({ ...result, ms: performance.now() - start });
      };
      const onMessage = (m: any) => {
        if (m?.invocationId === id) done({ error: m.error });
      };
      const timer = setTimeout(() => done({ timedOut: true }), this.timeoutMs + 10_000);
      child.on('message', onMessage);
      child.send({ invocationId: id, event });
    })));
  }

  close(): void {
    for (const child of this.children) child.kill();
  }
}

function checkAnswer(library: Library, answer: CfnAnswer, output: () => string): void {
  if (answer.Status !== 'SUCCESS') {
    throw new Error(`${library} handler answered ${answer.Status}: ${answer.Reason}\n${output()}`);
  }
  if (/Installing latest AWS SDK/.test(output())) {
    throw new Error(`${library} handler tried to install the latest AWS SDK`);
  }
}

/** Keeps the last 64 KiB of a child's stdout and stderr, for error messages. */
function collect(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (c: Buffer) => { text += c.toString('utf8'); });
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

/** Copies a file, waiting up to 10 s for it to appear: `npm test` deletes and rebuilds assets/handler. */
async function copyWhenPresent(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      fs.copyFileSync(from, to);
      return;
    } catch (e) {
      if (attempt >= 20 || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
