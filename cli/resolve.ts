/**
 * The template's property values as CloudFormation resolved them when it sent them to the provider, from what the
 * read calls return: parameters (DescribeStacks), other resources' physical ids (ListStackResources), the pseudo
 * parameters (the stack's ARN). The intrinsics the construct writes are resolved (Ref; Fn::GetAtt of a KMS key's or
 * IAM role's Arn; Fn::Join; Fn::Sub); any other is reported as not compared rather than guessed.
 */

export interface ResolveContext {
  readonly stackId: string;
  readonly stackName: string;
  readonly parameters: Record<string, string>;
  /** Logical id to physical id and type, for every resource of the stack. */
  readonly resources: Map<string, { readonly physicalId?: string; readonly type?: string }>;
}

/** A value the read calls do not determine. */
export class Unresolvable extends Error {}

/** The value CloudFormation sent for `value`, or Unresolvable. */
export function resolveValue(value: unknown, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => resolveValue(v, ctx));
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const entries = Object.entries(value);
  if (entries.length !== 1 || !(entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
    return value;
  }
  const [fn, arg] = entries[0];
  switch (fn) {
    case 'Ref':
      return ref(String(arg), ctx);
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
      return getAtt(id, attribute, ctx);
    }
    case 'Fn::Join': {
      const [separator, list] = arg as [string, unknown[]];
      return (resolveValue(list, ctx) as unknown[]).map(String).join(separator);
    }
    case 'Fn::Sub': {
      const [text, vars] = Array.isArray(arg) ? arg as [string, Record<string, unknown>] : [String(arg), {}];
      return text.replace(/\$\{(!?)([^}]+)\}/g, (_, bang: string, name: string) => {
        if (bang) return `\${${name}}`;
        if (name in vars) return String(resolveValue(vars[name], ctx));
        const dot = name.indexOf('.');
        return String(dot < 0 ? ref(name, ctx) : getAtt(name.slice(0, dot), name.slice(dot + 1), ctx));
      });
    }
    default:
      throw new Unresolvable(`${fn} is not resolved by status`);
  }
}

function ref(name: string, ctx: ResolveContext): string {
  const arn = arnParts(ctx.stackId);
  const pseudo: Record<string, string> = {
    'AWS::Region': arn.region,
    'AWS::AccountId': arn.account,
    'AWS::Partition': arn.partition,
    'AWS::StackName': ctx.stackName,
    'AWS::StackId': ctx.stackId,
    'AWS::URLSuffix': arn.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
  };
  const value = pseudo[name] ?? ctx.parameters[name] ?? ctx.resources.get(name)?.physicalId;
  if (value === undefined) {
    throw new Unresolvable(`Ref ${name}: no such parameter or resource, or a NoEcho parameter`);
  }
  return value;
}

function getAtt(id: string, attribute: string, ctx: ResolveContext): string {
  const resource = ctx.resources.get(id);
  const arn = arnParts(ctx.stackId);
  if (attribute === 'Arn' && resource?.physicalId !== undefined) {
    if (resource.type === 'AWS::KMS::Key') {
      return `arn:${arn.partition}:kms:${arn.region}:${arn.account}:key/${resource.physicalId}`;
    }
    if (resource.type === 'AWS::IAM::Role') {
      return `arn:${arn.partition}:iam::${arn.account}:role/${resource.physicalId}`;
    }
  }
  throw new Unresolvable(`Fn::GetAtt ${id}.${attribute} of ${resource?.type ?? 'an unknown resource'} is not resolved by status`);
}

/** arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid> */
function arnParts(stackId: string): { partition: string; region: string; account: string } {
  const [, partition = 'aws', , region = '', account = ''] = stackId.split(':');
  return { partition, region, account };
}
