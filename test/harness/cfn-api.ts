import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOnLoopback, stopListening } from './loopback';

/**
 * CloudFormation's API as the handler sees it, for one stack: DescribeStacks, DescribeStackEvents and
 * DescribeStackResource (an AMI event's read of the job its resource holds), in the service's
 * awsQuery protocol (a form-encoded POST, answered in XML). It answers with the stack's status as the driver sets it, refuses any other
 * stack as CloudFormation does ("Stack with id ... does not exist"), and records every request. Other actions are
 * answered as CloudFormation answers an action it does not have; the provider may call none of them. It fails on
 * demand as CloudFormation's API does: AccessDenied (a role without the permission), Throttling (the account's API
 * rate, shared with every other caller: for a count of requests, or above a rate), or no answer at all (a function
 * without a route to the endpoint: the request is read and never answered).
 * For the read-only `status` command (cli/) it also answers ListStackResources and GetTemplate, and serves more than
 * one stack (addStack).
 */

const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export interface CfnApiRequest {
  /** The Action of the form. */
  readonly action: string;
  /** Every field of the form. */
  readonly params: Record<string, string>;
  /** The stack status answered, the error code, or 'hang' for a request left without an answer. */
  readonly answered: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** The stack the API describes. `parentId`: the parent's stack id, for a nested stack (DescribeStacks' ParentId). */
export interface StackView {
  readonly stackId: string;
  readonly stackName: string;
  readonly status: () => string;
  readonly parentId?: () => string | undefined;
  /** The template as deployed, which GetTemplate answers (as JSON): for the read calls of the `status` command. */
  readonly template?: () => unknown;
  /** The stack's resources, which ListStackResources answers, 100 to a page as CloudFormation pages them. */
  readonly resources?: () => StackResourceView[];
  /** The stack's parameter values, which DescribeStacks answers. */
  readonly parameters?: () => Record<string, string>;
  /** The stack's events, oldest first, which DescribeStackEvents answers newest first. */
  readonly events?: () => StackEventView[];
  /** One resource of the stack, which DescribeStackResource answers; undefined: the stack has no such resource. */
  readonly resource?: (logicalId: string) => StackResourceView | undefined;
}

/**
 * One stack event: the stack's own (no logicalId: its status changed) or a resource's. CloudFormation names the stack
 * itself by the stack's name as LogicalResourceId, its id as PhysicalResourceId, and AWS::CloudFormation::Stack.
 */
export interface StackEventView {
  readonly status: string;
  /** Epoch milliseconds. */
  readonly at: number;
  /** A resource's logical id; undefined for the stack's own event. */
  readonly logicalId?: string;
  readonly physicalId?: string;
  readonly type?: string;
}

/** One resource of a stack, as ListStackResources describes it. */
export interface StackResourceView {
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly type: string;
  /** Default CREATE_COMPLETE. */
  readonly status?: string;
}

/** ListStackResources' page size. */
const RESOURCES_PAGE = 100;
/**
 * DescribeStackEvents' page size here. CloudFormation pages by size ("If the output exceeds 1 MB"), which is hundreds
 * of events; a small page lets the tests page through the events of a few resources.
 */
const EVENTS_PAGE = 10;

export class CloudFormationApi {
  /** Starts the API on 127.0.0.1 on a free port. */
  static async start(stack: StackView): Promise<CloudFormationApi> {
    const api = new CloudFormationApi(stack);
    await listenOnLoopback(api.server);
    return api;
  }

  /** Every request received, in arrival order. */
  readonly requests: CfnApiRequest[] = [];
  /** Ways a request broke the protocol (method, content type, version, signature scope). */
  readonly violations: string[] = [];

  private readonly server: http.Server;
  private readonly createdAt = new Date();
  private denied = 0;
  private readonly deniedActions = new Map<string, number>();
  private throttled = 0;
  private hanging = 0;
  private throttleRps?: number;
  /** When each request above the throttle's reach was accepted (epoch ms), for the last second. */
  private readonly acceptedAt: number[] = [];
  /** Stacks added with addStack, answered beside the first. */
  private readonly others: StackView[] = [];

  private constructor(private readonly stack: StackView) {
    this.server = http.createServer((req, res) => this.onRequest(req, res));
  }

  /** The URL the handler's CloudFormation client is pointed at (AWS_ENDPOINT_URL_CLOUDFORMATION). */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `count` requests are answered AccessDenied, as CloudFormation answers a role without the permission. */
  denyNext(count: number): void {
    this.denied += count;
  }

  /** The next `count` requests of one action are answered AccessDenied: a role that allows the others but not this one. */
  denyNextOf(action: string, count: number): void {
    this.deniedActions.set(action, (this.deniedActions.get(action) ?? 0) + count);
  }

  /** The next `count` requests are answered Throttling ("Rate exceeded"), as CloudFormation answers above its API rate. */
  throttleNext(count: number): void {
    this.throttled += count;
  }

  /**
   * Answers Throttling to any request above `rps` requests accepted in the last second, as the account's API rate does
   * (refused requests count against nothing); undefined turns it off.
   */
  throttleAbove(rps: number | undefined): void {
    this.throttleRps = rps;
  }

  /** The next `count` requests (Infinity: all) are read and never answered, as by an endpoint the function cannot reach. */
  hangNext(count: number): void {
    this.hanging += count;
  }

  /** Answers every request again. */
  clearFaults(): void {
    this.denied = 0;
    this.deniedActions.clear();
    this.throttled = 0;
    this.hanging = 0;
    this.throttleRps = undefined;
  }

  /** Serves one more stack from the same endpoint (the `status` command reads several through one). */
  addStack(stack: StackView): this {
    this.others.push(stack);
    return this;
  }

  /** The DescribeStacks requests made so far. */
  describeStacksCalls(): CfnApiRequest[] {
    return this.requests.filter((r) => r.action === 'DescribeStacks');
  }

  /** The DescribeStackResource requests made so far. */
  describeStackResourceCalls(): CfnApiRequest[] {
    return this.requests.filter((r) => r.action === 'DescribeStackResource');
  }

  /** The DescribeStackEvents requests made so far. */
  describeStackEventsCalls(): CfnApiRequest[] {
    return this.requests.filter((r) => r.action === 'DescribeStackEvents');
  }

  close(): Promise<void> {
    return stopListening(this.server);
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const action = params.Action ?? '';
      if (req.method !== 'POST') this.violations.push(`${action} sent with ${req.method}; the query protocol POSTs`);
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
        this.violations.push(`${action} sent as ${req.headers['content-type']}, not a form`);
      }
      if (params.Version !== '2010-05-15') this.violations.push(`${action} sent with Version ${params.Version}`);
      if (!/Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/cloudformation\/aws4_request/.test(String(req.headers.authorization))) {
        this.violations.push(`${action} is not signed for cloudformation: ${req.headers.authorization}`);
      }
      if (this.hanging > 0) {
        this.hanging--;
        this.requests.push({ action, params, answered: 'hang', at: Date.now() });
        return;
      }
      const answer = this.answer(action, params);
      this.requests.push({ action, params, answered: answer.recorded, at: Date.now() });
      res.writeHead(answer.status, { 'content-type': 'text/xml', 'x-amzn-requestid': answer.requestId });
      res.end(answer.body);
    });
  }

  private answer(action: string, params: Record<string, string>): { status: number; body: string; recorded: string; requestId: string } {
    const requestId = randomUUID();
    const deniedHere = this.deniedActions.get(action) ?? 0;
    if (deniedHere > 0) this.deniedActions.set(action, deniedHere - 1);
    if (this.denied > 0 || deniedHere > 0) {
      this.denied = Math.max(0, this.denied - (deniedHere > 0 ? 0 : 1));
      return { status: 403, recorded: 'AccessDenied', requestId, body: error('AccessDenied', `User is not authorized to perform: cloudformation:${action}`, requestId) };
    }
    if (this.throttled > 0 || this.isThrottled()) {
      this.throttled = Math.max(0, this.throttled - 1);
      return { status: 400, recorded: 'Throttling', requestId, body: error('Throttling', 'Rate exceeded', requestId) };
    }
    if (action === 'ListStackResources' || action === 'GetTemplate') {
      return this.answerRead(action, params, requestId);
    }
    if (action === 'DescribeStackEvents') {
      return this.answerEvents(params, requestId);
    }
    if (action === 'DescribeStackResource') {
      return this.answerResource(params, requestId);
    }
    if (action !== 'DescribeStacks') {
      return { status: 400, recorded: 'InvalidAction', requestId, body: error('InvalidAction', `The action ${action} is not valid for this web service.`, requestId) };
    }
    const name = params.StackName;
    const stack = this.find(name);
    if (!stack) {
      return { status: 400, recorded: 'ValidationError', requestId, body: error('ValidationError', `Stack with id ${name} does not exist`, requestId) };
    }
    const status = stack.status();
    const parentId = stack.parentId?.();
    const parameters = Object.entries(stack.parameters?.() ?? {});
    const body = `<DescribeStacksResponse xmlns="${XMLNS}">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackId>${escape(stack.stackId)}</StackId>
        <StackName>${escape(stack.stackName)}</StackName>
        <CreationTime>${this.createdAt.toISOString()}</CreationTime>
        <StackStatus>${status}</StackStatus>${parentId ? `
        <ParentId>${escape(parentId)}</ParentId>
        <RootId>${escape(parentId)}</RootId>` : ''}${parameters.length > 0 ? `
        <Parameters>${parameters.map(([key, value]) => `
          <member><ParameterKey>${escape(key)}</ParameterKey><ParameterValue>${escape(value)}</ParameterValue></member>`).join('')}
        </Parameters>` : ''}
        <DisableRollback>false</DisableRollback>
      </member>
    </Stacks>
  </DescribeStacksResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</DescribeStacksResponse>`;
    return { status: 200, recorded: status, requestId, body };
  }

  /** Whether the rate allows no more requests now; if it does, the request counts against it. */
  private isThrottled(): boolean {
    if (this.throttleRps === undefined) return false;
    const now = Date.now();
    while (this.acceptedAt.length > 0 && this.acceptedAt[0] <= now - 1000) this.acceptedAt.shift();
    if (this.acceptedAt.length >= this.throttleRps) return true;
    this.acceptedAt.push(now);
    return false;
  }

  private find(name: string | undefined): StackView | undefined {
    return findIn([this.stack, ...this.others], name);
  }

  /** DescribeStackResource: one resource, or CloudFormation's ValidationError for a stack or resource it does not have. */
  private answerResource(params: Record<string, string>, requestId: string): { status: number; body: string; recorded: string; requestId: string } {
    const stack = this.find(params.StackName);
    if (!stack) {
      return { status: 400, recorded: 'ValidationError', requestId, body: error('ValidationError', `Stack '${params.StackName}' does not exist`, requestId) };
    }
    const r = stack.resource?.(params.LogicalResourceId);
    if (!r) {
      return {
        status: 400, recorded: 'ValidationError', requestId,
        body: error('ValidationError', `Resource ${params.LogicalResourceId} does not exist for stack ${stack.stackName}`, requestId),
      };
    }
    return { status: 200, recorded: r.physicalId ?? 'ok', requestId, body: `<DescribeStackResourceResponse xmlns="${XMLNS}">
  <DescribeStackResourceResult>
    <StackResourceDetail>
      <StackId>${escape(stack.stackId)}</StackId>
      <StackName>${escape(stack.stackName)}</StackName>
      <LogicalResourceId>${escape(r.logicalId)}</LogicalResourceId>${r.physicalId !== undefined ? `
      <PhysicalResourceId>${escape(r.physicalId)}</PhysicalResourceId>` : ''}
      <ResourceType>${escape(r.type)}</ResourceType>
      <LastUpdatedTimestamp>${this.createdAt.toISOString()}</LastUpdatedTimestamp>
      <ResourceStatus>${r.status ?? 'CREATE_COMPLETE'}</ResourceStatus>
    </StackResourceDetail>
  </DescribeStackResourceResult>
  <ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>
</DescribeStackResourceResponse>` };
  }

  /** DescribeStackEvents: the stack's events newest first, EVENTS_PAGE to a page. */
  private answerEvents(params: Record<string, string>, requestId: string): { status: number; body: string; recorded: string; requestId: string } {
    const stack = this.find(params.StackName);
    if (!stack) {
      return { status: 400, recorded: 'ValidationError', requestId, body: error('ValidationError', `Stack [${params.StackName}] does not exist`, requestId) };
    }
    const all = [...(stack.events?.() ?? [])].reverse();
    const offset = params.NextToken ? Number(Buffer.from(params.NextToken, 'base64url').toString()) : 0;
    const page = all.slice(offset, offset + EVENTS_PAGE);
    const next = offset + EVENTS_PAGE < all.length ? Buffer.from(String(offset + EVENTS_PAGE)).toString('base64url') : undefined;
    const members = page.map((e) => `
      <member>
        <StackId>${escape(stack.stackId)}</StackId>
        <EventId>${randomUUID()}</EventId>
        <StackName>${escape(stack.stackName)}</StackName>
        <LogicalResourceId>${escape(e.logicalId ?? stack.stackName)}</LogicalResourceId>
        <PhysicalResourceId>${escape(e.logicalId ? e.physicalId ?? '' : stack.stackId)}</PhysicalResourceId>
        <ResourceType>${escape(e.logicalId ? e.type ?? 'Custom::Resource' : 'AWS::CloudFormation::Stack')}</ResourceType>
        <Timestamp>${new Date(e.at).toISOString()}</Timestamp>
        <ResourceStatus>${e.status}</ResourceStatus>
      </member>`).join('');
    return { status: 200, recorded: 'ok', requestId, body: `<DescribeStackEventsResponse xmlns="${XMLNS}">
  <DescribeStackEventsResult>
    <StackEvents>${members}
    </StackEvents>${next ? `
    <NextToken>${next}</NextToken>` : ''}
  </DescribeStackEventsResult>
  <ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>
</DescribeStackEventsResponse>` };
  }

  /** ListStackResources and GetTemplate, for a stack that has them (its view gives resources and a template). */
  private answerRead(action: string, params: Record<string, string>, requestId: string): { status: number; body: string; recorded: string; requestId: string } {
    const stack = this.find(params.StackName);
    if (!stack) {
      return { status: 400, recorded: 'ValidationError', requestId, body: error('ValidationError', `Stack with id ${params.StackName} does not exist`, requestId) };
    }
    if (action === 'GetTemplate') {
      const template = JSON.stringify(stack.template?.() ?? {});
      return { status: 200, recorded: 'ok', requestId, body: `<GetTemplateResponse xmlns="${XMLNS}">
  <GetTemplateResult>
    <TemplateBody>${escape(template)}</TemplateBody>
    <StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>
  </GetTemplateResult>
  <ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>
</GetTemplateResponse>` };
    }
    const all = stack.resources?.() ?? [];
    const offset = params.NextToken ? Number(Buffer.from(params.NextToken, 'base64url').toString()) : 0;
    const page = all.slice(offset, offset + RESOURCES_PAGE);
    const next = offset + RESOURCES_PAGE < all.length ? Buffer.from(String(offset + RESOURCES_PAGE)).toString('base64url') : undefined;
    const members = page.map((r) => `
      <member>
        <LogicalResourceId>${escape(r.logicalId)}</LogicalResourceId>${r.physicalId !== undefined ? `
        <PhysicalResourceId>${escape(r.physicalId)}</PhysicalResourceId>` : ''}
        <ResourceType>${escape(r.type)}</ResourceType>
        <LastUpdatedTimestamp>${this.createdAt.toISOString()}</LastUpdatedTimestamp>
        <ResourceStatus>${r.status ?? 'CREATE_COMPLETE'}</ResourceStatus>
        <DriftInformation><StackResourceDriftStatus>NOT_CHECKED</StackResourceDriftStatus></DriftInformation>
      </member>`).join('');
    return { status: 200, recorded: 'ok', requestId, body: `<ListStackResourcesResponse xmlns="${XMLNS}">
  <ListStackResourcesResult>
    <StackResourceSummaries>${members}
    </StackResourceSummaries>${next ? `
    <NextToken>${next}</NextToken>` : ''}
  </ListStackResourcesResult>
  <ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>
</ListStackResourcesResponse>` };
  }
}

/** The stack of this name or id, if the API serves it. */
function findIn(stacks: StackView[], name: string | undefined): StackView | undefined {
  return stacks.find((s) => name === s.stackId || name === s.stackName);
}

function error(code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="${XMLNS}">
  <Error>
    <Type>Sender</Type>
    <Code>${code}</Code>
    <Message>${escape(message)}</Message>
  </Error>
  <RequestId>${requestId}</RequestId>
</ErrorResponse>`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
