/**
 * `npm run bench`: this library against what users write today (one AwsCustomResource per job), side by side in one
 * run. Prints one report and writes it, with a chart, to bench/RESULTS.md and bench/chart.svg.
 *
 * Every number is measured in this run; nothing is expected or hard-coded but the AWS quotas.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SmsEmulator } from '../test/harness/sms-emulator';
import { Series, chart } from './chart';
import { ColdRun, EventTemplate, HANDLER_SOURCES, HandlerBench, WarmRuns } from './handlers';
import { Library, STACK_NAME, jobSpec, seedTime } from './stacks';
import { SynthResult, synth } from './synth';
import { eventProperties } from './template';
import { CfnRun, describeStacksMatrix, renderDescribeStacks } from './describe-stacks';
import { DeployRun, OLD, REPLACEMENT_RATE, ReplacementRun, SHIPPED, renderThrottling, throttlingMatrix } from './throttling';

const SIZES = [1, 50, 200, 480];
/** Synth runs per stack: more where a synth is short and its time noisier. */
const synthRuns = (jobs: number) => (jobs <= 50 ? 21 : 11);
const COLD_RUNS = 10;
const WARM_EVENTS = 500;
/** Jobs of the stack whose events the handlers answer (each on its own server in the emulator's catalog). */
const EVENT_JOBS = 50;
const LIBRARIES: Library[] = ['ours', 'baseline'];
const NAMES: Record<Library, string> = { ours: 'cdk-sms-replication-job', baseline: 'AwsCustomResource' };
const CUSTOM_TYPES: Record<Library, string> = { ours: 'Custom::SmsReplicationJob', baseline: 'Custom::AWS' };

/** The quotas that can stop a stack from growing. */
const QUOTAS = [
  { key: 'resources', name: '500 resources per stack', limit: 500 },
  { key: 'templateBytes', name: '1 MB template (S3)', limit: 1_048_576 },
  { key: 'maxRolePolicyChars', name: '10,240 inline policy characters per role', limit: 10_240 },
] as const;
type QuotaKey = typeof QUOTAS[number]['key'];

/** Lambda gives a function one vCPU at 1,769 MB, and CPU in proportion to memory below that. */
const FULL_VCPU_MB = 1769;
const MEMORY_SIZES = [128, 256, 512, 1024];

async function main(): Promise<void> {
  const started = Date.now();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-bench-'));
  const progress = (message: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
  try {
    const machine = machineInfo();
    progress(`${machine.cpu}, ${machine.cores} cores, Node.js ${machine.node}, aws-cdk-lib ${machine.cdk}`);

    // 1. Synth: every size, both libraries, alternating which goes first; one warm-up of each, not counted.
    const seed = seedTime();
    const outdir = path.join(workDir, 'cdk.out');
    for (const library of LIBRARIES) synth(library, 1, seed, outdir);
    const synths: Record<Library, Record<number, { ms: number[]; last: SynthResult }>> = { ours: {}, baseline: {} };
    for (const jobs of SIZES) {
      for (let run = 0; run < synthRuns(jobs); run++) {
        for (const library of run % 2 === 0 ? LIBRARIES : [...LIBRARIES].reverse()) {
          const result = synth(library, jobs, seed, outdir);
          const entry = synths[library][jobs] ??= { ms: [], last: result };
          entry.ms.push(result.ms);
          entry.last = result;
        }
      }
      progress(`synthesized ${jobs} jobs x ${synthRuns(jobs)} runs`);
    }
    const growth = {} as Record<Library, Record<QuotaKey, Line>>;
    for (const library of LIBRARIES) {
      const results = SIZES.map((n) => synths[library][n].last);
      growth[library] = {
        resources: fit(results.map((r) => [r.jobs, r.resources])),
        templateBytes: fit(results.map((r) => [r.jobs, r.templateBytes])),
        maxRolePolicyChars: fit(results.map((r) => [r.jobs, r.maxRolePolicyChars])),
      };
    }
    const limits = {} as Record<Library, Array<{ quota: string; jobs: number }>>;
    for (const library of LIBRARIES) {
      limits[library] = QUOTAS.map((q) => ({ quota: q.name, jobs: maxJobs(growth[library][q.key], q.limit) }));
    }
    // The recommended flag of `cdk init` apps that merges statements: does it lift the baseline's IAM limit?
    const minimized = [1, EVENT_JOBS].map((n) => synth('baseline', n, seed, outdir, { '@aws-cdk/aws-iam:minimizePolicies': true }));
    const minimizedGrowth = fit(minimized.map((r) => [r.jobs, r.maxRolePolicyChars]));

    const breakdown = bytesBreakdown(synths.ours[1].last, synths.ours[480].last);
    const withoutPathMetadata = {} as Record<Library, number>;
    for (const library of LIBRARIES) {
      withoutPathMetadata[library] = perJobBytes(synths[library][1].last, synths[library][480].last, (r) => {
        delete r.Metadata?.['aws:cdk:path'];
        if (r.Metadata && Object.keys(r.Metadata).length === 0) delete r.Metadata;
      });
    }

    // 2. Handlers: events from the synthesized templates, answered against the emulator.
    const events = {} as Record<Library, EventTemplate[]>;
    for (const library of LIBRARIES) {
      const result = synth(library, EVENT_JOBS, seed, outdir);
      events[library] = Object.entries(result.template.Resources)
        .filter(([, r]) => r.Type === CUSTOM_TYPES[library])
        .map(([logicalId, r]) => ({
          RequestType: 'Create' as const,
          LogicalResourceId: logicalId,
          ResourceType: r.Type,
          ResourceProperties: eventProperties(result.template, STACK_NAME, logicalId),
        }));
    }
    const servers = Array.from({ length: EVENT_JOBS }, (_, i) => jobSpec(i, seed).serverId);
    const bench = await HandlerBench.start(workDir);
    const answersOn443 = bench.answersOn443;
    const cold: Record<Library, ColdRun[]> = { ours: [], baseline: [] };
    const warm = {} as Record<Library, WarmRuns>;
    let throttling: { deploys: DeployRun[]; replacements: ReplacementRun[] };
    let describeStacks: CfnRun[];
    try {
      const emulators = {
        ours: await SmsEmulator.start({ servers }),
        baseline: await SmsEmulator.start({ servers }),
      };
      try {
        // One warm-up each (file system caches), then alternate so that drift hits both alike.
        for (let run = -1; run < COLD_RUNS; run++) {
          for (const library of run % 2 === 0 ? LIBRARIES : [...LIBRARIES].reverse()) {
            const result = await bench.cold(library, emulators[library], events[library][run + 1]);
            if (run >= 0) cold[library].push(result);
          }
        }
        for (const library of LIBRARIES) {
          if (emulators[library].jobs().length !== COLD_RUNS + 1) throw new Error(`${library}: the cold runs did not each create one job`);
        }
        progress(`cold starts x ${COLD_RUNS}`);
        for (const library of LIBRARIES) {
          await emulators[library].close();
          emulators[library] = await SmsEmulator.start({ servers });
          warm[library] = await bench.warm(library, emulators[library], events[library], WARM_EVENTS);
          if (emulators[library].violations.length > 0) {
            throw new Error(`${library}: requests broke the SMS model: ${emulators[library].violations[0].message}`);
          }
        }
        progress(`warm events x ${WARM_EVENTS}`);
      } finally {
        await Promise.all(LIBRARIES.map((l) => emulators[l].close()));
      }
      // 3. Deploys under throttling: this version's retries beside those before issue 9, on the same events.
      const newServers = Array.from({ length: EVENT_JOBS }, (_, i) => jobSpec(EVENT_JOBS + i, seed).serverId);
      throttling = await throttlingMatrix(bench, workDir, [SHIPPED, OLD], events.ours, servers, newServers, progress);
      // 4. Deploys under CloudFormation throttling: this version's status reads beside those of main before issue 22.
      describeStacks = await describeStacksMatrix(bench, workDir, events.ours, servers, progress);
    } finally {
      await bench.close();
    }

    const report = render({ machine, synths, growth, limits, minimizedGrowth, breakdown, withoutPathMetadata, cold, warm, answersOn443, throttling, describeStacks });
    process.stdout.write(report.console);
    const seriesOf = (library: Library): Series => {
      const binding = limits[library].reduce((a, b) => (b.jobs < a.jobs ? b : a));
      return {
        label: NAMES[library],
        color: library === 'ours' ? '#1f6fd1' : '#d9822b',
        points: SIZES.map((n) => [n, synths[library][n].last.templateBytes]),
        limit: { jobs: binding.jobs, by: binding.quota.replace(/ per .*/, '') },
        bytesAt: (n) => growth[library].templateBytes.at(n),
      };
    };
    fs.writeFileSync(path.join(__dirname, 'chart.svg'), chart(LIBRARIES.map(seriesOf), QUOTAS[1].limit));
    fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), report.markdown);
    progress(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench/RESULTS.md and bench/chart.svg`);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  cdk: string;
  clientSms: string;
  oursBundleBytes: number;
  baselineHandlerBytes: number;
  date: string;
  /** The 1-minute load average when the run started; above the core count, other work shared the CPU. */
  load: number;
  /** The commit, and whether the sources the bench loads (lib/, lambda/) differ from it. */
  source: string;
}

function machineInfo(): Machine {
  const version = (pkg: string) => JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version as string;
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    cdk: version('aws-cdk-lib'),
    clientSms: version('@aws-sdk/client-sms'),
    oursBundleBytes: fs.statSync(HANDLER_SOURCES.ours).size,
    baselineHandlerBytes: fs.statSync(HANDLER_SOURCES.baseline).size,
    date: new Date().toISOString().slice(0, 10),
    load: os.loadavg()[0],
    source: sourceState(),
  };
}

/** Template bytes per job between two synthesized stacks, after `strip` has edited every resource of both. */
function perJobBytes(small: SynthResult, large: SynthResult, strip: (resource: any) => void): number {
  const bytes = (result: SynthResult) => {
    const template = structuredClone(result.template);
    Object.values(template.Resources).forEach(strip);
    // CDK writes templates as JSON.stringify(template, undefined, 1).
    return Buffer.byteLength(JSON.stringify(template, undefined, 1));
  };
  return (bytes(large) - bytes(small)) / (large.jobs - small.jobs);
}

/** Where each of our jobs' template bytes go: the bytes per job that each part of the job's resource takes. */
function bytesBreakdown(small: SynthResult, large: SynthResult): Array<[string, number]> {
  const job = (strip: (resource: any) => void) => (resource: any) => {
    if (resource.Type === 'Custom::SmsReplicationJob') strip(resource);
  };
  const total = perJobBytes(small, large, () => undefined);
  const parts: Array<[string, (r: any) => void]> = [
    ['job properties (ServerId … NumberOfRecentAmisToKeep)', (r) => {
      for (const key of Object.keys(r.Properties)) if (!key.startsWith('Service')) delete r.Properties[key];
    }],
    ['ServiceToken (Fn::GetAtt of the function)', (r) => delete r.Properties.ServiceToken],
    ['ServiceTimeout', (r) => delete r.Properties.ServiceTimeout],
    ['DependsOn (the provider policy)', (r) => delete r.DependsOn],
    ['DeletionPolicy + UpdateReplacePolicy "Delete" (CloudFormation\'s default)', (r) => {
      delete r.DeletionPolicy;
      delete r.UpdateReplacePolicy;
    }],
    ['Metadata aws:cdk:path (cdk synth default)', (r) => delete r.Metadata],
  ];
  const out: Array<[string, number]> = parts.map(([name, strip]) => [name, total - perJobBytes(small, large, job(strip))]);
  out.push(['Type, logical id, braces and indentation', total - out.reduce((n, [, b]) => n + b, 0)]);
  out.push(['total', total]);
  return out;
}

function sourceState(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).trim();
  try {
    const changed = git('status', '--porcelain', '--', 'lib', 'lambda', 'scripts');
    return `commit ${git('rev-parse', '--short', 'HEAD')}${changed ? ', with uncommitted changes in lib/, lambda/ or scripts/' : ''}`;
  } catch {
    return 'not a git checkout';
  }
}

/** A least-squares line through measured points: y = fixed + perJob * jobs. */
interface Line {
  readonly perJob: number;
  readonly fixed: number;
  /** The largest distance of a measured point from the line. */
  readonly maxResidual: number;
  at(jobs: number): number;
}

function fit(points: Array<[number, number]>): Line {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const perJob = sxx === 0 ? 0 : sxy / sxx;
  const fixed = my - perJob * mx;
  const at = (jobs: number) => fixed + perJob * jobs;
  return { perJob, fixed, maxResidual: Math.max(...points.map(([x, y]) => Math.abs(y - at(x)))), at };
}

/** The most jobs for which the fitted line stays within the quota (Infinity when it does not grow). */
function maxJobs(line: Line, limit: number): number {
  if (line.perJob < 1e-9) return line.fixed <= limit ? Infinity : 0;
  // Round the line at whole units first: 1.0000001 resources per job is one per job.
  const perJob = Math.abs(line.perJob - Math.round(line.perJob)) < 1e-6 ? Math.round(line.perJob) : line.perJob;
  const fixed = Math.abs(line.fixed - Math.round(line.fixed)) < 1e-6 ? Math.round(line.fixed) : line.fixed;
  return Math.max(0, Math.floor((limit - fixed) / perJob));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Measured {
  machine: Machine;
  synths: Record<Library, Record<number, { ms: number[]; last: SynthResult }>>;
  growth: Record<Library, Record<QuotaKey, Line>>;
  limits: Record<Library, Array<{ quota: string; jobs: number }>>;
  minimizedGrowth: Line;
  breakdown: Array<[string, number]>;
  withoutPathMetadata: Record<Library, number>;
  cold: Record<Library, ColdRun[]>;
  warm: Record<Library, WarmRuns>;
  answersOn443: boolean;
  throttling: { deploys: DeployRun[]; replacements: ReplacementRun[] };
  describeStacks: CfnRun[];
}

function render(m: Measured): { console: string; markdown: string } {
  const int = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'no limit';
  const dec = (n: number, d = 1) => n.toFixed(d);
  const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 0)} ms`;
  const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}`;
  const over = (r: SynthResult) => QUOTAS.filter((q) => r[q.key] > q.limit).map((q) => q.name.replace(/^[\d,.]+ (MB )?/, ''));
  const flag = (r: SynthResult) => over(r).length ? ` ✗ (${over(r).join(', ')})` : '';

  const table = (header: string[], body: string[][]) => [header, header.map(() => '---'), ...body]
    .map((row) => `| ${row.join(' | ')} |`).join('\n');

  const perSize = table(
    ['jobs', 'library', 'resources', 'per job', 'template bytes', 'bytes per job', 'provider role inline policy chars', 'synth, median (p25 – p75)', 'synth ours / baseline'],
    SIZES.flatMap((n) => LIBRARIES.map((library) => {
      const r = m.synths[library][n].last;
      const other = m.synths.baseline[n];
      return [
        String(n),
        NAMES[library] + flag(r),
        int(r.resources),
        dec(r.resources / n, 2),
        int(r.templateBytes),
        int(r.templateBytes / n),
        int(r.maxRolePolicyChars),
        `${ms(median(m.synths[library][n].ms))} (${ms(percentile(m.synths[library][n].ms, 25))} – ${ms(percentile(m.synths[library][n].ms, 75))})`,
        library === 'ours' ? ratio(median(m.synths.ours[n].ms), median(other.ms)) : '',
      ];
    })),
  );

  const g = m.growth;
  const binding = (library: Library) => m.limits[library].reduce((a, b) => (b.jobs < a.jobs ? b : a));
  const growthTable = table(
    ['growth, fitted over the four sizes', NAMES.ours, NAMES.baseline, 'ours / baseline'],
    [
      ['CloudFormation resources per job', dec(g.ours.resources.perJob, 2), dec(g.baseline.resources.perJob, 2), ratio(g.ours.resources.perJob, g.baseline.resources.perJob)],
      ['resources per stack, fixed', dec(g.ours.resources.fixed, 1), dec(g.baseline.resources.fixed, 1), ''],
      ['template bytes per job', int(g.ours.templateBytes.perJob), int(g.baseline.templateBytes.perJob), ratio(g.ours.templateBytes.perJob, g.baseline.templateBytes.perJob)],
      ['template bytes, fixed', int(g.ours.templateBytes.fixed), int(g.baseline.templateBytes.fixed), ''],
      ['inline policy chars per job (provider role)', dec(g.ours.maxRolePolicyChars.perJob, 1), dec(g.baseline.maxRolePolicyChars.perJob, 1), ''],
      ['inline policy chars, fixed', int(g.ours.maxRolePolicyChars.fixed), int(g.baseline.maxRolePolicyChars.fixed), ''],
      ...QUOTAS.map((q, i) => [`most jobs by ${q.name}`, int(m.limits.ours[i].jobs), int(m.limits.baseline[i].jobs), '']),
      ['**most jobs in one stack**', `**${int(binding('ours').jobs)}** (${binding('ours').quota})`, `**${int(binding('baseline').jobs)}** (${binding('baseline').quota})`, ''],
    ],
  );
  const breakdownTable = table(['part of each job\'s resource (ours)', 'bytes per job'],
    m.breakdown.map(([name, bytes]) => [name, int(bytes)]));
  const noPath = m.withoutPathMetadata;
  const residuals = LIBRARIES.map((l) => `${NAMES[l]}: ${QUOTAS.map((q) => `${q.key} ±${dec(g[l][q.key].maxResidual, 1)}`).join(', ')}`).join('; ');

  const coldMs = (l: Library) => median(m.cold[l].map((r) => r.ms));
  const coldCpu = (l: Library) => median(m.cold[l].map((r) => r.cpuMs));
  const coldRss = (l: Library) => median(m.cold[l].map((r) => r.maxRssKb));
  const range = (l: Library) => `${ms(Math.min(...m.cold[l].map((r) => r.ms)))} – ${ms(Math.max(...m.cold[l].map((r) => r.ms)))}`;
  const handlerTable = table(
    ['handler', NAMES.ours, NAMES.baseline, 'ours / baseline'],
    [
      ['code shipped in the asset (bytes)', int(m.machine.oursBundleBytes), int(m.machine.baselineHandlerBytes) + ' + the runtime\'s SDK', ratio(m.machine.oursBundleBytes, m.machine.baselineHandlerBytes)],
      ['JavaScript loaded to answer (bytes, every module file)', int(m.cold.ours[0].loadedBytes), int(m.cold.baseline[0].loadedBytes), ratio(m.cold.ours[0].loadedBytes, m.cold.baseline[0].loadedBytes)],
      [`cold process start to answered Create, median of ${COLD_RUNS}`, ms(coldMs('ours')), ms(coldMs('baseline')), ratio(coldMs('ours'), coldMs('baseline'))],
      ['  min – max', range('ours'), range('baseline'), ''],
      ['  CPU time of that process (user + system), median', ms(coldCpu('ours')), ms(coldCpu('baseline')), ratio(coldCpu('ours'), coldCpu('baseline'))],
      ['  peak RSS after the first answer, median', mb(coldRss('ours')), mb(coldRss('baseline')), ''],
      [`warm handler time per event, p50 (${WARM_EVENTS} Create/Delete)`, ms(percentile(m.warm.ours.ms, 50)), ms(percentile(m.warm.baseline.ms, 50)), ratio(percentile(m.warm.ours.ms, 50), percentile(m.warm.baseline.ms, 50))],
      ['warm handler time per event, p99', ms(percentile(m.warm.ours.ms, 99)), ms(percentile(m.warm.baseline.ms, 99)), ratio(percentile(m.warm.ours.ms, 99), percentile(m.warm.baseline.ms, 99))],
      ['warm CPU time per event, p50', ms(percentile(m.warm.ours.cpuMs, 50)), ms(percentile(m.warm.baseline.cpuMs, 50)), ''],
      [`peak RSS over ${WARM_EVENTS} events (VmHWM)`, mb(m.warm.ours.maxRssKb), mb(m.warm.baseline.maxRssKb), ''],
      ['peak heap used', mb(m.warm.ours.peakHeapBytes / 1024), mb(m.warm.baseline.peakHeapBytes / 1024), ''],
    ],
  );

  // Memory size: the first answer's CPU time, stretched by the share of a vCPU Lambda gives each size.
  const peakKb = Math.max(m.warm.ours.maxRssKb, coldRss('ours'));
  const idle = coldMs('ours') - coldCpu('ours');
  const estimate = (mbSize: number) => coldCpu('ours') * Math.max(1, FULL_VCPU_MB / mbSize) + Math.max(0, idle);
  const memoryTable = table(
    ['memory size', 'share of a vCPU', 'peak RSS / memory', 'estimated cold start to first answer (ours)'],
    MEMORY_SIZES.map((size) => [`${size} MB`, dec(Math.min(1, size / FULL_VCPU_MB), 2), `${Math.round((peakKb / 1024 / size) * 100)} %`, ms(estimate(size))]),
  );
  const recommended = MEMORY_SIZES.find((size) => peakKb / 1024 <= size / 2) ?? MEMORY_SIZES[MEMORY_SIZES.length - 1];

  const ok = (met: boolean) => (met ? 'met' : '**missed**');
  const synthRatios = SIZES.map((n) => median(m.synths.ours[n].ms) / median(m.synths.baseline[n].ms));
  // Where ours is slower, whether the middle halves of the two distributions overlap (a difference within noise).
  const synthTies = SIZES.filter((n, i) => synthRatios[i] > 1
    && percentile(m.synths.ours[n].ms, 25) <= percentile(m.synths.baseline[n].ms, 75));
  const synthVerdict = synthRatios.every((r) => r <= 1) ? ok(true)
    : synthTies.length === synthRatios.filter((r) => r > 1).length ? `met, but a tie at ${synthTies.join(', ')} job(s): slower median, within the run-to-run spread (p25 – p75 overlap)` : ok(false);
  const targets = table(
    ['target', 'measured', ''],
    [
      ['one CloudFormation resource per job plus a fixed handful per stack', `${dec(g.ours.resources.perJob, 2)} per job + ${dec(g.ours.resources.fixed, 0)}`, ok(Math.abs(g.ours.resources.perJob - 1) < 1e-6 && g.ours.resources.fixed <= 6)],
      ['at least 480 jobs in one stack', `${int(binding('ours').jobs)} (baseline ${int(binding('baseline').jobs)})`, ok(binding('ours').jobs >= 480)],
      ['template bytes per job at most a quarter of the baseline\'s', `${ratio(g.ours.templateBytes.perJob, g.baseline.templateBytes.perJob)} (${ratio(noPath.ours, noPath.baseline)} without path metadata)`, ok(g.ours.templateBytes.perJob <= g.baseline.templateBytes.perJob / 4)],
      ['synth no slower than the baseline', SIZES.map((n, i) => `${n}: ${dec(synthRatios[i], 2)}`).join(', '), synthVerdict],
      ['cold start to first answer no slower than the baseline\'s', ratio(coldMs('ours'), coldMs('baseline')), ok(coldMs('ours') <= coldMs('baseline'))],
    ],
  );

  const machine = m.machine;
  const environment = [
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GiB, ${machine.os}`,
    `- Node.js ${machine.node}, aws-cdk-lib ${machine.cdk}, @aws-sdk/client-sms ${machine.clientSms} (ours bundles it; the baseline handler loads it from NODE_PATH)`,
    `- 1-minute load average at the start: ${machine.load.toFixed(1)} on ${machine.cores} cores${machine.load > machine.cores ? ' (other work shared the CPU: absolute times are inflated; compare the ratios, which alternate runs so that both sides share it)' : ''}`,
    `- Sources: ${machine.source}`,
    `- Run on ${machine.date}; answer server on ${m.answersOn443 ? 'port 443' : 'a free port, with https-port.cjs preloaded into both handlers'}`,
  ].join('\n');

  const body = [
    '## Environment', '', environment, '',
    '## Stacks, by number of jobs', '',
    '✗ marks a stack that CloudFormation or IAM would refuse; it is synthesized anyway, to measure it.', '', perSize, '',
    '## Growth and the most jobs one stack can hold', '', growthTable, '',
    `Largest distance of a measured point from the fitted line: ${residuals}.`, '',
    `With \`@aws-cdk/aws-iam:minimizePolicies\` (a flag \`cdk init\` sets), the baseline's role still grows by ${dec(m.minimizedGrowth.perJob, 1)} characters per job: most jobs by the IAM quota ${int(maxJobs(m.minimizedGrowth, 10_240))}.`, '',
    '![Template size against jobs per stack](chart.svg)', '',
    '### Where our bytes per job go', '',
    'Measured by removing each part from every job of the 480-job template and the 1-job one.', '',
    breakdownTable, '',
    `Without path metadata (\`cdk synth --no-path-metadata\`): ${int(noPath.ours)} bytes per job against ${int(noPath.baseline)}, ratio ${ratio(noPath.ours, noPath.baseline)}.`, '',
    '## Handlers', '', handlerTable, '',
    '## Provider memory size', '',
    `Peak RSS of our handler: ${mb(peakKb)} (over ${WARM_EVENTS} events in one process; ${mb(coldRss('ours'))} at the first answer). `
      + 'Lambda gives a function CPU in proportion to its memory (one vCPU at 1,769 MB), so the estimated cold start is an upper bound: '
      + `the first answer's CPU time here (${ms(coldCpu('ours'))}) x (1,769 MB / size, at least 1) + the time it spent off the CPU (I/O and waiting for a core: ${ms(Math.max(0, idle))}).`, '',
    memoryTable, '',
    `Smallest size whose memory is at least twice the peak RSS: **${recommended} MB**. `
      + 'Larger sizes only shorten the CPU-bound part of a cold start; at a few milliseconds per warm event the cost of any of these sizes is negligible.', '',
    '## Targets', '', targets, '',
    '## Deploys under SMS throttling', '',
    `${EVENT_JOBS} Creates at once, then their ${EVENT_JOBS} Deletes at once, against the SMS emulator throttling above R requests per second `
      + '(a request is refused when R were accepted in the second before it; refused requests count against nothing); '
      + `and a replacement of the ${EVENT_JOBS} jobs at once (every serverId changes) at ${REPLACEMENT_RATE} requests per second. `
      + 'Each concurrent event runs in its own process with its own SDK client, as Lambda runs concurrent events, with the function timeout of its version as its deadline: '
      + `a pool of ${EVENT_JOBS} processes per version serves its batches one after the other, as warm Lambda environments serve a stack's later events. `
      + 'Each process first answers one unthrottled Delete of a job that does not exist, alone: on Lambda each environment has its own CPU, '
      + 'here they share the machine\'s, and the SDK\'s set-up on the first request would otherwise queue for the CPU rather than for SMS. '
      + 'A batch starts after a second without requests. Time runs from sending the batch to the last answer\'s arrival. '
      + '"new" is the shipped bundle; "old" is the same handler bundled with the retry strategy it had before issue 9 '
      + '(bench/strategies/old.ts in place of lambda/retry.ts) and its 90 s timeout, measured in this run, after "new". '
      + 'The alternatives the new strategy was chosen from: [STRATEGIES.md](STRATEGIES.md). '
      + 'Not measured: SMS\'s real limits (unpublished), and whether it counts refused requests against them (the emulator does not).', '',
    renderThrottling([SHIPPED, OLD], m.throttling.deploys, m.throttling.replacements), '',
    renderDescribeStacks(m.describeStacks), '',
    'Synth time here includes aws-cdk-lib\'s built-in template validation (@aws/cloudformation-validate, WebAssembly), which runs on every synth and takes most of a one-job synth in a CPU profile; '
      + 'at one job both stacks cost the same fixed overhead, and the runs are bimodal, so compare the p25 – p75 ranges there.', '',
  ].join('\n');

  const markdown = [
    '# Benchmark: cdk-sms-replication-job against AwsCustomResource', '',
    'Generated by `npm run bench` (bench/run.ts); every number below was measured in the same run. How it measures: see [Method](#method).', '',
    body,
    METHOD,
  ].join('\n');
  return { console: body + '\n', markdown };
}

const METHOD = `## Method

- **Same work.** Both stacks hold N jobs with the same parameters (server id, seed time a week ahead, 12-hour
  frequency, BYOL, a description, 5 AMIs kept). The baseline is what a user writes today: one \`AwsCustomResource\`
  per job with \`onCreate\` (\`createReplicationJob\`, physical id from \`replicationJobId\`), \`onUpdate\`
  (\`updateReplicationJob\`) and \`onDelete\` (\`deleteReplicationJob\`), \`policy: fromSdkCalls({ resources: ANY_RESOURCE })\`
  and \`installLatestAwsSdk: false\` (bench/stacks.ts).
- **Synth.** Each stack is built in a fresh \`App\` with the context the CDK CLI passes on \`cdk synth\` (path and
  asset metadata, version reporting: the template \`cdk deploy\` sends) and synthesized to disk; wall time covers both.
  One warm-up synth of each library is not counted; the runs then alternate which library goes first. CDK's own
  500-resource check is lifted so that stacks past the quota can still be measured.
- **Template bytes** are the bytes of the template file CDK writes (and uploads). CloudFormation accepts at most
  1 MB from S3 (taken here as 1,048,576 bytes); the 51,200-byte limit for inline templates does not apply because the
  CDK CLI uploads large templates to S3.
- **IAM.** IAM limits the inline policies of one role to 10,240 characters together, not counting white space. For
  every role, the policy documents of its \`Policies\` and of every \`AWS::IAM::Policy\` naming it are resolved the way
  CloudFormation would (Ref and Fn::GetAtt become names and ARNs of realistic length: account 123456789012,
  partition aws, us-west-2, generated names \`<stack>-<logical id>-<12 characters>\`; Fn::Join is joined) and
  serialized without white space (bench/template.ts). AwsCustomResource adds one \`AWS::IAM::Policy\` per job to the
  role of its singleton function, with one statement per SDK call. Managed policies (the baseline role's
  AWSLambdaBasicExecutionRole) do not count against the quota.
- **Most jobs per stack.** A least-squares line through the four sizes gives each quantity's fixed part and growth
  per job; the most jobs is the largest N that keeps each line within its quota. Other stack quotas (200 parameters,
  200 outputs, 200 mappings) are not used by either stack. SMS's own account quotas apply to both alike.
- **Handlers.** Ours is \`assets/handler/index.js\` (rebuilt by \`npm run bench\`); the baseline is the handler aws-cdk-lib
  ships for AwsCustomResource. Each is copied alone into a folder, as in /var/task, and run by a fresh \`node\`
  (bench/handler-child.cjs) with Lambda-like environment: region, credentials, \`NODE_PATH\` = node_modules (where the
  baseline finds \`@aws-sdk/client-sms\`, as it finds the runtime's SDK on Lambda), \`AWS_ENDPOINT_URL_SMS\` = the local
  SMS emulator (test/harness/sms-emulator.ts: awsJson1_1, every request checked against the SMS model), no AWS
  config files. The Create event
  carries the resource's properties from the synthesized template, intrinsics resolved and every value a string, as
  CloudFormation sends them (for the baseline: its \`Create\`/\`Update\`/\`Delete\` JSON strings and
  \`InstallLatestAwsSdk: "false"\`). The answer goes by HTTPS PUT to a local server with a self-signed certificate
  (\`NODE_EXTRA_CA_CERTS\`). Cold start is timed from \`spawn\` to the answer's arrival: one warm-up each, then ten
  alternating runs. Warm: one process per handler answers ${WARM_EVENTS} events, Create then Delete of the job it created,
  timed around each \`handler()\` call; the emulator answers at once. Peak memory is the process's VmHWM
  (\`/proc/self/status\`): \`resourceUsage().maxRSS\` of a spawned process reports its parent's size on Linux.
- **Not measured.** Lambda itself: its runtime start, the SDK the Node.js 22/24 runtime preinstalls (the baseline's
  function runs on \`nodejs24.x\` with that SDK, not 3.523.0), network latency to SMS and S3. The local numbers compare the
  two handlers' own cost; they are not Lambda durations.
`;

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
