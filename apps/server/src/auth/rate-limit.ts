/** A token bucket per key (an API token id, or a client address). */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True if the request may go ahead; otherwise the milliseconds until it may. */
  take(key: string): true | number {
    const b = this.bucket(key);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    return this.wait(b);
  }

  /** Like `take` without spending: true while the key has budget left. */
  peek(key: string): true | number {
    const b = this.buckets.get(key);
    if (!b) return true;
    this.refill(b);
    return b.tokens >= 1 ? true : this.wait(b);
  }

  private bucket(key: string): { tokens: number; at: number } {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 50_000) this.buckets.clear();
      b = { tokens: this.burst, at: this.now() };
      this.buckets.set(key, b);
    }
    this.refill(b);
    return b;
  }

  private refill(b: { tokens: number; at: number }): void {
    const t = this.now();
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
  }

  private wait(b: { tokens: number }): number {
    return Math.ceil(((1 - b.tokens) / this.perSecond) * 1000);
  }
}
