/**
 * Holt's linear trend (double exponential smoothing): level + trend, so a rising burst is
 * forecast to keep rising for a step instead of lagging like a plain EWMA.
 */
export class Holt {
  level = 0;
  trend = 0;
  samples = 0;
  constructor(
    readonly alpha = 0.5,
    readonly beta = 0.3,
  ) {}

  update(x: number): void {
    if (this.samples === 0) {
      this.level = x;
    } else {
      const previous = this.level;
      this.level = this.alpha * x + (1 - this.alpha) * (this.level + this.trend);
      this.trend = this.beta * (this.level - previous) + (1 - this.beta) * this.trend;
    }
    this.samples++;
  }

  /** Forecast `h` steps ahead, never negative. */
  forecast(h = 1): number {
    return Math.max(0, this.level + h * this.trend);
  }
}
