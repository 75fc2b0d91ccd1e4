import { App, CfnCondition, CfnParameter, CfnResource, Fn, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ReplicationJob, ReplicationJobProps, SmsServer } from '../lib';

/** Issue 24 at synthesis: SmsServer, the exactly-one rule, the policy, the duplicate and the look of a server id. */

const seed = new Date('2031-01-02T03:00:00Z');

function newStack(app = new App(), id = 'TestStack', env: { account?: string; region?: string } = { account: '123456789012', region: 'us-west-2' }): Stack {
  return new Stack(app, id, { env });
}

function templateWith(props: ReplicationJobProps): Record<string, any> {
  const stack = newStack();
  new ReplicationJob(stack, 'Job', props);
  return Template.fromStack(stack).toJSON();
}

function smsActionsOf(stack: Stack): string[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement)
    .flatMap((s: any) => [s.Action].flat()).filter((a: string) => a.startsWith('sms:')).sort();
}

function warningsOf(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
}

test('SmsServer.fromServerId makes the very template serverId makes', () => {
  expect(templateWith({ server: SmsServer.fromServerId('s-1234abcd'), seedReplicationTime: seed }))
    .toEqual(templateWith({ server: SmsServer.fromServerId('s-1234abcd'), seedReplicationTime: seed }));
});

test('a VM selector writes VmName and VmManagerName, no ServerId, and job.serverId is the resource\'s ServerId attribute', () => {
  const stack = newStack();
  const job = new ReplicationJob(stack, 'Job', { server: SmsServer.fromVmName('web-01', { vmManagerName: 'vc-east' }), seedReplicationTime: seed });
  const template = Template.fromStack(stack);
  const [resource] = Object.values(template.findResources('Custom::SmsReplicationJob')) as any[];
  expect(resource.Properties.ServerId).toBeUndefined();
  expect(resource.Properties).toMatchObject({ VmName: 'web-01', VmManagerName: 'vc-east' });
  const logicalId = Object.keys(template.findResources('Custom::SmsReplicationJob'))[0];
  expect(stack.resolve(job.serverId)).toEqual({ 'Fn::GetAtt': [logicalId, 'ServerId'] });
});

test('with serverId, job.serverId is the id itself', () => {
  const stack = newStack();
  const job = new ReplicationJob(stack, 'Job', { server: SmsServer.fromServerId('s-1234abcd') });
  expect(job.serverId).toBe('s-1234abcd');
});

test('the provider may read and import the server catalog only in stacks with a VM selector', () => {
  const byId = newStack();
  new ReplicationJob(byId, 'Job', { server: SmsServer.fromServerId('s-1234abcd') });
  new ReplicationJob(byId, 'Job2', { server: SmsServer.fromServerId('s-1234abce') });
  expect(smsActionsOf(byId)).toEqual(['sms:CreateReplicationJob', 'sms:DeleteReplicationJob', 'sms:GetReplicationJobs', 'sms:UpdateReplicationJob']);

  const byVm = newStack();
  new ReplicationJob(byVm, 'Job', { server: SmsServer.fromVmName('web-01') });
  new ReplicationJob(byVm, 'Job2', { server: SmsServer.fromVmName('web-02') });
  expect(smsActionsOf(byVm)).toEqual(['sms:CreateReplicationJob', 'sms:DeleteReplicationJob', 'sms:GetReplicationJobs',
    'sms:GetServers', 'sms:ImportServerCatalog', 'sms:UpdateReplicationJob']);
});

test.each([
  ['no server', {}, "ReplicationJob TestStack/Job: server is required: give SmsServer.fromServerId('s-12345678'), SmsServer.fromVmName('web-01') or " +
    'SmsServer.fromVmServerAddress({ vmManagerId, vmId })'],
  ['serverId (removed in 1.0.0) beside a server', { serverId: 's-1234abcd', server: SmsServer.fromVmName('web-01') },
    'ReplicationJob TestStack/Job: serverId was removed in 1.0.0, got serverId "s-1234abcd"; give server: SmsServer.fromServerId("s-1234abcd") instead'],
])('%s fails at synth, naming the construct and the fix', (_, props, message) => {
  expect(() => new ReplicationJob(newStack(), 'Job', props as ReplicationJobProps)).toThrow(message);
});

test.each([
  ['fromServerId', () => SmsServer.fromServerId(''), /SmsServer.fromServerId: serverId must be the ID of a server .* got an empty string/],
  ['fromVmName', () => SmsServer.fromVmName(' '), /SmsServer.fromVmName: vmName must be a non-empty VM name .* got an empty string/],
  ['vmManagerName', () => SmsServer.fromVmName('web-01', { vmManagerName: '' }), /vmManagerName must be a non-empty VM manager name/],
])('an empty %s fails', (_, make, message) => {
  expect(make).toThrow(message);
});

describe('two jobs with the same literal VM selector', () => {
  test('in one stack fail at synth', () => {
    const stack = newStack();
    new ReplicationJob(stack, 'A', { server: SmsServer.fromVmName('web-01', { vmManagerName: 'vc-east' }) });
    expect(() => new ReplicationJob(stack, 'B', { server: SmsServer.fromVmName('web-01', { vmManagerName: 'vc-east' }) }))
      .toThrow("ReplicationJob TestStack/B: server SmsServer.fromVmName('web-01', { vmManagerName: 'vc-east' }) is already replicated by " +
        'ReplicationJob TestStack/A (same account 123456789012 and region us-west-2)');
  });

  test('in two stacks of one explicit environment fail at synth; in other environments, or on two VM managers, they do not', () => {
    const app = new App();
    new ReplicationJob(newStack(app, 'One'), 'A', { server: SmsServer.fromVmName('web-01') });
    expect(() => new ReplicationJob(newStack(app, 'Two'), 'B', { server: SmsServer.fromVmName('web-01') })).toThrow(/already replicated by ReplicationJob One\/A/);
    new ReplicationJob(newStack(app, 'Three', { account: '123456789012', region: 'us-gov-west-1' }), 'C', { server: SmsServer.fromVmName('web-01') });
    new ReplicationJob(newStack(app, 'Four'), 'D', { server: SmsServer.fromVmName('web-02', { vmManagerName: 'vc-west' }) });
    new ReplicationJob(newStack(app, 'Five'), 'E', { server: SmsServer.fromVmName('web-02', { vmManagerName: 'vc-east' }) });
  });

  test('a name alone beside the same name on a VM manager fails at synth, in either order: both find the one VM of that name', () => {
    const app = new App();
    new ReplicationJob(newStack(app, 'One'), 'A', { server: SmsServer.fromVmName('web-01') });
    expect(() => new ReplicationJob(newStack(app, 'Two'), 'B', { server: SmsServer.fromVmName('web-01', { vmManagerName: 'vc-west' }) }))
      .toThrow(/SmsServer\.fromVmName\('web-01', \{ vmManagerName: 'vc-west' \}\) names the server of ReplicationJob One\/A .*resolves only when it is unique/);
    const other = new App();
    new ReplicationJob(newStack(other, 'One'), 'A', { server: SmsServer.fromVmName('web-01', { vmManagerName: 'vc-west' }) });
    expect(() => new ReplicationJob(newStack(other, 'Two'), 'B', { server: SmsServer.fromVmName('web-01') }))
      .toThrow(/server SmsServer\.fromVmName\('web-01'\) names the server of ReplicationJob One\/A/);
  });

  test('a token VM name is not guessed at', () => {
    const stack = newStack();
    const name = new CfnParameter(stack, 'Vm').valueAsString;
    new ReplicationJob(stack, 'A', { server: SmsServer.fromVmName(name) });
    new ReplicationJob(stack, 'B', { server: SmsServer.fromVmName(name) });
  });
});

test('a serverId that does not look like an SMS server id warns, pointing at SmsServer.fromVmName; an id does not', () => {
  const stack = newStack();
  new ReplicationJob(stack, 'Name', { server: SmsServer.fromServerId('web-01') });
  new ReplicationJob(stack, 'Id', { server: SmsServer.fromServerId('s-0123456789abcdef0') });
  new ReplicationJob(stack, 'Param', { server: SmsServer.fromServerId(new CfnParameter(stack, 'Server').valueAsString) });
  expect(warningsOf(stack).filter((w) => w.includes('SMS server id'))).toEqual([
    "SmsServer.fromServerId('web-01'): 'web-01' does not look like an SMS server id ('s-' and hex digits, such as s-12345678), and SMS will refuse it at deploy " +
    "time if it is not one. To name the server by its VM, use server: SmsServer.fromVmName('web-01'). " +
    '[ack: cdk-sms-replication-job:serverIdNotSmsId]',
  ]);
});

describe('issue 34: one read of the server catalog for every 50 VM-named jobs', () => {
  function stackOf(vmNamed: number, idNamed = 0): Stack {
    const stack = newStack();
    for (let i = 0; i < vmNamed; i++) new ReplicationJob(stack, `Vm${i}`, { server: SmsServer.fromVmName(`vm-${i}`), seedReplicationTime: seed });
    for (let i = 0; i < idNamed; i++) new ReplicationJob(stack, `Id${i}`, { server: SmsServer.fromServerId(`s-${(0x1000 + i).toString(16).padStart(8, '0')}`), seedReplicationTime: seed });
    return stack;
  }

  test('51 VM-named jobs: two reads, of 50 and 1, each job\'s CatalogServerId an attribute of its read named after the job\'s path', () => {
    const template = Template.fromStack(stackOf(51, 3));
    const reads = template.findResources('Custom::SmsServerCatalog');
    const readIds = Object.keys(reads);
    expect(readIds).toHaveLength(2);
    expect(readIds.map((id) => Object.keys(reads[id].Properties.Servers).length).sort()).toEqual([1, 50]);
    const jobs = template.findResources('Custom::SmsReplicationJob');
    const vmJobs = Object.values(jobs).filter((j: any) => j.Properties.VmName !== undefined) as any[];
    expect(vmJobs).toHaveLength(51);
    const names = new Set<string>();
    for (const job of vmJobs) {
      const [readId, attribute] = job.Properties.CatalogServerId['Fn::GetAtt'];
      expect(reads[readId].Properties.Servers[attribute]).toEqual({ VmName: job.Properties.VmName });
      expect(attribute).toMatch(/^S[0-9a-f]{8}$/);
      names.add(attribute);
    }
    expect(names.size).toBe(51);
    // A job named by id has no such property.
    expect(Object.values(jobs).filter((j: any) => j.Properties.ServerId !== undefined).every((j: any) => j.Properties.CatalogServerId === undefined)).toBe(true);
    // Every read goes after the provider's function, as a job does.
    for (const read of Object.values(reads) as any[]) {
      expect(read.Properties.ServiceToken).toEqual(vmJobs[0].Properties.ServiceToken);
      expect(read.DependsOn).toEqual(vmJobs[0].DependsOn);
    }
  });

  test('a job keeps its attribute when others are added or removed, and a stack without VM names has no read', () => {
    const attributeOf = (stack: Stack, id: string) => Template.fromStack(stack).toJSON().Resources[
      Object.keys(Template.fromStack(stack).findResources('Custom::SmsReplicationJob')).find((l) => l.startsWith(id))!].Properties.CatalogServerId['Fn::GetAtt'][1];
    expect(attributeOf(stackOf(3), 'Vm2')).toBe(attributeOf(stackOf(40), 'Vm2'));
    expect(Template.fromStack(stackOf(0, 3)).findResources('Custom::SmsServerCatalog')).toEqual({});
  });
});

describe('issue 34: the read runs in every deployment that creates a VM-named job', () => {
  test('a job whose logical id is overridden is listed under an attribute of its new logical id', () => {
    const names = (override?: string) => {
      const stack = newStack();
      const job = new ReplicationJob(stack, 'Vm', { server: SmsServer.fromVmName('web-01'), seedReplicationTime: seed });
      if (override) (job.node.defaultChild as CfnResource).overrideLogicalId(override);
      const [read] = Object.values(Template.fromStack(stack).findResources('Custom::SmsServerCatalog')) as any[];
      return Object.keys(read.Properties.Servers);
    };
    expect(names('Renamed')).not.toEqual(names());
  });

  test('a job with a Condition is listed under that Condition, so that the read runs when the job comes into being', () => {
    const stack = newStack();
    const condition = new CfnCondition(stack, 'Migrate', { expression: Fn.conditionEquals(new CfnParameter(stack, 'Go').valueAsString, 'yes') });
    const job = new ReplicationJob(stack, 'Vm', { server: SmsServer.fromVmName('web-01'), seedReplicationTime: seed });
    (job.node.defaultChild as CfnResource).cfnOptions.condition = condition;
    const [read] = Object.values(Template.fromStack(stack).findResources('Custom::SmsServerCatalog')) as any[];
    expect(Object.values(read.Properties.Servers)).toEqual([{ 'Fn::If': ['Migrate', { VmName: 'web-01' }, { Ref: 'AWS::NoValue' }] }]);
  });
});

describe('issue 36: a server named by its VM\'s address (SmsServer.fromVmServerAddress)', () => {
  const address = { vmManagerId: 'vmm-0123456789abcdef0', vmId: 'vm-1234' };

  test('writes VmManagerId and VmId, no ServerId; the stack\'s read lists the address; the provider may read and import the catalog', () => {
    const stack = newStack();
    const job = new ReplicationJob(stack, 'Job', { server: SmsServer.fromVmServerAddress(address) });
    const template = Template.fromStack(stack);
    const [[logicalId, resource]] = Object.entries(template.findResources('Custom::SmsReplicationJob')) as Array<[string, any]>;
    expect(resource.Properties).toMatchObject({ VmManagerId: address.vmManagerId, VmId: address.vmId });
    for (const key of ['ServerId', 'VmName', 'VmManagerName']) expect(resource.Properties[key]).toBeUndefined();
    const [[readId, read]] = Object.entries(template.findResources('Custom::SmsServerCatalog')) as Array<[string, any]>;
    const [getAttOf, attribute] = resource.Properties.CatalogServerId['Fn::GetAtt'];
    expect(getAttOf).toBe(readId);
    expect(read.Properties.Servers).toEqual({ [attribute]: { VmManagerId: address.vmManagerId, VmId: address.vmId } });
    expect(stack.resolve(job.serverId)).toEqual({ 'Fn::GetAtt': [logicalId, 'ServerId'] });
    expect(smsActionsOf(stack)).toEqual(['sms:CreateReplicationJob', 'sms:DeleteReplicationJob', 'sms:GetReplicationJobs',
      'sms:GetServers', 'sms:ImportServerCatalog', 'sms:UpdateReplicationJob']);
  });

  test.each([
    ['vmManagerId', { vmManagerId: '', vmId: 'vm-1' }],
    ['vmId', { vmManagerId: 'vmm-1', vmId: ' ' }],
  ])('an empty %s fails, naming the field and where GetServers reports it', (name, given) => {
    expect(() => SmsServer.fromVmServerAddress(given)).toThrow(`SmsServer.fromVmServerAddress: ${name} must be the non-empty ID that GetServers reports in vmServer.vmServerAddress.${name}`);
  });

  test('the same address twice in one environment fails at synth; another VM, or the same VM id on another VM manager, does not', () => {
    const app = new App();
    new ReplicationJob(newStack(app, 'One'), 'A', { server: SmsServer.fromVmServerAddress(address) });
    expect(() => new ReplicationJob(newStack(app, 'Two'), 'B', { server: SmsServer.fromVmServerAddress({ ...address }) }))
      .toThrow("ReplicationJob Two/B: server SmsServer.fromVmServerAddress({ vmManagerId: 'vmm-0123456789abcdef0', vmId: 'vm-1234' }) is already " +
        'replicated by ReplicationJob One/A (same account 123456789012 and region us-west-2), and SMS allows one replication job per server. Remove one of the two.');
    new ReplicationJob(newStack(app, 'Three'), 'C', { server: SmsServer.fromVmServerAddress({ ...address, vmId: 'vm-1235' }) });
    new ReplicationJob(newStack(app, 'Four'), 'D', { server: SmsServer.fromVmServerAddress({ ...address, vmManagerId: 'vmm-1' }) });
    new ReplicationJob(newStack(app, 'Five'), 'E', { server: SmsServer.fromVmName('vm-1234') });
  });
});
