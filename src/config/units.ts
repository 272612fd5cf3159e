// Parsers for the human units used in .vps-test.yml: durations ("30s", "2h", "120ms"),
// percentages ("1%" or 1) and rates ("10mbit", "500kbit"). Pure; each returns undefined on
// bad input so the schema can report the value and the expected form.

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "1h30m", "30s", "120ms" -> milliseconds. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, value, , unit] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(value) * (DURATION_UNITS_MS[unit as string] ?? 0);
  }
  return total;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** "1%", "0.5%", 1 -> percent as a number in [0, 100]. */
export function parsePercent(value: string | number): number | undefined {
  const n = typeof value === 'number' ? value : /^\s*\d+(\.\d+)?\s*%\s*$/.test(value) ? parseFloat(value) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= 100 ? n : undefined;
}

const RATE_UNITS_KBIT: Record<string, number> = { kbit: 1, mbit: 1000, gbit: 1_000_000 };

/** "10mbit", "500kbit", "1gbit" -> kbit/s. */
export function parseRate(text: string): number | undefined {
  const match = /^\s*(\d+(\.\d+)?)\s*(kbit|mbit|gbit)\s*$/i.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * (RATE_UNITS_KBIT[(match[3] as string).toLowerCase()] ?? 0);
}
