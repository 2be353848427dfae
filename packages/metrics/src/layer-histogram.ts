import { SymphonyError } from '@symphony/types';

type LabelValue = string | number;
export type Labels<L extends string> = Record<L, LabelValue>;

/** One label combination of a histogram: hold it on hot paths, observing costs a few ns. */
export interface HistogramChild {
  /** Records one value (seconds). A non-finite value is `E_INPUT_INVALID`. */
  observe(value: number): void;
  /** Starts a timer; calling the result observes and returns the elapsed seconds. */
  startTimer(): () => number;
}

interface Series {
  labels: Record<string, LabelValue>;
  /** Per-bucket counts (not cumulative); the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface SampleValue {
  value: number;
  labels: Record<string, LabelValue>;
  metricName: string;
}

/**
 * A histogram in the Prometheus model, built for per-operation use on hot paths: prom-client's
 * `observe` validates and hashes the labels on every call (~300+ ns), far over a 100 ns Pit op.
 * Here a labelled child is resolved once and `observe` is a bucket search and three adds. It
 * registers in a prom-client `Registry` like any metric (prom-client calls `get()` on scrape).
 */
export class LayerHistogram<L extends string = string> {
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly L[];
  readonly buckets: readonly number[];
  private readonly bounds: Float64Array;
  private readonly series = new Map<string, Series & HistogramChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    labelNames: readonly L[] = [],
    buckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ) {
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !Number.isFinite(b) || (i > 0 && b === sorted[i - 1]))) {
      throw new SymphonyError('E_INPUT_INVALID', `histogram "${name}" needs distinct finite buckets, got [${buckets.join(', ')}]`, {
        details: { metric: name, buckets: [...buckets] },
      });
    }
    this.labelNames = [...labelNames];
    this.buckets = sorted;
    this.bounds = Float64Array.from(sorted);
  }

  /** The child for one label combination, by values in `labelNames` order or by object. */
  labels(...values: LabelValue[]): HistogramChild;
  labels(labels: Partial<Labels<L>>): HistogramChild;
  labels(...args: unknown[]): HistogramChild {
    const values =
      args.length === 1 && typeof args[0] === 'object' && args[0] !== null ? this.valuesOf(args[0] as Record<string, unknown>) : (args as LabelValue[]);
    if (values.length !== this.labelNames.length || values.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
      throw new SymphonyError('E_INPUT_INVALID', `histogram "${this.name}" takes labels [${this.labelNames.join(', ')}], got ${JSON.stringify(args)}`, {
        details: { metric: this.name, labelNames: [...this.labelNames] },
      });
    }
    const key = values.join('\u0000');
    let series = this.series.get(key);
    if (series === undefined) {
      series = this.createSeries(Object.fromEntries(this.labelNames.map((n, i) => [n, values[i] as LabelValue])));
      this.series.set(key, series);
    }
    return series;
  }

  /** Records one value: `observe(v)` without labels, `observe(labels, v)` with them. */
  observe(labelsOrValue: Partial<Labels<L>> | number, value?: number): void {
    if (typeof labelsOrValue === 'number') this.labels().observe(labelsOrValue);
    else this.labels(labelsOrValue).observe(value as number);
  }

  startTimer(labels?: Partial<Labels<L>>): () => number {
    return (labels === undefined ? this.labels() : this.labels(labels)).startTimer();
  }

  reset(): void {
    for (const series of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }

  /** prom-client's metric protocol: what the registry formats on scrape. */
  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: SampleValue[] } {
    const values: SampleValue[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({ value: cumulative, labels: { ...series.labels, le: bound }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: series.count, labels: { ...series.labels, le: '+Inf' }, metricName: `${this.name}_bucket` });
      values.push({ value: series.sum, labels: series.labels, metricName: `${this.name}_sum` });
      values.push({ value: series.count, labels: series.labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }

  private valuesOf(labels: Record<string, unknown>): LabelValue[] {
    const extra = Object.keys(labels).filter((k) => !(this.labelNames as readonly string[]).includes(k));
    if (extra.length > 0) {
      throw new SymphonyError('E_INPUT_INVALID', `histogram "${this.name}" has no label ${extra.map((k) => `"${k}"`).join(', ')} (labels: ${this.labelNames.join(', ') || 'none'})`, {
        details: { metric: this.name, labelNames: [...this.labelNames], unknown: extra },
      });
    }
    return this.labelNames.map((n) => labels[n] as LabelValue);
  }

  private createSeries(labels: Record<string, LabelValue>): Series & HistogramChild {
    const bounds = this.bounds;
    const n = bounds.length;
    const name = this.name;
    const series: Series & HistogramChild = {
      labels,
      counts: new Float64Array(n + 1),
      sum: 0,
      count: 0,
      observe(value: number) {
        if (!Number.isFinite(value)) {
          throw new SymphonyError('E_INPUT_INVALID', `histogram "${name}" observed ${value}: values must be finite numbers`, {
            details: { metric: name, labels },
          });
        }
        let i = 0;
        while (i < n && value > (bounds[i] as number)) i++;
        series.counts[i] = (series.counts[i] as number) + 1;
        series.sum += value;
        series.count++;
      },
      startTimer() {
        const start = process.hrtime.bigint();
        return () => {
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          series.observe(seconds);
          return seconds;
        };
      },
    };
    return series;
  }
}
