/**
 * `cdk-sms-replication-job status`: what SMS holds for the ReplicationJobs of one or more stacks, their drift, runs
 * and AMIs, and the orphans. Read-only. Bundled into assets/cli/index.js (scripts/bundle-cli.mjs), the package's bin.
 */
import type { ReplicationJob, ReplicationRun } from '@aws-sdk/client-sms';
import { parseArgs } from 'node:util';
import { jobReports, orphansOf, replicationJobsOf } from './inspect';
import { version } from '../package.json';
import { MAX_ATTEMPTS, NETWORK_ATTEMPTS, ReadError, SETUP_CODES, StackRead, clients, isConnectionCode, listJobs, missingProfile, readRuns, readStack } from './read';
import { ReadFailure, StackReport, StatusReport, describeFailure, exitCodeOf } from './report';
import { renderTable } from './table';

const USAGE = `Usage: cdk-sms-replication-job status --stack NAME|ARN [--stack NAME|ARN ...] [--region R] [--profile P] [--json]
       cdk-sms-replication-job --version | --help

Reports, for each Custom::SmsReplicationJob of each stack, what SMS holds: state, the last run that ended and the
next one, latest AMI, and drift against the template (IN_SYNC, MODIFIED, DELETED, NOT_CHECKED); and the orphans, jobs
marked by the stack that it no longer holds. Read-only. Progress and errors go to stderr.

Exit 0: all in sync and healthy; 1: drift, a failed job or last run, or an orphan; 2: something could not be read
(or usage).

--json prints the report as JSON, described by the JSON Schema cli/status.schema.json in this package
(node_modules/cdk-sms-replication-job/cli/status.schema.json).

Environment: AWS_REGION; AWS_PROFILE (as --profile), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE and the SDK's other credential sources; AWS_ENDPOINT_URL,
AWS_ENDPOINT_URL_SMS, AWS_ENDPOINT_URL_CLOUDFORMATION (a VPC endpoint, a proxy); AWS_MAX_ATTEMPTS (default
${MAX_ATTEMPTS}, for throttling and 5xx; a connection refused or not made in time is tried at most ${NETWORK_ATTEMPTS} times, an
unknown host or a failed TLS handshake once) and AWS_RETRY_MODE (default adaptive); NO_COLOR, FORCE_COLOR.`;

/** Jobs to read before progress is shown on stderr. */
const PROGRESS_FROM = 50;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stack: { type: 'string', multiple: true },
        region: { type: 'string' },
        profile: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    const error = e as Error & { code?: string };
    // Node's message for an unknown option suggests a quoting it does not balance.
    const unknown = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec(error.message)?.[1] : undefined;
    return usage(unknown ? `unknown option ${unknown}` : error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'status') {
    return usage(positionals.length === 0 ? 'name a command: status' : `unknown command ${positionals.join(' ')}; the command is status`);
  }
  const stackNames = [...new Set(values.stack ?? [])];
  if (stackNames.length === 0) {
    return usage('--stack NAME is required (repeat it for more stacks)');
  }
  if (values.profile) {
    // The SDK's default chain and region resolution both read AWS_PROFILE.
    process.env.AWS_PROFILE = values.profile;
  }
  const report = await status(stackNames, values.region);
  if (values.json) {
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
