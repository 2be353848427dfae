import { createKernel } from '@symphony/kernel';
import { arbitrationPlugin } from '@symphony/pit-arbitration';
import { describe, expect, it } from 'vitest';
import { POOL_MEMORY_RESOURCE, createPool, poolPlugin, type InstanceStart } from '../src/index.js';
import { expectCode, flush } from './helpers.js';

/** A model whose loads finish only when the test says so. */
function gated(id: string, extra: Record<string, unknown> = {}) {
  const pending: Array<() => void> = [];
  return {
    pending,
    spec: {
      id,
      load: () => new Promise<{ id: string }>((resolve) => pending.push(() => resolve({ id }))),
      ...extra,
    },
  };
}

const loading = (pool: ReturnType<typeof createPool>): string[] => pool.models().filter((m) => m.instances.some((i) => i.state === 'loading')).map((m) => m.id);

describe('prewarmPath: one start at a time, in plan order', () => {
  it('starts the next planned model only when the one before it lands; demand does not wait for the plan', async () => {
    const pool = createPool({ timers: false });
    const models = Object.fromEntries(['x', 'y', 'z', 'w'].map((id) => [id, gated(id)]));
    for (const m of Object.values(models)) pool.register(m.spec);
    expect(pool.prewarmPath(['x', 'y', 'z'])).toEqual(['x']);
    expect(loading(pool)).toEqual(['x']);
    // A step that needs w now loads it at once, beside the plan.
    const lease = pool.acquire('w');
    expect(loading(pool)).toEqual(['x', 'w']);
    models.x!.pending.shift()!();
    await flush();
    expect(pool.model('x').warm).toBe(1);
    expect(loading(pool)).toEqual(['y', 'w']);
    models.w!.pending.shift()!();
    pool.release(await lease);
    models.y!.pending.shift()!();
    await flush();
    expect(loading(pool)).toEqual(['z']);
    // A new plan replaces the old one; every model it names is up or on its way: nothing to start.
    expect(pool.prewarmPath(['z', 'w', 'x'])).toEqual([]);
    models.z!.pending.shift()!();
    await flush();
    expect(pool.models().map((m) => [m.id, m.warm])).toEqual([['x', 1], ['y', 1], ['z', 1], ['w', 1]]);
    expect(pool.stats().loads).toBe(4);
    await pool.close();
  });

  it('a plan load slower than planStallMs stops holding its place: the rest of the plan goes on beside it', async () => {
    const pool = createPool({ timers: false, prewarm: { planStallMs: 30 } });
    const slow = gated('slow');
    const next = gated('next');
    pool.register(slow.spec);
    pool.register(next.spec);
    expect(pool.prewarmPath(['slow', 'next'])).toEqual(['slow']);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(loading(pool)).toEqual(['slow', 'next']);
    slow.pending.shift()!();
    next.pending.shift()!();
    await flush();
    expect(pool.models().map((m) => m.warm)).toEqual([1, 1]);
    await pool.close();
  });

  it('refuses a planLoads or planStallMs that could stall every plan, with a code', async () => {
    for (const prewarm of [{ planLoads: 0 }, { planLoads: Number.NaN }, { planLoads: 1.5 }, { planStallMs: -1 }, { planStallMs: Number.POSITIVE_INFINITY }]) {
      await expectCode(() => createPool({ timers: false, prewarm }), 'E_INPUT_INVALID');
    }
    // An empty tenant is the pool's own plan, not a request arbitration would refuse.
    const tenants: string[] = [];
    const pool = createPool({ timers: false, admit: (start) => (tenants.push(start.tenant), () => {}) });
    pool.register({ id: 'm', load: async () => ({}) });
    expect(pool.prewarmPath(['m'], { tenant: '' })).toEqual(['m']);
    await flush();
    expect(tenants).toEqual(['pit.pool']);
    await pool.close();
  });

  it('a failed plan load passes its place on; planLoads: 2 runs two at once', async () => {
    const pool = createPool({ timers: false, prewarm: { planLoads: 2 }, backoffBaseMs: 60_000 });
    let fail!: (err: Error) => void;
    pool.register({ id: 'bad', load: () => new Promise((_, reject) => (fail = reject)) });
    const ok = gated('ok');
    const more = gated('more');
    pool.register(ok.spec);
    pool.register(more.spec);
    expect(pool.prewarmPath(['bad', 'ok', 'more'])).toEqual(['bad', 'ok']);
    fail(new Error('no weights'));
    await flush();
    expect(loading(pool)).toEqual(['ok', 'more']);
    ok.pending.shift()!();
    more.pending.shift()!();
    await pool.close();
  });
});

describe('prewarmPath: the plans of runs at once merge', () => {
  it("each run's most urgent model comes first; one run's plan never evicts another's next instance; an empty plan ends a run's", async () => {
    const pool = createPool({ timers: false, memoryBudgetBytes: 2, prewarm: { planLoads: 4 } });
    for (const id of ['x', 'y', 'z', 'w']) pool.register({ id, load: async () => ({ id }), memoryBytes: 1 });
    const warm = (): string[] => pool.models().filter((m) => m.warm === 1).map((m) => m.id);
    // Run one needs x then y; run two needs z then w. Merged: x, z, y, w: the budget holds x and z.
    expect(pool.prewarmPath(['x', 'y'], { tenant: 'one' })).toEqual(['x', 'y']);
    await flush();
    expect(pool.prewarmPath(['z', 'w'], { tenant: 'two' })).toEqual(['z']);
    await flush();
    // z took y's place (y was later in the merged plan), never x's.
    expect(warm()).toEqual(['x', 'z']);
    // Run two's z step is done: its plan is w. w takes z's place (in no plan now), never x's.
    expect(pool.prewarmPath(['w'], { tenant: 'two' })).toEqual(['w']);
    await flush();
    expect(warm()).toEqual(['x', 'w']);
    // Run one ends: x is in no plan any more, so run two's next (y) may take its place.
    expect(pool.prewarmPath([], { tenant: 'one' })).toEqual([]);
    expect(pool.prewarmPath(['w', 'y'], { tenant: 'two' })).toEqual(['y']);
    await flush();
    expect(warm()).toEqual(['y', 'w']);
    await pool.close();
  });
});

describe('the successor forecast', () => {
  async function chain(pool: ReturnType<typeof createPool>, ids: string[]): Promise<void> {
    for (const id of ids) pool.release(await pool.acquire(id));
  }

  it("when the last run's plan ends, warms what usually follows the last model leased, in idle memory only", async () => {
    const pool = createPool({ timers: false, memoryBudgetBytes: 2 });
    for (const id of ['x', 'y', 'z']) pool.register({ id, load: async () => ({ id }), memoryBytes: 1 });
    pool.prewarmPath(['x', 'y', 'z'], { tenant: 'run-1' });
    await chain(pool, ['x', 'y', 'z', 'x', 'y', 'z']);
    const warm = (): string[] => pool.models().filter((m) => m.warm === 1).map((m) => m.id);
    expect(warm()).toEqual(['y', 'z']);
    // While a run's plan is in force, the forecast keeps out of its way.
    pool.tick();
    expect(warm()).toEqual(['y', 'z']);
    // The run ends: after z came x (the one time z was followed), so x takes the least recently used place (y's).
    expect(pool.prewarmPath([], { tenant: 'run-1' })).toEqual(['x']);
    await flush();
    expect(warm()).toEqual(['x', 'z']);
    const hits = pool.stats().warmHits;
    await chain(pool, ['x']);
    expect(pool.stats().warmHits).toBe(hits + 1);
    await pool.close();
  });

  it('stays off with prewarm.successors: false, and without a clear favourite', async () => {
    const off = createPool({ timers: false, memoryBudgetBytes: 2, prewarm: { successors: false } });
    for (const id of ['x', 'y', 'z']) off.register({ id, load: async () => ({ id }), memoryBytes: 1 });
    await chain(off, ['x', 'y', 'z', 'x', 'y', 'z']);
    off.tick();
    await flush();
    expect(off.model('x').instances).toEqual([]);
    await off.close();

    // After w came x once, y once and z once: no successor has half, nothing is guessed.
    const split = createPool({ timers: false, memoryBudgetBytes: 2 });
    for (const id of ['w', 'x', 'y', 'z']) split.register({ id, load: async () => ({ id }), memoryBytes: 1 });
    await chain(split, ['w', 'x', 'w', 'y', 'w', 'z', 'w']);
    expect(split.models().filter((m) => m.warm === 1).map((m) => m.id)).toEqual(['w', 'z']);
    split.tick();
    await flush();
    expect(split.models().filter((m) => m.instances.length !== 0).map((m) => m.id)).toEqual(['w', 'z']);
    await split.close();
  });
});

describe('instance starts go through admission', () => {
  it('each start is admitted with its model, bytes, reason and tenant, and given back when the instance goes', async () => {
    const starts: InstanceStart[] = [];
    const released: number[] = [];
    const pool = createPool({
      timers: false,
      memoryBudgetBytes: 100,
      admit: (start) => {
        starts.push(start);
        return () => released.push(start.instanceId);
      },
    });
    for (const id of ['a', 'b']) pool.register({ id, load: async () => ({ id }), memoryBytes: 60 });
    expect(pool.prewarmPath(['a'], { tenant: 'run-1' })).toEqual(['a']);
    await flush();
    expect(starts).toEqual([{ modelId: 'a', instanceId: 1, memoryBytes: 60, reason: 'critical-path', tenant: 'run-1' }]);
    // b needs a's memory: a is evicted (its admission given back), b's start is charged to the waiting step's run.
    const lease = await pool.acquire('b', { holder: 'run-2/score' });
    expect(starts[1]).toEqual({ modelId: 'b', instanceId: 2, memoryBytes: 60, reason: 'demand', tenant: 'run-2' });
    expect(released).toEqual([1]);
    pool.release(lease);
    await pool.close();
    expect(released).toEqual([1, 2]);
  });

  it('a refused start fails the waiting acquire with a code, never hangs; an admission that lands after close is given back', async () => {
    const refusing = createPool({ timers: false, admit: () => Promise.reject(new Error('no room for you')) });
    refusing.register({ id: 'm', load: async () => ({}) });
    await expectCode(refusing.acquire('m'), 'E_POOL_LOAD_FAILED');
    await refusing.close();

    let grant!: (release: () => void) => void;
    let givenBack = 0;
    const late = createPool({ timers: false, admit: () => new Promise((resolve) => (grant = resolve)) });
    let loads = 0;
    late.register({ id: 'm', load: async () => (loads++, {}) });
    const waiting = late.acquire('m');
    await flush();
    await late.close();
    await expectCode(waiting, 'E_POOL_CLOSED');
    grant(() => givenBack++);
    await flush();
    expect(givenBack).toBe(1);
    expect(loads).toBe(0);
  });

  it('as plugins: a start waits for its bytes of pool.memory in pit.arbitration and holds them while the instance lives', async () => {
    const kernel = createKernel({
      plugins: [arbitrationPlugin, poolPlugin],
      config: { pluginOptions: { 'pit.pool': { timers: false, memoryBudgetBytes: 100 }, 'pit.arbitration': { sampleIntervalMs: 0 } } },
    });
    await kernel.start();
    const pool = kernel.service('pit.pool');
    const arbiter = kernel.service('pit.arbitration');
    let loads = 0;
    pool.register({ id: 'clf', load: async () => (loads++, { id: 'clf' }), memoryBytes: 60 });
    // Someone else holds most of the pool's memory through arbitration: the start waits its turn.
    pool.register({ id: 'warmup', load: async () => ({}), memoryBytes: 1 });
    pool.release(await pool.acquire('warmup'));
    const other = arbiter.tryRequest({ tenant: 'batch', amounts: { [POOL_MEMORY_RESOURCE]: 50 } });
    expect(other).toBeDefined();
    const lease = pool.acquire('clf', { holder: 'run-7/score' });
    await flush();
    expect(loads).toBe(0);
    expect(pool.model('clf').instances.map((i) => i.state)).toEqual(['loading']);
    arbiter.release(other!);
    const got = await lease;
    expect(loads).toBe(1);
    expect(arbiter.metrics().tenants['run-7']).toMatchObject({ dominantShare: 0.6 });
    pool.release(got);
    await pool.unregister('clf');
    expect(arbiter.metrics().tenants['run-7']?.dominantShare ?? 0).toBe(0);
    await kernel.stop();
  });
});
