// A bounded-memory quantile estimator for latencies. Exact while small (golden-testable values
// for typical runs), then a log-bucketed histogram with ~1% relative error, so memory stays bounded
// no matter how many samples arrive (a million-event run keeps at most `exactLimit` numbers or a
// few hundred buckets per estimator).
import { percentileSorted } from './stats.js';

/** Bucket growth factor: a value is reported within +-1% of its true value. */
const GAMMA = 1.02;
const LOG_GAMMA = Math.log(GAMMA);

export class BoundedQuantiles {
  private exact: Float64Array | null;
  private size = 0;
  private buckets: Map<number, number> | null = null;
  private zeros = 0;
  private minSeen = Infinity;
  private maxSeen = -Infinity;
  private total = 0;
  private sum = 0;

  constructor(private readonly exactLimit: number = 256) {
    this.exact = new Float64Array(Math.min(16, Math.max(1, exactLimit)));
  }

  get count(): number {
    return this.total;
  }

  get mean(): number | undefined {
    return this.total ? this.sum / this.total : undefined;
  }

  /** Numbers held: exact samples, or histogram buckets (what bounds the memory). */
  get storedValues(): number {
    return this.buckets ? this.buckets.size : this.size;
  }

  /** Whether quantiles are exact (false once the histogram took over). */
  get isExact(): boolean {
    return this.buckets === null;
  }

  add(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.total++;
    this.sum += value;
    if (value < this.minSeen) this.minSeen = value;
    if (value > this.maxSeen) this.maxSeen = value;
    if (this.exact) {
      if (this.size < this.exactLimit) {
        if (this.size === this.exact.length) {
          const grown = new Float64Array(Math.min(this.exactLimit, this.exact.length * 2));
          grown.set(this.exact);
          this.exact = grown;
        }
        this.exact[this.size++] = value;
        return;
      }
      this.switchToHistogram();
    }
    this.addToHistogram(value);
  }

  /** Quantile q in [0, 1]; undefined without samples. */
  quantile(q: number): number | undefined {
    if (this.total === 0) return undefined;
    if (this.exact) return percentileSorted(this.exact.slice(0, this.size).sort(), q);
    const target = Math.min(Math.max(q, 0), 1) * (this.total - 1);
    let seen = this.zeros;
    if (target < seen) return 0;
    const keys = [...(this.buckets as Map<number, number>).keys()].sort((a, b) => a - b);
    for (const key of keys) {
      seen += (this.buckets as Map<number, number>).get(key) as number;
      if (target < seen) return this.clamp((2 * GAMMA ** key) / (GAMMA + 1));
    }
    return this.maxSeen;
  }

  private clamp(v: number): number {
    return Math.min(Math.max(v, this.minSeen), this.maxSeen);
  }

  private switchToHistogram(): void {
    const values = (this.exact as Float64Array).subarray(0, this.size);
    this.buckets = new Map();
    this.exact = null;
    for (const v of values) this.addToHistogram(v);
    this.size = 0;
  }

  private addToHistogram(value: number): void {
    if (value === 0) {
      this.zeros++;
      return;
    }
    const key = Math.ceil(Math.log(value) / LOG_GAMMA);
    const buckets = this.buckets as Map<number, number>;
    buckets.set(key, (buckets.get(key) ?? 0) + 1);
  }
}
