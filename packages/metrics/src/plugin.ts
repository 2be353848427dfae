// Types only: this package sits below the kernel (DESIGN.md layers), so the plugin is a plain
// object rather than a `definePlugin(...)` call, which would import the kernel at run time.
import type { Plugin } from '@symphony/kernel';
import { SymphonyError } from '@symphony/types';
import { createMetrics, type Metrics, type MetricsOptions } from './metrics.js';

export type MetricsService = Metrics;

declare module '@symphony/kernel' {
  interface Services {
    metrics: MetricsService;
  }
}

const unsubscribers = new WeakMap<Metrics, Array<() => void>>();

/**
 * Offers the `metrics` service (options: `pluginOptions.metrics`, see `MetricsOptions`). It also
 * records what the kernel's event bus reports: step durations by outcome, step failures by code
 * and each plugin's setup/start time.
 */
export const metricsPlugin: Plugin<MetricsService> = {
  name: 'metrics',
  version: '0.1.0',
  setup(ctx) {
    const metrics = createMetrics(readOptions(ctx.options));
    const steps = metrics.histogram('step_duration_seconds', 'Duration of one workflow step attempt', {
      labelNames: ['outcome'],
      buckets: [1e-4, 1e-3, 1e-2, 0.1, 0.5, 1, 5, 30, 120, 600],
    });
    const boot = metrics.gauge('plugin_boot_seconds', 'Time each kernel plugin took in setup and start', { labelNames: ['plugin', 'phase'] });
    // A step a re-run carried over did not run: no attempt to observe.
    const onEnd = (e: { durationMs: number; skipped?: boolean; reusedFrom?: string }) => {
      if (!e.reusedFrom) steps.observe({ outcome: e.skipped ? 'skipped' : 'ok' }, e.durationMs / 1000);
    };
    const onFail = (e: { durationMs: number; error: { code: string } }) => {
      steps.observe({ outcome: 'failed' }, e.durationMs / 1000);
      metrics.errors.inc({ layer: 'step', code: e.error.code });
    };
    const onSetup = (e: { name: string; durationMs: number }) => boot.set({ plugin: e.name, phase: 'setup' }, e.durationMs / 1000);
    const onStart = (e: { name: string; durationMs: number }) => boot.set({ plugin: e.name, phase: 'start' }, e.durationMs / 1000);
    ctx.events.on('step:end', onEnd);
    ctx.events.on('step:fail', onFail);
    ctx.events.on('plugin:setup', onSetup);
    ctx.events.on('plugin:start', onStart);
    unsubscribers.set(metrics, [
      () => ctx.events.off('step:end', onEnd),
      () => ctx.events.off('step:fail', onFail),
      () => ctx.events.off('plugin:setup', onSetup),
      () => ctx.events.off('plugin:start', onStart),
    ]);
    return metrics;
  },
  stop(metrics) {
    for (const off of unsubscribers.get(metrics) ?? []) off();
    unsubscribers.delete(metrics);
  },
};

function readOptions(options: Record<string, unknown>): MetricsOptions {
  const { prefix, defaultLabels, collectDefault } = options;
  const bad = (field: string, expected: string) =>
    new SymphonyError('E_CONFIG_INVALID', `pluginOptions.metrics.${field} must be ${expected}`, { details: { plugin: 'metrics', field } });
  if (prefix !== undefined && typeof prefix !== 'string') throw bad('prefix', 'a string');
  if (collectDefault !== undefined && typeof collectDefault !== 'boolean') throw bad('collectDefault', 'true or false');
  if (defaultLabels !== undefined && (typeof defaultLabels !== 'object' || defaultLabels === null || Object.values(defaultLabels).some((v) => typeof v !== 'string'))) {
    throw bad('defaultLabels', 'an object of strings');
  }
  return { prefix, collectDefault, defaultLabels } as MetricsOptions;
}
