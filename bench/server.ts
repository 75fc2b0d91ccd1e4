/**
 * `npm run bench:server`: VM-named jobs at the scale of a migration wave (issue 34). N jobs named by
 * `SmsServer.fromVmName` in a catalog of 1,000 servers (GetServers pages of 50, its documented default), created at
 * once as CloudFormation sends them, then deleted at once, against an SMS emulator throttling above R requests per
 * second, each event in its own process with the provider's 180 s function timeout. Beside them, in the same run: the
 * same N jobs named by `serverId`, and the handler of main before issue 34 (every VM-named Create read the whole
 * catalog itself), bundled from git with the shipped build options and sent the template it knew (no CatalogServerId).
 *
 * "new" deploys as CloudFormation does: the stack's read of the catalog (Custom::SmsServerCatalog) first, then the
 * jobs, whose CatalogServerId property is the read's answer; the time runs from the read's event to the last job's
 * answer, and the read's requests count in the jobs'. Every job must be on its VM's server.
 *
 * Writes bench/SERVER.md and its section of bench/RESULTS.md; every figure is measured in this run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { ReplicationJob, SmsServer } from '../lib';
import { FUNCTION_TIMEOUT_SECONDS } from '../lib/private/timing';
import { SmsEmulator } from '../test/harness/sms-emulator';
import { quietSecond } from './deletes';
import { bundleAt, spliceSection } from './describe-stacks';
import { ConcurrentAnswer, EventTemplate, HANDLER_SOURCES, HandlerBench, HandlerPool } from './handlers';
import { ACCOUNT, REGION, STACK_NAME, seedTime } from './stacks';
import { Template, eventProperties } from './template';

const REPO = path.resolve(__dirname, '..');
/** main before issue 34: every VM-named Create read the whole catalog. */
export const BEFORE_34 = '846eaf3';
const CATALOG = 1000;
/** The batches measured: N jobs at once, SMS throttled above R requests per second (issue 34's targets). */
export const CELLS: Array<{ jobs: number; rate: number }> = [{ jobs: 50, rate: 2 }, { jobs: 100, rate: 5 }];
export const SECTION = '## VM-named jobs at scale under SMS throttling';

type Naming = 'vmName' | 'vmAddress' | 'serverId';

export interface ServerRun {
  readonly handler: string;
  readonly naming: Naming;
  readonly jobs: number;
  readonly rate: number;
  /** Creates answered SUCCESS with the job on its VM's server. */
  readonly created: number;
  readonly createMs: number;
  readonly createRequests: number;
  readonly getServers: number;
  readonly deleted: number;
  readonly deleteMs: number;
  readonly deleteRequests: number;
  readonly failure?: string;
}

const serverIdOf = (i: number) => `s-${(0x10000 + i).toString(16).padStart(8, '0')}`;
const vmNameOf = (i: number) => `vm-${String(i).padStart(4, '0')}`;
const VM_MANAGER_ID = 'vmm-00000000bench';
const vmIdOf = (i: number) => `vm-${1000 + i}`;
/** The jobs' servers spread over the whole catalog, its last page included. */
const serverIndex = (j: number, jobs: number) => Math.floor((j * (CATALOG - 1)) / (jobs - 1));

interface Events {
  /** The stack's reads of the catalog (one per 50 VM-named jobs). */
  readonly reads: EventTemplate[];
  /** Each job's Create, the server index its VM is on, and the attribute of a read that its CatalogServerId names. */
  readonly jobs: Array<{ create: EventTemplate; server: number; catalogServerId?: { read: string; attribute: string } }>;
}

/** The template of N jobs, named by VM or by id, as events (the bench's stack name, so ServiceTokens resolve). */
function eventsOf(jobs: number, naming: Naming, outdir: string): Events {
  const app = new App({ outdir });
  const stack = new Stack(app, STACK_NAME, { env: { region: REGION, account: ACCOUNT } });
  const seed = seedTime();
  /** The server index of each job, by its logical id. */
  const serverOf = new Map<string, number>();
  for (let j = 0; j < jobs; j++) {
    const i = serverIndex(j, jobs);
    const server = naming === 'vmName' ? SmsServer.fromVmName(vmNameOf(i))
      : naming === 'vmAddress' ? SmsServer.fromVmServerAddress({ vmManagerId: VM_MANAGER_ID, vmId: vmIdOf(i) }) : SmsServer.fromServerId(serverIdOf(i));
    const job = new ReplicationJob(stack, `Job${j}`, { server, seedReplicationTime: seed });
    serverOf.set(stack.resolve((job.node.defaultChild as CfnResource).logicalId), i);
  }
  const template = app.synth().getStackArtifact(stack.artifactId).template as Template;
  const reads = Object.entries(template.Resources).filter(([, r]) => r.Type === 'Custom::SmsServerCatalog');
  const events: Events['jobs'] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'Custom::SmsReplicationJob') continue;
    const getAtt = (resource.Properties as any).CatalogServerId?.['Fn::GetAtt'];
    delete (resource.Properties as any).CatalogServerId;
    events.push({
      create: { RequestType: 'Create', LogicalResourceId: logicalId, ResourceType: resource.Type, ResourceProperties: eventProperties(template, STACK_NAME, logicalId) },
      server: serverOf.get(logicalId)!,
      catalogServerId: getAtt ? { read: getAtt[0], attribute: getAtt[1] } : undefined,
    });
  }
  return {
    reads: reads.map(([logicalId, r]) => ({
      RequestType: 'Create' as const, LogicalResourceId: logicalId, ResourceType: r.Type, ResourceProperties: eventProperties(template, STACK_NAME, logicalId),
    })),
    jobs: events,
  };
}

async function measure(pool: HandlerPool, sms: SmsEmulator, handler: string, naming: Naming, cell: { jobs: number; rate: number },
  events: Events, withRead: boolean): Promise<ServerRun> {
  pool.stack.status = 'CREATE_IN_PROGRESS';
  await quietSecond(sms);
  sms.throttleAbove(cell.rate);
  const first = sms.requests.length;
  const started = performance.now();
  let creates: EventTemplate[] = events.jobs.map((j) => j.create);
  let failure: string | undefined;
  try {
    if (withRead && events.reads.length > 0) {
      // Every read at once, in processes of their own; then the jobs, each with its read's answer.
      const reads = await pool.batch(events.reads, pool.children.slice(-events.reads.length));
      const data = new Map(reads.map((r, i) => [events.reads[i].LogicalResourceId, r.answer.Data as Record<string, string>]));
      if (reads.some((r) => r.answer.Status !== 'SUCCESS')) throw new Error(`a read of the catalog failed: ${reads.map((r) => r.answer.Reason).join('; ')}`);
      creates = events.jobs.map((j) => ({
        ...j.create, ResourceProperties: { ...j.create.ResourceProperties, CatalogServerId: data.get(j.catalogServerId!.read)![j.catalogServerId!.attribute] },
      }));
    }
    const results: ConcurrentAnswer[] = await pool.batch(creates);
    const createMs = performance.now() - started;
    const createRequests = sms.requests.slice(first);
    const onItsServer = results.filter((r, i) => r.answer.Status === 'SUCCESS'
      && sms.jobs().find((job) => job.replicationJobId === r.answer.PhysicalResourceId)?.serverId === serverIdOf(events.jobs[i].server));
    failure = results.find((r) => r.answer.Status !== 'SUCCESS')?.answer.Reason;

    // Their Deletes at once, of the jobs made.
    const made = results.map((r, i) => ({ r, i })).filter(({ r }) => r.answer.Status === 'SUCCESS');
    pool.stack.status = 'DELETE_IN_PROGRESS';
    sms.throttleAbove(undefined);
    await quietSecond(sms);
    sms.throttleAbove(cell.rate);
    const deleteFirst = sms.requests.length;
    const deleteStarted = performance.now();
    const deletes = await pool.batch(made.map(({ r, i }) => ({ ...creates[i], RequestType: 'Delete', PhysicalResourceId: r.answer.PhysicalResourceId })));
    return {
      handler, naming, jobs: cell.jobs, rate: cell.rate,
      created: onItsServer.length,
      createMs,
      createRequests: createRequests.length,
      getServers: createRequests.filter((r) => r.operation === 'GetServers').length,
      deleted: deletes.filter((d) => d.answer.Status === 'SUCCESS').length,
      deleteMs: deletes.length ? performance.now() - deleteStarted : 0,
      deleteRequests: sms.requests.length - deleteFirst,
      failure: failure ?? deletes.find((d) => d.answer.Status !== 'SUCCESS')?.answer.Reason,
    };
  } finally {
    sms.throttleAbove(undefined);
    for (const job of sms.jobs()) sms.deleteJob(job.replicationJobId);
  }
}

export async function serverMatrix(bench: HandlerBench, workDir: string, progress: (message: string) => void, cells = CELLS,
  options: { baseline: boolean } = { baseline: true }): Promise<ServerRun[]> {
  // A process per job, and one per read of the catalog.
  const size = Math.max(...cells.map((c) => c.jobs + Math.ceil(c.jobs / 50)));
  const runs: ServerRun[] = [];
  const handlers: Array<{ name: string; file: string; naming: Naming; withRead: boolean }> = [
    { name: 'new', file: HANDLER_SOURCES.ours, naming: 'vmName', withRead: true },
    { name: 'new', file: HANDLER_SOURCES.ours, naming: 'vmAddress', withRead: true },
    { name: 'new', file: HANDLER_SOURCES.ours, naming: 'serverId', withRead: false },
    ...(options.baseline ? [{ name: `main ${BEFORE_34}`, file: await bundleAt(BEFORE_34, workDir), naming: 'vmName' as const, withRead: false }] : []),
  ];
  for (const h of handlers) {
    const sms = await SmsEmulator.start();
    for (let i = 0; i < CATALOG; i++) sms.addServer(serverIdOf(i), { vmName: vmNameOf(i), vmManagerName: 'vc-bench', vmManagerId: VM_MANAGER_ID, vmId: vmIdOf(i) });
    const warmUp: EventTemplate = { ...eventsOf(1, 'serverId', path.join(workDir, 'warm')).jobs[0].create, RequestType: 'Delete', PhysicalResourceId: 'sms-job-0000warmup' };
    const pool = await bench.pool(h.file, sms, size, FUNCTION_TIMEOUT_SECONDS * 1000, warmUp);
    try {
      for (const cell of cells) {
        const events = eventsOf(cell.jobs, h.naming, path.join(workDir, `cdk.out-${h.naming}-${cell.jobs}`));
        const run = await measure(pool, sms, h.name, h.naming, cell, events, h.withRead);
        runs.push(run);
        progress(`${cell.jobs} ${h.naming}-named at ${cell.rate}/s, ${h.name}: ${run.created}/${run.jobs} created in ${(run.createMs / 1000).toFixed(1)} s, `
          + `${(run.createRequests / run.jobs).toFixed(1)} req/job (${run.getServers} GetServers); ${run.deleted} deleted in ${(run.deleteMs / 1000).toFixed(1)} s`);
      }
    } finally {
      pool.close();
      await sms.close();
    }
  }
  return runs;
}

/** One row per cell and handler; the targets of issue 34 checked for the new VM-named row. */
export function renderServer(runs: ServerRun[], note: string): string {
  const row = (r: ServerRun) => {
    const bound = r.jobs / r.rate;
    const target = r.handler === 'new' && r.naming === 'vmName';
    const mark = (ok: boolean, text: string) => (ok || !target ? text : `**${text}** ✗`);
    const ratio = r.createMs / 1000 / bound;
    const perJob = r.createRequests / r.jobs;
    const idNamed = runs.find((x) => x.handler === 'new' && x.naming === 'serverId' && x.jobs === r.jobs && x.rate === r.rate);
    const named = { vmName: '`SmsServer.fromVmName`', vmAddress: '`SmsServer.fromVmServerAddress`', serverId: '`SmsServer.fromServerId`' }[r.naming];
    return `| ${r.jobs} | ${r.rate} | ${bound} | ${named} | ${r.handler} | `
      + `${mark(r.created === r.jobs, `${r.created}/${r.jobs}`)} | ${mark(r.jobs !== 50 || ratio <= 3, `${(r.createMs / 1000).toFixed(1)} s (${ratio.toFixed(2)} x)`)} | `
      + `${mark(r.jobs !== 50 || perJob <= 8, perJob.toFixed(1))} | ${(r.getServers / r.jobs).toFixed(1)} | `
      + `${r.deleted}/${r.created} | ${r.deleted ? `${(r.deleteMs / 1000).toFixed(1)} s, ${(r.deleteRequests / r.deleted).toFixed(1)} req/job` : '-'}`
      + `${target && idNamed && r.deleted ? ` ${mark(r.deleteMs <= idNamed.deleteMs * 1.25, `(${(r.deleteMs / idNamed.deleteMs).toFixed(2)} x id-named)`)}` : ''} |`;
  };
  const failures = runs.filter((r) => r.failure).map((r) => `- ${r.handler}, ${r.jobs} ${r.naming}-named at ${r.rate}/s: ${r.failure}`);
  return [
    SECTION, '',
    `N jobs in a catalog of ${CATALOG} servers (GetServers pages of 50, its documented default), created at once, then deleted at once, one process `
      + `per event with the provider's ${FUNCTION_TIMEOUT_SECONDS} s timeout, against the SMS emulator throttling above R requests per second. `
      + '"new" VM-named: the stack\'s read of the catalog, then the N Creates with its answer (CloudFormation\'s order); the time runs from the read\'s '
      + `event to the last Create's answer, and the read's requests count in the jobs'. "main ${BEFORE_34}": every Create read the catalog itself. `
      + '"new" address-named (issue 36): the same order, and the stack\'s read asks SMS for its jobs\' VMs alone (GetServers filtered to '
      + 'their addresses, 50 a read) rather than every page. Created counts jobs answered SUCCESS and made on their VM\'s server. Requests per job include throttled ones.',
    '', note, '',
    'Targets (issue 34; ✗ marks a miss): 50 VM-named at 2/s all created within 3 x N / R, at most 8 SMS requests per job, their Deletes as fast as '
      + 'id-named ones (here: within 1.25 x their time); 100 VM-named at 5/s all created.', '',
    '| N | R (req/s) | N / R (s) | named by | handler | created | last Create | SMS req/job | GetServers/job | deleted | Deletes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map(row), '',
    ...(failures.length ? ['First failure Reason of each batch that had one:', '', ...failures, ''] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const progress = (message: string) => process.stderr.write(`[server ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-server-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'lambda', 'lib') !== '';
  try {
    const bench = await HandlerBench.start(workDir);
    let runs: ServerRun[];
    try {
      runs = await serverMatrix(bench, workDir, progress);
    } finally {
      await bench.close();
    }
    const note = `Measured by \`npm run bench:server\` (bench/server.ts) on ${new Date().toISOString().slice(0, 10)}, `
      + `commit ${commit}${dirty ? ' with uncommitted changes in lambda/ or lib/' : ''}, ${os.cpus()[0]?.model.trim()}, ${os.cpus().length} cores, `
      + `1-minute load ${os.loadavg()[0].toFixed(1)} at the end; ${((Date.now() - started) / 60000).toFixed(1)} min. One batch per cell. `
      + 'The model of the same batches: [MODEL.md](MODEL.md), "VM-named Creates".';
    const section = renderServer(runs, note);
    fs.writeFileSync(path.join(__dirname, 'SERVER.md'), `# Naming servers by their VM: the deploy-time cost\n\n${section.replace(SECTION, '').trimStart()}`);
    const file = path.join(__dirname, 'RESULTS.md');
    fs.writeFileSync(file, spliceSection(fs.readFileSync(file, 'utf8'), section, SECTION));
    process.stdout.write(section);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
