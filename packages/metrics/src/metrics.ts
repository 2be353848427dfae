import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { SymphonyError, isSymphonyError } from '@symphony/types';
import { generateDashboard, type DashboardOptions, type GrafanaDashboard } from './dashboard.js';
import { LayerHistogram, type Labels } from './layer-histogram.js';
import { STANDARD_HISTOGRAMS, type StandardLabels } from './layers.js';

export interface MetricsOptions {
  /** Prepended to every metric name this package registers. Default `symphony_`. */
  prefix?: string;
  /** Labels added to every series, e.g. `{ instance: 'worker-1' }`. */
  defaultLabels?: Record<string, string>;
  /** Also collect Node's process metrics (CPU, heap, event loop lag), unprefixed. Default false. */
  collectDefault?: boolean;
}

export interface MetricOptions<L extends string> {
  labelNames?: readonly L[];
}

export interface Metrics {
  /** This instance's own registry (never prom-client's global one). */
  readonly registry: Registry;
  readonly prefix: string;
  readonly pitOp: LayerHistogram<StandardLabels['pitOp']>;
  readonly busCall: LayerHistogram<StandardLabels['busCall']>;
  readonly extensionCall: LayerHistogram<StandardLabels['extensionCall']>;
  readonly vdomUpdate: LayerHistogram<StandardLabels['vdomUpdate']>;
  readonly conductorDecision: LayerHistogram<StandardLabels['conductorDecision']>;
  /** Failures by layer and error code. */
  readonly errors: Counter<'layer' | 'code'>;
  /** Get-or-create; the prefix is added. A name reused with another type or labels is `E_METRIC_CONFLICT`. */
  counter<L extends string = never>(name: string, help: string, options?: MetricOptions<L>): Counter<L>;
  gauge<L extends string = never>(name: string, help: string, options?: MetricOptions<L>): Gauge<L>;
  /** A fast histogram (see `LayerHistogram`): hold `.labels(...)` children on hot paths. */
  histogram<L extends string = never>(name: string, help: string, options?: MetricOptions<L> & { buckets?: readonly number[] }): LayerHistogram<L>;
  /** Starts a timer; calling the result observes the elapsed seconds (and returns them). */
  time<L extends string>(histogram: LayerHistogram<L>, labels?: Partial<Labels<L>>): () => number;
  /** The Prometheus text exposition of every metric in the registry. */
  expose(): Promise<string>;
  /** The `Content-Type` header for `expose()`'s text. */
  readonly contentType: string;
  /** A Grafana dashboard with panels for every metric registered here (with this prefix). */
  dashboard(options?: DashboardOptions): GrafanaDashboard;
  /** Zeroes every metric (keeps registrations; histogram series stay, at zero, for held children). */
  reset(): void;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const prefix = options.prefix ?? 'symphony_';
  if (prefix !== '' && !METRIC_NAME.test(prefix)) {
    throw new SymphonyError('E_INPUT_INVALID', `metrics prefix "${prefix}" must match ${METRIC_NAME}`, { details: { prefix } });
  }
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  // Unprefixed on purpose: `process_*` / `nodejs_*` keep the names stock Node dashboards expect.
  if (options.collectDefault) collectDefaultMetrics({ register: registry });

  type Kind = 'counter' | 'gauge' | 'histogram';
  function register<M>(kind: Kind, name: string, help: string, labelNames: readonly string[], make: (fullName: string) => M): M {
    const fullName = prefix + name;
    const existing = registry.getSingleMetric(fullName) as (M & { labelNames?: string[] }) | undefined;
    if (existing) {
      const existingKind =
        existing instanceof Counter ? 'counter' : existing instanceof Gauge ? 'gauge' : existing instanceof LayerHistogram || existing instanceof Histogram ? 'histogram' : 'other';
      const sameLabels = JSON.stringify([...(existing.labelNames ?? [])].sort()) === JSON.stringify([...labelNames].sort());
      if (existingKind === kind && sameLabels) return existing;
      throw new SymphonyError('E_METRIC_CONFLICT', `metric "${fullName}" is already registered as a ${existingKind} with labels [${(existing.labelNames ?? []).join(', ')}]`, {
        details: { metric: fullName, kind, labelNames: [...labelNames] },
      });
    }
    try {
      return make(fullName);
    } catch (cause) {
      if (isSymphonyError(cause)) throw cause;
      throw new SymphonyError('E_INPUT_INVALID', `cannot register ${kind} "${fullName}": ${(cause as Error).message}`, {
        details: { metric: fullName, labelNames: [...labelNames] },
        cause,
      });
    }
  }

  const counter = <L extends string = never>(name: string, help: string, opts: MetricOptions<L> = {}): Counter<L> =>
    register('counter', name, help, opts.labelNames ?? [], (n) =>
      coded(new Counter<L>({ name: n, help, labelNames: opts.labelNames ?? [], registers: [registry] }), n),
    );
  const gauge = <L extends string = never>(name: string, help: string, opts: MetricOptions<L> = {}): Gauge<L> =>
    register('gauge', name, help, opts.labelNames ?? [], (n) =>
      coded(new Gauge<L>({ name: n, help, labelNames: opts.labelNames ?? [], registers: [registry] }), n),
    );
  const histogram = <L extends string = never>(name: string, help: string, opts: MetricOptions<L> & { buckets?: readonly number[] } = {}): LayerHistogram<L> =>
    register('histogram', name, help, opts.labelNames ?? [], (n) => {
      if (!METRIC_NAME.test(n)) throw new Error(`invalid metric name (must match ${METRIC_NAME})`);
      const h = new LayerHistogram<L>(n, help, opts.labelNames ?? [], opts.buckets);
      registry.registerMetric(h as unknown as Metric);
      return h;
    });

  const standard = <K extends keyof typeof STANDARD_HISTOGRAMS>(key: K) => {
    const spec = STANDARD_HISTOGRAMS[key];
    return histogram<StandardLabels[K]>(spec.name, spec.help, { labelNames: spec.labelNames as unknown as readonly StandardLabels[K][], buckets: spec.buckets });
  };

  return {
    registry,
    prefix,
    pitOp: standard('pitOp'),
    busCall: standard('busCall'),
    extensionCall: standard('extensionCall'),
    vdomUpdate: standard('vdomUpdate'),
    conductorDecision: standard('conductorDecision'),
    errors: counter('errors_total', 'Failures by layer and error code', { labelNames: ['layer', 'code'] }),
    counter,
    gauge,
    histogram,
    time: (h, labels) => h.startTimer(labels),
    expose: () => registry.metrics(),
    contentType: registry.contentType,
    dashboard: (dashboardOptions) => generateDashboard(registry.getMetricsAsArray(), { prefix, ...dashboardOptions }),
    reset: () => registry.resetMetrics(),
  };
}

const METHODS = ['inc', 'dec', 'set', 'setToCurrentTime', 'startTimer', 'labels', 'remove', 'zero'] as const;

/**
 * prom-client throws plain Errors for a wrong label or a negative counter increment; rethrow
 * them as `E_INPUT_INVALID` naming the metric, on the metric and on the children `labels()` returns.
 */
function coded<M extends object>(metric: M, name: string): M {
  const target = metric as Record<string, unknown>;
  for (const method of METHODS) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = function (this: unknown, ...args: unknown[]) {
      try {
        const result = (original as (...a: unknown[]) => unknown).apply(this, args);
        return method === 'labels' && result && typeof result === 'object' ? coded(result, name) : result;
      } catch (cause) {
        throw new SymphonyError('E_INPUT_INVALID', `metric "${name}": ${(cause as Error).message}`, { details: { metric: name, method }, cause });
      }
    };
  }
  return metric;
}
