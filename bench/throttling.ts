/**
 * Deploys under SMS throttling: fifty Creates at once, then fifty Deletes, against an emulator that throttles above R
 * requests per second; and a replacement of fifty jobs at once. Each event runs in its own process with its own SDK
 * client, as Lambda runs concurrent events (HandlerBench.concurrent).
 *
 * The handler is measured with several retry strategies: the shipped bundle (lambda/retry.ts), and the same handler
 * bundled again with one of bench/strategies/*.ts in place of lambda/retry.ts (the strategy before issue 9 among them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BuildOptions, build } from 'esbuild';
import { FUNCTION_TIMEOUT_SECONDS } from '../lib/private/timing';
import { SmsEmulator } from '../test/harness/sms-emulator';
import { EventTemplate, HANDLER_SOURCES, HandlerBench, HandlerPool } from './handlers';
import { STACK_NAME, jobSpec } from './stacks';
import { synth } from './synth';
import { eventProperties } from './template';

/** A retry strategy to measure: the shipped handler, or the handler with a bench/strategies/<name>.ts in its place. */
export interface Strategy {
  readonly name: string;
  readonly description: string;
  /** bench/strategies/<file>.ts, or undefined for the shipped handler. */
  readonly file?: string;
  /** The function timeout it runs with. */
  readonly timeoutSeconds: number;
}

export const SHIPPED: Strategy = {
  name: 'new',
  description: 'this version: retries until the deadline; after a throttle a window from 3 s doubling to 20 s, waiting 30-100% of it',
  timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
};
export const OLD: Strategy = {
  name: 'old',
  description: 'main before issue 9: 10 attempts, full jitter from 200 ms doubling to 8 s; 90 s function timeout',
  file: 'old',
  timeoutSeconds: 90,
};
/** The alternatives the shipped strategy was chosen from (`npm run bench:strategies`). */
export const ALTERNATIVES: Strategy[] = [
  { name: 'SDK adaptive mode', description: 'AdaptiveRetryStrategy: client-side rate limiter over the standard backoff, no attempt count', file: 'adaptive', timeoutSeconds: FUNCTION_TIMEOUT_SECONDS },
  { name: 'full jitter, SDK curve', description: 'full jitter from 500 ms doubling to 20 s (the standard mode\'s throttling curve), no count', file: 'full-jitter', timeoutSeconds: FUNCTION_TIMEOUT_SECONDS },
  { name: 'full jitter, higher cap', description: 'full jitter from 2 s doubling to 30 s, no count', file: 'full-jitter-high-cap', timeoutSeconds: FUNCTION_TIMEOUT_SECONDS },
  { name: 'decorrelated jitter', description: 'each wait random between 1 s and 3 x the last, up to 30 s, no count', file: 'decorrelated', timeoutSeconds: FUNCTION_TIMEOUT_SECONDS },
];

/** One batch of concurrent events, as measured. */
export interface Phase {
  readonly events: number;
  readonly succeeded: number;
  /** From sending the batch to the last answer. */
  readonly lastAnswerMs: number;
  /** SMS requests the batch made, throttled ones included. */
  readonly requests: number;
  /** DescribeStacks requests the batch made: one before each attempt of a write (lambda/rollback.ts). */
  readonly describeStacks: number;
  /** The first FAILED answer's Reason, if any. */
  readonly failure?: string;
}

export interface DeployRun {
  readonly strategy: string;
  readonly rate: number;
  readonly creates: Phase;
  /** Jobs SMS holds after the Creates, and CreateReplicationJob requests that made one. */
  readonly jobsAfterCreates: number;
  readonly jobsMade: number;
  /** Undefined when only the Creates were measured. */
  readonly deletes?: Phase;
  readonly jobsLeft?: number;
}

export interface ReplacementRun {
  readonly strategy: string;
  readonly rate: number;
  readonly updates: Phase;
  readonly cleanup?: Phase;
  readonly jobsLeft: number;
  readonly jobsOnNewServers: number;
}

/** The Create events of a synthesized stack of `jobs` jobs, their servers, and other servers to move them to. */
export function deployEvents(jobs: number, seed: Date, outdir: string): { creates: EventTemplate[]; servers: string[]; newServers: string[] } {
  const result = synth('ours', jobs, seed, outdir);
  const creates = Object.entries(result.template.Resources)
    .filter(([, r]) => r.Type === 'Custom::SmsReplicationJob')
    .map(([logicalId, r]): EventTemplate => ({
      RequestType: 'Create',
      LogicalResourceId: logicalId,
      ResourceType: r.Type,
      ResourceProperties: eventProperties(result.template, STACK_NAME, logicalId),
    }));
  const servers = Array.from({ length: jobs }, (_, i) => jobSpec(i, seed).serverId);
  const newServers = Array.from({ length: jobs }, (_, i) => jobSpec(jobs + i, seed).serverId);
  return { creates, servers, newServers };
}

const SHIPPED_RETRY = path.join(__dirname, '..', 'lambda', 'retry.ts');
const SHIPPED_BUILD: BuildOptions = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'scripts', 'handler-build.json'), 'utf8'));

/** Builds one handler bundle per strategy (the shipped one is assets/handler/index.js) into `workDir`. */
export async function bundles(workDir: string, strategies: Strategy[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const strategy of strategies) {
    if (!strategy.file) {
      out.set(strategy.name, HANDLER_SOURCES.ours);
      continue;
    }
    const outfile = path.join(workDir, `task-${strategy.file}`, 'index.js');
    const replacement = path.join(__dirname, 'strategies', `${strategy.file}.ts`);
    await build({
      // The shipped handler's options (scripts/bundle-handler.mjs reads them too), so that only the retry strategy differs.
      ...SHIPPED_BUILD,
      absWorkingDir: path.join(__dirname, '..'),
      outfile,
      plugins: [{
        name: 'retry-strategy',
        setup(b) {
          // lambda/sms.ts's `./retry` becomes lambda/retry.ts with the strategy's retryStrategy in place of its own: the
          // rest of retry.ts (ProviderError, which sms.ts also imports) stays the shipped one.
          b.onResolve({ filter: /^\.\/retry$/ }, (args) =>
            path.basename(args.importer) === 'sms.ts' && path.basename(path.dirname(args.importer)) === 'lambda' ? { path: replacement, namespace: 'retry-strategy' } : undefined);
          b.onLoad({ filter: /.*/, namespace: 'retry-strategy' }, (args) => ({
            contents: `export * from ${JSON.stringify(SHIPPED_RETRY)};\nexport { retryStrategy } from ${JSON.stringify(args.path)};\n`,
            loader: 'ts',
            resolveDir: path.dirname(SHIPPED_RETRY),
          }));
        },
      }],
    });
    out.set(strategy.name, outfile);
  }
  return out;
}

/** N Creates at once, then the N Deletes CloudFormation sends for them (even a failed Create's), throttled above `rate`. */
export async function deploy(pool: HandlerPool, sms: SmsEmulator, strategy: Strategy, rate: number, creates: EventTemplate[], withDeletes = true): Promise<DeployRun> {
  pool.stack.status = 'CREATE_IN_PROGRESS';
  const created = await measure(pool, sms, creates, rate);
  const jobsAfterCreates = sms.jobs().length;
  const jobsMade = sms.requests.slice(created.firstRequest).filter((r) => r.operation === 'CreateReplicationJob' && r.outcome === 'ok').length;
  const run = { strategy: strategy.name, rate, creates: created.phase, jobsAfterCreates, jobsMade };
  if (!withDeletes) return run;
  const deletes = creates.map((event, i): EventTemplate => ({ ...event, RequestType: 'Delete', PhysicalResourceId: created.answers[i].PhysicalResourceId }));
  pool.stack.status = 'DELETE_IN_PROGRESS';
  const deleted = await measure(pool, sms, deletes, rate);
  return { ...run, deletes: deleted.phase, jobsLeft: sms.jobs().length };
}

/**
 * N jobs move to new servers at once, throttled above `rate`: N Updates (each lists the account's jobs and creates the
 * new job), then, if all succeeded, the N cleanup Deletes of the old jobs. The jobs are created unthrottled first.
 */
export async function replace(pool: HandlerPool, sms: SmsEmulator, strategy: Strategy, rate: number,
  creates: EventTemplate[], newServers: string[]): Promise<ReplacementRun> {
  pool.stack.status = 'CREATE_IN_PROGRESS';
  const created = await measure(pool, sms, creates, undefined);
  if (created.phase.succeeded !== creates.length) throw new Error(`${strategy.name}: unthrottled Creates failed: ${created.phase.failure}`);
  const updates = creates.map((event, i): EventTemplate => ({
    ...event,
    RequestType: 'Update',
    PhysicalResourceId: created.answers[i].PhysicalResourceId,
    OldResourceProperties: event.ResourceProperties,
    ResourceProperties: { ...event.ResourceProperties, ServerId: newServers[i] },
  }));
  pool.stack.status = 'UPDATE_IN_PROGRESS';
  const updated = await measure(pool, sms, updates, rate);
  let cleanup: Phase | undefined;
  // CloudFormation deletes the replaced jobs only after the whole stack update succeeded; otherwise it rolls back.
  if (updated.phase.succeeded === updates.length) {
    const deletes = creates.map((event, i): EventTemplate => ({ ...event, RequestType: 'Delete', PhysicalResourceId: created.answers[i].PhysicalResourceId }));
    pool.stack.status = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
    cleanup = (await measure(pool, sms, deletes, rate)).phase;
  }
  const jobs = sms.jobs();
  return {
    strategy: strategy.name, rate, updates: updated.phase, cleanup,
    jobsLeft: jobs.length, jobsOnNewServers: jobs.filter((j) => newServers.includes(j.serverId)).length,
  };
}

/** Answers `events` at once, throttled above `rate` (not at all when undefined). */
async function measure(pool: HandlerPool, sms: SmsEmulator, events: EventTemplate[], rate: number | undefined) {
  // A second without requests, so that the batch starts with the whole rate.
  sms.throttleAbove(undefined);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  sms.throttleAbove(rate);
  const firstRequest = sms.requests.length;
  const firstDescribe = pool.cloudFormation.describeStacksCalls().length;
  const results = await pool.batch(events);
  const answers = results.map((r) => r.answer);
  const phase: Phase = {
    events: events.length,
    succeeded: answers.filter((a) => a.Status === 'SUCCESS').length,
    lastAnswerMs: Math.max(...results.map((r) => r.ms)),
    requests: sms.requests.length - firstRequest,
    describeStacks: pool.cloudFormation.describeStacksCalls().length - firstDescribe,
    failure: answers.find((a) => a.Status !== 'SUCCESS')?.Reason,
  };
  return { answers, phase, firstRequest };
}

/** The rates the deploys are measured at, requests per second. */
export const RATES = [10, 5, 2, 1];
/** The rate of the replacement. */
export const REPLACEMENT_RATE = 2;

/** A Delete of a job that does not exist: one SMS request, answered SUCCESS (the job is gone already). */
const WARM_UP: Pick<EventTemplate, 'RequestType' | 'PhysicalResourceId'> = { RequestType: 'Delete', PhysicalResourceId: 'sms-job-0000warmup' };

/**
 * Runs the matrix for each strategy in turn: one pool of processes (one per concurrent event) and one emulator serve
 * every rate, as warm Lambda environments serve a stack's later events.
 */
export async function throttlingMatrix(bench: HandlerBench, workDir: string, strategies: Strategy[], creates: EventTemplate[],
  servers: string[], newServers: string[], progress: (message: string) => void,
  options: { rates?: number[]; deletes?: boolean; replacement?: boolean } = {}) {
  const handlers = await bundles(workDir, strategies);
  const deploys: DeployRun[] = [];
  const replacements: ReplacementRun[] = [];
  for (const strategy of strategies) {
    const sms = await SmsEmulator.start({ servers: [...servers, ...newServers] });
    const pool = await bench.pool(handlers.get(strategy.name)!, sms, creates.length, strategy.timeoutSeconds * 1000, { ...creates[0], ...WARM_UP });
    try {
      for (const rate of options.rates ?? RATES) {
        const run = await deploy(pool, sms, strategy, rate, creates, options.deletes ?? true);
        deploys.push(run);
        progress(`throttled at ${rate}/s, ${strategy.name}: Creates ${run.creates.succeeded}/${run.creates.events} in ${(run.creates.lastAnswerMs / 1000).toFixed(1)} s, `
          + `${(run.creates.requests / run.creates.events).toFixed(1)} requests each`
          + (run.deletes ? `; Deletes ${run.deletes.succeeded}/${run.deletes.events} in ${(run.deletes.lastAnswerMs / 1000).toFixed(1)} s, `
            + `${(run.deletes.requests / run.deletes.events).toFixed(1)} requests each` : ''));
        // What a failed run left behind (reported above) must not meet the next run.
        for (const job of sms.jobs()) sms.deleteJob(job.replicationJobId);
      }
      if (options.replacement ?? true) {
        const run = await replace(pool, sms, strategy, REPLACEMENT_RATE, creates, newServers);
        replacements.push(run);
        progress(`replacement at ${REPLACEMENT_RATE}/s, ${strategy.name}: Updates ${run.updates.succeeded}/${run.updates.events}, ${run.jobsOnNewServers} jobs on the new servers`);
      }
    } finally {
      pool.close();
      await sms.close();
    }
  }
  return { deploys, replacements };
}

/** Markdown tables of a matrix: one row per rate and strategy, the targets checked. */
export function renderThrottling(strategies: Strategy[], deploys: DeployRun[], replacements: ReplacementRun[]): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const table = (header: string[], body: string[][]) => [header, header.map(() => '---'), ...body].map((row) => `| ${row.join(' | ')} |`).join('\n');
  const mark = (ok: boolean, text: string) => (ok ? text : `**${text}** ✗`);
  const phaseCells = (p: Phase, limitMs: number) => [
    mark(p.succeeded === p.events, `${p.succeeded}/${p.events}`),
    mark(p.lastAnswerMs <= limitMs, s(p.lastAnswerMs)),
    mark(p.requests / p.events <= 4, (p.requests / p.events).toFixed(1)),
  ];
  const withDeletes = deploys.some((d) => d.deletes);
  const deployTable = table(
    ['R (req/s)', 'N/R (s)', 'retry strategy', 'Creates succeeded', 'last Create answer (s)', 'requests per Create', 'DescribeStacks per Create', 'jobs made',
      ...(withDeletes ? ['Deletes succeeded', 'last Delete answer (s)', 'requests per Delete', 'jobs left'] : [])],
    deploys.map((d) => {
      const n = d.creates.events;
      const limitMs = 1.5 * (n / d.rate) * 1000;
      return [String(d.rate), String(n / d.rate), d.strategy, ...phaseCells(d.creates, limitMs), (d.creates.describeStacks / n).toFixed(1),
        mark(d.jobsMade === n && d.jobsAfterCreates === n, `${d.jobsMade} (${d.jobsAfterCreates} held)`),
        ...(d.deletes ? [...phaseCells(d.deletes, limitMs), mark(d.jobsLeft === 0, String(d.jobsLeft))] : [])];
    }),
  );
  const replacementTable = table(
    ['R (req/s)', 'retry strategy', 'Updates succeeded', 'last Update answer (s)', 'requests per Update', 'cleanup Deletes succeeded', 'last cleanup answer (s)', 'requests per Delete', 'jobs left', 'on the new servers'],
    replacements.map((r) => {
      const n = r.updates.events;
      // An Update replacing a job makes two requests (a listing and the Create): 2N/R at best.
      const updateLimit = 1.5 * (2 * n / r.rate) * 1000;
      return [String(r.rate), r.strategy,
        mark(r.updates.succeeded === n, `${r.updates.succeeded}/${n}`), s(r.updates.lastAnswerMs), (r.updates.requests / n).toFixed(1),
        ...(r.cleanup ? phaseCells(r.cleanup, 1.5 * (n / r.rate) * 1000) : ['not sent: the update failed and would roll back', '', '']),
        String(r.jobsLeft), mark(r.jobsLeft === n && r.jobsOnNewServers === n, String(r.jobsOnNewServers))]
        .map((cell, i) => (i === 3 ? mark(r.updates.lastAnswerMs <= updateLimit, cell) : cell));
    }),
  );
  const failures = [...deploys.flatMap((d) => [d.creates, d.deletes].filter((p): p is Phase => !!p).map((p) => [d.strategy, d.rate, p] as const)),
    ...replacements.flatMap((r) => [r.updates, r.cleanup].filter((p): p is Phase => !!p).map((p) => [r.strategy, r.rate, p] as const))]
    .filter(([, , p]) => p.failure).map(([name, rate, p]) => `- ${name} at ${rate}/s: ${p.failure}`);
  return [
    table(['retry strategy', 'what it does', 'function timeout'], strategies.map((x) => [x.name, x.description, `${x.timeoutSeconds} s`])), '',
    `Targets (✗ marks a miss): every event succeeds, the last answer within 1.5 x N/R, at most 4 SMS requests per event on average, `
      + 'every job made once and deleted; after the replacement, exactly N jobs, all on the new servers.', '',
    deployTable, '',
    ...(replacements.length ? ['### Replacement of every job at once (new serverIds)', '',
      `The last Update's target is 1.5 x 2N/R: each Update lists the account's jobs, then creates the new job.`, '',
      replacementTable, ''] : []),
    ...(failures.length ? ['First failure Reason of each batch that had one:', '', ...failures, ''] : []),
  ].join('\n');
}
