import {
  describedWithMarker, eventMarker, isAdoptedBy, isMadeBy, isOwnedBy, markerOf, markerText, ownerMarker, ownerOf, parseMarker, tokenOf, withoutMarker,
} from '../../lambda/ownership';
import { failedCreateId, isJobId, jobPhysicalId, parsePhysicalId } from '../../lambda/physical-id';

const stackId = 'arn:aws:cloudformation:us-west-2:123456789012:stack/Prod/9b2f5d40-0000-11ef-8000-0a1b2c3d4e5f';
const requestId = '5d2e1c7a-8f3b-4e2a-9c1d-0a1b2c3d4e5f';

test('the marker names the stack, the logical id and the event, and tells stacks of the same name apart', () => {
  const marker = markerText(eventMarker(stackId, 'WebServer99EDD300', requestId));
  expect(marker).toMatch(/^\[cfn:Prod\/WebServer99EDD300\/[0-9a-f]{8}\/[0-9a-f]{8}\]$/);
  expect(marker).toContain(`/${tokenOf(requestId)}]`);
  expect(markerText(eventMarker(stackId.replace('9b2f5d40', '00000000'), 'WebServer99EDD300', requestId))).not.toEqual(marker);
  expect(tokenOf('another-request')).not.toEqual(tokenOf(requestId));
});

test('parseMarker reads every form: with a token, adopted, and 0.1.0\'s without a token', () => {
  const owner = ownerOf(stackId, 'A');
  const token = tokenOf(requestId);
  expect(parseMarker(describedWithMarker('web tier', { owner, token, adopted: false }))).toEqual({ owner, token, adopted: false });
  expect(parseMarker(`web [cfn:${owner}/${token}/adopted]`)).toEqual({ owner, token, adopted: true });
  expect(parseMarker(`web ${ownerMarker(stackId, 'A')}`)).toEqual({ owner, token: undefined, adopted: false });
  expect(parseMarker('made in the console')).toBeUndefined();
  expect(parseMarker(`[cfn:${owner}] then more text`)).toBeUndefined();
  expect(parseMarker(undefined)).toBeUndefined();
});

test('a job is owned only by the resource whose marker ends its description, whatever the token', () => {
  const a = eventMarker(stackId, 'A', requestId);
  expect(isOwnedBy(describedWithMarker('web tier', a), a.owner)).toBe(true);
  expect(isOwnedBy(describedWithMarker(undefined, a), a.owner)).toBe(true);
  expect(isOwnedBy(describedWithMarker('web', eventMarker(stackId, 'A', 'later-request')), a.owner)).toBe(true);
  expect(isOwnedBy(ownerMarker(stackId, 'A'), a.owner)).toBe(true);
  expect(isOwnedBy(describedWithMarker('web tier', eventMarker(stackId, 'B', requestId)), a.owner)).toBe(false);
  expect(isOwnedBy('made in the console', a.owner)).toBe(false);
  expect(isOwnedBy(undefined, a.owner)).toBe(false);
});

test('a job is made by an event only when it carries that event\'s token', () => {
  const a = eventMarker(stackId, 'A', requestId);
  expect(isMadeBy(describedWithMarker('web', a), a.owner, tokenOf(requestId))).toBe(true);
  expect(isMadeBy(describedWithMarker('web', eventMarker(stackId, 'A', 'later-request')), a.owner, tokenOf(requestId))).toBe(false);
  // 0.1.0 jobs carry no token: made by no known event.
  expect(isMadeBy(ownerMarker(stackId, 'A'), a.owner, tokenOf(requestId))).toBe(false);
  expect(isMadeBy(describedWithMarker('web', eventMarker(stackId, 'B', requestId)), a.owner, tokenOf(requestId))).toBe(false);
});

test('markerOf names the owner of a job, for error messages', () => {
  const marker = eventMarker(stackId, 'A', requestId);
  expect(markerOf(describedWithMarker('x', marker))).toEqual(markerText(marker));
  expect(markerOf('made in the console')).toBeUndefined();
});

test('a failed Create\'s id says whether the Create may have made a job, and names its request', () => {
  expect(parsePhysicalId(failedCreateId(requestId, false))).toEqual({ kind: 'refused', requestId });
  expect(parsePhysicalId(failedCreateId(requestId, true))).toEqual({ kind: 'failed', requestId });
  expect(parsePhysicalId('sms-job-0123456789abcdef0')).toEqual({ kind: 'job', jobId: 'sms-job-0123456789abcdef0', adopted: false });
  expect(parsePhysicalId('sms-job-0123456789abcdef0/adopted')).toEqual({ kind: 'job', jobId: 'sms-job-0123456789abcdef0', adopted: true });
  expect(parsePhysicalId(jobPhysicalId('sms-job-0123456789abcdef0', true))).toEqual({ kind: 'job', jobId: 'sms-job-0123456789abcdef0', adopted: true });
  expect(parsePhysicalId('sms-job-0123456789abcdef0/made')).toEqual({ kind: 'other' });
  expect(parsePhysicalId('x/adopted')).toEqual({ kind: 'other' });
  expect(parsePhysicalId('SmsJobs-Job-1A2B3C4D5E6F')).toEqual({ kind: 'other' });
  expect(parsePhysicalId('create-failed-')).toEqual({ kind: 'other' });
  expect(isJobId(failedCreateId(requestId, true))).toBe(false);
});

describe('the marker of an adopted job', () => {
  const owner = ownerOf(stackId, 'A');
  const adopted = markerText({ owner, token: tokenOf('5a1c1f52-0000-4000-8000-000000000001'), adopted: true });

  test('reads as adopted by its resource only, and a made job does not', () => {
    expect(isAdoptedBy(`db ${adopted}`, owner)).toBe(true);
    expect(isAdoptedBy(`db ${adopted}`, ownerOf(stackId, 'B'))).toBe(false);
    expect(isAdoptedBy(`db ${markerText({ owner, token: 'abcdef01', adopted: false })}`, owner)).toBe(false);
    expect(isAdoptedBy('made in the console', owner)).toBe(false);
  });

  test('is removed when the job is handed back, leaving the rest of the description', () => {
    expect(withoutMarker(`db ${adopted}`)).toEqual('db');
    expect(withoutMarker(adopted)).toEqual('');
    expect(withoutMarker('made in the console')).toEqual('made in the console');
  });
});
