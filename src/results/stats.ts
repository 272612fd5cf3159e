// Small statistics helpers for evaluation. Pure.

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for `successes` out of `trials`, as fractions in [0, 1].
 * Chosen over the normal approximation because it stays inside [0, 1] and behaves at 0% / 100%,
 * which is where pass-rate criteria live. With no trials nothing is known: [0, 1].
 */
export function wilson(successes: number, trials: number, z: number = Z95): Interval {
  if (trials <= 0) return { low: 0, high: 1 };
  if (successes < 0 || successes > trials) throw new RangeError(`wilson: successes ${successes} outside 0..${trials}`);
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  // At 0% / 100% the bound is exactly 0 / 1 analytically; avoid float noise like 0.9999999999999999.
  return { low: successes === 0 ? 0 : Math.max(0, center - half), high: successes === trials ? 1 : Math.min(1, center + half) };
}

/**
 * Percentile `q` in [0, 1] of an ascending array by linear interpolation between closest ranks
 * (the "R-7" definition used by numpy and spreadsheets). Undefined for an empty array.
 */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  if (q <= 0) return sorted[0];
  if (q >= 1) return sorted[n - 1];
  const rank = q * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

/** Percentile of unsorted values (copies, sorts). */
export function percentile(values: readonly number[], q: number): number | undefined {
  return percentileSorted([...values].sort((a, b) => a - b), q);
}

/** Round to `digits` decimals, without "-0". */
export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  const r = Math.round(value * f) / f;
  return Object.is(r, -0) ? 0 : r;
}
