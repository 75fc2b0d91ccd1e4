/**
 * Writes a resolved CloudFormation value as one string: literal text as it is, `Ref` and `Fn::GetAtt` between
 * `open` and `close` (`${AWS::Partition}`, as `Fn::Sub` reads them; or `<AWS::Partition>`, as cdk-nag names the
 * resources of its findings), `Fn::Join` joined. Anything else is written as JSON.
 */
export function cfnText(value: unknown, open = '${', close = '}'): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any> | null;
  if (typeof v?.Ref === 'string') return `${open}${v.Ref}${close}`;
  if (Array.isArray(v?.['Fn::GetAtt'])) return `${open}${v['Fn::GetAtt'].join('.')}${close}`;
  if (Array.isArray(v?.['Fn::Join'])) return (v['Fn::Join'][1] as unknown[]).map((p) => cfnText(p, open, close)).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}
