/**
 * The reads `status` makes, and nothing else: CloudFormation DescribeStacks, ListStackResources and GetTemplate for
 * each stack; SMS GetReplicationJobs (every job of the region, a page of 100 at a time: one listing serves every
 * stack and finds the orphans) and GetReplicationRuns for each job a stack holds. README lists them with the policy.
 */
import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand, paginateListStackResources, Parameter, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { ReplicationJob, ReplicationRun, SMSClient, paginateGetReplicationJobs, paginateGetReplicationRuns } from '@aws-sdk/client-sms';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import { AdaptiveRetryStrategy, DefaultRateLimiter, RateLimiter, StandardRetryStrategy } from '@smithy/util-retry';
import { ReadFailure } from './report';

/** The resource type of a ReplicationJob. */
export const RESOURCE_TYPE = 'Custom::SmsReplicationJob';

/**
 * Attempts per read: throttled and 5xx answers are retried with the SDK's adaptive mode (backoff plus a client-side
 * rate). 20, not the SDK's 3 nor 10: with SMS accepting 10 requests a second, 480 jobs read 8 at a time saw one read
 * throttled 10 times in a row (bench/STATUS.md). AWS_MAX_ATTEMPTS and AWS_RETRY_MODE override both, as in every SDK.
 */
export const MAX_ATTEMPTS = 20;

/**
 * Attempts per read when no connection can be made (refused, unreachable, or not made within the connection
 * timeout): a few, not 20, so that a wrong AWS_ENDPOINT_URL, VPC endpoint or proxy is reported within seconds rather
 * than after minutes of backoff. An unknown host and a TLS failure the SDK does not retry at all.
 */
export const NETWORK_ATTEMPTS = 3;

/** Retries from which on a throttled or failing read is reported on stderr, at most once every PROGRESS_EVERY_MS. */
const PROGRESS_FROM_RETRY = 5;
const PROGRESS_EVERY_MS = 10_000;

/** Node's codes of a connection that could not be made, and OpenSSL's of a TLS handshake that failed. */
const NO_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_MISMATCH)/;
/** The message of @smithy/node-http-handler's connection timeout (its request timeout says "Connection timed out after"). */
const NOT_CONNECTED = /^Socket timed out without establishing a connection/;

/**
 * Whether the error says no connection to the endpoint could be made (refused, unknown host, unreachable, TLS failed,
 * or not made in time), rather than an answer, a connection reset, or a slow answer.
 */
export function isConnectionError(e: unknown): boolean {
  const error = e as { code?: string; name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (!error || error.$metadata?.httpStatusCode !== undefined) return false;
  const code = error.code ?? '';
  return NO_CONNECTION_CODES.has(code) || TLS_CODE.test(code) || (error.name === 'TimeoutError' && NOT_CONNECTED.test(error.message ?? ''));
}

/** Whether a failure's code is a connection's (isConnectionError): then the other reads of that service fail alike. */
export function isConnectionCode(code: string): boolean {
  return NO_CONNECTION_CODES.has(code) || TLS_CODE.test(code) || code === 'TimeoutError';
}

/** One read's retries: its own strategy, as the SDK makes one per request, and the connection failures it had. */
interface ReadRetries {
  readonly strategy: RetryStrategyV2;
  readonly connectionFailures: number;
}

/**
 * The SDK's retry strategy (adaptive, or as AWS_RETRY_MODE says), one per read as the SDK itself makes them, with a
 * count of connection failures: NETWORK_ATTEMPTS of them end the read, whatever throttling came before. Throttling and
 * 5xx keep the strategy's own count, and a read still retrying after PROGRESS_FROM_RETRY retries says so on stderr.
 */
class RetryByKind implements RetryStrategyV2 {
  private readonly reads = new WeakMap<RetryToken, ReadRetries>();
  private lastProgress = 0;

  /**
   * `writes`: a client that writes, whose calls are retried only when SMS surely did nothing (retryWrite).
   * `limiter`: one client-side rate for every call (adaptive mode), rather than one per call.
   */
  constructor(private readonly service: string, private readonly maxAttempts: number, private readonly writes = false,
    private readonly limiter?: RateLimiter) {}

  async acquireInitialRetryToken(scope: string): Promise<RetryToken> {
    const attempts = () => Promise.resolve(this.maxAttempts);
    // With a shared limiter, the rate is kept here (see refreshRetryTokenForRetry), around the standard strategy.
    await this.limiter?.getSendToken();
    const strategy = process.env.AWS_RETRY_MODE === 'standard' || this.limiter ? new StandardRetryStrategy(attempts) : new AdaptiveRetryStrategy(attempts);
    const token = await strategy.acquireInitialRetryToken(scope);
    this.reads.set(token, { strategy, connectionFailures: 0 });
    return token;
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const read = this.reads.get(token)!;
    if (this.writes && !retryWrite(info)) {
      throw info.error;
    }
    const connectionFailures = read.connectionFailures + (isConnectionError(info.error) ? 1 : 0);
    if (connectionFailures >= NETWORK_ATTEMPTS) {
      throw info.error;
    }
    const next = await read.strategy.refreshRetryTokenForRetry(token, info);
    if (this.limiter && info.errorType === 'THROTTLING') {
      // @smithy/util-retry 2.2's AdaptiveRetryStrategy hands its limiter the RetryErrorInfo, in which the limiter's
      // test finds no throttling (it reads the error's name): the error itself is handed here. And the retry waits
      // for the shared rate too, as a first attempt does.
      this.limiter.updateClientSendingRate(info.error ?? {});
      await this.limiter.getSendToken();
    }
    this.reads.set(next, { strategy: read.strategy, connectionFailures });
    const retries = next.getRetryCount();
    if (retries >= PROGRESS_FROM_RETRY && Date.now() - this.lastProgress >= PROGRESS_EVERY_MS) {
      this.lastProgress = Date.now();
      const what = info.errorType === 'THROTTLING' ? 'throttles' : 'keeps failing';
      process.stderr.write(`waiting: ${this.service} ${what} a ${this.writes ? 'write' : 'read'} (${info.error?.name ?? 'error'}); attempt ${retries + 1} of ${this.maxAttempts} ` +
        `in ${(next.getRetryDelay() / 1000).toFixed(1)} s\n`);
    }
    return next;
  }

  recordSuccess(token: RetryToken): void {
    this.limiter?.updateClientSendingRate({});
    this.reads.get(token)?.strategy.recordSuccess(token);
  }
}

/**
 * Whether a write's failed attempt may be sent again: only when SMS surely did nothing, so that no run is started
 * twice. A throttled request was refused; a connection never made was never sent. A 5xx or a lost answer may have
 * been acted on: not retried, and reported as such. ReplicationRunLimitExceededException is never retried: SMS counts
 * on-demand runs over 24 hours, and asking again only counts against the job.
 */
export function retryWrite(info: RetryErrorInfo): boolean {
  const error = info.error as { name?: string } | undefined;
  if (error?.name === 'ReplicationRunLimitExceededException') return false;
  return info.errorType === 'THROTTLING' || isConnectionError(info.error);
}

function retryStrategy(service: string, writes = false, limiter?: RateLimiter): { retryStrategy: RetryStrategyV2; maxAttempts: number } {
  const maxAttempts = Number(process.env.AWS_MAX_ATTEMPTS) || MAX_ATTEMPTS;
  return { retryStrategy: new RetryByKind(service, maxAttempts, writes, limiter), maxAttempts };
}

/** GetReplicationRuns calls in flight at once. */
const CONCURRENCY = 8;

export interface Clients {
  readonly cloudFormation: CloudFormationClient;
  readonly sms: SMSClient;
  /** The SMS client of the write commands' writes: its retries are retryWrite's. */
  readonly smsWrites: SMSClient;
}

/**
 * Both clients, with the SDK's default credential chain (environment, the profile's files, SSO, web identity,
 * container and instance roles; AWS_PROFILE, which --profile sets, picks the profile) and region resolution.
 * AWS_ENDPOINT_URL_SMS and AWS_ENDPOINT_URL_CLOUDFORMATION (or AWS_ENDPOINT_URL) point them elsewhere.
 */
export function clients(region: string | undefined, options: { sharedRate?: boolean } = {}): Clients {
  // The commands that follow runs (replicate, orphans, servers) read the same jobs again and again: one rate for all
  // their SMS calls, reads and writes, which the adaptive mode lowers on throttling and raises on success, keeps them
  // from throttling each other (bench/RESULTS.md, "replicate --wait"). Each call keeps its own retries and quota.
  const limiter = options.sharedRate && process.env.AWS_RETRY_MODE !== 'standard' ? new DefaultRateLimiter() : undefined;
  const common = {
    region,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30_000 }),
  };
  return {
    cloudFormation: new CloudFormationClient({ ...common, ...retryStrategy('CloudFormation'), endpoint: endpointOf('CloudFormation') }),
    sms: new SMSClient({ ...common, ...retryStrategy('SMS', false, limiter), endpoint: endpointOf('SMS') }),
    smsWrites: new SMSClient({ ...common, ...retryStrategy('SMS', true, limiter), endpoint: endpointOf('SMS') }),
  };
}

/** The endpoint the environment gives a service, if any (AWS_ENDPOINT_URL_SMS, AWS_ENDPOINT_URL_CLOUDFORMATION, AWS_ENDPOINT_URL). */
function endpointOf(service: ReadFailure['service']): string | undefined {
  return (service === 'SMS' ? process.env.AWS_ENDPOINT_URL_SMS : process.env.AWS_ENDPOINT_URL_CLOUDFORMATION) ?? process.env.AWS_ENDPOINT_URL;
}

const CREDENTIALS_FILE = () => process.env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials';
const CONFIG_FILE = () => process.env.AWS_CONFIG_FILE ?? '~/.aws/config';

/**
 * What to say of the profile that --profile or AWS_PROFILE names when neither shared file has it: the SDK says only
 * that no provider gave credentials, or no region. Undefined when no profile is named, or a file has it. Not a refusal:
 * the SDK's chain may still find credentials elsewhere (web identity, a container or instance role).
 */
export async function missingProfile(): Promise<string | undefined> {
  const profile = process.env.AWS_PROFILE;
  if (!profile) return undefined;
  const { configFile, credentialsFile } = await loadSharedConfigFiles();
  if (configFile[profile] !== undefined || credentialsFile[profile] !== undefined) return undefined;
  // The loader keys other sections of the config file by their kind ("sso-session.corp", "services.local").
  const known = [...new Set([...Object.keys(credentialsFile), ...Object.keys(configFile)])].filter((k) => !k.includes('.')).sort();
  return `profile ${profile} (--profile or AWS_PROFILE) is in neither ${CREDENTIALS_FILE()} nor ${CONFIG_FILE()}` +
    `${known.length > 0 ? ` (the profiles there: ${known.join(', ')})` : ''}`;
}

/** Errors of the setup (no region, no credentials), after which no other read can succeed. */
export const SETUP_CODES = new Set(['RegionMissing', 'CredentialsProviderError']);

/** What the SDK's setup error says, and the fix. */
function setupFailure(error: Error): Pick<ReadFailure, 'code' | 'message'> | undefined {
  if (error.message === 'Region is missing') {
    return {
      code: 'RegionMissing',
      message: `no AWS region was given: pass --region REGION, set AWS_REGION, or set region in the profile's section of ${CONFIG_FILE()}`,
    };
  }
  if (error.name === 'CredentialsProviderError') {
    const profile = process.env.AWS_PROFILE;
    // With a profile named, the SDK's chain skips the environment's keys.
    const environment = profile ? `not the environment's keys (a profile is named${process.env.AWS_ACCESS_KEY_ID ? ': unset AWS_PROFILE to use AWS_ACCESS_KEY_ID' : ''}), `
      : 'the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), ';
    return {
      code: 'CredentialsProviderError',
      message: `${error.message.replace(/[.\s]*$/, '')}: the SDK tried ${environment}profile ${profile ?? 'default'} of ${CREDENTIALS_FILE()} and ` +
        `${CONFIG_FILE()} (with SSO and credential_process), web identity (AWS_WEB_IDENTITY_TOKEN_FILE) and the container and instance roles. ` +
        'Pass --profile NAME (or set AWS_PROFILE), sign in (aws sso login), or set the variables',
    };
  }
  return undefined;
}

/** A read that failed, named. */
export class ReadError extends Error {
  constructor(readonly failure: ReadFailure) {
    super(`${failure.service} ${failure.call}: ${failure.code}: ${failure.message}`);
  }
}

/** Runs one read; its error, after the SDK's retries, becomes a ReadError naming the service and the call. */
export async function read<T>(service: ReadFailure['service'], call: string, stackName: string | null, fn: () => Promise<T>,
  jobId: string | null = null): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const error = e as Error & { $metadata?: { attempts?: number }; code?: string };
    const attempts = error.$metadata?.attempts;
    const after = attempts && attempts > 1 ? ` (after ${attempts} attempts)` : '';
    const setup = setupFailure(error);
    if (setup) {
      throw new ReadError({ service, call, stackName, jobId, ...setup });
    }
    if (isConnectionError(error)) {
      const endpoint = endpointOf(service);
      throw new ReadError({
        service, call, stackName, jobId, code: error.code ?? error.name ?? 'Error',
        message: `${error.message}${after}: no answer from ${endpoint ?? `${service}'s endpoint in the region`}` +
          `${endpoint ? ` (${endpoint === process.env.AWS_ENDPOINT_URL ? 'AWS_ENDPOINT_URL' : `AWS_ENDPOINT_URL_${service === 'SMS' ? 'SMS' : 'CLOUDFORMATION'}`})` : ''}; ` +
          'check that endpoint, the network route to it, and any proxy',
      });
    }
    throw new ReadError({ service, call, stackName, jobId, code: error.name ?? 'Error', message: `${error.message}${after}` });
  }
}

/** What CloudFormation says of one stack. */
export interface StackRead {
  readonly stackName: string;
  readonly stackId: string;
  readonly stackStatus: string;
  readonly parameters: Record<string, string>;
  /** Every resource of the stack but those deleted. */
  readonly resources: StackResourceSummary[];
  /** The template as deployed. */
  readonly template: Template;
}

export interface Template {
  readonly Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

/** DescribeStacks, ListStackResources (every page) and GetTemplate of one stack. */
export async function readStack(cfn: CloudFormationClient, stackName: string): Promise<StackRead> {
  const described = await read('CloudFormation', 'DescribeStacks', stackName, () => cfn.send(new DescribeStacksCommand({ StackName: stackName })));
  const stack = described.Stacks?.[0];
  if (!stack?.StackId) {
    throw new ReadError({ service: 'CloudFormation', call: 'DescribeStacks', stackName, jobId: null, code: 'NoStack', message: 'answered no stack' });
  }
  const resources = await read('CloudFormation', 'ListStackResources', stackName, async () => {
    const all: StackResourceSummary[] = [];
    for await (const page of paginateListStackResources({ client: cfn }, { StackName: stack.StackId })) {
      all.push(...(page.StackResourceSummaries ?? []));
    }
    // A resource whose Delete is under way or failed (DELETE_IN_PROGRESS, DELETE_FAILED) still holds its job: the
    // stack's deletion may be retried, and its Delete deletes that job. Only a deleted or skipped (kept) one holds none.
    return all.filter((r) => r.ResourceStatus !== 'DELETE_COMPLETE' && r.ResourceStatus !== 'DELETE_SKIPPED');
  });
  const got = await read('CloudFormation', 'GetTemplate', stackName, () => cfn.send(new GetTemplateCommand({ StackName: stack.StackId, TemplateStage: 'Original' })));
  let template: Template;
  try {
    template = JSON.parse(got.TemplateBody ?? '{}');
  } catch {
    throw new ReadError({
      service: 'CloudFormation', call: 'GetTemplate', stackName, jobId: null, code: 'NotJson',
      message: 'the template is not JSON (a YAML template?); status reads the JSON templates the CDK deploys',
    });
  }
  return {
    // The stack's own name, whether --stack gave it or the stack's ARN: orphans are found by the name in their marker.
    stackName: stack.StackName ?? stackName,
    stackId: stack.StackId,
    stackStatus: stack.StackStatus ?? 'UNKNOWN',
    parameters: parametersOf(stack.Parameters ?? []),
    resources,
    template,
  };
}

/** Every replication job of the region, 100 to a page. */
export async function listJobs(sms: SMSClient): Promise<ReplicationJob[]> {
  return read('SMS', 'GetReplicationJobs', null, async () => {
    const all: ReplicationJob[] = [];
    for await (const page of paginateGetReplicationJobs({ client: sms, pageSize: 100 }, {})) {
      all.push(...(page.replicationJobList ?? []));
    }
    return all;
  });
}

/**
 * The runs of each job (GetReplicationRuns, every page), CONCURRENCY jobs at a time; `progress` after each job. A job
 * whose runs could not be read is left out of the map and named in `failures`: the other jobs are still reported.
 */
export async function readRuns(sms: SMSClient, jobIds: string[], progress: (done: number) => void):
Promise<{ runs: Map<string, ReplicationRun[]>; failures: ReadFailure[] }> {
  const runs = new Map<string, ReplicationRun[]>();
  const failures: ReadFailure[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < jobIds.length) {
      const jobId = jobIds[next++];
      try {
        runs.set(jobId, await read('SMS', 'GetReplicationRuns', null, async () => {
          const all: ReplicationRun[] = [];
          for await (const page of paginateGetReplicationRuns({ client: sms, pageSize: 100 }, { replicationJobId: jobId })) {
            all.push(...(page.replicationRunList ?? []));
          }
          return all;
        }, jobId));
      } catch (e) {
        if (!(e instanceof ReadError)) throw e;
        // The job went between the listing and this read: it has no runs to show, and the listing's state stands.
        if (e.failure.code === 'ReplicationJobNotFoundException') runs.set(jobId, []);
        else failures.push(e.failure);
      }
      progress(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, jobIds.length) }, worker));
  return { runs, failures };
}

/** The parameters' values as the stack resolved them (an SSM parameter's ResolvedValue); NoEcho ones are left out. */
function parametersOf(parameters: Parameter[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of parameters) {
    const value = p.ResolvedValue ?? p.ParameterValue;
    if (p.ParameterKey && value !== undefined && value !== '****') out[p.ParameterKey] = value;
  }
  return out;
}
