/**
 * What the benchmark reads from a synthesized template: resources, bytes, and the inline IAM policy attached to
 * each role, sized the way IAM counts it. CloudFormation substitutes intrinsic functions at deploy time; here they
 * are substituted with representative values of realistic length (see `resolve`).
 */
import { ACCOUNT, REGION } from './stacks';

type Json = any;

export interface Template {
  readonly Resources: Record<string, { Type: string; Properties?: Json }>;
}

/** Values for the pseudo parameters. */
const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': ACCOUNT,
  'AWS::Region': REGION,
  'AWS::URLSuffix': 'amazonaws.com',
};

/** A stack's ARN as CloudFormation writes it (`AWS::StackId`, an event's StackId), with a fixed id: sized like a real one. */
export function stackIdOf(stackName: string): string {
  return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${stackName}/5f8d4e70-8c1a-11ef-9a7b-0a1b2c3d4e5f`;
}

/**
 * The name CloudFormation generates for a resource without one: `<stack>-<logical id>-<12 random characters>`,
 * cut to the service's maximum length. The random part is a fixed stand-in of the same length.
 */
function generatedName(stackName: string, logicalId: string, max: number): string {
  const suffix = '-A1B2C3D4E5F6';
  return `${stackName}-${logicalId}`.slice(0, max - suffix.length) + suffix;
}

/** The physical id (Ref) and Arn (GetAtt) a resource would get, by type; undefined for types not modelled here. */
function physical(stackName: string, template: Template, logicalId: string): { ref: string; arn: string } | undefined {
  const type = template.Resources[logicalId]?.Type;
  const arn = (service: string, rest: string, region = REGION) => `arn:aws:${service}:${region}:${ACCOUNT}:${rest}`;
  switch (type) {
    case 'AWS::IAM::Role': {
      const name = generatedName(stackName, logicalId, 64);
      return { ref: name, arn: arn('iam', `role/${name}`, '') };
    }
    case 'AWS::Logs::LogGroup': {
      const name = generatedName(stackName, logicalId, 512);
      return { ref: name, arn: arn('logs', `log-group:${name}:*`) };
    }
    case 'AWS::Lambda::Function': {
      const name = generatedName(stackName, logicalId, 64);
      return { ref: name, arn: arn('lambda', `function:${name}`) };
    }
    case 'AWS::KMS::Key': {
      const id = '1234abcd-12ab-34cd-56ef-1234567890ab';
      return { ref: id, arn: arn('kms', `key/${id}`) };
    }
    default:
      return undefined;
  }
}

/**
 * Replaces Ref, Fn::GetAtt (Arn), Fn::Join and Fn::Sub with the strings CloudFormation would put there.
 * Throws on anything else, so that an unmodelled intrinsic is never silently sized as its JSON.
 */
export function resolve(value: Json, template: Template, stackName: string): Json {
  const self = (v: Json) => resolve(v, template, stackName);
  if (Array.isArray(value)) {
    return value.map(self);
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
    const [fn] = keys;
    const arg = value[fn];
    if (fn === 'Ref') {
      const out = PSEUDO[arg] ?? (arg === 'AWS::StackName' ? stackName : arg === 'AWS::StackId' ? stackIdOf(stackName) : physical(stackName, template, arg)?.ref);
      if (out === undefined) throw new Error(`cannot resolve Ref ${arg}`);
      return out;
    }
    if (fn === 'Fn::GetAtt' && arg[1] === 'Arn') {
      const out = physical(stackName, template, arg[0])?.arn;
      if (out === undefined) throw new Error(`cannot resolve GetAtt ${arg.join('.')}`);
      return out;
    }
    if (fn === 'Fn::Join') {
      return (self(arg[1]) as string[]).join(arg[0]);
    }
    if (fn === 'Fn::Sub' && typeof arg === 'string') {
      return arg.replace(/\$\{([^}]+)\}/g, (_, name: string) => self(name.endsWith('.Arn')
        ? { 'Fn::GetAtt': [name.slice(0, -4), 'Arn'] } : { Ref: name }));
    }
    throw new Error(`cannot resolve ${fn}`);
  }
  return Object.fromEntries(keys.map((k) => [k, self(value[k])]));
}

/**
 * The characters of inline policy attached to each role (Role.Policies plus every AWS::IAM::Policy naming it), as
 * IAM counts them against its 10,240-character quota per role: the policy documents without white space, after
 * CloudFormation has substituted the intrinsic functions. Managed policies do not count.
 */
export function inlinePolicyCharsByRole(template: Template, stackName: string): Map<string, number> {
  const sizes = new Map<string, number>();
  const size = (document: Json) => JSON.stringify(resolve(document, template, stackName)).length;
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Role') {
      const own = (resource.Properties?.Policies ?? []) as Array<{ PolicyDocument: Json }>;
      sizes.set(id, (sizes.get(id) ?? 0) + own.reduce((n, p) => n + size(p.PolicyDocument), 0));
    }
  }
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Policy') {
      for (const role of (resource.Properties.Roles ?? []) as Json[]) {
        if (role?.Ref === undefined) throw new Error('policy attached to a role that is not in the template');
        sizes.set(role.Ref, (sizes.get(role.Ref) ?? 0) + size(resource.Properties.PolicyDocument));
      }
    }
  }
  return sizes;
}

/**
 * A resource's properties as the custom resource provider receives them: intrinsics substituted, and every scalar
 * turned into a string, as CloudFormation does for custom resources.
 */
export function eventProperties(template: Template, stackName: string, logicalId: string): Record<string, unknown> {
  const stringify = (v: Json): Json => Array.isArray(v) ? v.map(stringify)
    : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stringify(x)]))
      : String(v);
  return stringify(resolve(template.Resources[logicalId].Properties, template, stackName));
}
