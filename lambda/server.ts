/**
 * A server named by its VM: by its name (the VmName and VmManagerName properties, from `SmsServer.fromVmName`) or by
 * its address in its VM manager (VmManagerId and VmId, from `SmsServer.fromVmServerAddress`). Found in the SMS server
 * catalog before anything is written to SMS, so that create.ts and update.ts see a ServerId as for any job.
 *
 * The stack reads the catalog once for its VM-named jobs (catalog-read.ts) and hands each its server; a job reads it
 * itself only where that read named no server for it. The catalog is read at most once per invocation (GetServers,
 * every page), and only when the selector is new: a Create, or an Update that changes it. A VM address is looked up
 * with GetServers filtered by SMS to that address (one page), by the stack's read for all its addresses at once, or by
 * the job. A catalog that is not AVAILABLE is imported (ImportServerCatalog) and waited for within the invocation's
 * budget.
 */
import { GetServersCommand, GetServersResponse, ImportServerCatalogCommand, Server } from '@aws-sdk/client-sms';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceUpdateEvent } from 'aws-lambda';
import { NoJobMadeError, RefusedError } from './errors';
import type { Invocation } from './invocation';
import { hex8, isOwnedBy, ownerOf } from './ownership';
import { Replaced, parsePhysicalId } from './physical-id';
import { InvalidPropertyError, NOT_JOB_PROPERTIES } from './properties';
import { isLive, jobById } from './sms';

/** A VM selector by name, as the template writes it. */
export interface VmSelector {
  readonly vmName: string;
  readonly vmManagerName?: string;
}

/** A VM selector by address in its VM manager, as the template writes it (SMS's VmServerAddress). */
export interface VmAddressSelector {
  readonly vmManagerId: string;
  readonly vmId: string;
}

/** How a job's properties name its server's VM: by name, or by address. */
export type ServerSelector = VmSelector | VmAddressSelector;

export function isAddress(selector: ServerSelector): selector is VmAddressSelector {
  return 'vmId' in selector;
}

/** The event with the server of each VM selector written as ServerId, and the server the new properties name. */
export interface ResolvedEvent {
  readonly event: CloudFormationCustomResourceEvent;
  /** The server of the new properties, when they name it by its VM: the custom resource's ServerId attribute. */
  readonly serverId?: string;
  /**
   * The token of the job this event may make, when it is fixed by what later events know rather than by this event's
   * RequestId (replacementToken): the move of a VM-named job to another server.
   */
  readonly token?: string;
  /** A forward Update that moves a VM-named job to another server: the job it replaces, for the new physical id. */
  readonly replacing?: Replaced;
  /**
   * A rollback of a VM-named Update whose selector changed: the token a job the forward Update made would carry, on a
   * server no later event can name without the catalog (update.ts deletes it, if the Update failed and left it).
   */
  readonly strayToken?: string;
  /**
   * An Update whose properties change nothing the job holds (only CloudFormation's own properties, or CatalogServerId:
   * the stack's read of the catalog ran again for another job): nothing to write, the physical id answered as it is.
   */
  readonly nothingToDo?: boolean;
}

/** Whether the event is a rollback: the stack's status said so, or it could not be read and the Update is taken as one. */
export type RollbackKnowledge = 'confirmed' | 'assumed' | undefined;

/** How properties name their server (a VM selector, or a server id), as one string, for hashing. */
function keyOf(raw: Record<string, unknown> | undefined): string {
  let selector: ServerSelector | undefined;
  try {
    selector = selectorOf(raw);
  } catch {
    selector = undefined;
  }
  return selector ? selectorKey(selector) : `id\u0000${serverIdOfRaw(raw) ?? ''}`;
}

function selectorKey(selector: ServerSelector): string {
  return isAddress(selector)
    ? `address\u0000${selector.vmManagerId}\u0000${selector.vmId}`
    : `vm\u0000${selector.vmName}\u0000${selector.vmManagerName ?? ''}`;
}

/**
 * The stack's read of the catalog (catalog-read.ts) answers each job's server as `<server id>@<selectorHash>`: the
 * hash of the selector it was resolved for, so that a job uses it only for the selector its own properties name.
 */
export function selectorHash(selector: ServerSelector): string {
  return hex8(selectorKey(selector));
}

/**
 * The server the stack's read of the catalog found for this job's selector (the CatalogServerId property,
 * `<server id>@<selectorHash>`), when it names one and was resolved for the same selector; else undefined (the
 * read found none or several, could not read the catalog, or resolved another selector: the job then reads the catalog
 * itself, and fails with its own Reason where the read found no single server).
 */
function serverOfCatalogRead(raw: Record<string, unknown> | undefined, selector: ServerSelector): string | undefined {
  const value = raw?.CatalogServerId;
  if (typeof value !== 'string') return undefined;
  const at = value.lastIndexOf('@');
  return at > 0 && !value.startsWith('?') && value.slice(at + 1) === selectorHash(selector) ? value.slice(0, at) : undefined;
}

function serverIdOfRaw(raw: Record<string, unknown> | undefined): string | undefined {
  return typeof raw?.ServerId === 'string' && raw.ServerId !== '' ? raw.ServerId : undefined;
}

/** The change of server choice (properties from, properties to) that replaced a job, as its replacement's physical id records it. */
export function selectorChange(from: Record<string, unknown> | undefined, to: Record<string, unknown> | undefined): string {
  return hex8(`${keyOf(from)}\u0001${keyOf(to)}`);
}

/**
 * The token of a job that the move of a VM-named job makes, fixed by the physical id it moves from (which names the
 * job and, after a replacement, the one before it) and the new choice of server: the rollback of a move that failed
 * after making its job (its answer lost) finds that job, on a server it cannot name without the catalog.
 */
export function replacementToken(fromPhysicalId: string, to: Record<string, unknown> | undefined): string {
  return hex8(`replace\u0001${fromPhysicalId}\u0001${keyOf(to)}`);
}

/** Whether SMS's record of a job's VM is the one the selector names (a job records the VM it replicates). */
export function jobMatchesSelector(vmServer: Server['vmServer'], selector: ServerSelector): boolean {
  if (isAddress(selector)) {
    return vmServer?.vmServerAddress?.vmManagerId === selector.vmManagerId && vmServer?.vmServerAddress?.vmId === selector.vmId;
  }
  return vmServer?.vmName === selector.vmName && (selector.vmManagerName === undefined || vmServer?.vmManagerName === selector.vmManagerName);
}

/** The provider refuses a selector that matches no server, or several, or a catalog that does not become available. */
export class ServerNotResolvedError extends RefusedError {}

/** The longest wait between two looks at a catalog being imported. */
const MAX_POLL_MS = 5000;

/** The VM selector of the properties, if they name the server by its VM: by its name, or by its address. */
export function selectorOf(raw: Record<string, unknown> | undefined): ServerSelector | undefined {
  const address = addressOf(raw);
  const vmName = raw?.VmName;
  const vmManagerName = raw?.VmManagerName;
  if (address !== undefined) {
    const also = [['VmName', vmName], ['VmManagerName', vmManagerName], ['ServerId', raw?.ServerId]].filter(([, v]) => v !== undefined && v !== '');
    if (also.length > 0) {
      throw new InvalidPropertyError(`Properties VmManagerId and VmId ("${address.vmManagerId}", "${address.vmId}") name the server by its VM's address; ` +
        `${also.map(([k, v]) => `${k} ("${String(v)}")`).join(' and ')} name${also.length === 1 ? 's' : ''} it again: give one way.`);
    }
    return address;
  }
  if (vmName === undefined || vmName === '') {
    if (vmManagerName !== undefined && vmManagerName !== '') {
      throw new InvalidPropertyError(`Property VmManagerName ("${String(vmManagerName)}") needs VmName: it narrows a VM name.`);
    }
    return undefined;
  }
  if (typeof vmName !== 'string' || (vmManagerName !== undefined && typeof vmManagerName !== 'string')) {
    throw new InvalidPropertyError(`Properties VmName and VmManagerName must be single values, got ${JSON.stringify({ vmName, vmManagerName })}.`);
  }
  if (raw?.ServerId !== undefined && raw.ServerId !== '') {
    throw new InvalidPropertyError(`Properties ServerId ("${String(raw.ServerId)}") and VmName ("${vmName}") name the server twice; give one.`);
  }
  return { vmName, vmManagerName: vmManagerName === '' ? undefined : vmManagerName };
}

/** The VM address of the properties (VmManagerId and VmId, both or neither), if any. */
function addressOf(raw: Record<string, unknown> | undefined): VmAddressSelector | undefined {
  const vmManagerId = raw?.VmManagerId;
  const vmId = raw?.VmId;
  const given = (v: unknown) => v !== undefined && v !== '';
  if (!given(vmManagerId) && !given(vmId)) {
    return undefined;
  }
  if (typeof vmManagerId !== 'string' || typeof vmId !== 'string' || !given(vmManagerId) || !given(vmId)) {
    throw new InvalidPropertyError(`Properties VmManagerId and VmId name a VM's address in its VM manager together, as two non-empty strings ` +
      `(GetServers: vmServer.vmServerAddress), got ${JSON.stringify({ VmManagerId: vmManagerId, VmId: vmId })}.`);
  }
  return { vmManagerId, vmId };
}

/**
 * Writes the server of each VM selector of the event as its ServerId. A Create resolves its selector. An Update
 * whose selector is unchanged asks the catalog nothing: its job names the server (one GetReplicationJobs, for the
 * ServerId attribute), and only a job gone since makes it resolve again. An Update that changes the selector resolves
 * the new one, and reads the old server from the job: a different server means a replacement (update.ts). A Delete
 * is left as it is (delete.ts finds a failed Create's job by its marker). Fails with a NoJobMadeError: nothing was
 * written to SMS yet (an import of the catalog is no job).
 */
export async function resolveServers(event: CloudFormationCustomResourceEvent, invocation: Invocation, rollback: RollbackKnowledge = undefined): Promise<ResolvedEvent> {
  try {
    return await resolve(event, invocation, rollback);
  } catch (e) {
    throw new NoJobMadeError(e);
  }
}

async function resolve(event: CloudFormationCustomResourceEvent, invocation: Invocation, rollback: RollbackKnowledge): Promise<ResolvedEvent> {
  if (event.RequestType === 'Delete') {
    return { event };
  }
  const selector = selectorOf(event.ResourceProperties);
  if (event.RequestType === 'Create') {
    if (!selector) {
      return { event };
    }
    // A Create is of a job new to the stack's template, and so to its read of the catalog, which lists it by logical id
    // and Condition: the read ran in this deployment (but for a retry with rollback disabled, README says).
    const read = serverOfCatalogRead(event.ResourceProperties, selector);
    if (read !== undefined) {
      console.log(JSON.stringify({ message: 'the stack\'s read of the catalog named the server', ...selector, serverId: read }));
      return { event: { ...event, ResourceProperties: withServerId(event.ResourceProperties, read) }, serverId: read };
    }
    const serverId = await findServer(selector, invocation);
    if (Date.now() > invocation.budget.work - invocation.budget.writeLease) {
      // The catalog's read left the write no lease: fail now, before any write, rather than time out in it.
      throw new ServerNotResolvedError('ServerCatalogSlow', `Reading the SMS server catalog for ${describeSelector(selector)} took until ` +
        `${Math.round((Date.now() - invocation.budget.work + invocation.budget.writeLease) / 1000)} s past the time kept for the write; ` +
        'no replication job was made. Deploy again (SMS was throttling GetServers, or the catalog was importing).');
    }
    return { event: { ...event, ResourceProperties: withServerId(event.ResourceProperties, serverId) }, serverId };
  }

  let oldSelector: ServerSelector | undefined;
  try {
    oldSelector = selectorOf(event.OldResourceProperties);
  } catch {
    // Old properties that failed (a rollback's) are only compared with: such a selector counts as changed.
    oldSelector = undefined;
  }
  if (!selector && !oldSelector) {
    return { event };
  }
  const owner = ownerOf(event.StackId, event.LogicalResourceId);
  const id = parsePhysicalId(event.PhysicalResourceId);
  const jobId = id.kind === 'job' ? id.jobId : undefined;
  if (selector && oldSelector && sameSelector(selector, oldSelector) && holdsNoChange(event.ResourceProperties, event.OldResourceProperties)) {
    return nothingHeldChanges(event, selector, jobId, invocation);
  }
  const job = jobId ? await jobById(invocation, jobId, invocation.budget.work) : undefined;
  const jobServer = job && isLive(job) ? job.serverId : undefined;
  // A change of server choice: of VM selector, or between a VM and a server id.
  const changed = !(selector && oldSelector && sameSelector(selector, oldSelector));
  const change = selectorChange(event.ResourceProperties, event.OldResourceProperties);
  // The rollback of the replacement that made this job: its physical id names the job and server it replaced.
  // Confirmed by the stack's status, it goes back there whatever the catalog says now (the VM renamed, the catalog
  // expired, another VM of that name); taken as a rollback for want of a status, only if that job is still there
  // (the suffix outlives the job once the cleanup deleted it, and the Update may be a forward one).
  let back = changed && rollback && id.kind === 'job' && id.after?.change === change ? id.after : undefined;
  if (back && rollback === 'assumed') {
    const previous = await jobById(invocation, back.jobId, invocation.budget.work).catch(() => undefined);
    if (!(previous && isLive(previous) && previous.serverId === back.serverId && isOwnedBy(previous.description, owner))) back = undefined;
  }
  let serverId: string | undefined;
  if (selector) {
    // A forward change of selector: the stack's read of the catalog ran in this deployment (its properties changed).
    const readServer = changed && rollback === undefined ? serverOfCatalogRead(event.ResourceProperties, selector) : undefined;
    let how: string;
    if (!changed && jobServer !== undefined) {
      serverId = jobServer;
      how = 'the VM selector is unchanged: the job names its server';
    } else if (back) {
      serverId = back.serverId;
      how = `a rollback of the replacement of job ${back.jobId}: back to its server, without the catalog`;
    } else if (rollback === 'confirmed' && jobServer !== undefined) {
      // The rollback of a change made in place (or of a replacement that failed): the job it came from is this one.
      serverId = jobServer;
      how = 'a rollback: the job names its server, without the catalog';
    } else if (readServer !== undefined) {
      serverId = readServer;
      how = 'the VM selector changed: the stack\'s read of the catalog named the server';
    } else {
      serverId = await findServer(selector, invocation);
      how = 'the VM selector resolved';
    }
    console.log(JSON.stringify({ message: how, ...selector, serverId }));
  }
  // A move to another server (forward, or taken as a rollback for want of a status, which may be forward): the new
  // physical id records the job it replaces, and the job made for it a token its rollback can compute. A confirmed
  // rollback of a change: that token, for a job the forward Update may have made and not reported.
  const target = serverId ?? serverIdOfRaw(event.ResourceProperties);
  const moves = changed && rollback !== 'confirmed' && !back && jobId !== undefined && jobServer !== undefined && target !== undefined && target !== jobServer;
  const tokens = {
    ...(moves ? {
      replacing: { jobId: jobId!, serverId: jobServer!, change: selectorChange(event.OldResourceProperties, event.ResourceProperties) },
      token: replacementToken(event.PhysicalResourceId, event.ResourceProperties),
    } : {}),
    ...(changed && rollback && !back && jobId !== undefined ? { strayToken: replacementToken(event.PhysicalResourceId, event.OldResourceProperties) } : {}),
  };
  return {
    ...tokens,
    event: {
      ...event,
      ResourceProperties: selector ? withServerId(event.ResourceProperties, serverId!) : event.ResourceProperties,
      // A job gone since leaves the old server unknown: then the new one counts as unchanged, and update.ts makes the job again.
      OldResourceProperties: oldSelector ? withServerId(event.OldResourceProperties, jobServer ?? serverId ?? '') : event.OldResourceProperties,
    },
    serverId,
  };
}

/**
 * An Update that changes nothing the job holds (only CloudFormation's own properties, or CatalogServerId: the stack's
 * read of the catalog ran again for another job, and named this job's VM otherwise, or not at all): nothing is written,
 * made again or looked up in the catalog, and it never fails, forward or in a rollback (a VM gone from the catalog, a
 * job deleted outside CloudFormation, SMS throttling). One GetReplicationJobs, within the look-up time, gives the
 * ServerId attribute; without it, what the stack's read last named for the selector, if anything.
 */
async function nothingHeldChanges(event: CloudFormationCustomResourceUpdateEvent, selector: ServerSelector, jobId: string | undefined,
  invocation: Invocation): Promise<ResolvedEvent> {
  const job = jobId ? await jobById(invocation, jobId, invocation.budget.lookUp).catch((e: Error) => {
    console.warn(JSON.stringify({ message: 'could not read the job, for its ServerId attribute', replicationJobId: jobId, error: e.message }));
    return undefined;
  }) : undefined;
  const serverId = (job && isLive(job) ? job.serverId : undefined)
    ?? serverOfCatalogRead(event.ResourceProperties, selector) ?? serverOfCatalogRead(event.OldResourceProperties, selector) ?? '';
  console.log(JSON.stringify({ message: 'nothing the job holds changes: no write, and the catalog is not read', ...selector, serverId, jobFound: job !== undefined }));
  return { event, serverId, nothingToDo: true };
}

/** Whether two sets of properties differ only in properties the job does not hold. */
function holdsNoChange(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  const held = (raw: Record<string, unknown> | undefined) => JSON.stringify(Object.entries(raw ?? {}).filter(([key]) => !NOT_JOB_PROPERTIES.includes(key))
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return held(a) === held(b);
}

function sameSelector(a: ServerSelector, b: ServerSelector): boolean {
  return selectorKey(a) === selectorKey(b);
}

/** The properties with ServerId for the selector, which the other properties' decoding does not know. */
function withServerId<T extends object>(raw: T, serverId: string): T {
  const { VmName: _name, VmManagerName: _manager, VmManagerId: _managerId, VmId: _vmId, CatalogServerId: _read, ...rest } = raw as Record<string, unknown>;
  return (serverId === '' ? rest : { ...rest, ServerId: serverId }) as T;
}

/** How a selector is written in the construct's code, for messages. */
export function describeSelector(selector: ServerSelector): string {
  if (isAddress(selector)) {
    return `SmsServer.fromVmServerAddress({ vmManagerId: '${selector.vmManagerId}', vmId: '${selector.vmId}' })`;
  }
  return `SmsServer.fromVmName('${selector.vmName}'${selector.vmManagerName === undefined ? '' : `, { vmManagerName: '${selector.vmManagerName}' }`})`;
}

/** The one server the selector matches in the catalog; anything else fails, naming what to do. */
async function findServer(selector: ServerSelector, invocation: Invocation): Promise<string> {
  if (isAddress(selector)) {
    return findServerAt(selector, invocation);
  }
  const catalog = await readCatalog(invocation);
  const matches = matchesOf(catalog.servers, selector);
  const catalogText = `the SMS server catalog (${catalog.status}, last modified ${when(catalog.lastModifiedOn)}, ` +
    `${catalog.servers.length} server${catalog.servers.length === 1 ? '' : 's'}${catalog.imported ? ', imported by this deployment' : ''})`;
  if (matches.length === 0) {
    throw new ServerNotResolvedError('ServerNotFound', `No server matches ${describeSelector(selector)}: ${catalogText} has no VM named ` +
      `"${selector.vmName}"${selector.vmManagerName === undefined ? '' : ` on VM manager "${selector.vmManagerName}"`}. No replication job was made. ` +
      'Check the name as the SMS connector reports it (GetServers, vmServer.vmName and vmManagerName); if the VM is new, ' +
      'import the catalog again (ImportServerCatalog, or "Import server catalog" in the SMS console), then deploy again.');
  }
  if (matches.length > 1) {
    const listed = matches.map((s) => `${s.serverId} (VM manager ${s.vmServer?.vmManagerName ?? 'unknown'}, VM path ${s.vmServer?.vmPath ?? 'unknown'})`);
    const managers = new Set(matches.map((s) => s.vmServer?.vmManagerName));
    const narrow = selector.vmManagerName === undefined && managers.size > 1
      ? `Narrow the selector with vmManagerName (such as SmsServer.fromVmName('${selector.vmName}', { vmManagerName: '${matches[0].vmServer?.vmManagerName}' })), or name `
      : 'Name ';
    throw new ServerNotResolvedError('ServerAmbiguous', `${matches.length} servers match ${describeSelector(selector)} in ${catalogText}: ` +
      `${listed.join(', ')}. No replication job was made. ${narrow}the server by its id (such as SmsServer.fromServerId('${matches[0].serverId}')).`);
  }
  return matches[0].serverId!;
}

/**
 * The one server at the VM address: GetServers filtered by SMS to it (vmServerAddressList), so one page whatever the
 * catalog's size; the answer is checked against the address all the same.
 */
async function findServerAt(selector: VmAddressSelector, invocation: Invocation): Promise<string> {
  const catalog = await readCatalog(invocation, { importAndWait: true, addresses: [selector] });
  const matches = matchesOf(catalog.servers, selector);
  const catalogText = `the SMS server catalog (${catalog.status}, last modified ${when(catalog.lastModifiedOn)}` +
    `${catalog.imported ? ', imported by this deployment' : ''})`;
  if (matches.length === 0) {
    throw new ServerNotResolvedError('ServerNotFound', `No server matches ${describeSelector(selector)}: ${catalogText} has no VM with ID ` +
      `"${selector.vmId}" on the VM manager with ID "${selector.vmManagerId}". No replication job was made. Check both IDs as GetServers ` +
      'reports them (vmServer.vmServerAddress; the servers command of this package prints them); if the VM is new, import the ' +
      'catalog again (ImportServerCatalog, or "Import server catalog" in the SMS console), then deploy again.');
  }
  if (matches.length > 1) {
    throw new ServerNotResolvedError('ServerAmbiguous', `${matches.length} servers match ${describeSelector(selector)} in ${catalogText}: ` +
      `${matches.map((s) => s.serverId).join(', ')}. No replication job was made. Name the server by its id (such as ` +
      `SmsServer.fromServerId('${matches[0].serverId}')).`);
  }
  return matches[0].serverId!;
}

/** The servers of the catalog that the selector names. */
export function matchesOf(servers: Server[], selector: ServerSelector): Server[] {
  return servers.filter((s) => jobMatchesSelector(s.vmServer, selector));
}

export interface Catalog {
  readonly status: string;
  readonly lastModifiedOn?: Date;
  readonly servers: Server[];
  /** Whether this invocation started the import it read. */
  readonly imported: boolean;
}

/** How many times a read that found the catalog changed under it starts again, before it fails saying so. */
const MAX_CATALOG_READS = 3;

/**
 * Every server of the catalog, once it is AVAILABLE: a catalog NOT_IMPORTED, EXPIRED or DELETED is imported first,
 * and one IMPORTING is waited for. The look at an importing catalog is its first page. The catalog is read through
 * consistently: every page must say AVAILABLE and the first page's lastModifiedOn, or the read starts again (a catalog
 * that expired or was imported again between pages lists none of its servers, or other ones), at most
 * MAX_CATALOG_READS times. The waits stop a write lease and a look-up before the work deadline, so that a server found
 * late still leaves its write the time it needs; a catalog still importing then fails, naming the import as what used
 * the time.
 */
export async function readCatalog(invocation: Invocation,
  options: { readonly importAndWait: boolean; readonly addresses?: VmAddressSelector[] } = { importAndWait: true }): Promise<Catalog> {
  let imported = false;
  let before: string | undefined;
  let waitMs = 1000;
  let reads = 0;
  const started = Date.now();
  const waitUntil = invocation.budget.work - 2 * invocation.budget.writeLease;
  for (;;) {
    const first = await getServers(invocation, undefined, invocation.budget.work, options.addresses);
    const status = first.serverCatalogStatus ?? 'AVAILABLE';
    before ??= status;
    if (status === 'AVAILABLE') {
      const servers = [...first.serverList ?? []];
      let changed: GetServersResponse | undefined;
      for (let next = first.nextToken; next;) {
        const page = await getServers(invocation, next, invocation.budget.work, options.addresses);
        const modified = page.lastModifiedOn && first.lastModifiedOn ? page.lastModifiedOn.getTime() !== first.lastModifiedOn.getTime() : false;
        if ((page.serverCatalogStatus ?? 'AVAILABLE') !== 'AVAILABLE' || modified) {
          changed = page;
          break;
        }
        servers.push(...page.serverList ?? []);
        next = page.nextToken;
      }
      if (!changed) {
        return { status, lastModifiedOn: first.lastModifiedOn, servers, imported };
      }
      reads += 1;
      const now = `${changed.serverCatalogStatus ?? 'AVAILABLE'}, last modified ${when(changed.lastModifiedOn)}`;
      console.warn(JSON.stringify({ message: 'the server catalog changed while it was read: reading it again', was: `AVAILABLE, last modified ${when(first.lastModifiedOn)}`, now }));
      if (reads >= MAX_CATALOG_READS) {
        throw new ServerNotResolvedError('ServerCatalogChanged', `The SMS server catalog changed while the provider read it, ${reads} times ` +
          `(the last time it went from AVAILABLE to ${now} between two pages of GetServers); no replication job was made. ` +
          'Something is importing it again (the SMS connector, the console, another deployment): deploy again once it stays AVAILABLE.');
      }
      continue;
    }
    if (!options.importAndWait) {
      throw new ServerNotResolvedError('ServerCatalogNotAvailable', `The SMS server catalog is ${status}, and this read neither imports it nor waits.`);
    }
    if (status !== 'IMPORTING' && !imported) {
      console.log(JSON.stringify({ message: 'the server catalog is not available: importing it', serverCatalogStatus: status }));
      await invocation.call('ImportServerCatalog', (send) => send(new ImportServerCatalogCommand({})), invocation.budget.work);
      imported = true;
    } else if (status !== 'IMPORTING') {
      throw new ServerNotResolvedError('ServerCatalogNotAvailable', `The SMS server catalog went from IMPORTING to ${status} ` +
        `(last modified ${when(first.lastModifiedOn)}) after the import this deployment started; no replication job was made. ` +
        'Check the SMS connector (it must be registered and healthy), then import the catalog again and deploy again.');
    }
    if (Date.now() + waitMs >= waitUntil) {
      const seconds = Math.round((Date.now() - started) / 1000);
      throw new ServerNotResolvedError('ServerCatalogNotAvailable', `The SMS server catalog was still IMPORTING ` +
        `${seconds} s after ${imported ? `this deployment started its import (it was ${before} before)` : 'the provider found it importing'}, ` +
        'when the provider\'s time ran out (the rest is kept for the write); no replication job was made. A first import can take several minutes: deploy ' +
        'again once GetServers reports serverCatalogStatus AVAILABLE (the SMS console\'s server list shows it).');
    }
    await new Promise((r) => setTimeout(r, waitMs));
    waitMs = Math.min(MAX_POLL_MS, waitMs * 2);
  }
}

async function getServers(invocation: Invocation, nextToken: string | undefined, deadline: number, addresses?: VmAddressSelector[]): Promise<GetServersResponse> {
  const vmServerAddressList = addresses?.map((a) => ({ vmManagerId: a.vmManagerId, vmId: a.vmId }));
  return invocation.call('GetServers', (send) => send(new GetServersCommand({ nextToken, vmServerAddressList })), deadline);
}

function when(date: Date | undefined): string {
  return date ? date.toISOString() : 'never';
}
