import { describe, expect, it } from 'vitest';
import { isSymphonyError, type SymphonyError } from '@symphony/types';
import { STANDARD_HISTOGRAMS, createMetrics } from '../src/index.js';

function failure(fn: () => unknown): SymphonyError {
  try {
    fn();
  } catch (err) {
    expect(isSymphonyError(err)).toBe(true);
    return err as SymphonyError;
  }
  throw new Error('expected a throw');
}

// Every line of the text format: a comment (# HELP / # TYPE) or `name{labels} value`.
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/;

describe('createMetrics', () => {
  it('registers the standard per-layer histograms and exposes them as Prometheus text', async () => {
    const metrics = createMetrics();
    metrics.pitOp.labels('pit.pool', 'acquire').observe(80e-9);
    metrics.busCall.observe({ transport: 'worker', method: 'echo' }, 20e-6);
    metrics.extensionCall.observe({ extension: 'acme.csv', method: 'parse', outcome: 'ok' }, 300e-6);
    metrics.vdomUpdate.observe({ view: 'main' }, 40e-6);
    metrics.conductorDecision.observe({ policy: 'onnx' }, 20e-6);
    const text = await metrics.expose();
    for (const spec of Object.values(STANDARD_HISTOGRAMS)) {
      expect(text).toContain(`# TYPE symphony_${spec.name} histogram`);
      expect(text).toMatch(new RegExp(`^symphony_${spec.name}_count\\{[^}]*\\} 1$`, 'm'));
    }
    expect(text).toContain('symphony_pit_op_duration_seconds_bucket{service="pit.pool",op="acquire",le="1e-7"} 1');
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) expect(line).toMatch(SAMPLE);
    expect(metrics.contentType).toContain('text/plain');
  });

  it('get-or-creates custom metrics with the prefix, and refuses a conflicting or invalid one', async () => {
    const metrics = createMetrics({ prefix: 'app_', defaultLabels: { instance: 'a' } });
    const runs = metrics.counter('runs_total', 'Runs', { labelNames: ['status'] });
    expect(metrics.counter('runs_total', 'Runs', { labelNames: ['status'] })).toBe(runs);
    runs.inc({ status: 'ok' }, 2);
    metrics.gauge('queue_depth', 'Queued steps').set(3);
    const text = await metrics.expose();
    expect(text).toContain('app_runs_total{status="ok",instance="a"} 2');
    expect(text).toContain('app_queue_depth{instance="a"} 3');

    const conflict = failure(() => metrics.gauge('runs_total', 'Runs'));
    expect(conflict.code).toBe('E_METRIC_CONFLICT');
    expect(conflict.details.metric).toBe('app_runs_total');
    expect(failure(() => metrics.counter('runs_total', 'Runs', { labelNames: ['other'] })).code).toBe('E_METRIC_CONFLICT');
    expect(failure(() => metrics.counter('bad-name', 'x')).code).toBe('E_INPUT_INVALID');
    expect(failure(() => runs.inc({ nope: 'x' } as never)).details).toEqual({ metric: 'app_runs_total', method: 'inc' });
    expect(failure(() => runs.labels('ok').inc(-1)).code).toBe('E_INPUT_INVALID');
    expect(failure(() => createMetrics({ prefix: 'no spaces ' })).code).toBe('E_INPUT_INVALID');
  });

  it('times a block into a histogram, and reset zeroes it', async () => {
    const metrics = createMetrics();
    const end = metrics.time(metrics.conductorDecision, { policy: 'heuristic' });
    const seconds = end();
    expect(seconds).toBeGreaterThan(0);
    const value = await metrics.conductorDecision.get();
    const sum = value.values.find((v) => v.metricName === 'symphony_conductor_decision_duration_seconds_sum');
    expect(sum?.value).toBe(seconds);
    metrics.reset();
    // Zeroed, not dropped: children held on hot paths keep reporting after a reset.
    expect(await metrics.expose()).toContain('symphony_conductor_decision_duration_seconds_count{policy="heuristic"} 0');
  });

  it('two instances do not share a registry', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.errors.inc({ layer: 'bus', code: 'E_TIMEOUT' });
    expect(await b.expose()).not.toContain('E_TIMEOUT');
  });
});

describe('dashboard', () => {
  it('has latency and rate panels for every registered histogram, and panels for custom metrics', () => {
    const metrics = createMetrics();
    metrics.counter('artifacts_written_total', 'Artifacts written', { labelNames: ['store'] });
    metrics.gauge('pool_instances', 'Live instances', { labelNames: ['model'] });
    const dashboard = metrics.dashboard({ title: 'Symphony test', rateWindow: '1m' });
    expect(JSON.parse(JSON.stringify(dashboard))).toEqual(dashboard);
    expect(dashboard.title).toBe('Symphony test');
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    for (const spec of Object.values(STANDARD_HISTOGRAMS)) {
      const name = `symphony_${spec.name}`;
      expect(exprs).toContain(`histogram_quantile(0.99, sum by (le, ${spec.labelNames[0]}) (rate(${name}_bucket[1m])))`);
      expect(exprs).toContain(`sum by (${spec.labelNames[0]}) (rate(${name}_count[1m]))`);
    }
    expect(exprs).toContain('sum by (store) (rate(symphony_artifacts_written_total[1m]))');
    expect(exprs).toContain('sum by (model) (symphony_pool_instances)');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const latency = dashboard.panels.find((p) => p.title === 'pit op duration seconds: latency');
    expect(latency?.fieldConfig.defaults.unit).toBe('s');
    expect(latency?.targets.map((t) => t.legendFormat)).toEqual(['{{service}} p50', '{{service}} p90', '{{service}} p99']);
  });

  it('leaves out Node process metrics that lack the prefix', () => {
    const metrics = createMetrics({ collectDefault: true, prefix: 'x_' });
    const titles = metrics.dashboard().panels.map((p) => p.title);
    expect(titles).toHaveLength(Object.keys(STANDARD_HISTOGRAMS).length * 2 + 1);
    expect(titles.filter((t) => /process|nodejs|heap/.test(t))).toEqual([]);
  });
});
