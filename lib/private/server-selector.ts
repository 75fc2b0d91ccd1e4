import { Annotations, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { SmsServer } from '../server';
import { serverClaims } from './app-state';
import { validationError } from './errors';

/** What a selector (`SmsServer`) writes in the job's template: one of the server's id, its VM's name, its VM's address. */
export interface SmsServerConfig {
  readonly serverId?: string;
  readonly vmName?: string;
  readonly vmManagerName?: string;
  readonly vmManagerId?: string;
  readonly vmId?: string;
}

/** What the template says of a job's server, from its `server`. */
export interface ServerOfJob {
  /** The ServerId property: the server id, when it is known at synthesis. */
  readonly serverId?: string;
  /** The VmName and VmManagerName properties, when the provider resolves the server at deploy time. */
  readonly vmName?: string;
  readonly vmManagerName?: string;
  /** The VmManagerId and VmId properties: the VM's address, which the provider resolves with a filtered GetServers. */
  readonly vmManagerId?: string;
  readonly vmId?: string;
  /** The key under which the job claims its server in the app, and how the claim is named in errors. */
  readonly claim: { readonly key: string; readonly what: string };
}

/** What an SMS server id looks like: `s-` and hex digits (`s-12345678`, `s-1234567890abcdef0`). */
const SERVER_ID = /^s-[0-9a-f]+$/;

/**
 * Reads the job's `server`. Fails, naming the migration, for the `serverId` property of versions before 1.0.0 (a
 * JavaScript app that no compiler checks may still pass it). Warns about a server id that does not look like one, such
 * as a VM's name.
 */
export function serverOfJob(job: IConstruct, props: { readonly server?: SmsServer }): ServerOfJob {
  const removed = (props as { readonly serverId?: unknown }).serverId;
  if (removed !== undefined) {
    throw validationError(`ReplicationJob ${job.node.path}: serverId was removed in 1.0.0, got serverId ${JSON.stringify(removed)}; ` +
      `give server: SmsServer.fromServerId(${JSON.stringify(removed)}) instead, which writes the same template (no job is replaced)`, job);
  }
  const server = props.server;
  if (server === undefined) {
    throw validationError(`ReplicationJob ${job.node.path}: server is required: give SmsServer.fromServerId('s-12345678'), ` +
      "SmsServer.fromVmName('web-01') or SmsServer.fromVmServerAddress({ vmManagerId, vmId })", job);
  }
  const rendered = server._render();
  const id = rendered.serverId;
  if (id !== undefined) {
    if (!Token.isUnresolved(id) && id.trim() !== '' && !SERVER_ID.test(id)) {
      Annotations.of(job).addWarningV2('cdk-sms-replication-job:serverIdNotSmsId',
        `SmsServer.fromServerId('${id}'): '${id}' does not look like an SMS server id ('s-' and hex digits, such as s-12345678), and SMS will refuse it ` +
        `at deploy time if it is not one. To name the server by its VM, use server: SmsServer.fromVmName('${id}').`);
    }
    return { serverId: id, claim: { key: `id|${id}`, what: `server SmsServer.fromServerId('${id}')` } };
  }
  const { vmName, vmManagerName, vmManagerId, vmId } = rendered;
  if (vmId !== undefined) {
    const known = !Token.isUnresolved(vmManagerId) && !Token.isUnresolved(vmId);
    return { vmManagerId, vmId, claim: { key: known ? `address|${vmManagerId}|${vmId}` : '', what: `server ${server!._describe()}` } };
  }
  const literal = !Token.isUnresolved(vmName) && (vmManagerName === undefined || !Token.isUnresolved(vmManagerName));
  return {
    vmName,
    vmManagerName,
    claim: { key: literal ? `vm|${vmManagerName ?? ''}|${vmName}` : '', what: `server ${server!._describe()}` },
  };
}

/**
 * Fails synthesis when a second ReplicationJob in the app names the server another names by a literal VM selector (a
 * server id is claimed by replication-job.ts): SMS allows one job per server, and the second Create would fail at
 * deploy time. Two selectors name one server when they are the same, and also when one of them has no VM manager and
 * the other the same VM name: a name without a VM manager resolves only if it is unique in the catalog, and then the
 * other selector finds that same VM. Two VM addresses name one server when they are the same; a VM address and a VM
 * name may name one server too, which only the catalog can tell (the second Create then fails at deploy time). Jobs
 * match when they are in the same stack, or in stacks with the same explicit account and region; a token VM name,
 * address, account or region is not guessed at.
 */
export function claimVmSelector(job: IConstruct, server: ServerOfJob): void {
  if ((server.vmName === undefined && server.vmId === undefined) || server.claim.key === '') {
    return;
  }
  const stack = Stack.of(job);
  const where = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)
    ? `stack ${stack.node.path}`
    : `account ${stack.account} and region ${stack.region}`;
  const claims = serverClaims(job);
  const exact = `${where}|${server.claim.key}`;
  const byName = `${where}|vm-name|${server.vmName}`;
  const nameOnly = `${where}|vm||${server.vmName}`;
  // The same selector; else, for a name alone, any selector of that name; for a name and manager, the name alone.
  const first = claims.get(exact) ?? (server.vmName === undefined ? undefined : server.vmManagerName === undefined ? claims.get(byName) : claims.get(nameOnly));
  if (first !== undefined) {
    const same = claims.get(exact) !== undefined;
    throw validationError(`ReplicationJob ${job.node.path}: ${server.claim.what} ${same ? 'is already replicated by' : 'names the server of'} ` +
      `ReplicationJob ${first} (same ${where})${same ? '' : ': a VM name without vmManagerName resolves only when it is unique in the ' +
      'catalog, and then both selectors find that one VM'}, and SMS allows one replication job per server. Remove one of the two` +
      (server.vmName === undefined ? '.' : ', or narrow both selectors to different VM managers (vmManagerName), or name the server with ' +
        'SmsServer.fromServerId or SmsServer.fromVmServerAddress.'), job);
  }
  claims.set(exact, job.node.path);
  if (server.vmName !== undefined && !claims.has(byName)) claims.set(byName, job.node.path);
}
