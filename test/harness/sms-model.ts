import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The official botocore model of SMS, vendored beside this file (model/README.md says where it comes from). */
export const SMS_MODEL_PATH = path.join(__dirname, 'model', 'sms-2016-10-24.json');

interface MemberRef { shape: string }

export interface Shape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'boolean' | 'timestamp' | 'double' | 'float' | 'blob';
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  exception?: boolean;
}

export interface Operation {
  name: string;
  input?: MemberRef;
  output?: MemberRef;
  errors?: MemberRef[];
}

export interface SmsModel {
  metadata: {
    apiVersion: string;
    endpointPrefix: string;
    jsonVersion: string;
    protocol: string;
    serviceId: string;
    signingName?: string;
    targetPrefix: string;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

let cached: SmsModel | undefined;

/** Loads the model once per process. */
export function loadSmsModel(): SmsModel {
  cached ??= JSON.parse(readFileSync(SMS_MODEL_PATH, 'utf8')) as SmsModel;
  return cached;
}

/**
 * Checks a decoded awsJson1_1 value against a model shape and returns one message per violation.
 *
 * What is checked is what the service's front end checks: required members, JSON types
 * (timestamps are epoch seconds, i.e. numbers), enum values, string length and pattern, numeric
 * ranges, and members the shape does not have.
 */
export function validateShape(model: SmsModel, shapeName: string, value: unknown, where: string): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) {
    return [`${where}: shape ${shapeName} is not in the model`];
  }
  if (value === null) {
    return [`${where}: null is not a ${shape.type} (${shapeName}); omit the member instead`];
  }
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        return [`${where}: expected a structure (${shapeName}), got ${describe(value)}`];
      }
      const out: string[] = [];
      const obj = value as Record<string, unknown>;
      for (const name of shape.required ?? []) {
        if (obj[name] === undefined) {
          out.push(`${where}.${name}: required member is missing`);
        }
      }
      for (const [name, member] of Object.entries(obj)) {
        const ref = shape.members?.[name];
        if (!ref) {
          out.push(`${where}.${name}: ${shapeName} has no member named ${name}`);
          continue;
        }
        out.push(...validateShape(model, ref.shape, member, `${where}.${name}`));
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        return [`${where}: expected a list (${shapeName}), got ${describe(value)}`];
      }
      return value.flatMap((item, i) => validateShape(model, shape.member!.shape, item, `${where}[${i}]`));
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        return [`${where}: expected a map (${shapeName}), got ${describe(value)}`];
      }
      return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [
        ...validateShape(model, shape.key!.shape, k, `${where} key`),
        ...validateShape(model, shape.value!.shape, v, `${where}.${k}`),
      ]);
    }
    case 'string': {
      if (typeof value !== 'string') {
        return [`${where}: expected a string (${shapeName}), got ${describe(value)}`];
      }
      const out: string[] = [];
      if (shape.enum && !shape.enum.includes(value)) {
        out.push(`${where}: ${JSON.stringify(value)} is not one of ${shape.enum.join(', ')}`);
      }
      if (shape.min !== undefined && value.length < shape.min) {
        out.push(`${where}: shorter than ${shape.min}`);
      }
      if (shape.max !== undefined && value.length > shape.max) {
        out.push(`${where}: longer than ${shape.max}`);
      }
      if (shape.pattern && !new RegExp(shape.pattern, 'u').test(value)) {
        out.push(`${where}: does not match ${shape.pattern}`);
      }
      return out;
    }
    case 'integer':
    case 'long': {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        return [`${where}: expected an integer (${shapeName}), got ${describe(value)}`];
      }
      return rangeViolations(shape, value, where);
    }
    case 'float':
    case 'double': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return [`${where}: expected a number (${shapeName}), got ${describe(value)}`];
      }
      return rangeViolations(shape, value, where);
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${where}: expected a boolean (${shapeName}), got ${describe(value)}`];
    case 'timestamp':
      // awsJson1_1 sends timestamps as epoch seconds: a JSON number, never an ISO string.
      return typeof value === 'number' && Number.isFinite(value)
        ? []
        : [`${where}: expected a timestamp as epoch seconds (${shapeName}), got ${describe(value)}`];
    case 'blob':
      return typeof value === 'string' ? [] : [`${where}: expected a base64 blob (${shapeName}), got ${describe(value)}`];
    default:
      return [`${where}: shape type ${(shape as Shape).type} is not understood by the emulator`];
  }
}

function rangeViolations(shape: Shape, value: number, where: string): string[] {
  const out: string[] = [];
  if (shape.min !== undefined && value < shape.min) out.push(`${where}: less than ${shape.min}`);
  if (shape.max !== undefined && value > shape.max) out.push(`${where}: more than ${shape.max}`);
  return out;
}

function describe(value: unknown): string {
  const json = JSON.stringify(value);
  return `${Array.isArray(value) ? 'array' : typeof value} ${json && json.length > 60 ? json.slice(0, 60) + '...' : json}`;
}
