/**
 * The parts of `status` that need no service: the table's cutting and fitting, and the template's intrinsics
 * resolved from what the read calls return.
 */
import { JobReport, StatusReport } from '../../cli/report';
import { Unresolvable, resolveValue } from '../../cli/resolve';
import { cut, renderTable } from '../../cli/table';

const job = (logicalId: string, constructPath: string, vmName: string): JobReport => ({
  logicalId, constructPath, resourceStatus: 'CREATE_COMPLETE', physicalResourceId: 'sms-job-0123456789abcdef0', jobId: 'sms-job-0123456789abcdef0',
  server: { id: 's-12345678', vmName }, state: 'ACTIVE', statusMessage: null,
  lastRun: { id: 'sms-run-1', state: 'COMPLETED', type: 'AUTOMATIC', at: '2026-12-04T02:00:00.000Z', amiId: 'ami-0123456789abcdef0', statusMessage: null },
  nextRun: { id: 'sms-run-2', state: 'PENDING', type: 'AUTOMATIC', at: '2026-12-05T02:00:00.000Z', amiId: null, statusMessage: null },
  nextRunAt: '2026-12-05T02:00:00.000Z', latestAmiId: 'ami-0123456789abcdef0', healthy: true,
  drift: { status: 'IN_SYNC', reason: null, differences: [], notCompared: [] },
});
const report: StatusReport = {
  formatVersion: 1, region: 'us-west-2', exitCode: 0, errors: [],
  stacks: [{
    stackName: 'Migration', stackId: 'arn:aws:cloudformation:us-west-2:123456789012:stack/Migration/x', stackStatus: 'UPDATE_COMPLETE', read: true, orphans: [],
    jobs: [job('ShortId1234ABCD', 'Migration/Db/Resource/Default', 'db'),
      job('AVeryLongConstructIdThatGoesOnAndOnAndOn5E6F7A8B', 'Migration/Tier/With/Many/Levels/AVeryLongConstructIdThatGoesOnAndOnAndOn/Resource/Default',
        'a-virtual-machine-name-longer-than-any-column-allows')],
  }],
};

test('on a terminal the table fits its width, by cutting the path at its start, the logical id in its middle, the VM name at its end', () => {
  const lines = renderTable(report, { colour: false, width: 200 }).split('\n');
  const table = lines.slice(1, 4);
  for (const line of table) expect(line.length).toBeLessThanOrEqual(200);
  expect(Math.max(...table.map((l) => l.length))).toBeGreaterThan(190);
  const long = table[2];
  expect(long).toMatch(/^AVeryLong\w*…\w*5E6F7A8B /);
  expect(long).toMatch(/ …[\w/]*OnAndOn /);
  expect(long).toContain(' sms-job-0123456789abcdef0 ');
  expect(long).toMatch(/ s-12345678 a-virtual[\w-]*… /);
  expect(long).toContain(' ami-0123456789abcdef0 ');
  expect(long).toMatch(/ IN_SYNC$/);
  // Narrower than the columns that are never cut: those stay whole, the others at their minimum.
  const narrow = renderTable(report, { colour: false, width: 80 }).split('\n')[3];
  expect(narrow).toMatch(/^AVeryLon…E6F7A8B  …nAndOnAndOn  sms-job-0123456789abcdef0  s-12345678…  ACTIVE /);
});

test('off a terminal each column keeps up to its maximum; colour only when asked', () => {
  const plain = renderTable(report, { colour: false });
  expect(plain).toContain('Db ');
  expect(plain).not.toContain('\x1b[');
  expect(renderTable(report, { colour: true })).toContain('\x1b[32mIN_SYNC');
});

test('cut marks each cut with an ellipsis and keeps the width', () => {
  expect(cut('abcdefghij', 5, 'start')).toBe('…ghij');
  expect(cut('abcdefghij', 5, 'end')).toBe('abcd…');
  expect(cut('abcdefghij', 5, 'middle')).toBe('ab…ij');
  expect(cut('abcdefghij', 5, 'none')).toBe('abcdefghij');
  expect(cut('abc', 5, 'middle')).toBe('abc');
});

describe('intrinsics', () => {
  const ctx = {
    stackId: 'arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/Migration/0f0f',
    stackName: 'Migration',
    parameters: { Hours: '12' },
    resources: new Map([
      ['Key1', { physicalId: '1234abcd-12ab-34cd-56ef-1234567890ab', type: 'AWS::KMS::Key' }],
      ['Role1', { physicalId: 'Migration-Role1-ABC', type: 'AWS::IAM::Role' }],
      ['Topic1', { physicalId: 'arn:aws-cn:sns:cn-north-1:123456789012:t', type: 'AWS::SNS::Topic' }],
    ]),
  };
  test.each([
    [{ Ref: 'Hours' }, '12'],
    [{ Ref: 'Role1' }, 'Migration-Role1-ABC'],
    [{ 'Fn::GetAtt': ['Key1', 'Arn'] }, 'arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    [{ 'Fn::GetAtt': ['Role1', 'Arn'] }, 'arn:aws-cn:iam::123456789012:role/Migration-Role1-ABC'],
    [{ 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, 'x', { Ref: 'AWS::Region' }]] }, 'Migration-x-cn-north-1'],
    [{ 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/${Name}-${!Literal}' }, undefined],
    [{ 'Fn::Sub': ['${Role1}/${Key1.Arn}/${V}', { V: { Ref: 'Hours' } }] }, 'Migration-Role1-ABC/arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab/12'],
    ['plain', 'plain'],
    [24, 24],
  ])('%j resolves to %j', (value, expected) => {
    if (expected === undefined) {
      expect(() => resolveValue(value, ctx)).toThrow(Unresolvable);
    } else {
      expect(resolveValue(value, ctx)).toEqual(expected);
    }
  });
  test.each([
    [{ 'Fn::GetAtt': ['Topic1', 'TopicName'] }, 'Fn::GetAtt Topic1.TopicName of AWS::SNS::Topic is not resolved by status'],
    [{ 'Fn::ImportValue': 'Shared' }, 'Fn::ImportValue is not resolved by status'],
    [{ Ref: 'Secret' }, 'Ref Secret: no such parameter or resource, or a NoEcho parameter'],
  ])('%j is not guessed', (value, message) => {
    expect(() => resolveValue(value, ctx)).toThrow(message);
  });
});
