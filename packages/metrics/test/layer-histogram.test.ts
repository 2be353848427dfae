import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LayerHistogram, createMetrics } from '../src/index.js';

describe('LayerHistogram', () => {
  it('exposes exactly what a prom-client Histogram exposes for the same observations', async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const ours = new LayerHistogram('lat_seconds', 'Latency', ['op'], buckets);
    const reference = new Histogram({ name: 'lat_seconds', help: 'Latency', labelNames: ['op'], buckets, registers: [] });
    const values = [0, 0.001, 0.0015, 0.01, 0.5, 1, 3, 1e-9];
    for (const [i, v] of values.entries()) {
      const op = i % 2 === 0 ? 'get' : 'put';
      ours.labels(op).observe(v);
      reference.observe({ op }, v);
    }
    const a = new Registry();
    const b = new Registry();
    a.registerMetric(ours as never);
    b.registerMetric(reference);
    const normalise = (text: string) => text.split('\n').map((line) => line.replace(/\{(.*)\}/, (_, inner: string) => `{${inner.split(',').sort().join(',')}}`)).sort();
    expect(normalise(await a.metrics())).toEqual(normalise(await b.metrics()));
  });

  it('takes labels by position or by name, and refuses bad labels, buckets and values with E_INPUT_INVALID', () => {
    const h = new LayerHistogram('x_seconds', 'x', ['a', 'b'], [1]);
    expect(h.labels('1', 2)).toBe(h.labels({ a: '1', b: 2 }));
    expect(() => h.labels('only one')).toThrowError(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => h.observe({ a: 1, c: 2 } as never, 1)).toThrowError(expect.objectContaining({ code: 'E_INPUT_INVALID', details: expect.objectContaining({ unknown: ['c'] }) }));
    expect(() => h.labels('1', '2').observe(Number.NaN)).toThrowError(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => new LayerHistogram('y', 'y', [], [1, 1])).toThrowError(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => createMetrics().histogram('z', 'z', { buckets: [] })).toThrowError(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });

  it('times with a held child, and reset keeps the series at zero', () => {
    const h = new LayerHistogram('t_seconds', 't', [], [1]);
    const seconds = h.startTimer()();
    expect(h.get().values.find((v) => v.metricName === 't_seconds_sum')?.value).toBe(seconds);
    h.reset();
    expect(h.get().values.map((v) => v.value)).toEqual([0, 0, 0, 0]);
  });
});
