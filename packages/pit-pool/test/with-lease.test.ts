import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPool, type Lease } from '../src/index.js';
import { counted, flush } from './helpers.js';

// Every way `fn` can fail, with an explicit holder: what it took under that holder goes back.
const failures: Array<[string, (pool: ReturnType<typeof createPool>, holder: string) => unknown]> = [
  ['an async fn that rejects after acquiring', async (pool, holder) => {
    await pool.acquire('m', { holder });
    throw new Error('crashed');
  }],
  ['a sync fn that throws after tryAcquire', (pool, holder) => {
    pool.tryAcquire('m', holder);
    throw new Error('crashed');
  }],
  ['a fn returning a rejected promise', (pool, holder) => pool.acquire('m', { holder }).then(() => Promise.reject(new Error('crashed')))],
  ['a fn that leaves an acquire waiting and throws', (pool, holder) => {
    void pool.acquire('m', { holder }).catch(() => {}); // no free instance: it waits
    void pool.acquire('m', { holder }).catch(() => {});
    void pool.acquire('m', { holder }).catch(() => {});
    throw new Error('crashed');
  }],
];

describe('withLease with an explicit holder', () => {
  it.each(failures)('reclaims what %s took, and keeps the holder\'s earlier leases', async (_name, fn) => {
    const pool = createPool({ timers: false });
    pool.register({ ...counted('m').spec, maxConcurrency: 3, maxInstances: 1 });
    const earlier: Lease = await pool.acquire('m', { holder: 'step-7' });
    await expect(pool.withLease('m', (_instance, lease) => fn(pool, lease.holder!), { holder: 'step-7' })).rejects.toThrow('crashed');
    await flush();
    expect(earlier.released).toBe(false);
    expect(pool.model('m').instances[0]?.active).toBe(1); // only the earlier lease
    expect(pool.release(earlier)).toBe(true);
    expect(pool.model('m').instances[0]?.active).toBe(0);
    await pool.close();
  });

  it('reclaims leases taken inside fn when it succeeds too, as the holder-less form does', async () => {
    const pool = createPool({ timers: false });
    pool.register({ ...counted('m').spec, maxConcurrency: 3 });
    const value = await pool.withLease('m', async (_instance, lease) => {
      await pool.acquire('m', { holder: lease.holder! });
      return 42;
    }, { holder: 'step-8' });
    expect(value).toBe(42);
    expect(pool.model('m').instances[0]?.active).toBe(0);
    await pool.close();
  });

  it('parallel calls under one holder never free each other\'s leases or waits', async () => {
    const pool = createPool({ timers: false });
    pool.register({ ...counted('m').spec, maxConcurrency: 1, maxInstances: 1 });
    let second: Promise<string> | undefined;
    const first = pool.withLease('m', async () => {
      second = pool.withLease('m', async () => 'second ran', { holder: 'step-9' }); // waits for the instance
      await flush();
      throw new Error('crashed');
    }, { holder: 'step-9' });
    await expect(first).rejects.toThrow('crashed');
    await expect(second!).resolves.toBe('second ran');
    expect(pool.model('m').instances[0]?.active).toBe(0);
    await pool.close();
  });

  it('random interleavings of calls under a few holders leave only the leases taken outside them (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(fc.record({ holder: fc.constantFrom('h1', 'h2', undefined), extra: fc.nat(2), fail: fc.boolean() }), { minLength: 1, maxLength: 6 }), async (s, calls) => {
        const pool = createPool({ timers: false });
        pool.register({ ...counted('m').spec, maxConcurrency: 4, maxInstances: 2 });
        const outside = await pool.acquire('m', { holder: 'h1' });
        const runs = calls.map(({ holder, extra, fail }) => s.schedule(Promise.resolve(), `call ${holder}`).then(() =>
          pool.withLease('m', async (_i, lease) => {
            for (let k = 0; k < extra; k++) {
              await s.schedule(Promise.resolve(), 'inner acquire');
              void pool.acquire('m', { holder: lease.holder! }).catch(() => {});
            }
            await s.schedule(Promise.resolve(), 'work');
            if (fail) throw new Error('crashed');
            return 'ok';
          }, holder === undefined ? {} : { holder }).catch((err: Error) => err.message)));
        const results = await s.waitFor(Promise.all(runs));
        await flush();
        expect(results.every((r) => r === 'ok' || r === 'crashed')).toBe(true);
        const active = pool.model('m').instances.reduce((n, i) => n + i.active, 0);
        expect(active).toBe(1); // only the lease taken outside every call
        expect(outside.released).toBe(false);
        await pool.close();
      }),
      { numRuns: 40 },
    );
  });
});
