/**
 * Drift of one ReplicationJob: each property the template sets against what SMS holds, in CloudFormation's drift
 * words. The template's properties are decoded by the handler's own decoder (lambda/properties.ts) and the ownership
 * marker read by its parser (lambda/ownership.ts), so `status` compares what the provider would send.
 */
import type { ReplicationJob } from '@aws-sdk/client-sms';
import { ownerOf, parseMarker, withoutMarker } from '../lambda/ownership';
import { JobProperties, NOT_JOB_PROPERTIES, decodeProperties } from '../lambda/properties';
import { Drift, PropertyDifference } from './report';
import { ResolveContext, Unresolvable, resolveValue } from './resolve';

/**
 * Template properties that are not the job's settings, so never compared: the seed time is intent read at create
 * (a past one changes nothing, lambda/seed.ts), and ExistingJob is the Create's policy for a job found on the server.
 */
const NOT_SETTINGS: Record<string, string> = {
  SeedReplicationTime: 'read when the job is created (and a later one only moves the next run): not a setting SMS keeps',
  ExistingJob: 'what a Create does with a job it finds, not a setting of the job',
};

/**
 * Properties that name the server by its VM (`SmsServer.fromVmName`, `SmsServer.fromVmServerAddress`), which the
 * provider resolves to a ServerId before it decodes the rest (lambda/server.ts): compared with the job's VM, not decoded.
 */
const VM_SELECTOR: Record<string, (job: ReplicationJob) => string | undefined> = {
  VmName: (job) => job.vmServer?.vmName,
  VmManagerName: (job) => job.vmServer?.vmManagerName,
  VmManagerId: (job) => job.vmServer?.vmServerAddress?.vmManagerId,
  VmId: (job) => job.vmServer?.vmServerAddress?.vmId,
};

/** Job states in which SMS no longer holds the job. */
const GONE_STATES = ['DELETING', 'DELETED'];

/**
 * The drift of the resource `logicalId` whose job is `job` (undefined: SMS holds no such job). `physicalJobId` is the
 * job id the stack holds, undefined when the physical id names no job.
 */
export function driftOf(logicalId: string, rawProperties: Record<string, unknown>, ctx: ResolveContext,
  physicalJobId: string | undefined, job: ReplicationJob | undefined): Drift {
  if (physicalJobId === undefined) {
    return notChecked('the physical id names no replication job (a Create that failed)');
  }
  if (!job || GONE_STATES.includes(job.state ?? '')) {
    return {
      status: 'DELETED',
      reason: job ? `SMS has the job ${job.state}` : `SMS has no replication job ${physicalJobId}`,
      differences: [],
      notCompared: [],
    };
  }
  const notCompared: Drift['notCompared'] = [];
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rawProperties)) {
    // Not job settings (the VM a CatalogServerId names is compared through VmName).
    if (NOT_JOB_PROPERTIES.includes(key)) continue;
    if (NOT_SETTINGS[key]) {
      notCompared.push({ propertyPath: `/${key}`, reason: NOT_SETTINGS[key] });
      continue;
    }
    try {
      resolved[key] = resolveValue(value, ctx);
    } catch (e) {
      if (!(e instanceof Unresolvable)) throw e;
      notCompared.push({ propertyPath: `/${key}`, reason: e.message });
    }
  }
  const selector = Object.keys(VM_SELECTOR).filter((key) => resolved[key] !== undefined && resolved[key] !== '')
    .map((key): [string, unknown, unknown] => [key, String(resolved[key]), VM_SELECTOR[key](job)]);
  for (const key of Object.keys(VM_SELECTOR)) delete resolved[key];
  if (selector.length > 0 && resolved.ServerId === undefined) {
    // The server the selector resolved to is the job's: what the VM names is compared instead.
    resolved.ServerId = job.serverId;
  }
  let props: JobProperties;
  try {
    props = decodeProperties(resolved);
  } catch (e) {
    return { ...notChecked(`the template's properties do not decode: ${(e as Error).message}`), notCompared };
  }
  const differences = compare(props, resolved, job, ownerOf(ctx.stackId, logicalId), selector);
  return { status: differences.length > 0 ? 'MODIFIED' : 'IN_SYNC', reason: null, differences, notCompared };
}

/**
 * The differences, property by property. A property the template leaves out is compared only where the provider
 * sends SMS's default for it (RunOnce, Encrypted false; NumberOfRecentAmisToKeep 0, every AMI: lambda/job-update.ts).
 */
function compare(props: JobProperties, resolved: Record<string, unknown>, job: ReplicationJob, owner: string,
  selector: Array<[string, unknown, unknown]>): PropertyDifference[] {
  const set = (key: string) => key in resolved;
  const checks: Array<[string, unknown, unknown]> = [
    ...(selector.length > 0 ? selector : [['ServerId', props.serverId, job.serverId] as [string, unknown, unknown]]),
    ['Frequency', props.frequency, set('Frequency') ? job.frequency : undefined],
    ['RunOnce', props.runOnce ?? false, job.runOnce ?? false],
    ['LicenseType', props.licenseType, set('LicenseType') ? job.licenseType : undefined],
    ['RoleName', props.roleName, set('RoleName') ? job.roleName : undefined],
    ['NumberOfRecentAmisToKeep', props.numberOfRecentAmisToKeep ?? 0, job.numberOfRecentAmisToKeep ?? 0],
    ['Encrypted', props.encrypted ?? false, job.encrypted ?? false],
    ['KmsKeyId', props.kmsKeyId, set('KmsKeyId') ? job.kmsKeyId : undefined],
  ];
  const out: PropertyDifference[] = [];
  for (const [key, expected, actual] of checks) {
    if (expected === undefined || expected === actual) continue;
    out.push({
      propertyPath: `/${key}`,
      expectedValue: String(expected),
      actualValue: actual === undefined ? null : String(actual),
      differenceType: actual === undefined ? 'REMOVE' : 'NOT_EQUAL',
    });
  }
  // The description is the user's text and this resource's marker: a job without it is not this resource's any more.
  const description = props.description ?? '';
  if (parseMarker(job.description)?.owner !== owner) {
    out.push({
      propertyPath: '/Description',
      expectedValue: `${description} [cfn:${owner}/...]`.trimStart(),
      actualValue: job.description ?? null,
      differenceType: job.description ? 'NOT_EQUAL' : 'REMOVE',
    });
  } else if (withoutMarker(job.description) !== description) {
    out.push({ propertyPath: '/Description', expectedValue: description, actualValue: withoutMarker(job.description), differenceType: 'NOT_EQUAL' });
  }
  return out;
}

function notChecked(reason: string): Drift {
  return { status: 'NOT_CHECKED', reason, differences: [], notCompared: [] };
}
