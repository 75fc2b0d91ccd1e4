import { matchesPattern, valueAtPath } from './event-pattern';

/**
 * The matcher that events.test.ts relies on, checked against the EventBridge User Guide's own examples: the event and
 * pattern of "eb-event-patterns", the resources of "eb-event-patterns-arrays", and the Exists matching section of
 * "eb-event-patterns-content-based-filtering".
 */

const ec2Event = {
  'version': '0',
  'id': '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  'source': 'aws.ec2',
  'account': '111122223333',
  'time': '2017-12-22T18:43:48Z',
  'region': 'us-west-1',
  'resources': ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  'detail': { 'instance-id': 'i-1234567890abcdef0', 'state': 'terminated' },
};

describe('values: every field the pattern names, nested the same way, exactly', () => {
  const pattern = { 'source': ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], 'detail': { state: ['terminated'] } };

  test('the guide\'s pattern matches its event, ignoring the fields it does not name', () => {
    expect(matchesPattern(pattern, ec2Event)).toBe(true);
  });

  test('one field that differs, by a value or by case, is no match', () => {
    expect(matchesPattern(pattern, { ...ec2Event, detail: { ...ec2Event.detail, state: 'running' } })).toBe(false);
    expect(matchesPattern(pattern, { ...ec2Event, detail: { ...ec2Event.detail, state: 'Terminated' } })).toBe(false);
    expect(matchesPattern(pattern, { ...ec2Event, source: 'aws.sms' })).toBe(false);
  });

  test('a field the event lacks, or has at another level, is no match', () => {
    const { detail: _detail, ...withoutDetail } = ec2Event;
    expect(matchesPattern(pattern, withoutDetail)).toBe(false);
    expect(matchesPattern(pattern, { ...withoutDetail, detail: 'terminated', state: 'terminated' })).toBe(false);
  });

  test('the values of a field are alternatives', () => {
    expect(matchesPattern({ detail: { state: ['running', 'terminated'] } }, ec2Event)).toBe(true);
  });
});

test('an array in the event matches when it shares a value with the pattern\'s (eb-event-patterns-arrays)', () => {
  const pattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };
  const resources = [
    'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
    'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
  ];
  expect(matchesPattern(pattern, { resources })).toBe(true);
  expect(matchesPattern(pattern, { resources: resources.slice(0, 1) })).toBe(false);
});

describe('exists, on leaf nodes only', () => {
  const exists = { detail: { state: [{ exists: true }] } };
  const absent = { detail: { state: [{ exists: false }] } };

  test('true matches an event that has the field, false one that lacks it', () => {
    expect(matchesPattern(exists, ec2Event)).toBe(true);
    expect(matchesPattern(absent, ec2Event)).toBe(false);
    const withoutState = { ...ec2Event, detail: { 'instance-id': 'i-1234567890abcdef0' } };
    expect(matchesPattern(exists, withoutState)).toBe(false);
    expect(matchesPattern(absent, withoutState)).toBe(true);
  });

  test('true matches a field whose value is an array of strings, as in the guide\'s example', () => {
    expect(matchesPattern(exists, { detail: { state: ['initializing', 'running'] } })).toBe(true);
  });

  test('true does not match an intermediate node', () => {
    expect(matchesPattern({ detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': { c1: 100 } } })).toBe(false);
  });

  test('a null or an empty array, on which the guide is silent, is refused rather than guessed', () => {
    expect(() => matchesPattern(exists, { detail: { state: null } })).toThrow(/does not say how exists treats it/);
    expect(() => matchesPattern(exists, { detail: { state: [] } })).toThrow(/does not say how exists treats it/);
  });
});

test('operators and values this matcher does not implement throw instead of answering', () => {
  expect(() => matchesPattern({ detail: { state: [{ prefix: 'term' }] } }, ec2Event)).toThrow(/string values and \{"exists": boolean\} only/);
  expect(() => matchesPattern({ detail: { count: [5] } }, ec2Event)).toThrow(/string values/);
  expect(() => matchesPattern({ detail: { state: [{ exists: 'yes' }] } }, ec2Event)).toThrow(/exists must be true or false/);
  expect(() => matchesPattern({ source: 'aws.ec2' } as never, ec2Event)).toThrow(/must be an array or an object/);
});

test('valueAtPath reads dotted paths, and refuses the rest', () => {
  expect(valueAtPath(ec2Event, '$.detail.instance-id')).toBe('i-1234567890abcdef0');
  expect(valueAtPath(ec2Event, '$.detail.ami-id')).toBeUndefined();
  expect(() => valueAtPath(ec2Event, '$.resources[0]')).toThrow(/only dotted paths/);
});
