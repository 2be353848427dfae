/**
 * The risk instruments under the real Pit: `pit.pool` (and `pit.arbitration`) in a real kernel,
 * real onnxruntime sessions as the pooled instances.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '@symphony/kernel';
import { arbitrationPlugin } from '@symphony/pit-arbitration';
import { poolPlugin, type TransitionEvent } from '@symphony/pit-pool';
import { generateRiskDataset, inferWithPool, registerInstrument, riskInstrument, type OnnxModel } from '../src/index.js';

const MB = 1 << 20;
const files = generateRiskDataset(12, 4242).stats;
let kernel: Kernel | undefined;

async function start(poolOptions: Record<string, unknown> = {}) {
  kernel = createKernel({
    plugins: [arbitrationPlugin, poolPlugin],
    config: { pluginOptions: { 'pit.pool': { timers: false, ...poolOptions }, 'pit.arbitration': { sampleIntervalMs: 0 } } },
  });
  await kernel.start();
  const pool = kernel.service('pit.pool');
  const transitions: TransitionEvent[] = [];
  pool.onTransition((e) => transitions.push(e));
  return { pool, transitions, arbiter: kernel.service('pit.arbitration') };
}

afterEach(async () => {
  await kernel?.stop();
  kernel = undefined;
});

/** Waits (bounded) until the pool reports a transition matching `match`. */
async function until(transitions: TransitionEvent[], match: (e: TransitionEvent) => boolean) {
  for (let i = 0; i < 500 && !transitions.some(match); i++) await new Promise((r) => setTimeout(r, 10));
  expect(transitions.some(match)).toBe(true);
}

describe('risk instruments in pit.pool', () => {
  it('leases an instance per call, batches concurrent calls on one session, and returns every lease', async () => {
    const { pool, arbiter } = await start();
    const linear = riskInstrument('risk-linear');
    registerInstrument(pool, linear);
    const calls = await Promise.all(Array.from({ length: 8 }, (_, i) => inferWithPool(pool, linear, files.slice(i, i + 3), { holder: `call-${i}` })));
    expect(calls.flat()).toHaveLength(24);
    for (const r of calls.flat()) {
      expect(['low', 'medium', 'high']).toContain(r.band);
      expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    expect(pool.stats()).toMatchObject({ acquired: 8, loads: 1 });
    expect(pool.model('risk-linear').instances).toEqual([expect.objectContaining({ state: 'warm', active: 0 })]);
    // The pool declared the model as an arbitration resource: a workflow asks for a share of it.
    const grant = arbiter.tryRequest({ tenant: 'review', amounts: { 'model:risk-linear': 1 } });
    expect(grant).toBeDefined();
    expect(arbiter.release(grant!)).toBe(true);
  });

  it('pre-warms from an expect() hint, so the first call is a synchronous warm hit', async () => {
    const { pool, transitions } = await start();
    registerInstrument(pool, riskInstrument('risk-mlp'));
    pool.expect('risk-mlp', { inMs: 0 });
    pool.tick();
    await until(transitions, (e) => e.modelId === 'risk-mlp' && e.to === 'warm');
    expect(pool.stats().acquired).toBe(0);
    const lease = pool.tryAcquire('risk-mlp');
    expect(lease).toBeDefined();
    const out = await (lease!.instance as OnnxModel).infer([1, 5, 8, 0.7, 1]);
    expect(out).toHaveLength(3);
    pool.release(lease!);
    expect(pool.stats()).toMatchObject({ warmHits: 1, loads: 1 });
  });

  it('evicts the idle model least recently used when the memory budget cannot hold both', async () => {
    const { pool, transitions } = await start({ memoryBudgetBytes: 96 * MB });
    const linear = riskInstrument('risk-linear', { memoryBytes: 64 * MB });
    const mlp = riskInstrument('risk-mlp', { memoryBytes: 64 * MB });
    registerInstrument(pool, linear);
    registerInstrument(pool, mlp);
    await inferWithPool(pool, linear, files);
    expect(pool.stats().memoryUsedBytes).toBe(64 * MB);
    const viaMlp = await inferWithPool(pool, mlp, files);
    expect(viaMlp).toHaveLength(files.length);
    await until(transitions, (e) => e.modelId === 'risk-linear' && e.to === 'unloaded');
    expect(pool.stats().removed.evicted).toBe(1);
    expect(pool.stats().memoryUsedBytes).toBe(64 * MB);
    // Needed again: it loads again (evicting the other, now idle).
    await inferWithPool(pool, linear, files);
    expect(pool.stats()).toMatchObject({ loads: 3, removed: expect.objectContaining({ evicted: 2 }) });
  });

  it('a canary through the real inference path catches an instance whose session died, and replaces it', async () => {
    const { pool, transitions } = await start();
    const linear = riskInstrument('risk-linear');
    registerInstrument(pool, linear);
    const first = await pool.acquire('risk-linear');
    pool.release(first);
    const firstId = pool.model('risk-linear').instances[0]!.id;
    await (first.instance as OnnxModel).close(); // the session is gone behind the pool's back
    const health = await pool.checkHealth('risk-linear');
    expect(health.unhealthy).toEqual([expect.objectContaining({ modelId: 'risk-linear', error: expect.stringContaining('is closed') })]);
    await until(transitions, (e) => e.modelId === 'risk-linear' && e.to === 'warm' && e.instanceId !== firstId);
    expect(await inferWithPool(pool, linear, files.slice(0, 2))).toHaveLength(2);
    expect(pool.stats().removed.unhealthy).toBe(1);
  });

  it('a canary that never answers (a wedged inference) times out and the instance is drained', async () => {
    const { pool, transitions } = await start({ canaryTimeoutMs: 100 });
    const linear = riskInstrument('risk-linear');
    registerInstrument(pool, linear);
    const lease = await pool.acquire('risk-linear');
    pool.release(lease);
    const wedgedId = pool.model('risk-linear').instances[0]!.id;
    // Wedge this one session: its inferences never settle, as with a hung native run.
    Object.defineProperty(lease.instance as OnnxModel, 'infer', { value: () => new Promise(() => {}) });
    const health = await pool.checkHealth('risk-linear');
    expect(health.unhealthy).toEqual([expect.objectContaining({ error: expect.stringContaining('longer than 100 ms') })]);
    await until(transitions, (e) => e.modelId === 'risk-linear' && e.to === 'warm' && e.instanceId !== wedgedId);
    const [result] = await inferWithPool(pool, linear, files.slice(0, 1), { timeoutMs: 5_000 });
    expect(['low', 'medium', 'high']).toContain(result!.band);
  });
});
