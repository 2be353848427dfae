import { describe, expect, it } from 'vitest';
import { createKernel } from '@symphony/kernel';
import { arbitrationPlugin } from '@symphony/pit-arbitration';
import { createPool, poolPlugin, type Lease, type TransitionEvent } from '../src/index.js';
import { counted, expectCode, flush } from './helpers.js';

describe('leases', () => {
  it('loads on first demand, then hands out the warm instance synchronously', async () => {
    const pool = createPool({ timers: false });
    const { spec, log } = counted('m');
    pool.register(spec);
    const seen: string[] = [];
    pool.onTransition((e: TransitionEvent) => seen.push(`${e.from}->${e.to}`));
    expect(pool.tryAcquire('m')).toBeUndefined();
    const first = await pool.acquire<{ id: string }>('m');
    expect(first.instance.id).toBe('m');
    expect(pool.release(first)).toBe(true);
    expect(pool.release(first)).toBe(false);
    const second = pool.tryAcquire('m');
    expect(second?.instance).toBe(first.instance);
    pool.release(second!);
    expect(log.loads).toBe(1);
    expect(seen).toEqual(['cold->cold', 'cold->loading', 'loading->warm', 'warm->busy', 'busy->warm', 'warm->busy', 'busy->warm']);
    expect(pool.stats()).toMatchObject({ acquired: 2, warmHits: 1, waits: 1 });
    await pool.close();
    expect(log.unloads).toBe(1);
  });

  it('serves waiters by priority, FIFO within a priority', async () => {
    const pool = createPool({ timers: false });
    pool.register(counted('m').spec);
    const held = await pool.acquire('m');
    const order: string[] = [];
    const leases = new Map<string, Lease>();
    for (const [name, priority] of [['a', 0], ['b', 0], ['urgent', 5], ['c', 0]] as const) {
      void pool.acquire('m', { priority }).then((l) => {
        order.push(name);
        leases.set(name, l);
      });
    }
    await flush();
    expect(pool.tryAcquire('m')).toBeUndefined(); // no barging past the queue
    let lease = held;
    for (let i = 0; i < 4; i++) {
      pool.release(lease);
      await flush();
      expect(order).toHaveLength(i + 1);
      lease = leases.get(order[i]!)!;
    }
    expect(order).toEqual(['urgent', 'a', 'b', 'c']);
    await pool.close();
  });

  it('honours timeouts and aborts, and a cancelled waiter leaves the queue', async () => {
    const pool = createPool({ timers: false });
    pool.register(counted('m').spec);
    const held = await pool.acquire('m');
    const details = await expectCode(pool.acquire('m', { timeoutMs: 5 }), 'E_TIMEOUT');
    expect(details.modelId).toBe('m');
    const controller = new AbortController();
    const aborted = pool.acquire('m', { signal: controller.signal });
    const next = pool.acquire('m');
    controller.abort();
    await expectCode(aborted, 'E_ABORTED');
    await expectCode(pool.acquire('m', { signal: AbortSignal.abort() }), 'E_ABORTED');
    pool.release(held);
    const lease = await next;
    expect(lease.modelId).toBe('m');
    expect(pool.stats()).toMatchObject({ timeouts: 1, aborts: 1 });
    await pool.close();
  });

  it('reclaims the leases of a holder whose call ended, and withLease never leaks', async () => {
    const pool = createPool({ timers: false });
    pool.register({ ...counted('m').spec, maxConcurrency: 3 });
    await pool.acquire('m', { holder: 'ext-1' });
    await pool.acquire('m', { holder: 'ext-1' });
    expect(pool.model('m').instances[0]?.active).toBe(2);
    expect(pool.reclaim('ext-1')).toBe(2);
    expect(pool.model('m').instances[0]).toMatchObject({ active: 0, state: 'warm' });
    await expect(
      pool.withLease('m', async (_instance, lease) => {
        await pool.acquire('m', { holder: lease.holder! }); // forgotten by a crashing callee
        throw new Error('extension crashed');
      }),
    ).rejects.toThrow('extension crashed');
    expect(pool.model('m').instances[0]?.active).toBe(0);
    expect(pool.stats().reclaimed).toBe(3);
    await pool.close();
  });

  it('fails with coded errors for unknown models, closed pools and invalid specs', async () => {
    const pool = createPool({ timers: false });
    await expectCode(() => pool.tryAcquire('nope'), 'E_NOT_FOUND');
    await expectCode(() => pool.register({ id: 'bad', load: async () => 1, maxInstances: 0 }), 'E_INPUT_INVALID');
    pool.register(counted('m').spec);
    await expectCode(() => pool.register(counted('m').spec), 'E_CONFLICT');
    const held = await pool.acquire('m');
    const waiting = pool.acquire('m');
    await pool.close();
    await expectCode(waiting, 'E_POOL_CLOSED');
    expect(pool.release(held)).toBe(true);
  });
});

describe('as a kernel plugin', () => {
  it('offers pit.pool and re-emits transitions on the kernel bus', async () => {
    const kernel = createKernel({ plugins: [poolPlugin], config: { pluginOptions: { 'pit.pool': { timers: false } } } });
    await kernel.start();
    const pool = kernel.service('pit.pool');
    const events: TransitionEvent[] = [];
    kernel.events.on('pool:transition', (e) => events.push(e));
    pool.register(counted('m').spec);
    pool.release(await pool.acquire('m'));
    expect(events.map((e) => e.to)).toEqual(['cold', 'loading', 'warm', 'busy', 'warm']);
    expect(await kernel.health()).toMatchObject({ status: 'ok' });
    await kernel.stop();
  });

  it('declares each model as a resource in pit.arbitration, so fairness counts model use', async () => {
    const kernel = createKernel({
      plugins: [arbitrationPlugin, poolPlugin],
      config: { pluginOptions: { 'pit.pool': { timers: false }, 'pit.arbitration': { sampleIntervalMs: 0, strategies: { model: 'fair-share' } } } },
    });
    await kernel.start();
    kernel.service('pit.pool').register({ ...counted('clf').spec, maxInstances: 2, maxConcurrency: 2 });
    const arbiter = kernel.service('pit.arbitration');
    const grant = arbiter.tryRequest({ tenant: 'acme', run: 'r1', amounts: { 'model:clf': 4 } });
    expect(grant).toBeDefined();
    expect(arbiter.tryRequest({ tenant: 'other', amounts: { 'model:clf': 1 } })).toBeUndefined();
    expect(arbiter.metrics().tenants.acme).toMatchObject({ dominantShare: 1 });
    await kernel.stop();
  });
});
