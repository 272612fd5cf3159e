// Validation of one result-event line (protocol v1, docs/architecture.md, "Result events",). Hand-written rather
// than zod: it runs once per line on million-line streams and must give a short reason.
// Unknown extra fields are allowed so newer agents can add data without breaking older readers.
import { PATHS, type PathKind } from '../config/model.js';
import type { ResultEvent } from './events.js';
import { EVIDENCE } from './evidence.js';
import { GATE_FINDINGS, type GateRecord } from './gate-records.js';

export type LineCheck = { ok: true; event: ResultEvent } | { ok: false; reason: string };

type Obj = Record<string, unknown>;
type FieldKind = 'string' | 'name' | 'number' | 'nonneg' | 'int' | 'boolean' | 'path' | 'evidence';

const REQUIRED: Record<ResultEvent['type'], Record<string, FieldKind>> = {
  attempt: { suite: 'name', from: 'name', to: 'name', path: 'path', ok: 'boolean' },
  throughput: { from: 'name', to: 'name', bytes: 'nonneg', seconds: 'nonneg', mbps: 'nonneg' },
  gossip: { msg: 'name', origin: 'name', node: 'name', hops: 'int', latency_ms: 'nonneg' },
  metric: { node: 'name', name: 'name', value: 'number' },
};

const OPTIONAL: Record<ResultEvent['type'], Record<string, FieldKind>> = {
  // evidence .. claimed_ok are written by the gate (a subject's own values are dropped there)
  attempt: { rtt_ms: 'nonneg', error: 'string', from_id: 'string', to_id: 'string', trial: 'int', evidence: 'evidence', false_success: 'string', missing: 'boolean', claimed_ok: 'boolean' },
  throughput: { loss: 'nonneg' },
  gossip: {},
  metric: {},
};

const EXPECTED: Record<FieldKind, string> = {
  string: 'a string',
  name: 'a non-empty string',
  number: 'a finite number',
  nonneg: 'a number >= 0',
  int: 'an integer >= 0',
  boolean: 'true or false',
  path: PATHS.join(' | '),
  evidence: EVIDENCE.join(' | '),
};

function fits(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'name':
      return typeof value === 'string' && value.length > 0;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'nonneg':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0;
    case 'boolean':
      return typeof value === 'boolean';
    case 'path':
      return typeof value === 'string' && (PATHS as readonly string[]).includes(value as PathKind);
    case 'evidence':
      return typeof value === 'string' && (EVIDENCE as readonly string[]).includes(value);
  }
}

function shown(value: unknown): string {
  const text = value === undefined ? 'missing' : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Checks an already-parsed value. */
export function checkEvent(value: unknown): LineCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: `not a JSON object (${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value})` };
  }
  const obj = value as Obj;
  if (obj.v !== 1) return { ok: false, reason: `unsupported protocol version v=${shown(obj.v)} (expected 1)` };
  const type = obj.type;
  if (typeof type !== 'string' || !Object.hasOwn(REQUIRED, type)) {
    return { ok: false, reason: `unknown type ${shown(type)} (expected attempt | throughput | gossip | metric)` };
  }
  const t = type as ResultEvent['type'];
  for (const [field, kind] of Object.entries(REQUIRED[t])) {
    if (!fits(obj[field], kind)) return { ok: false, reason: `${t}.${field} is ${shown(obj[field])}, expected ${EXPECTED[kind]}` };
  }
  for (const [field, kind] of Object.entries(OPTIONAL[t])) {
    const v = obj[field];
    if (v !== undefined && !fits(v, kind)) return { ok: false, reason: `${t}.${field} is ${shown(v)}, expected ${EXPECTED[kind]}` };
  }
  return { ok: true, event: obj as unknown as ResultEvent };
}

/** Parses and checks one line of JSONL. The caller skips blank lines. */
export function checkLine(line: string): LineCheck {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0] ?? 'parse error';
    return { ok: false, reason: `not JSON: ${msg.length > 80 ? `${msg.slice(0, 77)}...` : msg}` };
  }
  return checkEvent(value);
}

export type StoredCheck = LineCheck | { ok: true; event: GateRecord };

/**
 * A line of results.jsonl as vps-test wrote it: a protocol event or a gate record. Node output
 * goes through checkLine instead, so a subject cannot print a gate record.
 */
export function checkStoredLine(line: string): StoredCheck {
  if (!line.includes('"gate"')) return checkLine(line);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return checkLine(line);
  }
  const obj = value as Obj;
  if (typeof obj !== 'object' || obj === null || obj.type !== 'gate') return checkEvent(value);
  const finding = obj.finding;
  if (finding !== 'no_result' && !(GATE_FINDINGS as readonly unknown[]).includes(finding)) return { ok: false, reason: `gate.finding is ${shown(finding)}` };
  if (typeof obj.detail !== 'string') return { ok: false, reason: `gate.detail is ${shown(obj.detail)}, expected a string` };
  return { ok: true, event: obj as unknown as GateRecord };
}
