import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOnLoopback, stopListening } from './loopback';

/**
 * A local double of SSM Parameter Store for the provider's latest-AMI parameters: the operations the provider sends
 * (PutParameter, DeleteParameter, GetParameterHistory) and GetParameter for tests, on SSM's wire protocol, awsJson1_1 (POST /, X-Amz-Target
 * AmazonSSM.<operation>, content-type application/x-amz-json-1.1, SigV4 signed for service `ssm`), so that the real
 * @aws-sdk/client-ssm talks to it. Unlike the SMS emulator it has no model of SSM to check requests against (botocore's
 * SSM model is 1.5 MB): it checks the members the provider sends, against the limits of SSM's API Reference.
 *
 * Errors as SSM sends them: HTTP 400 with a body `{"__type": "<name>", "message": "..."}`. ParameterNotFound,
 * ParameterAlreadyExists and ValidationException are SSM's modeled errors; ThrottlingException ("Rate exceeded") and
 * AccessDeniedException are not in SSM's model but are what AWS's JSON services answer for throttling and a missing
 * permission, which the SDK classifies by name (a throttle is retried).
 *
 * aws:ec2:image. SSM checks such a value after it answers (the API Reference of PutParameter: a 200 does not mean the
 * parameter was written; an AMI that is not "available in your account" leaves it as it was). The double does the
 * same: a value that is not an AMI of `images` is answered 200 and not written, and recorded in `rejectedAsync`.
 *
 * GetParameterHistory: every version written, oldest first, each with its own description; SSM keeps the last 100.
 * Pages of MaxResults (1 to 50, 50 by default), and a NextToken while versions remain, as SSM pages it.
 */

const TARGET_PREFIX = 'AmazonSSM.';
/** SSM's parameter names: letters, digits, `_.-/`; at most 1011 characters (2048 with the account's ARN) and 15 levels. */
const NAME = /^[a-zA-Z0-9_.\-/]+$/;
const AMI = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

export interface StoredParameter {
  readonly name: string;
  readonly value: string;
  readonly type: string;
  readonly dataType: string;
  readonly description?: string;
  readonly version: number;
}

export interface SsmRequest {
  readonly operation: string;
  readonly body: any;
}

type Fault = { readonly error: 'ThrottlingException' | 'AccessDeniedException' | 'InternalServerError'; remaining: number };

class SsmError extends Error {
  constructor(readonly errorName: string, message: string, readonly status = 400) {
    super(message);
  }
}

export class SsmDouble {
  static async start(): Promise<SsmDouble> {
    const double = new SsmDouble();
    await listenOnLoopback(double.server);
    return double;
  }

  /** Every request, in arrival order. */
  readonly requests: SsmRequest[] = [];
  /** Requests that broke the protocol or SSM's limits. */
  readonly violations: string[] = [];
  /** The aws:ec2:image writes that SSM's asynchronous validation refused (not written). */
  readonly rejectedAsync: Array<{ name: string; value: string }> = [];
  /** The AMIs available in the account, for aws:ec2:image's validation. */
  readonly images = new Set<string>();
  /** Called as a PutParameter arrives, before it is performed: what happens elsewhere meanwhile. */
  beforePut?: () => void;
  /** Called after a PutParameter is performed, before it is answered: what happens elsewhere right after the write. */
  afterPut?: () => void;

  private readonly parameters = new Map<string, StoredParameter>();
  private readonly history = new Map<string, StoredParameter[]>();
  /** Versions a parameter keeps in its history (SSM: 100). */
  historyLimit = 100;
  private readonly faults = new Map<string, Fault[]>();
  /** Requests per second accepted, by operation ('*': any operation without a limit of its own). */
  private readonly throttles = new Map<string, number>();
  /** When each operation's accepted requests arrived, within the last second. */
  private readonly acceptedAt = new Map<string, number[]>();
  /** Requests answered ThrottlingException by a throttleAbove limit, by operation. */
  readonly throttled = new Map<string, number>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });

  /** The value for AWS_ENDPOINT_URL_SSM or a client's `endpoint`. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Makes the next `times` requests of `operation` fail with `error`. */
  failNext(operation: string, error: Fault['error'], times = 1): void {
    const list = this.faults.get(operation) ?? [];
    list.push({ error, remaining: times });
    this.faults.set(operation, list);
  }

  /** Writes a parameter as another caller's PutParameter does (not recorded among the requests). */
  store(input: { Name: string; Value: string; Description?: string }): void {
    this.put(this.checkName(input.Name), { Type: 'String', DataType: 'aws:ec2:image', Overwrite: true, ...input });
  }

  /**
   * Answers ThrottlingException ("Rate exceeded") to a request of `operation` above `rps` accepted requests of it in the
   * last second, as the SMS emulator's throttleAbove does for SMS. Each operation has its own window; `operation` '*'
   * limits every operation that has no limit of its own (each still in its own window). `undefined` lifts the limit.
   */
  throttleAbove(rps: number | undefined, operation = '*'): this {
    if (rps === undefined) this.throttles.delete(operation);
    else this.throttles.set(operation, rps);
    return this;
  }

  /** The parameter, if it exists. */
  parameter(name: string): StoredParameter | undefined {
    return this.parameters.get(name);
  }

  /** Removes a parameter and its history behind the API's back (a bench between its batches); whether it existed. */
  removeParameter(name: string): boolean {
    this.history.delete(name);
    return this.parameters.delete(name);
  }

  /** Every parameter's name. */
  names(): string[] {
    return [...this.parameters.keys()].sort();
  }

  /** The operations received, in order. */
  operations(): string[] {
    return this.requests.map((r) => r.operation);
  }

  close(): Promise<void> {
    return stopListening(this.server);
  }

  private handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    let body: any;
    try {
      body = JSON.parse(raw || '{}');
    } catch {
      body = undefined;
    }
    this.requests.push({ operation, body });
    const problems = this.protocolProblems(req, target, body);
    if (problems.length > 0) {
      this.violations.push(...problems.map((p) => `${operation}: ${p}`));
      return this.sendError(res, new SsmError('ValidationException', problems.join('; ')));
    }
    if (this.isThrottled(operation)) {
      this.throttled.set(operation, (this.throttled.get(operation) ?? 0) + 1);
      return this.sendError(res, new SsmError('ThrottlingException', 'Rate exceeded'));
    }
    const faults = this.faults.get(operation);
    const fault = faults?.[0];
    if (fault) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) faults!.shift();
      const messages = {
        ThrottlingException: ['Rate exceeded', 400],
        AccessDeniedException: [`User: arn:aws:sts::123456789012:assumed-role/provider/handler is not authorized to perform: ssm:${operation} ` +
          `on resource: arn:aws:ssm:us-west-2:123456789012:parameter${body.Name} because no identity-based policy allows the ssm:${operation} action`, 400],
        InternalServerError: ['Internal error', 500],
      } as const;
      const [message, status] = messages[fault.error];
      return this.sendError(res, new SsmError(fault.error, message, status));
    }
    try {
      this.send(res, 200, JSON.stringify(this.perform(operation, body)));
    } catch (e) {
      if (!(e instanceof SsmError)) throw e;
      this.sendError(res, e);
    }
  }

  /** Whether a throttleAbove limit refuses this request; if not, it counts in its operation's window. */
  private isThrottled(operation: string): boolean {
    const limit = this.throttles.get(operation) ?? this.throttles.get('*');
    if (limit === undefined) return false;
    const now = Date.now();
    const window = (this.acceptedAt.get(operation) ?? []).filter((t) => t > now - 1000);
    this.acceptedAt.set(operation, window);
    if (window.length >= limit) return true;
    window.push(now);
    return false;
  }

  private protocolProblems(req: http.IncomingMessage, target: string, body: unknown): string[] {
    const out: string[] = [];
    if (req.method !== 'POST' || req.url !== '/') out.push(`${req.method} ${req.url}, awsJson1_1 is POST /`);
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') out.push(`content-type is ${req.headers['content-type']}`);
    const scope = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''));
    if (scope?.[2] !== 'ssm') out.push('not signed with SigV4 for service ssm');
    if (!target.startsWith(TARGET_PREFIX)) out.push(`X-Amz-Target is ${target}`);
    if (body === undefined) out.push('body is not JSON');
    return out;
  }

  private perform(operation: string, input: any): unknown {
    const name = this.checkName(input.Name);
    switch (operation) {
      case 'PutParameter':
        this.beforePut?.();
        try {
          return this.put(name, input);
        } finally {
          this.afterPut?.();
        }
      case 'GetParameter': {
        const p = this.parameters.get(name);
        if (!p) throw new SsmError('ParameterNotFound', '');
        return { Parameter: { Name: p.name, Type: p.type, Value: p.value, Version: p.version, DataType: p.dataType } };
      }
      case 'DeleteParameter':
        if (!this.parameters.delete(name)) throw new SsmError('ParameterNotFound', '');
        this.history.delete(name);
        return {};
      case 'GetParameterHistory':
        return this.getHistory(name, input);
      default:
        this.violations.push(`${operation}: not an operation the double implements`);
        throw new SsmError('ValidationException', `${operation} is not implemented by the SSM double`);
    }
  }

  private checkName(name: unknown): string {
    if (typeof name !== 'string' || !NAME.test(name) || name.length > 1011 || name.split('/').length - 1 > 15 || /^\/?(aws|ssm)/i.test(name)) {
      this.violations.push(`Name ${JSON.stringify(name)} is not a valid parameter name`);
      throw new SsmError('ValidationException', `Parameter name ${JSON.stringify(name)} is not valid`);
    }
    return name;
  }

  private put(name: string, input: any): unknown {
    const known = ['Name', 'Value', 'Type', 'DataType', 'Overwrite', 'Description'];
    const unknown = Object.keys(input).filter((k) => !known.includes(k));
    if (unknown.length > 0) this.violations.push(`PutParameter: members the provider should not send: ${unknown.join(', ')}`);
    if (typeof input.Value !== 'string' || input.Value.length < 1 || input.Value.length > 4096) {
      throw new SsmError('ValidationException', 'Value must be 1 to 4096 characters');
    }
    if (input.Description !== undefined && (typeof input.Description !== 'string' || input.Description.length > 1024)) {
      throw new SsmError('ValidationException', 'Description must be at most 1024 characters');
    }
    const type = input.Type ?? this.parameters.get(name)?.type;
    const dataType = input.DataType ?? 'text';
    if (type !== 'String' && dataType === 'aws:ec2:image') throw new SsmError('ValidationException', 'aws:ec2:image is for String parameters');
    const existing = this.parameters.get(name);
    if (existing && !input.Overwrite) throw new SsmError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    if (existing && existing.dataType !== dataType && (existing.dataType === 'aws:ec2:image' || dataType === 'aws:ec2:image')) {
      throw new SsmError('ValidationException', 'A parameter cannot change to or from data type aws:ec2:image');
    }
    const version = (existing?.version ?? 0) + 1;
    if (dataType === 'aws:ec2:image' && (!AMI.test(input.Value) || !this.images.has(input.Value))) {
      // Answered as written, refused afterwards: the parameter stays as it was.
      this.rejectedAsync.push({ name, value: input.Value });
      return { Version: version, Tier: 'Standard' };
    }
    const stored = { name, value: input.Value, type, dataType, description: input.Description, version };
    this.parameters.set(name, stored);
    const versions = this.history.get(name) ?? [];
    versions.push(stored);
    this.history.set(name, versions.slice(-this.historyLimit));
    return { Version: version, Tier: 'Standard' };
  }

  private getHistory(name: string, input: any): unknown {
    const known = ['Name', 'MaxResults', 'NextToken', 'WithDecryption'];
    const unknown = Object.keys(input).filter((k) => !known.includes(k));
    if (unknown.length > 0) this.violations.push(`GetParameterHistory: members the provider should not send: ${unknown.join(', ')}`);
    const max = input.MaxResults ?? 50;
    if (!Number.isInteger(max) || max < 1 || max > 50) {
      this.violations.push(`GetParameterHistory: MaxResults ${max} is not 1 to 50`);
      throw new SsmError('ValidationException', 'MaxResults must be 1 to 50');
    }
    const versions = this.history.get(name);
    if (!versions) throw new SsmError('ParameterNotFound', '');
    const start = input.NextToken === undefined ? 0 : Number(/^page-(\d+)$/.exec(String(input.NextToken))?.[1] ?? NaN);
    if (Number.isNaN(start)) throw new SsmError('ValidationException', 'The NextToken is not valid');
    const page = versions.slice(start, start + max);
    return {
      Parameters: page.map((p) => ({
        Name: p.name, Type: p.type, Value: p.value, Version: p.version, DataType: p.dataType, Tier: 'Standard', Labels: [], Policies: [],
        LastModifiedDate: Date.now() / 1000, ...(p.description !== undefined ? { Description: p.description } : {}),
      })),
      ...(start + max < versions.length ? { NextToken: `page-${start + max}` } : {}),
    };
  }

  private send(res: http.ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${this.requests.length}` });
    res.end(body);
  }

  private sendError(res: http.ServerResponse, error: SsmError): void {
    this.send(res, error.status, JSON.stringify({ __type: error.errorName, message: error.message }));
  }
}
