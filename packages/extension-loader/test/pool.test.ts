import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRunGraph, upwardRanks } from '@symphony/pit-dag';
import { createPool, type PoolService, type TransitionEvent } from '@symphony/pit-pool';
import { validateWorkflow } from '@symphony/types';
import { ExtensionHost, callPooled, criticalPathOrder, stageInstrumentSpec, type StageInstance } from '../src/index.js';

// Real worker threads and child processes, started by the real host, leased by the real pool.
const dir = fileURLToPath(new URL('./fixtures/pool/', import.meta.url));
const MiB = 1024 * 1024;
let host: ExtensionHost | undefined;
let pool: PoolService | undefined;
afterEach(async () => {
  await pool?.close();
  await host?.stop();
  pool = host = undefined;
});

async function stage(mode: 'worker' | 'process', names: string[]): Promise<ExtensionHost> {
  host = new ExtensionHost({ pingIntervalMs: 0, restart: { backoffMs: 10 } });
  for (const name of names) {
    await host.register({ manifest: { id: `pool.${name}`, version: '1.0.0', kind: 'instrument', contributes: { methods: { predict: {}, health: {} } } }, main: `${dir}${name}.mjs` }, mode);
  }
  return host;
}

/** Records every instance the spec starts (the test kills them by pid). */
function observed<T extends { load: (ctx: { signal: AbortSignal }) => Promise<StageInstance> }>(spec: T, into: StageInstance[]): T {
  const load = spec.load;
  spec.load = async (ctx) => {
    const instance = await load(ctx);
    into.push(instance);
    return instance;
  };
  return spec;
}

/** What one instance of a fixture really takes, as it reports it over the bus (heap of a worker). */
async function calibrate(h: ExtensionHost): Promise<number> {
  const probe = await h.startInstance('pool.a');
  const memory = await probe.memory();
  await probe.stop();
  return memory!.heapUsedBytes;
}

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`never happened: ${what}`);
};

describe('Stage instruments in the pool', () => {
  it('budgets from the memory the workers report, evicting the least recently used idle one; pinned stays', async () => {
    const h = await stage('worker', ['a', 'b', 'c']);
    // Each instance holds 24 MiB of heap and more; declared far lower, so only its own measurement can tell.
    const one = await calibrate(h);
    const budget = Math.round(2.6 * one);
    pool = createPool({ memoryBudgetBytes: budget, timers: false });
    const events: TransitionEvent[] = [];
    pool.onTransition((e) => events.push(e));
    pool.register(stageInstrumentSpec(h, 'pool.a', { memoryBytes: 4 * MiB, pinned: true }));
    pool.register(stageInstrumentSpec(h, 'pool.b', { memoryBytes: 4 * MiB }));
    pool.register(stageInstrumentSpec(h, 'pool.c', { memoryBytes: 4 * MiB }));
    expect(await callPooled(pool, 'pool.a', 'predict', { x: 1 })).toMatchObject({ y: 2, weights: 24 });
    expect(await callPooled(pool, 'pool.b', 'predict', { x: 2 })).toMatchObject({ y: 4 });
    await pool.measure();
    const perInstance = pool.model('pool.b').memoryBytes;
    expect(perInstance).toBeGreaterThan(24 * MiB);
    expect(2 * perInstance).toBeLessThanOrEqual(budget);
    expect(3 * perInstance).toBeGreaterThan(budget);
    // c needs room: b is idle and unpinned, a is pinned (and used less recently, yet kept).
    expect(await callPooled(pool, 'pool.c', 'predict', { x: 3 })).toMatchObject({ y: 6 });
    await pool.measure();
    await until(() => pool!.model('pool.b').instances.length === 0, 'b evicted');
    expect(events.filter((e) => e.to === 'draining').map((e) => [e.modelId, e.reason])).toEqual([['pool.b', 'evicted']]);
    expect(pool.model('pool.a').instances.map((i) => i.state)).toEqual(['warm']);
    expect(pool.stats().memoryUsedBytes).toBeLessThanOrEqual(budget);
    // And back: b evicts c now (a still pinned).
    expect(await callPooled(pool, 'pool.b', 'predict', { x: 4 })).toMatchObject({ y: 8 });
    await pool.measure();
    await until(() => pool!.model('pool.c').instances.length === 0, 'c evicted');
    expect(pool.model('pool.a').instances.length).toBe(1);
  });

  it('refuses at once, with E_POOL_OVER_BUDGET, a model whose instances can never fit', async () => {
    const h = await stage('worker', ['a']);
    pool = createPool({ memoryBudgetBytes: 16 * MiB, timers: false });
    expect(() => pool!.register(stageInstrumentSpec(h, 'pool.a', { memoryBytes: 17 * MiB }))).toThrow(expect.objectContaining({ code: 'E_POOL_OVER_BUDGET' }));
    pool.register(stageInstrumentSpec(h, 'pool.a', { memoryBytes: 1 * MiB }));
    await callPooled(pool, 'pool.a', 'predict', { x: 1 }); // the first instance measures itself: 24+ MiB
    await pool.measure();
    await until(() => pool!.model('pool.a').instances.length === 0, 'the instance that can never fit is stopped');
    await expect(callPooled(pool, 'pool.a', 'predict', { x: 1 })).rejects.toMatchObject({ code: 'E_POOL_OVER_BUDGET', details: { modelId: 'pool.a' } });
    expect(pool.model('pool.a').status).toBe('failed');
  });

  it('an instance SIGKILLed mid-lease: the lease is reclaimed and the call fails with a code, or is retried on a new instance', async () => {
    const h = await stage('process', ['a']);
    const hostSaw: string[] = [];
    h.on('failed', (e) => hostSaw.push(`failed ${e.id}`));
    h.on('crash', (e) => hostSaw.push(`crash ${e.id}`));
    pool = createPool({ timers: false });
    const instances: StageInstance[] = [];
    pool.register(observed(stageInstrumentSpec(h, 'pool.a', { instances: 1 }), instances));

    const killFirstCallee = async (): Promise<void> => {
      await until(() => pool!.model('pool.a').instances.some((i) => i.state === 'busy'), 'a lease is out');
      await new Promise((r) => setTimeout(r, 100)); // the request is in the child now
      process.kill(instances.at(-1)!.pid!, 'SIGKILL');
    };
    const failed = callPooled(pool, 'pool.a', 'predict', { x: 1, ms: 10_000 }, { retries: 0 });
    await killFirstCallee();
    await expect(failed).rejects.toMatchObject({ code: 'E_EXTENSION_CRASHED' });
    await until(() => pool!.model('pool.a').instances.length === 0, 'the dead instance is drained');
    expect(pool.stats()).toMatchObject({ lost: 1 });

    const retried = callPooled(pool, 'pool.a', 'predict', { x: 2, ms: 300 }, { retries: 1 });
    await killFirstCallee();
    const killedPid = instances.at(-1)!.pid;
    await until(() => instances.length === 3, 'a replacement instance started');
    const result = (await retried) as { y: number; pid: number };
    expect(result.y).toBe(4);
    expect(result.pid).not.toBe(killedPid);
    expect(pool.stats()).toMatchObject({ lost: 2 });
    // Nothing leaked: one live instance, idle, no lease out, and it serves the next call.
    expect(pool.model('pool.a').instances.map((i) => [i.state, i.active])).toEqual([['warm', 0]]);
    expect(await callPooled(pool, 'pool.a', 'predict', { x: 3 })).toMatchObject({ y: 6, pid: result.pid });
    // The pool's instances dying is no crash of the extension itself: it stays callable as before.
    expect(hostSaw).toEqual([]);
    expect(h.list().find((e) => e.id === 'pool.a')?.state).toBe('inactive');
  });

  it('an idle instance killed, and one killed under four concurrent calls: every call settles, the pool replaces them', async () => {
    const h = await stage('process', ['a']);
    pool = createPool({ timers: false });
    const instances: StageInstance[] = [];
    pool.register(observed(stageInstrumentSpec(h, 'pool.a', { instances: 2 }), instances));
    await callPooled(pool, 'pool.a', 'predict', { x: 1 });
    process.kill(instances[0]!.pid!, 'SIGKILL'); // idle: nobody holds it
    await until(() => pool!.model('pool.a').instances.length === 0, 'the idle dead instance is drained');
    expect(await callPooled(pool, 'pool.a', 'predict', { x: 2 })).toMatchObject({ y: 4 });
    expect(instances.length).toBe(2);

    const calls = [1, 2, 3, 4].map((x) => callPooled(pool!, 'pool.a', 'predict', { x, ms: 400 }, { retries: 2 }));
    await until(() => pool!.model('pool.a').instances.filter((i) => i.state === 'busy').length === 2, 'two instances busy');
    await new Promise((r) => setTimeout(r, 100));
    process.kill(instances[1]!.pid!, 'SIGKILL');
    const results = await Promise.allSettled(calls);
    expect(results.map((r) => (r.status === 'fulfilled' ? (r.value as { y: number }).y : (r.reason as { code: string }).code))).toEqual([2, 4, 6, 8]);
    expect(pool.model('pool.a').instances.every((i) => i.active === 0)).toBe(true);
    expect(pool.stats().lost).toBe(2);
  });

  it('a pool closed while an instance is still starting leaves no process behind', async () => {
    const h = await stage('process', ['a']);
    pool = createPool({ timers: false });
    const pids: number[] = [];
    h.on('activated', (e) => pids.push(e.pid));
    pool.register(stageInstrumentSpec(h, 'pool.a', { minInstances: 1 })); // starts loading now
    const waiting = callPooled(pool, 'pool.a', 'predict', { x: 1 });
    await pool.close();
    await expect(waiting).rejects.toMatchObject({ code: 'E_POOL_CLOSED' });
    await until(() => pids.length === 1, 'the late start finished');
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await until(() => !alive(pids[0]!), 'the late instance is stopped');
  });

  it('refuses bad wiring with coded errors', async () => {
    const h = await stage('worker', ['a']);
    expect(() => stageInstrumentSpec(h, 'pool.nope')).toThrow(expect.objectContaining({ code: 'E_EXTENSION_UNKNOWN' }));
    expect(() => stageInstrumentSpec(h, 'pool.a', { healthMethod: 'ping' })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    const instance = await h.startInstance('pool.a');
    await expect(instance.call('steal', {})).rejects.toMatchObject({ code: 'E_METHOD_UNKNOWN' });
    await instance.stop();
    expect(await instance.memory()).toBeUndefined();
  });

  it('pre-warms in critical-path order, within the budget, never evicting a pinned instance', async () => {
    const h = await stage('worker', ['a', 'b', 'c']);
    // Declared a bit above what one really takes, against a budget that fits two.
    const declared = Math.round(1.2 * (await calibrate(h)));
    pool = createPool({ memoryBudgetBytes: Math.round(2.5 * declared), timers: false });
    const loads: string[] = [];
    pool.onTransition((e) => (e.to === 'loading' || e.to === 'warm') && loads.push(`${e.modelId} ${e.to}`));
    for (const id of ['pool.a', 'pool.b', 'pool.c']) pool.register(stageInstrumentSpec(h, id, { memoryBytes: declared }));
    // fetch(a) → embed(c) → score(b), and a short side step on b: the chain's head is c-heavy.
    const workflow = validateWorkflow({
      name: 'w',
      steps: [
        { id: 'side', uses: 'pool.b/predict' },
        { id: 'fetch', uses: 'pool.a/predict' },
        { id: 'embed', uses: 'pool.c/predict', needs: ['fetch'] },
        { id: 'score', uses: 'pool.b/predict', needs: ['embed'] },
      ],
    });
    const graph = buildRunGraph(workflow);
    const durations = graph.ids.map((id) => ({ side: 1, fetch: 5, embed: 20, score: 5 })[id] ?? 0);
    const ranks = upwardRanks(graph, durations);
    const instrumentOf = (stepId: string) => workflow.steps.find((s) => s.id === stepId)!.uses.split('/')[0];
    const order = criticalPathOrder(graph.ids, ranks, instrumentOf);
    expect(order).toEqual(['pool.a', 'pool.c', 'pool.b']);
    // One start at a time (prewarm.planLoads = 1): c's start waits for a's, so a is up soonest.
    expect(pool.prewarmPath(order)).toEqual(['pool.a']);
    await until(() => pool!.models().filter((m) => m.instances.some((i) => i.state === 'warm')).length === 2, 'two instruments warm');
    expect(loads).toEqual(['pool.a loading', 'pool.a warm', 'pool.c loading', 'pool.c warm']);
    expect(pool.model('pool.b').instances).toEqual([]);
    // Warmth as a scheduler sees it: a and c can take a call now; b would pay a cold start.
    expect(pool.models().map((m) => [m.id, m.warm])).toEqual([['pool.a', 1], ['pool.b', 0], ['pool.c', 1]]);
    expect(pool.model('pool.a').loadMs).toBeGreaterThan(0);
    expect(pool.model('pool.b').loadMs).toBeUndefined();

    // fetch done: the plan moves on; a is no longer needed, so b may take its place.
    const next = criticalPathOrder(graph.ids, ranks, instrumentOf, new Set(['fetch']));
    expect(next).toEqual(['pool.c', 'pool.b']);
    expect(pool.prewarmPath(next)).toEqual(['pool.b']);
    await until(() => pool!.model('pool.b').instances.some((i) => i.state === 'warm'), 'b warm');
    expect(pool.model('pool.a').instances).toEqual([]);
    expect(pool.model('pool.c').instances.length).toBe(1);
  });

  it('never evicts a pinned instance to pre-warm another', async () => {
    const h = await stage('worker', ['a', 'b']);
    pool = createPool({ memoryBudgetBytes: 40 * MiB, timers: false });
    pool.register(stageInstrumentSpec(h, 'pool.a', { memoryBytes: 30 * MiB, pinned: true }));
    pool.register(stageInstrumentSpec(h, 'pool.b', { memoryBytes: 30 * MiB }));
    await callPooled(pool, 'pool.a', 'predict', { x: 1 });
    expect(pool.prewarmPath(['pool.b'])).toEqual([]);
    expect(pool.model('pool.a').instances.map((i) => i.state)).toEqual(['warm']);
    await expect(callPooled(pool, 'pool.b', 'predict', { x: 1 })).rejects.toMatchObject({ code: 'E_POOL_OVER_BUDGET' });
    expect(pool.model('pool.a').instances.map((i) => i.state)).toEqual(['warm']);
  });
});
