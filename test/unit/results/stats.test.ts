import { describe, expect, it } from 'vitest';
import { BoundedQuantiles } from '../../../src/results/quantiles.js';
import { percentile, percentileSorted, round, wilson } from '../../../src/results/stats.js';

describe('wilson', () => {
  // Published values: Newcombe (1998), "Two-sided confidence intervals for the single proportion",
  // Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score, no continuity correction).
  const cases: [number, number, number, number][] = [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ];
  for (const [s, n, low, high] of cases) {
    it(`${s}/${n} -> [${low}, ${high}]`, () => {
      const ci = wilson(s, n);
      expect(ci.low).toBeCloseTo(low, 4);
      expect(ci.high).toBeCloseTo(high, 4);
    });
  }
  it('is symmetric: k/n mirrors (n-k)/n', () => {
    const a = wilson(3, 17);
    const b = wilson(14, 17);
    expect(a.low).toBeCloseTo(1 - b.high, 12);
    expect(a.high).toBeCloseTo(1 - b.low, 12);
  });
  it('stays inside [0, 1] at the ends, and 10/10 has a lower bound of 0.7225', () => {
    expect(wilson(10, 10)).toEqual({ low: expect.closeTo(0.7225, 4), high: 1 });
    expect(wilson(0, 10).low).toBe(0);
  });
  it('knows nothing without trials and rejects impossible counts', () => {
    expect(wilson(0, 0)).toEqual({ low: 0, high: 1 });
    expect(() => wilson(11, 10)).toThrow(/outside 0..10/);
  });
});

describe('percentile', () => {
  it('interpolates linearly between closest ranks (R-7)', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 0.5)).toBe(5.5);
    expect(percentile(v, 0.95)).toBeCloseTo(9.55, 10);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentileSorted([], 0.5)).toBeUndefined();
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([3, 1, 2], 1)).toBe(3);
  });
  it('rounds without -0', () => {
    expect(Object.is(round(-0.0001, 2), 0)).toBe(true);
    expect(round(1.23456, 3)).toBe(1.235);
  });
});

describe('BoundedQuantiles', () => {
  it('is exact below its limit', () => {
    const q = new BoundedQuantiles(100);
    for (let i = 1; i <= 10; i++) q.add(i);
    expect(q.isExact).toBe(true);
    expect(q.quantile(0.5)).toBe(5.5);
    expect(q.quantile(0.95)).toBeCloseTo(9.55, 10);
    expect(q.mean).toBe(5.5);
  });
  it('stays within 1% of exact percentiles after switching to the histogram', () => {
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const q = new BoundedQuantiles(256);
    const all: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      const v = Math.exp(rand() * 6) * 0.3; // 0.3 ms .. 120 ms, log-spread like RTTs
      q.add(v);
      all.push(v);
    }
    expect(q.isExact).toBe(false);
    for (const p of [0.5, 0.9, 0.95, 0.99]) {
      const exact = percentile(all, p) as number;
      expect(Math.abs((q.quantile(p) as number) - exact) / exact).toBeLessThan(0.011);
    }
  });
  it('holds a bounded number of values for a million samples', () => {
    const q = new BoundedQuantiles(256);
    for (let i = 0; i < 1_000_000; i++) q.add(1 + (i % 5000) / 10);
    expect(q.count).toBe(1_000_000);
    expect(q.storedValues).toBeLessThan(300); // log buckets spanning 1..500 ms at 2% steps
  });
  it('ignores non-finite and negative values and counts zeros', () => {
    const q = new BoundedQuantiles(2);
    q.add(NaN);
    q.add(-1);
    q.add(0);
    q.add(0);
    q.add(5);
    expect(q.count).toBe(3);
    expect(q.quantile(0.5)).toBe(0);
    expect(q.quantile(1)).toBeCloseTo(5, 1);
  });
});
