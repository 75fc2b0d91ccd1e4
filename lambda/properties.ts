/**
 * Decodes the custom resource's properties into the SMS API's types.
 *
 * CloudFormation passes every property value as a string ("12", "true"), whatever the template said, so each
 * value is decoded and checked here before any SMS call. Absent optionals and empty strings stay undefined: the
 * handler never sends null or "" to SMS.
 */

/** A replication job as the template declares it, in the SMS API's types. */
export interface JobProperties {
  readonly serverId: string;
  /** Absent when the template has none: the first run then starts as soon as possible (seed.ts). */
  readonly seedReplicationTime?: Date;
  readonly frequency?: number;
  readonly runOnce?: boolean;
  readonly licenseType?: 'AWS' | 'BYOL';
  readonly roleName?: string;
  readonly description?: string;
  readonly numberOfRecentAmisToKeep?: number;
  readonly encrypted?: boolean;
  readonly kmsKeyId?: string;
  /** What a Create does when the server has a job made outside this resource (absent: FAIL). */
  readonly existingJob?: 'FAIL' | 'ADOPT';
}

/** A property value that does not decode to anything SMS accepts. The message names the property and the value. */
export class InvalidPropertyError extends Error {
  public readonly name = 'InvalidProperty';
}

/** Properties CloudFormation adds itself; not ours to decode. */
const CLOUDFORMATION_PROPERTIES = new Set(['ServiceToken', 'ServiceTimeout']);

/**
 * Properties that are not the job's: CloudFormation's own, and CatalogServerId, the stack's read of the server catalog
 * handed to the provider (catalog-read.ts; server.ts takes it out before the rest is decoded).
 */
export const NOT_JOB_PROPERTIES: readonly string[] = [...CLOUDFORMATION_PROPERTIES, 'CatalogServerId'];

const KNOWN_PROPERTIES = [
  'ServerId',
  'SeedReplicationTime',
  'Frequency',
  'RunOnce',
  'LicenseType',
  'RoleName',
  'Description',
  'NumberOfRecentAmisToKeep',
  'Encrypted',
  'KmsKeyId',
  'ExistingJob',
];

const LICENSE_TYPES = ['AWS', 'BYOL'] as const;
const EXISTING_JOB_POLICIES = ['FAIL', 'ADOPT'] as const;

/** The largest numberOfRecentAmisToKeep the SMS console accepts. */
export const MAX_AMIS_TO_KEEP = 270;

/** Decodes and checks every property; throws InvalidPropertyError for the first one that is wrong. */
export function decodeProperties(raw: Record<string, unknown> | undefined): JobProperties {
  const props = raw ?? {};
  for (const key of Object.keys(props)) {
    if (!CLOUDFORMATION_PROPERTIES.has(key) && !KNOWN_PROPERTIES.includes(key)) {
      throw new InvalidPropertyError(`Unknown property ${key}; allowed: ${KNOWN_PROPERTIES.join(', ')}.`);
    }
  }
  const serverId = text(props, 'ServerId');
  if (serverId === undefined) {
    throw new InvalidPropertyError('Property ServerId is required: the ID of the server in the SMS server catalog.');
  }
  const decoded: JobProperties = {
    serverId,
    seedReplicationTime: timestamp(props, 'SeedReplicationTime'),
    frequency: integer(props, 'Frequency', 1, 24, 'a whole number of hours from 1 to 24'),
    runOnce: boolean(props, 'RunOnce'),
    licenseType: oneOf(props, 'LicenseType', LICENSE_TYPES),
    roleName: text(props, 'RoleName'),
    description: text(props, 'Description'),
    numberOfRecentAmisToKeep: integer(props, 'NumberOfRecentAmisToKeep', 0, MAX_AMIS_TO_KEEP,
      `a whole number from 0 to ${MAX_AMIS_TO_KEEP} (0 keeps every AMI)`),
    encrypted: boolean(props, 'Encrypted'),
    kmsKeyId: text(props, 'KmsKeyId'),
    existingJob: oneOf(props, 'ExistingJob', EXISTING_JOB_POLICIES),
  };
  if (decoded.runOnce && decoded.frequency !== undefined) {
    throw new InvalidPropertyError(
      `Property Frequency (${decoded.frequency}) cannot be combined with RunOnce "true": a job that runs once has no frequency.`);
  }
  if (decoded.kmsKeyId !== undefined && decoded.encrypted === false) {
    throw new InvalidPropertyError(`Property KmsKeyId ("${decoded.kmsKeyId}") requires Encrypted "true", got "false".`);
  }
  return decoded;
}

/** The server id alone, for a Delete whose other properties may be invalid; undefined when it cannot be read. */
export function serverIdOf(raw: Record<string, unknown> | undefined): string | undefined {
  try {
    return text(raw ?? {}, 'ServerId');
  } catch {
    return undefined;
  }
}

/** Whether the resource says ExistingJob ADOPT, read alone, for a Delete whose other properties may be invalid. */
export function adoptsExistingJob(raw: Record<string, unknown> | undefined): boolean {
  return raw?.ExistingJob === 'ADOPT';
}

/** The value as a string, or undefined when absent or empty. */
function text(props: Record<string, unknown>, key: string): string | undefined {
  const value = props[key];
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  throw new InvalidPropertyError(`Property ${key} must be a single value, got ${JSON.stringify(value)}.`);
}

function integer(props: Record<string, unknown>, key: string, min: number, max: number, allowed: string): number | undefined {
  const value = text(props, key);
  if (value === undefined) {
    return undefined;
  }
  // "6" or "6.0" (a Number template parameter may arrive either way), never "6.5", "0x6" or "6e0".
  const n = /^\s*-?\d+(\.0+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidPropertyError(`Property ${key} must be ${allowed}, got "${value}".`);
  }
  return n;
}

function boolean(props: Record<string, unknown>, key: string): boolean | undefined {
  const value = text(props, key);
  if (value === undefined) {
    return undefined;
  }
  if (value === 'true' || value === 'false') {
    return value === 'true';
  }
  throw new InvalidPropertyError(`Property ${key} must be "true" or "false", got "${value}".`);
}

function oneOf<T extends string>(props: Record<string, unknown>, key: string, allowed: readonly T[]): T | undefined {
  const value = text(props, key);
  if (value === undefined) {
    return undefined;
  }
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidPropertyError(`Property ${key} must be one of ${allowed.join(', ')}, got "${value}".`);
  }
  return value as T;
}

function timestamp(props: Record<string, unknown>, key: string): Date | undefined {
  const value = text(props, key);
  if (value === undefined) {
    return undefined;
  }
  // Only ISO-8601 with a real calendar date: Date alone would accept "12" or "May 5", and roll February 30 over.
  const match = /^(\d{4})-(\d{2})-(\d{2})(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  const day = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  const date = day?.toISOString().startsWith(value.slice(0, 10)) ? new Date(value) : undefined;
  if (date === undefined || isNaN(date.getTime())) {
    throw new InvalidPropertyError(`Property ${key} must be an ISO-8601 date and time such as "2026-12-01T00:00:00Z", got "${value}".`);
  }
  return date;
}
