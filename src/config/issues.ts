// Turns zod issues into sentences a user can act on: the offending value, the allowed values or
// keys, and a "did you mean" for near misses.
import type { z } from 'zod';
import { configSchema } from './schema.js';
import { STEP_SCHEMAS } from './scenario.js';
import { didYouMean } from './errors.js';

type AnySchema = z.core.$ZodType;
type PathKey = string | number;

function def(schema: AnySchema): Record<string, unknown> & { type: string } {
  return (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
}

/** Peels optional/default/pipe wrappers down to the structural schema. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const d = def(s);
    if (d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'prefault') s = d.innerType as AnySchema;
    else if (d.type === 'pipe') s = d.in as AnySchema;
    else break;
  }
  return s;
}

/** The schema that validates the value at `path`, or undefined where it can't be followed. */
export function schemaAt(path: readonly PathKey[]): AnySchema | undefined {
  let s: AnySchema | undefined = configSchema;
  for (let i = 0; i < path.length && s; i++) {
    const key = path[i] as PathKey;
    const u = unwrap(s);
    const d = def(u);
    if (d.type === 'object') s = (d.shape as Record<string, AnySchema>)[String(key)];
    else if (d.type === 'array') s = d.element as AnySchema;
    else if (d.type === 'record') s = d.valueType as AnySchema;
    else if (path[i - 1] === 'steps' && typeof key === 'number') {
      // a scenario step: the next key names its kind
      const kind = path[i + 1];
      s = kind !== undefined ? (STEP_SCHEMAS as Record<string, AnySchema>)[String(kind)] : undefined;
      i++;
    } else s = undefined;
  }
  return s;
}

export function allowedKeysAt(path: readonly PathKey[]): string[] {
  const s = schemaAt(path);
  if (!s) return [];
  const d = def(unwrap(s));
  return d.type === 'object' ? Object.keys(d.shape as object) : [];
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(data: unknown, path: readonly PathKey[]): unknown {
  let v = data;
  for (const key of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key as string] : undefined;
  return v;
}

export interface ExplainedIssue {
  path: PathKey[];
  /** point at the key itself rather than its value (unknown keys) */
  atKey: boolean;
  message: string;
}

export function explainIssue(issue: z.core.$ZodIssue, data: unknown): ExplainedIssue[] {
  const path = issue.path as PathKey[];
  const value = valueAt(data, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(path);
      return issue.keys.map((key) => ({
        path: [...path, key],
        atKey: true,
        message: `unknown key '${key}'${didYouMean(key, allowed)}; allowed keys: ${allowed.join(', ')}`,
      }));
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const shown = typeof value === 'string' ? value : String(value);
      return [{ path, atKey: false, message: `${describeValue(value)} is not allowed${didYouMean(shown, allowed)}; allowed values: ${allowed.join(', ')}` }];
    }
    case 'invalid_type': {
      if (value === undefined) return [{ path, atKey: true, message: `missing required key '${String(path[path.length - 1])}'` }];
      return [{ path, atKey: false, message: `expected ${issue.expected}, got ${describeValue(value)}` }];
    }
    case 'too_small':
    case 'too_big': {
      if (issue.message && !/^Too (small|big)/.test(issue.message)) return [{ path, atKey: false, message: issue.message }];
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      const what = Array.isArray(value) ? `${word} ${String(bound)} item${bound === 1 ? '' : 's'} (got ${value.length})` : typeof value === 'string' ? `${word} ${String(bound)} characters` : `${word} ${String(bound)} (got ${String(value)})`;
      return [{ path, atKey: false, message: `must be ${what}` }];
    }
    case 'invalid_key': {
      const key = String(path[path.length - 1]);
      const inner = issue.issues[0]?.message ?? 'not allowed here';
      return [{ path, atKey: true, message: `key '${key}' is not allowed: ${inner}` }];
    }
    case 'invalid_union':
      return [{ path, atKey: false, message: issue.message.startsWith('Invalid input') ? `${describeValue(value)} is not a valid value here` : issue.message }];
    default: {
      const atKey = Boolean((issue as { params?: { atKey?: boolean } }).params?.atKey);
      return [{ path, atKey, message: issue.message }];
    }
  }
}
