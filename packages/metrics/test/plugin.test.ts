import { describe, expect, it } from 'vitest';
import { createKernel } from '@symphony/kernel';
import { metricsPlugin } from '../src/index.js';

describe('metricsPlugin', () => {
  it('offers the typed `metrics` service and records step and boot events', async () => {
    const kernel = createKernel({ plugins: [metricsPlugin], config: { pluginOptions: { metrics: { defaultLabels: { node: 'n1' } } } } });
    await kernel.start();
    const metrics = kernel.service('metrics');
    metrics.pitOp.labels('pit.dag', 'ready').observe(1e-7);
    kernel.events.emit('step:end', { runId: 'r', stepId: 'a', attempt: 1, durationMs: 250, at: 0 });
    kernel.events.emit('step:fail', { runId: 'r', stepId: 'b', attempt: 1, durationMs: 5, at: 0, error: { name: 'SymphonyError', code: 'E_TIMEOUT', message: 't' } });
    const text = await metrics.expose();
    expect(text).toContain('symphony_step_duration_seconds_count{outcome="ok",node="n1"} 1');
    expect(text).toContain('symphony_step_duration_seconds_count{outcome="failed",node="n1"} 1');
    expect(text).toContain('symphony_errors_total{layer="step",code="E_TIMEOUT",node="n1"} 1');
    expect(text).toMatch(/symphony_plugin_boot_seconds\{plugin="metrics",phase="start",node="n1"\} [0-9.e-]+/);
    expect(metrics.dashboard().panels.some((p) => p.title.startsWith('step duration seconds'))).toBe(true);
    await kernel.stop();
    kernel.events.emit('step:end', { runId: 'r', stepId: 'c', attempt: 1, durationMs: 1, at: 0 });
    expect(await metrics.expose()).toContain('symphony_step_duration_seconds_count{outcome="ok",node="n1"} 1');
  });

  it('fails the kernel start, naming the plugin and the field, on bad options', async () => {
    const kernel = createKernel({ plugins: [metricsPlugin], config: { pluginOptions: { metrics: { prefix: 42 } } } });
    await expect(kernel.start()).rejects.toMatchObject({ code: 'E_PLUGIN_SETUP', details: { plugin: 'metrics' } });
    const cause = await kernel.start().catch((err: Error) => err.cause);
    expect(cause).toMatchObject({ code: 'E_CONFIG_INVALID', details: { field: 'prefix' } });
  });

  it('loads by package name from config (the `plugin` export)', async () => {
    const kernel = createKernel({ config: { plugins: ['@symphony/metrics'] }, importer: () => import('../src/index.js') });
    await kernel.start();
    expect(kernel.plugins).toEqual(['metrics']);
    await kernel.stop();
  });
});
