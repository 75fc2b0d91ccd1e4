/**
 * `cdk-sms-replication-job`: `status` (what SMS holds for the ReplicationJobs of one or more stacks, their drift, runs
 * and AMIs, and the orphans; read-only), `servers` (the server catalog), `replicate` (on-demand runs) and `orphans`
 * (delete or release them). Bundled into assets/cli/index.js (scripts/bundle-cli.mjs), the package's bin.
 */
import type { ReplicationJob, ReplicationRun } from '@aws-sdk/client-sms';
import { parseArgs } from 'node:util';
import { jobReports, orphansOf, replicationJobsOf } from './inspect';
import { version } from '../package.json';
import { MAX_ATTEMPTS, NETWORK_ATTEMPTS, ReadError, SETUP_CODES, StackRead, clients, isConnectionCode, listJobs, missingProfile, readRuns, readStack } from './read';
import { ReadFailure, StackReport, StatusReport, describeFailure, exitCodeOf } from './report';
import { interrupt } from './confirm';
import { orphans, renderOrphans } from './orphans';
import { UsageError, renderReplicate, replicate } from './replicate';
import { renderServers, servers } from './servers';
import { renderTable } from './table';

const USAGE = `Usage: cdk-sms-replication-job status --stack NAME|ARN [--stack NAME|ARN ...] [--region R] [--profile P] [--json]
       cdk-sms-replication-job servers [--vm-name NAME|GLOB] [--import [--timeout S] [--interval S] [--yes | --dry-run]]
                                       [--region R] [--profile P] [--json]
       cdk-sms-replication-job replicate --stack NAME [--job LOGICAL_ID ...] [--wait [--timeout S] [--interval S]] [--yes | --dry-run]
                                         [--region R] [--profile P] [--json]
       cdk-sms-replication-job orphans --stack NAME delete|release [--job JOB_ID ...] [--yes | --dry-run] [--region R] [--profile P] [--json]
       cdk-sms-replication-job --version | --help

status: for each Custom::SmsReplicationJob of each stack, what SMS holds: state, the last run that ended and the
next one, latest AMI, and drift against the template (IN_SYNC, MODIFIED, DELETED, NOT_CHECKED); and the orphans, jobs
marked by the stack that it no longer holds. Read-only. Exit 0: all in sync and healthy; 1: drift, a failed job or
last run, or an orphan; 2: something could not be read (or usage).

servers: the SMS server catalog (status, last import), each server's VM, job and the stack whose marker the job
carries, and the SmsServer selector that names it alone. --vm-name: an exact name, or a glob (* ? [abc]). --import:
import the catalog (ImportServerCatalog) and wait until it is AVAILABLE, read every --interval seconds (default
10), at most --timeout seconds (default 600). Exit 0: listed;
1: the catalog is not AVAILABLE, or --vm-name matched no server; 2: a call failed (or usage, or no confirmation);
3: the import still ran at --timeout.

replicate: an on-demand replication run (StartOnDemandReplicationRun) for each ReplicationJob of the stack, or those
--job names; a job already running a run is not started again. --wait: follow each run (state, stage, progress)
every --interval seconds (default 30) until it ends, at most --timeout seconds (default 43200), and print each new
AMI. Exit 0: every run completed with an AMI (without --wait: every run started or under way); 1: a run failed;
2: a run could not be started (ReplicationRunLimitExceededException included: never retried) or read, or the stack
could not be read (or usage, or no confirmation); 3: runs still under way at --timeout.

orphans: the orphans status reports for the stack, deleted (DeleteReplicationJob) or released (UpdateReplicationJob:
the description without this library's marker, so that another stack can adopt the job); --job: only these. Never a
job the stack holds. Exit 0: done (or nothing to do); 2: a call failed or a job was not as listed (or usage, or no
confirmation).

Writes (servers --import, replicate, orphans) list what they will do and ask on a terminal; without one they need
--yes; --dry-run prints the plan and writes nothing. Each write is logged on stderr with the call and the job.
Ctrl-C stops starting writes and waiting, reports what was done, and exits 130. Progress and errors go to stderr.

--json prints the report as JSON, described by the JSON Schemas cli/<command>.schema.json in this package
(node_modules/cdk-sms-replication-job/cli/status.schema.json, servers, replicate, orphans).

Environment: AWS_REGION; AWS_PROFILE (as --profile), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE and the SDK's other credential sources; AWS_ENDPOINT_URL,
AWS_ENDPOINT_URL_SMS, AWS_ENDPOINT_URL_CLOUDFORMATION (a VPC endpoint, a proxy); AWS_MAX_ATTEMPTS (default
${MAX_ATTEMPTS}, for throttling and 5xx; a connection refused or not made in time is tried at most ${NETWORK_ATTEMPTS} times, an
unknown host or a failed TLS handshake once; a write is retried only when throttled or never sent) and AWS_RETRY_MODE
(default adaptive); NO_COLOR, FORCE_COLOR.`;

/** Jobs to read before progress is shown on stderr. */
const PROGRESS_FROM = 50;

const COMMANDS = ['status', 'servers', 'replicate', 'orphans'] as const;
type CommandName = typeof COMMANDS[number];

/** The options each command takes (beyond --help and --version). */
const OPTIONS_OF: Record<CommandName, string[]> = {
  status: ['stack', 'region', 'profile', 'json'],
  servers: ['vm-name', 'import', 'timeout', 'interval', 'yes', 'dry-run', 'region', 'profile', 'json'],
  replicate: ['stack', 'job', 'wait', 'timeout', 'interval', 'yes', 'dry-run', 'region', 'profile', 'json'],
  orphans: ['stack', 'job', 'yes', 'dry-run', 'region', 'profile', 'json'],
};

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      tokens: true,
      options: {
        'stack': { type: 'string', multiple: true },
        'job': { type: 'string', multiple: true },
        'vm-name': { type: 'string' },
        'import': { type: 'boolean', default: false },
        'wait': { type: 'boolean', default: false },
        'timeout': { type: 'string' },
        'interval': { type: 'string' },
        'yes': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        'region': { type: 'string' },
        'profile': { type: 'string' },
        'json': { type: 'boolean', default: false },
        'help': { type: 'boolean', short: 'h', default: false },
        'version': { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    const error = e as Error & { code?: string };
    // Node's message for an unknown option suggests a quoting it does not balance.
    const unknown = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec(error.message)?.[1] : undefined;
    return usage(unknown ? `unknown option ${unknown}` : error.message);
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const command = positionals[0] as CommandName | undefined;
  if (command === undefined || !COMMANDS.includes(command)) {
    return usage(command === undefined ? `name a command: ${COMMANDS.join(', ')}` : `unknown command ${command}; the commands are ${COMMANDS.join(', ')}`);
  }
  const wrong = tokens.find((t) => t.kind === 'option' && !OPTIONS_OF[command].includes(t.name));
  if (wrong?.kind === 'option') {
    return usage(`${wrong.rawName} is not an option of ${command}; its options: ${OPTIONS_OF[command].map((o) => `--${o}`).join(', ')}`);
  }
  const extra = positionals.slice(command === 'orphans' ? 2 : 1);
  if (extra.length > 0) {
    return usage(`unexpected ${extra.join(' ')} after ${command}${command === 'orphans' ? ` ${positionals[1]}` : ''}`);
  }
  if (values.profile) {
    // The SDK's default chain and region resolution both read AWS_PROFILE.
    process.env.AWS_PROFILE = values.profile;
  }
  if (command === 'replicate' || command === 'orphans' || (command === 'servers' && values.import)) onInterrupt();
  if (values.yes && values['dry-run']) return usage('--yes and --dry-run together: pass one (--dry-run prints the plan, --yes goes ahead)');
  const seconds = (flag: 'timeout' | 'interval', fallback: number): number => {
    const raw = values[flag];
    if (raw === undefined) return fallback * 1000;
    const n = Number(raw);
    if (!/^\s*\d+(\.\d+)?\s*$/.test(raw) || !(n > 0)) throw new UsageError(`--${flag} ${raw}: a number of seconds above 0 is allowed (such as 600)`);
    return n * 1000;
  };
  try {
    switch (command) {
      case 'status': return await statusCommand(values.stack ?? [], values.region, values.json);
      case 'servers': {
        const importOnly = (['timeout', 'interval', 'yes', 'dry-run'] as const).find((f) => values[f] !== undefined && values[f] !== false);
        if (importOnly && !values.import) return usage(`--${importOnly} is for servers --import, the one write of servers`);
        const { sms, smsWrites } = clients(values.region, { sharedRate: true });
        const result = await servers(sms, smsWrites, await regionOf(sms, values.region), {
          vmName: values['vm-name'], import: values.import, yes: values.yes, dryRun: values['dry-run'], json: values.json,
          timeoutMs: seconds('timeout', 600), intervalMs: seconds('interval', 10),
        });
        return output(result, renderServers);
      }
      case 'replicate': {
        const stack = oneStack(values.stack, command);
        const waitOnly = values.timeout !== undefined ? 'timeout' : values.interval !== undefined ? 'interval' : undefined;
        if (waitOnly && !values.wait) return usage(`--${waitOnly} is for --wait: ${waitOnly === 'timeout' ? 'how long' : 'how often'} to read the runs`);
        const { cloudFormation, sms, smsWrites } = clients(values.region, { sharedRate: true });
        const result = await replicate(cloudFormation, sms, smsWrites, await regionOf(sms, values.region), {
          stackName: stack, logicalIds: values.job ? [...new Set(values.job)] : undefined, wait: values.wait, yes: values.yes,
          dryRun: values['dry-run'], json: values.json, timeoutMs: seconds('timeout', 43_200), intervalMs: seconds('interval', 30),
        });
        return output(result, renderReplicate);
      }
      case 'orphans': {
        const stack = oneStack(values.stack, command);
        const action = positionals[1];
        if (action !== 'delete' && action !== 'release') {
          return usage(action === undefined ? 'orphans needs an action: delete or release' : `orphans ${action}: the actions are delete and release`);
        }
        const { cloudFormation, sms, smsWrites } = clients(values.region, { sharedRate: true });
        const result = await orphans(cloudFormation, sms, smsWrites, await regionOf(sms, values.region), {
          stackName: stack, action, jobIds: values.job ? [...new Set(values.job)] : undefined, yes: values.yes, dryRun: values['dry-run'], json: values.json,
        });
        return output(result, renderOrphans);
      }
    }
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message);
    throw e;
  }

  /** Prints the report (JSON or table) and its errors on stderr; the exit code (130 after Ctrl-C). */
  function output<R extends { exitCode: number; errors: ReadFailure[] }>(result: R | 'refused', render: (r: R) => string): number {
    if (result === 'refused') return 2;
    process.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : render(result));
    for (const failure of result.errors) process.stderr.write(`failed: ${describeFailure(failure)}\n`);
    return interrupt.signal.aborted ? 130 : result.exitCode;
  }
}

/**
 * For the commands that write: the first Ctrl-C stops their writes and waits, which then report what was done (exit
 * 130); a second one ends the process. The reads alone (status, servers) end at once, as Node ends them.
 */
function onInterrupt(): void {
  process.on('SIGINT', () => {
    if (interrupt.signal.aborted) {
      process.stderr.write('\ninterrupted again: ending now; what was started goes on in SMS\n');
      process.exit(130);
    }
    process.stderr.write('\ninterrupted: no more writes; what was started goes on in SMS (Ctrl-C again to end now)\n');
    interrupt.abort();
  });
}

function oneStack(stacks: string[] | undefined, command: string): string {
  const given = [...new Set(stacks ?? [])];
  if (given.length !== 1) {
    throw new UsageError(given.length === 0 ? `${command} needs --stack NAME (the stack whose jobs it acts on)`
      : `--stack ${given.join(', ')}: ${command} acts on one stack at a time; run it once per stack`);
  }
  return given[0];
}

/** The region the client resolves (for the report), or the flag's, or null when none is set (the calls then say so). */
async function regionOf(sms: { config: { region: () => Promise<string> } }, flag: string | undefined): Promise<string | null> {
  try {
    return await sms.config.region();
  } catch {
    return flag ?? null;
  }
}

async function statusCommand(stackFlags: string[], regionFlag: string | undefined, json: boolean): Promise<number> {
  const stackNames = [...new Set(stackFlags)];
  if (stackNames.length === 0) {
    return usage('--stack NAME is required (repeat it for more stacks)');
  }
  const report = await status(stackNames, regionFlag);
  if (json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    const tty = process.stdout.isTTY === true;
    const colour = process.env.FORCE_COLOR !== undefined ? process.env.FORCE_COLOR !== '0' : tty && process.env.NO_COLOR === undefined;
    process.stdout.write(renderTable(report, { colour, width: tty ? process.stdout.columns : undefined }));
  }
  // Once each, on stderr (the table refers to them).
  for (const failure of report.errors) {
    process.stderr.write(`could not read: ${describeFailure(failure)}\n`);
  }
  return report.exitCode;
}

/** Reads every stack, then SMS once, then the runs of the jobs the stacks hold. */
export async function status(stackNames: string[], regionFlag: string | undefined): Promise<StatusReport> {
  const { cloudFormation, sms } = clients(regionFlag);
  const errors: ReadFailure[] = [];
  const collect = (e: unknown) => {
    if (!(e instanceof ReadError)) throw e;
    errors.push(e.failure);
  };
  const reads = new Map<string, StackRead>();
  // No region, no credentials, or no connection to CloudFormation: said once, and the other stacks are not tried.
  for (const name of stackNames) {
    try {
      reads.set(name, await readStack(cloudFormation, name));
    } catch (e) {
      collect(e);
      const failure = errors[errors.length - 1];
      if (SETUP_CODES.has(failure.code) || isConnectionCode(failure.code)) {
        // A profile that neither shared file has is the likeliest cause of either setup error: named first.
        const noProfile = SETUP_CODES.has(failure.code) ? await missingProfile() : undefined;
        if (noProfile) errors[errors.length - 1] = { ...failure, code: 'ProfileNotFound', message: `${noProfile}; ${failure.message}` };
        break;
      }
    }
  }
  let region: string | null = regionFlag ?? null;
  try {
    region = await cloudFormation.config.region();
  } catch {
    // No region: the reads above failed and say so.
  }
  let allJobs: ReplicationJob[] = [];
  let runs = new Map<string, ReplicationRun[]>();
  if (reads.size > 0) {
    try {
      allJobs = await listJobs(sms);
      const held = new Set(allJobs.map((j) => j.replicationJobId));
      const toRead = [...reads.values()].flatMap((s) => replicationJobsOf(s)).map((r) => r.jobId).filter((id): id is string => id !== undefined && held.has(id));
      const read = await readRuns(sms, toRead, progress(toRead.length));
      runs = read.runs;
      errors.push(...read.failures);
    } catch (e) {
      collect(e);
    }
  }
  const jobs = new Map(allJobs.map((j) => [j.replicationJobId!, j]));
  const held = new Set([...reads.values()].flatMap((s) => replicationJobsOf(s).map((r) => r.jobId)).filter((id): id is string => id !== undefined));
  // Without the listing there is nothing to compare; a job whose runs alone failed is still reported (no last run).
  const smsRead = !errors.some((e) => e.service === 'SMS' && e.call === 'GetReplicationJobs');
  // A stack given twice (by its name and by its ARN) is reported once.
  const seen = new Set<string>();
  const given = stackNames.filter((name) => {
    const id = reads.get(name)?.stackId;
    if (id === undefined) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const stacks: StackReport[] = given.map((name) => {
    const read = reads.get(name);
    if (!read) {
      return { stackName: name, stackId: null, stackStatus: null, read: false, jobs: [], orphans: [] };
    }
    return {
      stackName: read.stackName,
      stackId: read.stackId,
      stackStatus: read.stackStatus,
      read: true,
      // Without SMS's answer there is nothing to compare: the stack's jobs are left out rather than called DELETED.
      jobs: smsRead ? jobReports(read, jobs, runs) : [],
      orphans: smsRead ? orphansOf(read, allJobs, held, region) : [],
    };
  });
  return { formatVersion: 1, region, exitCode: exitCodeOf(stacks, errors), stacks, errors };
}

/** Progress on stderr for many jobs: a line rewritten in place on a terminal, else a line at each quarter. */
function progress(total: number): (done: number) => void {
  if (total < PROGRESS_FROM) return () => undefined;
  const tty = process.stderr.isTTY === true;
  let quarter = 0;
  return (done) => {
    if (tty) {
      process.stderr.write(`\rreading replication runs: ${done}/${total}${done === total ? '\n' : ''}`);
    } else if (done * 4 >= (quarter + 1) * total) {
      quarter = Math.floor((done * 4) / total);
      process.stderr.write(`read the runs of ${done} of ${total} replication jobs\n`);
    }
  };
}

function usage(message: string): number {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  return 2;
}

/**
 * Ends the process once what was written has been flushed: the SDK's HTTP handler keeps a timer per failed request
 * (its socket-acquisition warning, up to 35 s), and a script waiting on the command must not wait for it.
 */
function exit(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv.slice(2)).then(exit, (e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  exit(2);
});
