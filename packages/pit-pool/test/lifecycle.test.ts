import { describe, expect, it } from 'vitest';
import { createPool, type TransitionEvent } from '../src/index.js';
import { counted, expectCode, flush } from './helpers.js';

/** Tracks memory in use from transitions alone, to check the budget from the outside. */
function memoryWatch(pool: ReturnType<typeof createPool>, sizes: Record<string, number>) {
  const live = new Set<string>();
  let used = 0;
  let max = 0;
  pool.onTransition((e: TransitionEvent) => {
    const key = `${e.modelId}/${e.instanceId}`;
    if (e.to === 'loading' && !live.has(key)) {
      live.add(key);
      used += sizes[e.modelId] ?? 0;
    }
    if ((e.to === 'draining' || e.to === 'failed') && live.delete(key)) used -= sizes[e.modelId] ?? 0;
    max = Math.max(max, used);
  });
  return { get max() { return max; } };
}

describe('memory budget and eviction', () => {
  it('evicts idle instances least recently used first, never pinned ones, never over budget', async () => {
    const pool = createPool({ timers: false, memoryBudgetBytes: 2 });
    const watch = memoryWatch(pool, { pinned: 1, a: 1, b: 1 });
    pool.register({ ...counted('pinned').spec, memoryBytes: 1, pinned: true });
    pool.register({ ...counted('a').spec, memoryBytes: 1 });
    pool.register({ ...counted('b').spec, memoryBytes: 1 });
    pool.release(await pool.acquire('pinned'));
    pool.release(await pool.acquire('a'));
    pool.release(await pool.acquire('b')); // evicts a (b cannot evict the pinned model)
    expect(pool.model('a').instances).toHaveLength(0);
    expect(pool.model('pinned').instances).toHaveLength(1);
    const busyB = pool.tryAcquire('b')!;
    // a cannot load now: b is busy, the pinned one stays. It waits, and loads once b is free.
    const waitingA = pool.acquire('a');
    await flush();
    expect(pool.model('a').waiting).toBe(1);
    pool.release(busyB);
    await flush();
    pool.release(await waitingA);
    expect(pool.stats().removed.evicted).toBe(2);
    expect(watch.max).toBeLessThanOrEqual(2);
    expect(pool.stats().memoryUsedBytes).toBeLessThanOrEqual(2);
    await pool.close();
  });

  it('fails fast when a model can never fit', async () => {
    const pool = createPool({ timers: false, memoryBudgetBytes: 4 });
    const details = await expectCode(() => pool.register({ ...counted('huge').spec, memoryBytes: 5 }), 'E_POOL_OVER_BUDGET');
    expect(details).toMatchObject({ modelId: 'huge', memoryBytes: 5, budget: 4 });
    pool.register({ ...counted('pinned').spec, memoryBytes: 3, pinned: true });
    pool.register({ ...counted('big').spec, memoryBytes: 2 });
    pool.release(await pool.acquire('pinned'));
    await expectCode(pool.acquire('big'), 'E_POOL_OVER_BUDGET');
    expect(pool.stats().loads).toBe(1); // no evict/reload loop
    await pool.close();
  });
});

describe('failing loads', () => {
  it('rejects waiters, backs off exponentially and marks the model failed', async () => {
    let now = 0;
    let attempts = 0;
    const pool = createPool({ timers: false, now: () => now, backoffBaseMs: 100, maxLoadFailures: 3 });
    pool.register({ id: 'flaky', load: async () => { attempts++; throw new Error('weights missing'); } });
    await expectCode(pool.acquire('flaky'), 'E_POOL_LOAD_FAILED');
    expect(pool.model('flaky')).toMatchObject({ status: 'backoff', failures: 1, retryAt: 100 });
    const details = await expectCode(pool.acquire('flaky'), 'E_POOL_MODEL_FAILED');
    expect(details.retryAt).toBe(100);
    expect(attempts).toBe(1); // no load during backoff
    now = 100;
    await expectCode(pool.acquire('flaky'), 'E_POOL_LOAD_FAILED');
    expect(pool.model('flaky').retryAt).toBe(300); // 100 * 2
    now = 300;
    await expectCode(pool.acquire('flaky'), 'E_POOL_LOAD_FAILED');
    expect(pool.model('flaky')).toMatchObject({ status: 'failed', failures: 3, retryAt: 700 });
    expect(attempts).toBe(3);
    await pool.close();
  });

  it('times out a hung load', async () => {
    const pool = createPool({ timers: false, loadTimeoutMs: 10 });
    let aborted = false;
    pool.register({ id: 'hung', load: ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => { aborted = true; reject(signal.reason); })) });
    await expectCode(pool.acquire('hung'), 'E_POOL_LOAD_FAILED');
    expect(aborted).toBe(true);
    await pool.close();
  });
});

describe('health canaries', () => {
  it('drains and replaces an instance whose inference is wedged or wrong', async () => {
    const pool = createPool({ timers: false, canaryTimeoutMs: 20 });
    const healthy = new Set<number>();
    const wedged = new Set<number>();
    pool.register({
      id: 'm',
      maxInstances: 2,
      load: async ({ instanceId }) => ({ instanceId }),
      canary: (inst: { instanceId: number }) => (wedged.has(inst.instanceId) ? new Promise(() => {}) : healthy.has(inst.instanceId)),
    });
    const a = await pool.acquire<{ instanceId: number }>('m');
    const bPromise = pool.acquire<{ instanceId: number }>('m');
    const b = await bPromise;
    healthy.add(a.instance.instanceId);
    wedged.add(b.instance.instanceId);
    pool.release(a);
    pool.release(b);
    const result = await pool.checkHealth();
    expect(result.checked).toBe(2);
    expect(result.unhealthy).toEqual([{ modelId: 'm', instanceId: b.instance.instanceId, error: expect.stringContaining('took longer') }]);
    await flush();
    const ids = pool.model('m').instances.map((i) => i.id);
    expect(ids).toContain(a.instance.instanceId);
    expect(ids).not.toContain(b.instance.instanceId);
    expect(ids).toHaveLength(2); // replaced
    expect(pool.stats().removed.unhealthy).toBe(1);
    await pool.close();
  });
});

describe('health canaries while the model goes away', () => {
  it('unloads an instance that was drained during its canary', async () => {
    const pool = createPool({ timers: false });
    let finish: (ok: boolean) => void = () => {};
    const { spec, log } = counted('m');
    pool.register({ ...spec, canary: () => new Promise<boolean>((resolve) => (finish = resolve)) });
    pool.release(await pool.acquire('m'));
    const check = pool.checkHealth();
    const gone = pool.unregister('m');
    finish(true);
    await check;
    await gone;
    await flush();
    expect(log.unloads).toBe(1);
    await pool.close();
  });
});

describe('keep-alive and pre-warming', () => {
  it('unloads instances idle past keep-alive, except pinned and minInstances', async () => {
    let now = 0;
    const pool = createPool({ timers: false, now: () => now, prewarm: false });
    pool.register({ ...counted('short').spec, keepAliveMs: 1_000 });
    pool.register({ ...counted('pinned').spec, keepAliveMs: 1_000, pinned: true });
    pool.register({ ...counted('floor').spec, keepAliveMs: 1_000, minInstances: 1 });
    await flush();
    for (const id of ['short', 'pinned']) pool.release(await pool.acquire(id));
    pool.tick(); // first sweep sees the use: idle starts now
    now = 999;
    pool.tick();
    expect(pool.model('short').instances).toHaveLength(1);
    now = 1_000;
    pool.tick();
    await flush();
    expect(pool.model('short').instances).toHaveLength(0);
    expect(pool.model('pinned').instances).toHaveLength(1);
    expect(pool.model('floor').instances).toHaveLength(1);
    expect(pool.stats().removed.idle).toBe(1);
    await pool.close();
  });

  it('loads what the critical path will need before it is asked for', async () => {
    const pool = createPool({ timers: false });
    pool.register(counted('next-step').spec);
    pool.expect('next-step', { inMs: 500 });
    await flush();
    expect(pool.model('next-step').instances[0]?.state).toBe('warm');
    expect(pool.tryAcquire('next-step')).toBeDefined();
    await pool.close();
  });

  it('forecasts rising demand and keeps instances warm for it', async () => {
    let now = 0;
    const pool = createPool({ timers: false, now: () => now });
    pool.register({ ...counted('m').spec, maxInstances: 3, maxConcurrency: 1, keepAliveMs: 0 });
    for (let interval = 0; interval < 4; interval++) {
      const leases = [];
      for (let i = 0; i < 2; i++) leases.push(await pool.acquire('m'));
      leases.forEach((l) => pool.release(l));
      now += 1_000;
      pool.tick();
      await flush();
    }
    expect(pool.model('m').desired).toBe(2);
    expect(pool.model('m').instances.filter((i) => i.state === 'warm')).toHaveLength(2);
    await pool.close();
  });
});
