/**
 * A small EventBridge event pattern matcher, limited to what this library's rules use: exact string values and the
 * `exists` operator, nested under objects. Anything else in a pattern (numbers, `prefix`, `anything-but`, `$or`, ...)
 * throws rather than being matched by a guess.
 *
 * Why not a library: npm has no maintained EventBridge matcher for Node (the reference implementation, aws/event-ruler,
 * is Java; the SDK's TestEventPattern asks the EventBridge service, which the tests cannot reach). The semantics below
 * are the EventBridge User Guide's, each with its page; event-pattern.test.ts checks the matcher against the guide's
 * own examples.
 */

/** A JSON value of an event. */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** An event pattern: each field is either an object of more fields, or an array of values or operators. */
export interface EventPattern {
  readonly [field: string]: EventPattern | readonly unknown[];
}

const isObject = (value: unknown): value is { [key: string]: unknown } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether the event matches the pattern.
 *
 * "eb-event-patterns": for a pattern to match, the event must contain every field name the pattern lists, with the
 * same nesting; fields the pattern does not name are ignored; matching is exact, character by character and
 * case-sensitive. Fields are ANDed; the values in a field's array are ORed.
 */
export function matchesPattern(pattern: EventPattern, event: { [key: string]: Json }): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const present = Object.prototype.hasOwnProperty.call(event, field);
    const actual = event[field];
    if (Array.isArray(expected)) {
      return matchesField(field, expected, present, actual);
    }
    if (!isObject(expected)) {
      // EventBridge refuses such a pattern ("eb-event-patterns": each value to match is in an array).
      throw new Error(`pattern field ${field}: a value must be an array or an object of fields, got ${JSON.stringify(expected)}`);
    }
    return present && isObject(actual) && matchesPattern(expected as EventPattern, actual as { [key: string]: Json });
  });
}

/**
 * One field's array. "eb-event-patterns-arrays": the pattern matches if any of its values matches the event's value;
 * if the event's value is an array, if the two arrays have a value in common.
 */
function matchesField(field: string, expected: readonly unknown[], present: boolean, actual: Json | undefined): boolean {
  return expected.some((candidate) => {
    if (typeof candidate === 'string') {
      return present && (Array.isArray(actual) ? actual.includes(candidate) : actual === candidate);
    }
    if (isObject(candidate) && Object.keys(candidate).length === 1 && 'exists' in candidate) {
      return matchesExists(field, candidate.exists, present, actual);
    }
    throw new Error(`pattern field ${field}: this matcher handles string values and {"exists": boolean} only, got ${JSON.stringify(candidate)}`);
  });
}

/**
 * "eb-event-patterns-content-based-filtering", Exists matching: it works on the presence or absence of a field in the
 * event's JSON, and "only works on leaf nodes. It does not work on intermediate nodes": an object is not matched by
 * `exists: true`. The guide's example event whose field is an array of strings is matched by `exists: true`. What
 * EventBridge does with `null` or an empty array there the guide does not say, so this matcher refuses to answer.
 */
function matchesExists(field: string, exists: unknown, present: boolean, actual: Json | undefined): boolean {
  if (typeof exists !== 'boolean') {
    throw new Error(`pattern field ${field}: exists must be true or false, got ${JSON.stringify(exists)}`);
  }
  if (!present) {
    return !exists;
  }
  if (actual === null || (Array.isArray(actual) && actual.length === 0)) {
    throw new Error(`event field ${field} is ${JSON.stringify(actual)}: the EventBridge User Guide does not say how exists treats it`);
  }
  return exists && !isObject(actual);
}

/**
 * The value at a JSON path of the dotted form EventBridge's input transformer reads (`$.detail.ami-id`), or undefined
 * when the event has none. Other forms (array indices, wildcards) throw.
 */
export function valueAtPath(event: { [key: string]: Json }, path: string): Json | undefined {
  if (!/^\$(\.[A-Za-z0-9_-]+)+$/.test(path)) {
    throw new Error(`path ${path}: only dotted paths such as $.detail.ami-id are handled`);
  }
  let value: Json | undefined = event;
  for (const key of path.split('.').slice(1)) {
    value = isObject(value) && Object.prototype.hasOwnProperty.call(value, key) ? (value as { [key: string]: Json })[key] : undefined;
  }
  return value;
}
