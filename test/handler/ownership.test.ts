import { describedWithMarker, isOwnedBy, markerOf, ownerMarker } from '../../lambda/ownership';

const stackId = 'arn:aws:cloudformation:us-west-2:123456789012:stack/Prod/9b2f5d40-0000-11ef-8000-0a1b2c3d4e5f';

test('the marker names the stack and the logical id, and tells stacks of the same name apart', () => {
  const marker = ownerMarker(stackId, 'WebServer99EDD300');
  expect(marker).toMatch(/^\[cfn:Prod\/WebServer99EDD300\/[0-9a-f]{8}\]$/);
  expect(ownerMarker(stackId.replace('9b2f5d40', '00000000'), 'WebServer99EDD300')).not.toEqual(marker);
});

test('a job is owned only by the resource whose marker ends its description', () => {
  const marker = ownerMarker(stackId, 'A');
  expect(isOwnedBy(describedWithMarker('web tier', marker), marker)).toBe(true);
  expect(isOwnedBy(describedWithMarker(undefined, marker), marker)).toBe(true);
  expect(isOwnedBy(describedWithMarker('web tier', ownerMarker(stackId, 'B')), marker)).toBe(false);
  expect(isOwnedBy('made in the console', marker)).toBe(false);
  expect(isOwnedBy(undefined, marker)).toBe(false);
});

test('markerOf names the owner of a job, for error messages', () => {
  const marker = ownerMarker(stackId, 'A');
  expect(markerOf(describedWithMarker('x', marker))).toEqual(marker);
  expect(markerOf('made in the console')).toBeUndefined();
});
