// Text helpers shared by the markdown-like renderers. Pure.
import type { Verdict } from '../results/schema.js';

/** Escapes text for inline markdown (and table cells): no HTML, links, emphasis or cell breaks. */
export function md(text: string): string {
  return text.replace(/[\\`*_[\]<|]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** A markdown table; cells are escaped by the caller (some cells carry deliberate markup). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function pct(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(1)}%`;
}

export function ms(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

export function signedPoints(value: number | null): string {
  if (value === null) return '—';
  const sign = value > 0 ? '+' : value < 0 ? '−' : '±';
  return `${sign}${Math.abs(value).toFixed(1)} pts`;
}

export const VERDICT_EMOJI: Record<Verdict, string> = { pass: '✅', fail: '❌', degraded: '⚠️', error: '💥' };
export const VERDICT_WORD: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', degraded: 'DEGRADED', error: 'ERROR' };

/** Cuts a single line to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "2025-01-02 03:04" in UTC: the time format of the journal and proof. */
export function formatMinuteUtc(time: Date): string {
  const iso = time.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}
