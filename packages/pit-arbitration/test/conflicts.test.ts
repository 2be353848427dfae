import { describe, expect, it } from 'vitest';
import { createKernel } from '@symphony/kernel';
import { arbitrationPlugin, createArbiter, type Decision, type Grant } from '../src/index.js';
import { expectCode, flush } from './helpers.js';

/** One slot under strict priority; a low request waits while high ones keep arriving. */
async function decisionsUntilLowServed(agingRate: number, rounds: number): Promise<number | undefined> {
  const arbiter = createArbiter({ resources: [{ id: 'slot', capacity: 1, class: 'cpu' }], strategies: { cpu: 'priority' }, agingRate });
  let current = arbiter.tryRequest({ tenant: 'busy', priority: 10, amounts: { slot: 1 } })!;
  let lowServedAt: number | undefined;
  let decisions = 0;
  let next: Grant | undefined;
  void arbiter.request({ tenant: 'low', priority: 0, amounts: { slot: 1 } }).then((g) => {
    lowServedAt = decisions;
    next = g;
  });
  for (let i = 0; i < rounds && lowServedAt === undefined; i++) {
    void arbiter.request({ tenant: 'high', priority: 10, amounts: { slot: 1 } }).then((g) => (next = g));
    arbiter.release(current);
    decisions++;
    await flush();
    current = next!;
  }
  return lowServedAt;
}

describe('strict priority with aging', () => {
  it('serves a low-priority request within ceil(gap / agingRate) + 1 decisions', async () => {
    const bound = Math.ceil((10 - 0) / 0.5) + 1;
    const servedAt = await decisionsUntilLowServed(0.5, 200);
    expect(servedAt).toBeDefined();
    expect(servedAt!).toBeLessThanOrEqual(bound);
  });

  it('starves it without aging (the property the aging buys)', async () => {
    expect(await decisionsUntilLowServed(0, 100)).toBeUndefined();
  });

  it('preempts strictly lower-priority holders that declared themselves preemptible, and only those', async () => {
    const arbiter = createArbiter({ resources: [{ id: 'gpu', capacity: 2, class: 'gpu' }], strategies: { gpu: 'priority' } });
    const preempted: number[] = [];
    const soft = arbiter.tryRequest({ tenant: 'batch', priority: 1, preemptible: true, amounts: { gpu: 1 }, onPreempt: (g) => preempted.push(g.id) })!;
    const hard = arbiter.tryRequest({ tenant: 'batch', priority: 1, amounts: { gpu: 1 } })!;
    const same = arbiter.request({ tenant: 'peer', priority: 1, amounts: { gpu: 1 } });
    await flush();
    expect(preempted).toEqual([]); // equal priority never preempts
    arbiter.release(hard);
    expect((await same).tenant).toBe('peer');
    const urgent = await arbiter.request({ tenant: 'interactive', priority: 9, amounts: { gpu: 1 } });
    expect(preempted).toEqual([soft.id]);
    expect(soft.preempted).toBe(true);
    expect(arbiter.release(soft)).toBe(false);
    expect(urgent.tenant).toBe('interactive');
    expect(arbiter.decisions().find((d) => d.action === 'preempt')).toMatchObject({ rule: 'preemption', tenant: 'batch' });
  });
});

describe('exclusive resources', () => {
  it('detects a deliberately built deadlock and refuses the youngest request with E_DEADLOCK', async () => {
    const arbiter = createArbiter({
      resources: [
        { id: 'git:repo-x', capacity: 1, exclusive: true, class: 'lock' },
        { id: 'file:/y', capacity: 1, exclusive: true, class: 'lock' },
      ],
    });
    arbiter.tryRequest({ tenant: 't', run: 'run-1', amounts: { 'git:repo-x': 1 } });
    const run2File = arbiter.tryRequest({ tenant: 't', run: 'run-2', amounts: { 'file:/y': 1 } })!;
    const run1Waits = arbiter.request({ tenant: 't', run: 'run-1', id: 'run-1 wants file', amounts: { 'file:/y': 1 } });
    const details = await expectCode(arbiter.request({ tenant: 't', run: 'run-2', id: 'run-2 wants repo', amounts: { 'git:repo-x': 1 } }), 'E_DEADLOCK');
    expect(details).toMatchObject({ holder: 'run-2', cycle: ['run-2', 'run-1'], requestId: 'run-2 wants repo' });
    expect(arbiter.decisions().find((d) => d.rule === 'deadlock')).toMatchObject({ action: 'refuse', requestId: 'run-2 wants repo' });
    arbiter.release(run2File); // run-2 backs off: the cycle is broken and run-1 proceeds
    expect((await run1Waits).holder).toBe('run-1');
  });

  it('in ordered mode refuses out-of-order acquisition with E_LOCK_ORDER', async () => {
    const arbiter = createArbiter({
      deadlock: 'order',
      resources: [
        { id: 'a', capacity: 1, exclusive: true },
        { id: 'b', capacity: 1, exclusive: true },
      ],
    });
    arbiter.tryRequest({ tenant: 't', run: 'r', amounts: { b: 1 } });
    expect(await expectCode(() => arbiter.tryRequest({ tenant: 't', run: 'r', amounts: { a: 1 } }), 'E_LOCK_ORDER')).toMatchObject({ held: 'b', requested: 'a' });
  });
});

describe('waiting and validation', () => {
  it('honours timeouts and aborts, and fails with coded errors', async () => {
    const arbiter = createArbiter({ resources: [{ id: 'cpu', capacity: 1 }, { id: 'lock', capacity: 1, exclusive: true, class: 'lock' }] });
    const held = arbiter.tryRequest({ tenant: 't', amounts: { cpu: 1 } })!;
    await expectCode(arbiter.request({ tenant: 't', amounts: { cpu: 1 } }, { timeoutMs: 5 }), 'E_TIMEOUT');
    const controller = new AbortController();
    const aborted = arbiter.request({ tenant: 't', amounts: { cpu: 1 } }, { signal: controller.signal });
    controller.abort();
    await expectCode(aborted, 'E_ABORTED');
    await expectCode(() => arbiter.tryRequest({ tenant: 't', amounts: { gpu: 1 } }), 'E_NOT_FOUND');
    await expectCode(() => arbiter.tryRequest({ tenant: 't', amounts: { cpu: 2 } }), 'E_INPUT_INVALID');
    await expectCode(() => arbiter.tryRequest({ tenant: 't', amounts: { cpu: 1, lock: 1 } }), 'E_INPUT_INVALID');
    expect(arbiter.release(held)).toBe(true);
    expect(arbiter.release(held)).toBe(false);
    expect(arbiter.metrics().decisions).toMatchObject({ timeout: 1, abort: 1 });
  });

  it('serves FCFS in arrival order and re-dispatches when capacity grows', async () => {
    const arbiter = createArbiter({ resources: [{ id: 'model:clf', capacity: 1, class: 'model' }] });
    const first = arbiter.tryRequest({ tenant: 'a', amounts: { 'model:clf': 1 } })!;
    const order: string[] = [];
    for (const t of ['b', 'c', 'd']) void arbiter.request({ tenant: t, amounts: { 'model:clf': 1 } }).then(() => order.push(t));
    arbiter.setCapacity('model:clf', 2); // the pool loaded a second instance
    await flush();
    expect(order).toEqual(['b']);
    arbiter.release(first);
    await flush();
    expect(order).toEqual(['b', 'c']);
  });
});

describe('as a kernel plugin', () => {
  it('offers pit.arbitration and re-emits decisions on the kernel bus', async () => {
    const kernel = createKernel({
      plugins: [arbitrationPlugin],
      config: { pluginOptions: { 'pit.arbitration': { resources: [{ id: 'cpu', capacity: 4 }], sampleIntervalMs: 0 } } },
    });
    await kernel.start();
    const arbiter = kernel.service('pit.arbitration');
    const seen: Decision[] = [];
    kernel.events.on('arbitration:decision', (d) => seen.push(d));
    arbiter.release(arbiter.tryRequest({ tenant: 'conductor', run: 'r1', amounts: { cpu: 2 } })!);
    expect(seen).toMatchObject([{ action: 'grant', rule: 'free-capacity', tenant: 'conductor', share: 0.5 }]);
    expect(await kernel.health()).toMatchObject({ status: 'ok' });
    await kernel.stop();
  });
});
