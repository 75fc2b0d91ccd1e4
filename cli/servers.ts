/**
 * `servers`: the SMS server catalog, each server with its job (if any) and the stack whose marker that job carries,
 * and the SmsServer selector that names the server uniquely; `--import` imports the catalog and waits for it. Reads
 * GetServers (every page) and GetReplicationJobs (every page); writes only ImportServerCatalog, with --import.
 */
import { GetServersCommand, ImportServerCatalogCommand, ReplicationJob, SMSClient, Server } from '@aws-sdk/client-sms';
import { markerText, parseMarker } from '../lambda/ownership';
import { WriteFlags, decide, interrupt, logWrite, sleep, withFix } from './confirm';
import { ReadError, listJobs, read } from './read';
import { ReadFailure } from './report';
import { renderGrid } from './table';

/** GetServers' page: the handler's (lambda/retry.ts CATALOG_PAGE), the service's documented default. */
const PAGE = 50;
/** Reads of the catalog started over because it changed under them, before giving up. */
const READS = 3;

export interface ServerReport {
  readonly serverId: string;
  readonly vmName: string | null;
  readonly vmManagerName: string | null;
  readonly vmPath: string | null;
  /** The VM's address in its VM manager (GetServers' vmServerAddress), which SmsServer.fromVmServerAddress names. */
  readonly vmServerAddress: { readonly vmManagerId: string; readonly vmId: string } | null;
  /** The server's live job (not DELETED), if any. */
  readonly job: { readonly jobId: string; readonly state: string | null; readonly marker: MarkerReport | null } | null;
  /** The selector that names this server alone in the catalog. */
  readonly selector: {
    readonly kind: 'vmName' | 'vmNameOnManager' | 'vmServerAddress' | 'serverId';
    readonly vmName: string | null;
    readonly vmManagerName: string | null;
    readonly vmManagerId: string | null;
    readonly vmId: string | null;
    readonly serverId: string | null;
    /** As the construct's TypeScript writes it. */
    readonly code: string;
  };
}

export interface MarkerReport {
  readonly stackName: string;
  readonly logicalId: string;
  readonly text: string;
}

export interface ServersReport {
  readonly formatVersion: 1;
  readonly region: string | null;
  /** 0: listed; 1: the catalog is not AVAILABLE, or --vm-name matched nothing; 2: a call failed (or usage); 3: --timeout. */
  readonly exitCode: 0 | 1 | 2 | 3;
  readonly catalog: {
    readonly status: string | null;
    /** GetServers' lastModifiedOn: when the catalog was last imported or changed. */
    readonly lastModifiedOn: string | null;
    /** Whether this command imported it (ImportServerCatalog). */
    readonly imported: boolean;
    /** Servers in the catalog, before --vm-name. */
    readonly size: number;
  };
  readonly vmNameFilter: string | null;
  readonly servers: ServerReport[];
  readonly errors: ReadFailure[];
}

export interface ServersOptions extends WriteFlags {
  readonly vmName?: string;
  readonly import: boolean;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly json: boolean;
}

interface Catalog {
  status: string | null;
  lastModifiedOn: Date | undefined;
  servers: Server[];
}

export async function servers(sms: SMSClient, smsWrites: SMSClient, region: string | null, options: ServersOptions): Promise<ServersReport | 'refused'> {
  const errors: ReadFailure[] = [];
  const report = (catalog: Catalog | undefined, imported: boolean, code?: 0 | 1 | 2 | 3, jobs: ReplicationJob[] = []): ServersReport => {
    const listed = catalog ? serverReports(catalog.servers, jobs).filter((s) => matchesFilter(s.vmName, options.vmName)) : [];
    const available = catalog?.status === 'AVAILABLE';
    return {
      formatVersion: 1,
      region,
      exitCode: code ?? (errors.length > 0 ? 2 : !available || listed.length === 0 && options.vmName !== undefined ? 1 : 0),
      catalog: {
        status: catalog?.status ?? null,
        lastModifiedOn: catalog?.lastModifiedOn?.toISOString() ?? null,
        imported,
        size: catalog?.servers.length ?? 0,
      },
      vmNameFilter: options.vmName ?? null,
      servers: listed,
      errors,
    };
  };
  try {
    let catalog = await readCatalog(sms, 1);
    let imported = false;
    if (options.import) {
      if (catalog.status !== 'IMPORTING') {
        const decision = await decide('servers --import', 'import the server catalog',
          [`ImportServerCatalog (the catalog is ${catalog.status}, last modified ${catalog.lastModifiedOn?.toISOString() ?? 'never'}), ` +
            `then wait until it is AVAILABLE (at most ${options.timeoutMs / 1000} s)`], options, options.json);
        if (decision === 'dry-run') return report(catalog, false, 0);
        if (decision !== 'go') return 'refused';
        await read('SMS', 'ImportServerCatalog', null, () => smsWrites.send(new ImportServerCatalogCommand({})));
        logWrite('ImportServerCatalog', null, 'import started');
        imported = true;
      }
      const started = Date.now();
      while (catalog.status !== 'AVAILABLE') {
        if (interrupt.signal.aborted) return report(catalog, imported, 2);
        const waited = Date.now() - started;
        if (waited >= options.timeoutMs) {
          process.stderr.write(`the catalog is still ${catalog.status} after ${Math.round(waited / 1000)} s (--timeout); it goes on in SMS: ` +
            'run servers again later\n');
          return report(catalog, imported, 3);
        }
        process.stderr.write(`importing the server catalog: ${catalog.status}, ${Math.round(waited / 1000)} s\n`);
        await sleep(Math.min(options.intervalMs, options.timeoutMs - waited));
        catalog = await readCatalog(sms, 1);
        if (['NOT_IMPORTED', 'DELETED', 'EXPIRED'].includes(catalog.status ?? '') && Date.now() - started > options.intervalMs) {
          // SMS ended the import without a catalog.
          errors.push({ service: 'SMS', call: 'ImportServerCatalog', stackName: null, jobId: null, code: 'ImportEnded',
            message: `the import ended with the catalog ${catalog.status}: check the SMS connector (its status in the SMS console) and import again` });
          return report(catalog, imported);
        }
      }
      process.stderr.write(`the server catalog is AVAILABLE (${Math.round((Date.now() - started) / 1000)} s)\n`);
    }
    catalog = await readCatalog(sms);
    const jobs = await listJobs(sms);
    if (catalog.status !== 'AVAILABLE') {
      process.stderr.write(`the server catalog is ${catalog.status}: it lists no server until it is imported; ` +
        'run servers --import (or "Import server catalog" in the SMS console)\n');
    }
    return report(catalog, imported, undefined, jobs);
  } catch (e) {
    if (!(e instanceof ReadError)) throw e;
    errors.push(withFix(e.failure));
    return report(undefined, false);
  }
}

/**
 * Every page of GetServers (`pages`: only the first few, for the catalog's status), started over when the catalog's
 * status or lastModifiedOn changes between pages (an import under way), at most READS times.
 */
async function readCatalog(sms: SMSClient, pages = Infinity): Promise<Catalog> {
  for (let attempt = 1; ; attempt++) {
    const catalog: Catalog = { status: null, lastModifiedOn: undefined, servers: [] };
    let nextToken: string | undefined;
    let changed = false;
    for (let page = 0; page < pages; page++) {
      const got = await read('SMS', 'GetServers', null, () => sms.send(new GetServersCommand({ maxResults: PAGE, nextToken })));
      if (page > 0 && (got.serverCatalogStatus !== catalog.status || got.lastModifiedOn?.getTime() !== catalog.lastModifiedOn?.getTime())) {
        changed = true;
        break;
      }
      catalog.status = got.serverCatalogStatus ?? null;
      catalog.lastModifiedOn = got.lastModifiedOn;
      catalog.servers.push(...(got.serverList ?? []));
      nextToken = got.nextToken;
      if (!nextToken) break;
    }
    if (!changed) return catalog;
    if (attempt >= READS) {
      throw new ReadError({ service: 'SMS', call: 'GetServers', stackName: null, jobId: null, code: 'ServerCatalogChanged',
        message: `the catalog changed while it was read, ${READS} times (an import under way?): run servers again once it is AVAILABLE` });
    }
  }
}

/** Each server with its job and the selector that names it alone. */
function serverReports(all: Server[], jobs: ReplicationJob[]): ServerReport[] {
  const live = new Map(jobs.filter((j) => j.state !== 'DELETED' && j.serverId).map((j) => [j.serverId!, j]));
  return all.filter((s) => s.serverId).map((s) => {
    const vmName = s.vmServer?.vmName ?? null;
    const vmManagerName = s.vmServer?.vmManagerName ?? null;
    const job = live.get(s.serverId!);
    const marker = parseMarker(job?.description);
    return {
      serverId: s.serverId!,
      vmName,
      vmManagerName,
      vmPath: s.vmServer?.vmPath ?? null,
      vmServerAddress: addressOf(s),
      job: job ? {
        jobId: job.replicationJobId!,
        state: job.state ?? null,
        marker: marker ? { stackName: marker.owner.split('/')[0], logicalId: marker.owner.split('/')[1], text: markerText(marker) } : null,
      } : s.replicationJobId && !s.replicationJobTerminated ? { jobId: s.replicationJobId, state: null, marker: null } : null,
      selector: selectorOf(all, s, vmName, vmManagerName),
    };
  });
}

/**
 * The servers a VM selector names, as the handler matches them (lambda/server.ts's matchesOf: the VM's name, and its
 * VM manager's when given, equal), and the selector as code (its describeSelector). Not imported from there: that
 * module brings the handler's SMS client and calls into the bundle (140 KB).
 */
function matchesOf(all: Server[], selector: { vmName: string; vmManagerName?: string }): Server[] {
  return all.filter((s) => s.vmServer?.vmName === selector.vmName
    && (selector.vmManagerName === undefined || s.vmServer?.vmManagerName === selector.vmManagerName));
}

function describeSelector(selector: { vmName: string; vmManagerName?: string }): string {
  return `SmsServer.fromVmName(${quote(selector.vmName)}${selector.vmManagerName === undefined ? '' : `, { vmManagerName: ${quote(selector.vmManagerName)} }`})`;
}

/** A TypeScript string literal: single quotes, as the README writes them, with quotes and backslashes escaped. */
function quote(text: string): string {
  return `'${text.replace(/[\\']/g, '\\$&')}'`;
}

/** The VM's address, when GetServers reports both of its ids. */
function addressOf(s: Server): ServerReport['vmServerAddress'] {
  const { vmManagerId, vmId } = s.vmServer?.vmServerAddress ?? {};
  return vmManagerId && vmId ? { vmManagerId, vmId } : null;
}

/**
 * By the VM's name alone when no other server has it, or with its VM manager, or else by the VM's address (unique
 * where names are not: two folders of one vCenter), or by id when GetServers reports no address (what the handler
 * resolves alike).
 */
function selectorOf(all: Server[], server: Server, vmName: string | null, vmManagerName: string | null): ServerReport['selector'] {
  const none = { vmName: null, vmManagerName: null, vmManagerId: null, vmId: null, serverId: null };
  if (vmName) {
    if (matchesOf(all, { vmName }).length === 1) {
      return { ...none, kind: 'vmName', vmName, code: describeSelector({ vmName }) };
    }
    if (vmManagerName && matchesOf(all, { vmName, vmManagerName }).length === 1) {
      return { ...none, kind: 'vmNameOnManager', vmName, vmManagerName, code: describeSelector({ vmName, vmManagerName }) };
    }
  }
  const address = addressOf(server);
  if (address && all.filter((s) => { const a = addressOf(s); return a?.vmManagerId === address.vmManagerId && a.vmId === address.vmId; }).length === 1) {
    return { ...none, kind: 'vmServerAddress', ...address,
      code: `SmsServer.fromVmServerAddress({ vmManagerId: ${quote(address.vmManagerId)}, vmId: ${quote(address.vmId)} })` };
  }
  return { ...none, kind: 'serverId', serverId: server.serverId!, code: `SmsServer.fromServerId('${server.serverId}')` };
}

/** --vm-name: the exact name, or a glob (`*` any characters, `?` one, `[abc]` one of them) when it has one of those. */
export function matchesFilter(vmName: string | null, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  if (vmName === null) return false;
  if (!/[*?[]/.test(filter)) return vmName === filter;
  let pattern = '';
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    const close = c === '[' ? filter.indexOf(']', i + 2) : -1;
    if (c === '*') pattern += '.*';
    else if (c === '?') pattern += '.';
    else if (close > 0) {
      const inner = filter.slice(i + 1, close);
      pattern += `[${inner.startsWith('!') ? `^${escape(inner.slice(1))}` : escape(inner)}]`;
      i = close;
    } else pattern += escape(c);
  }
  return new RegExp(`^${pattern}$`, 's').test(vmName);
}

function escape(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&').replace(/\\-/g, '-');
}

/** The report for people. */
export function renderServers(report: ServersReport): string {
  const c = report.catalog;
  const lines = [`Server catalog: ${c.status ?? 'not read'}${c.lastModifiedOn ? `, last modified ${c.lastModifiedOn}` : ''}` +
    `${c.imported ? ' (imported by this command)' : ''}; ${c.size} server${c.size === 1 ? '' : 's'}` +
    `${report.vmNameFilter !== null ? `, ${report.servers.length} with a VM named ${report.vmNameFilter}` : ''}`];
  if (report.servers.length > 0) {
    lines.push(...renderGrid(['SERVER', 'VM NAME', 'VM MANAGER', 'VM PATH', 'JOB', 'MARKED BY', 'SELECTOR'], report.servers.map((s) => [
      s.serverId, s.vmName ?? '-', s.vmManagerName ?? '-', s.vmPath ?? '-', s.job ? `${s.job.jobId}${s.job.state ? ` ${s.job.state}` : ''}` : '-',
      s.job?.marker ? `${s.job.marker.stackName}/${s.job.marker.logicalId}` : '-', s.selector.code,
    ]), [undefined, 32, 32, 40, undefined, 48]));
  }
  const meaning = ['listed', report.catalog.status !== 'AVAILABLE' ? 'the catalog is not AVAILABLE' : 'no server matched --vm-name',
    'a call failed', 'the import still ran at --timeout'][report.exitCode];
  lines.push('', `Exit ${report.exitCode}: ${meaning}.`);
  return lines.join('\n') + '\n';
}
