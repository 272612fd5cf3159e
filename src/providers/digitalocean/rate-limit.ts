// DigitalOcean's API limits (250 requests per minute, 5000 per hour per token) kept on our side:
// a request waits for a free slot instead of being refused with 429. Sliding windows.
export interface RateWindow {
  limit: number;
  periodMs: number;
}

export const DIGITALOCEAN_LIMITS: RateWindow[] = [
  { limit: 250, periodMs: 60_000 },
  { limit: 5000, periodMs: 3_600_000 },
];

export class RateLimiter {
  private readonly sent: number[] = [];

  constructor(
    private readonly windows: RateWindow[] = DIGITALOCEAN_LIMITS,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** How long the next request must wait (0 = now). Pure given the history. */
  delayMs(at = this.now()): number {
    let wait = 0;
    for (const w of this.windows) {
      const inWindow = this.sent.filter((t) => t > at - w.periodMs);
      if (inWindow.length >= w.limit) {
        const oldestThatMustExpire = inWindow[inWindow.length - w.limit] as number;
        wait = Math.max(wait, oldestThatMustExpire + w.periodMs - at);
      }
    }
    return wait;
  }

  async take(): Promise<void> {
    for (let wait = this.delayMs(); wait > 0; wait = this.delayMs()) await this.sleep(wait);
    const at = this.now();
    this.sent.push(at);
    const longest = Math.max(...this.windows.map((w) => w.periodMs));
    while (this.sent.length > 0 && (this.sent[0] as number) <= at - longest) this.sent.shift();
  }
}
