/**
 * The stack's read of the SMS server catalog: a `Custom::SmsServerCatalog` resource, one for every 50 jobs of a stack
 * that name their server by its VM, that reads the catalog once and hands each of its jobs the server of its VM
 * through an attribute (the job's CatalogServerId property). Without it every VM-named Create reads the whole catalog
 * itself: 20 GetServers for 1,000 servers, for each of 50 jobs at once, past what a throttled SMS serves in time
 * (issue 34; bench/MODEL.md, "VM-named Creates"). A read whose jobs all name their VM by its address asks SMS for
 * those VMs only (GetServers filtered to the addresses: one page for 50 of them) rather than every page (issue 36).
 *
 * It is an accelerator, never a gate: it writes nothing to SMS but the catalog's import, and it answers SUCCESS on every
 * path. A server it cannot name (no match, several, a catalog it could not read in time) it answers as `?` and a
 * reason; a job that needs that server then reads the catalog itself (server.ts), and fails with its own Reason
 * where it must. So a stack whose jobs need no server (their selectors unchanged) never fails for the catalog. A job
 * whose answer changes gets an Update that changes nothing it holds, which server.ts answers without a write or the
 * catalog. CloudFormation rolls the read back after its jobs, and then it neither imports nor waits.
 *
 * Properties: `Servers`, an object of attribute name to `{ VmName, VmManagerName? }` or `{ VmManagerId, VmId }`. Attributes: one per name of the
 * new properties and, in an Update, of the old ones (so that every Fn::GetAtt of either template resolves): the
 * server as `<server id>@<selector hash>` (server.ts's selectorHash), or `?<reason>`.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Answer, MAX_RESPONSE_BYTES, responseBody } from './cfn-response';
import type { Invocation } from './invocation';
import { isRollingBack } from './stack-status';
import { Catalog, ServerSelector, VmAddressSelector, describeSelector, isAddress, matchesOf, readCatalog, selectorHash, selectorOf } from './server';

export const CATALOG_READ_TYPE = 'Custom::SmsServerCatalog';

/**
 * The answer to an event of the stack's read of the catalog: always SUCCESS, even on an error of this code's own (then
 * every name of the properties is `?`, so that each job reads the catalog itself), never none.
 */
export async function onCatalogRead(event: CloudFormationCustomResourceEvent, invocation: Invocation): Promise<Answer> {
  // The id never changes: a changed one would make CloudFormation replace the resource and delete the old one.
  const physicalResourceId = 'PhysicalResourceId' in event ? event.PhysicalResourceId : `server-catalog-read/${event.LogicalResourceId}`;
  try {
    return await answerOf(event, invocation, physicalResourceId);
  } catch (e) {
    console.error(JSON.stringify({ message: 'the read of the catalog failed: every job reads the catalog itself', error: (e as Error).stack }));
    const names = [event.ResourceProperties, 'OldResourceProperties' in event ? event.OldResourceProperties : undefined]
      .flatMap((raw) => (raw?.Servers && typeof raw.Servers === 'object' ? Object.keys(raw.Servers as object) : []));
    return fitted(event, { status: 'SUCCESS', physicalResourceId, data: Object.fromEntries(names.map((name) => [name, '?'])) }, []);
  }
}

async function answerOf(event: CloudFormationCustomResourceEvent, invocation: Invocation, physicalResourceId: string): Promise<Answer> {
  if (event.RequestType === 'Delete') {
    return { status: 'SUCCESS', physicalResourceId };
  }
  const selectors = selectorsOf(event.ResourceProperties);
  const old = event.RequestType === 'Update' ? selectorsOf(event.OldResourceProperties) : new Map<string, ServerSelector | undefined>();
  const data: Record<string, string> = {};
  for (const name of old.keys()) data[name] = '?gone';
  let catalog: Catalog | undefined;
  let unread = 'unread';
  const valid = [...selectors.values()].filter((s): s is ServerSelector => s !== undefined);
  if (valid.length > 0) {
    try {
      // A rollback neither imports the catalog nor waits for it: its jobs go back to their servers without it.
      const forward = event.RequestType === 'Create' || await goesForward(invocation);
      // VM addresses alone: SMS filters the catalog to them. A VM name among them: every page, which serves both.
      const addresses = valid.every(isAddress) ? valid as VmAddressSelector[] : undefined;
      catalog = await readCatalog(invocation, { importAndWait: forward, addresses });
    } catch (e) {
      unread = `unread: ${(e as Error).message}`;
      console.warn(JSON.stringify({ message: 'the server catalog could not be read: each job that needs its server reads it itself', error: (e as Error).message }));
    }
  }
  const found: Record<string, unknown> = {};
  for (const [name, selector] of selectors) {
    if (!selector) {
      data[name] = '?invalid';
      continue;
    }
    const matches = catalog ? matchesOf(catalog.servers, selector) : [];
    data[name] = !catalog ? '?unread' : matches.length === 1 ? `${matches[0].serverId}@${selectorHash(selector)}` : matches.length === 0 ? '?none' : '?several';
    found[describeSelector(selector)] = catalog ? (matches.length === 1 ? matches[0].serverId : `${matches.length} servers`) : unread;
  }
  const answer = fitted(event, { status: 'SUCCESS', physicalResourceId, data }, [...old.keys()].filter((name) => !selectors.has(name)));
  console.log(JSON.stringify({ message: 'the stack\'s read of the catalog', servers: found }));
  return answer;
}

/** Whether the stack goes forward: a status that cannot be read counts as a rollback. */
async function goesForward(invocation: Invocation): Promise<boolean> {
  try {
    return !isRollingBack((await invocation.reader.read(invocation.budget.lookUp)).status);
  } catch (e) {
    console.warn(JSON.stringify({ message: 'could not read the stack\'s status; the catalog is read without an import', error: (e as Error).message }));
    return false;
  }
}

/** The selectors of the properties by attribute name (read as a job's properties are); undefined for an entry that is not one. */
function selectorsOf(raw: Record<string, unknown> | undefined): Map<string, ServerSelector | undefined> {
  const servers = raw?.Servers;
  const out = new Map<string, ServerSelector | undefined>();
  if (servers === null || typeof servers !== 'object' || Array.isArray(servers)) return out;
  for (const [name, entry] of Object.entries(servers as Record<string, unknown>)) {
    let selector: ServerSelector | undefined;
    try {
      selector = entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? selectorOf(entry as Record<string, unknown>) : undefined;
    } catch {
      selector = undefined;
    }
    out.set(name, selector);
  }
  return out;
}

/**
 * The answer within CloudFormation's 4,096 bytes, which the construct's 50 jobs per read keep it in (50 servers of `s-`
 * and 17 hex digits take about 2,200 bytes, and the rest of the body about 450): else the names of the old properties only go first
 * (only a rollback that read the new attributes would need them), then servers are answered as `?` from the last one
 * on (their jobs then read the catalog themselves), then, past some 170 names (made with an escape hatch), names go:
 * a job whose name is missing fails its Fn::GetAtt, which is better than an answer CloudFormation rejects.
 */
function fitted(event: CloudFormationCustomResourceEvent, answer: Answer, oldOnly: string[]): Answer {
  const data = { ...answer.data };
  const fits = () => Buffer.byteLength(responseBody(event, { ...answer, data })) <= MAX_RESPONSE_BYTES;
  const before = Object.keys(data).length;
  for (const name of oldOnly) {
    if (fits()) break;
    delete data[name];
  }
  const names = Object.keys(data).reverse();
  let unnamed = 0;
  for (const name of names) {
    if (fits()) break;
    data[name] = '?';
    unnamed++;
  }
  for (const name of names) {
    if (fits()) break;
    delete data[name];
  }
  if (unnamed > 0) {
    console.warn(JSON.stringify({
      message: `the answer would pass CloudFormation's ${MAX_RESPONSE_BYTES} bytes: ${unnamed} servers left to their jobs' own reads`,
      namesLeftOut: before - Object.keys(data).length,
    }));
  }
  return { ...answer, data };
}
