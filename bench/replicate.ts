/**
 * `replicate --wait` on a stack of N ReplicationJobs with SMS refusing requests above R a second: the SMS requests it
 * took per job, and its wall time beside the runs' own duration (from the first run's start to the last one's end, as
 * the emulator timed them), so that what remains is the command's overhead, not SMS's. Prints a Markdown table for
 * bench/RESULTS.md ("replicate --wait at scale under SMS throttling"). `npm run bench:replicate`; about 10 minutes.
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { CloudFormationApi } from '../test/harness/cfn-api';
import { RunTimings, SmsEmulator } from '../test/harness/sms-emulator';
import { deploy, jobStack, runCli } from '../test/cli/fixture';
import { SmsServer } from '../lib';

export interface ReplicateCase {
  readonly jobs: number;
  /** SMS requests a second the emulator accepts; undefined: no limit. */
  readonly rate?: number;
  readonly timings: RunTimings;
  /** replicate's --interval, in seconds; undefined: its default. */
  readonly interval?: number;
  /** AWS_RETRY_MODE for the command: standard has no client-side rate (default: adaptive, one rate for every SMS call). */
  readonly retryMode?: 'standard';
}

export interface ReplicateRow extends ReplicateCase {
  readonly exit: number | null;
  readonly wallMs: number;
  /** From the first run's start (its scheduledStartTime) to the last run's end (completedTime). */
  readonly runsSpanMs: number;
  /** One run's own duration, as the emulator runs it. */
  readonly runMs: number;
  readonly completed: number;
  readonly withAmi: number;
  /** SMS requests by operation, every attempt counted (throttled ones included). */
  readonly requests: Record<string, number>;
  readonly throttled: number;
  readonly all: number;
}

/** One run of the command against a fresh emulator and stack. */
export async function replicateBench(c: ReplicateCase): Promise<ReplicateRow> {
  const emulator = await SmsEmulator.start({ runTimings: c.timings });
  const jobs = Object.fromEntries(Array.from({ length: c.jobs }, (_, i) => [`Server${i}`, { server: SmsServer.fromServerId(`s-${(0x30000000 + i).toString(16)}`) }]));
  const deployed = await deploy(jobStack('Cutover', jobs), emulator, 'seed');
  for (const id of Object.values(deployed.jobIds)) emulator.alterJob(id, { state: 'ACTIVE' });
  const api = await CloudFormationApi.start(deployed.view);
  try {
    emulator.throttleAbove(c.rate);
    const from = emulator.requests.length;
    const args = ['replicate', '--stack', 'Cutover', '--wait', '--yes', '--json', ...(c.interval !== undefined ? ['--interval', String(c.interval)] : [])];
    const result = await runCli(args, { sms: emulator.endpoint, cloudFormation: api.endpoint }, { AWS_RETRY_MODE: c.retryMode });
    const requests = emulator.requests.slice(from);
    const report = JSON.parse(result.stdout);
    const runs = emulator.jobs().flatMap((j) => j.replicationRunList as Array<{ scheduledStartTime: number; completedTime?: number }>);
    const byOperation: Record<string, number> = {};
    for (const r of requests) byOperation[r.operation] = (byOperation[r.operation] ?? 0) + 1;
    return {
      ...c,
      exit: result.code,
      wallMs: result.ms,
      runsSpanMs: (Math.max(...runs.map((r) => r.completedTime ?? Infinity)) - Math.min(...runs.map((r) => r.scheduledStartTime))) * 1000,
      runMs: c.timings.pendingMs + c.timings.stages.length * c.timings.stageMs,
      completed: report.jobs.filter((j: any) => j.outcome === 'COMPLETED').length,
      withAmi: report.jobs.filter((j: any) => j.amiId).length,
      requests: byOperation,
      throttled: requests.filter((r) => r.outcome === 'error:ThrottlingException').length,
      all: requests.length,
    };
  } finally {
    await deployed.driver.close();
    await api.close();
    await emulator.close();
  }
}

/** The table of RESULTS.md. */
export function renderRows(rows: ReplicateRow[]): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    '| N jobs | R (SMS requests/s) | retry mode | --interval | one run | runs\' span | wall time | overhead (wall - span) | GetReplicationRuns | StartOnDemandReplicationRun | throttled | all SMS requests | per job | completed with an AMI | exit |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.jobs} | ${r.rate ?? 'unlimited'} | ${r.retryMode ?? 'adaptive'} | ${r.interval ?? 30} s | ${s(r.runMs)} | ${s(r.runsSpanMs)} | ${s(r.wallMs)} | ${s(r.wallMs - r.runsSpanMs)} | ` +
      `${r.requests.GetReplicationRuns ?? 0} | ${r.requests.StartOnDemandReplicationRun ?? 0} | ${r.throttled} | ${r.all} | ${(r.all / r.jobs).toFixed(2)} | ` +
      `${r.withAmi} of ${r.jobs} | ${r.exit} |`);
  }
  return lines;
}

async function main(): Promise<void> {
  const load = os.loadavg()[0];
  // Runs of 65 s: long enough that several rounds of reads at 5 requests a second (20 s for 100 jobs) fall in each.
  const timings: RunTimings = { pendingMs: 5000, stageMs: 20_000, stages: ['UPLOAD_DISKS', 'CONVERT_TO_AMI', 'CREATE_AMI'] };
  const cases: ReplicateCase[] = [
    { jobs: 100, rate: 5, timings },
    { jobs: 100, rate: 5, timings, interval: 10 },
    // Without a client-side rate: every call retries on its own, as status's do.
    { jobs: 100, rate: 5, timings, retryMode: 'standard' },
  ];
  const rows: ReplicateRow[] = [];
  for (const c of cases) {
    rows.push(await replicateBench(c));
    console.error(`${c.jobs} jobs at ${c.rate}/s, --interval ${c.interval ?? 'default'}: ${rows[rows.length - 1].wallMs} ms, exit ${rows[rows.length - 1].exit}`);
  }
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  console.log([
    `- Machine: ${os.cpus()[0]?.model.trim()}, ${os.cpus().length} cores; Node.js ${process.version}; sources: commit ${commit}; ` +
      `1-minute load average at the start: ${load.toFixed(1)}`,
    '',
    ...renderRows(rows),
  ].join('\n'));
}

if (require.main === module) void main();
