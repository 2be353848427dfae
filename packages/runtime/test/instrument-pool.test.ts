import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { PoolService, TransitionEvent } from '@symphony/pit-pool';
import type { Workflow } from '@symphony/types';
import type { ArbiterService } from '@symphony/pit-arbitration';
import { COLD_START_PRIOR_MS } from '@symphony/conductor';
import { createSymphony, type Symphony, type SymphonyOptions } from '../src/index.js';

// Real worker threads and child processes started by the real Stage, leased by the real pit.pool,
// driven by a real run of the Conductor over pit.dag.
const fixtures = fileURLToPath(new URL('./fixtures/pool/', import.meta.url));
const MiB = 1024 * 1024;
const dirs: string[] = [];
const open: Symphony[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function symphony(options: Partial<SymphonyOptions>): Promise<{ s: Symphony; pool: PoolService; transitions: TransitionEvent[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'symphony-pool-'));
  dirs.push(dir);
  const s = await createSymphony({ home: join(dir, 'home'), workspace: join(dir, 'ws'), builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', extensions: [join(fixtures, 'workers')], ...options });
  open.push(s);
  const pool = s.kernel.service<PoolService>('pit.pool');
  const transitions: TransitionEvent[] = [];
  pool.onTransition((t) => transitions.push(t));
  return { s, pool, transitions, dir };
}

const loads = (transitions: TransitionEvent[]): string[] => transitions.filter((t) => t.to === 'loading').map((t) => t.modelId);

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting: ${what}`);
}

/** Bytes of `pool.memory` granted in pit.arbitration right now, over every tenant. */
function heldPoolMemory(s: Symphony): number {
  return Object.values(s.kernel.service<ArbiterService>('pit.arbitration').metrics().tenants).reduce((sum, t) => sum + (t.held['pool.memory'] ?? 0), 0);
}

/** Closes `s` (every instance stops): each instance's grant went back with it, the killed ones' too. */
async function expectNoGrantLeftAfterClose(s: Symphony): Promise<void> {
  // Read from the arbiter object itself: after close the kernel no longer lists its services.
  const arbiter = s.kernel.service<ArbiterService>('pit.arbitration');
  await s.close();
  open.splice(open.indexOf(s), 1);
  expect(Object.values(arbiter.metrics().tenants).reduce((sum, t) => sum + (t.held['pool.memory'] ?? 0), 0)).toBe(0);
}

describe('createSymphony({ pool })', () => {
  it("pre-warms the instruments before their steps are ready, in the critical path's order, and serves the steps from the pool", async () => {
    let open_!: () => void;
    const gate = new Promise<void>((resolve) => (open_ = resolve));
    const { s, pool, transitions } = await symphony({ pool: { instruments: true }, steps: { 't.gate/wait': async () => (await gate, {}), 't.steps/noop': () => ({}) } });
    expect(pool.models().map((m) => m.id).sort()).toEqual(['pool.a', 'pool.b', 'pool.c']);
    // gate → c1 → c2 → c3 (the critical path), gate → b1 → b2, gate → a1.
    const workflow: Workflow = {
      name: 'paths',
      steps: [
        { id: 'gate', uses: 't.gate/wait' },
        { id: 'a1', uses: 'pool.a/predict', needs: ['gate'], with: { x: 1 } },
        { id: 'b1', uses: 'pool.b/predict', needs: ['gate'], with: { x: 2 } },
        { id: 'b2', uses: 't.steps/noop', needs: ['b1'] },
        { id: 'c1', uses: 'pool.c/predict', needs: ['gate'], with: { x: 3 } },
        { id: 'c2', uses: 't.steps/noop', needs: ['c1'] },
        { id: 'c3', uses: 't.steps/noop', needs: ['c2'] },
      ],
    };
    const handle = s.start(workflow);
    // Every instrument's instance is warm while the gate still holds its steps back.
    await until(() => pool.models().every((m) => m.warm >= 1), 'three warm instances');
    expect(s.dag.state(handle.runId).steps.filter((st) => st.stepId !== 'gate').map((st) => st.state)).not.toContain('running');
    expect(s.dag.ready(handle.runId)).toEqual([]);
    expect(loads(transitions)).toEqual(['pool.c', 'pool.b', 'pool.a']);
    open_();
    const result = await handle.done;
    expect(result.status).toBe('succeeded');
    expect(s.artifacts.value('paths/c1')).toMatchObject({ y: 6, weights: 16 });
    // The steps were served by the pre-warmed instances: no further loads, one lease per call.
    expect(loads(transitions)).toEqual(['pool.c', 'pool.b', 'pool.a']);
    expect(pool.stats().acquired).toBe(3);
    expect(pool.stats().warmHits).toBe(3);
    // Each start went through pit.arbitration as the run's request for its bytes of pool.memory.
    const starts = s.kernel.service<ArbiterService>('pit.arbitration').decisions().filter((d) => d.requestId.startsWith('pool:'));
    expect(starts.map((d) => [d.requestId.replace(/#\d+$/, ''), d.action, d.tenant])).toEqual([
      ['pool:pool.c', 'grant', handle.runId],
      ['pool:pool.b', 'grant', handle.runId],
      ['pool:pool.a', 'grant', handle.runId],
    ]);
  });

  it('the Conductor sees warmth: of two equal candidates for a capability it picks the warm one, and explains the cold one\'s start cost', async () => {
    const { s, pool } = await symphony({ extensions: [join(fixtures, 'scorers')], pool: { instruments: true } });
    // Only the second provider has a warm instance (no call made: neither has any history).
    pool.expect('pool.s2');
    await until(() => pool.model('pool.s2').warm === 1, 'pool.s2 warm');
    expect(pool.model('pool.s1').warm).toBe(0);
    // `explore: false`: the policy's choice stands (exploration would try the unseen cold one on purpose).
    const result = await s.run({ name: 'warmth', steps: [{ id: 'score', uses: 'capability:score', with: { x: 4 }, explore: false }] });
    expect(result.status).toBe('succeeded');
    const [decision] = s.conductor.explain(result.runId);
    // Provider order puts the cold one first: a tie would have gone to it.
    expect(decision!.candidates.map((c) => [c.id, c.warm, c.startCostMs])).toEqual([
      ['pool.s1/predict', false, COLD_START_PRIOR_MS],
      ['pool.s2/predict', true, 0],
    ]);
    expect(decision!.chosen).toBe('pool.s2/predict');
    expect(pool.model('pool.s1').instances).toEqual([]);

  });

  it('two runs at once under a budget that fits two of three: both succeed, every lease and pool.memory grant goes back, close never hangs', async () => {
    const probe = await symphony({ builtins: false });
    const instance = await probe.s.kernel.service('stage').startInstance('pool.a');
    const each = Math.ceil((await instance.memory())!.heapUsedBytes * 1.15);
    await instance.stop();
    const options = { memoryBytes: each };
    const { s, pool } = await symphony({ pool: { instruments: true, memoryBudgetBytes: Math.floor(each * 2.5), options: { 'pool.a': options, 'pool.b': options, 'pool.c': options } } });
    const chain = (name: string, order: string[]): Workflow => ({
      name,
      steps: order.map((id, i) => ({ id: `s${i}`, uses: `pool.${id}/predict`, with: { x: i, ms: 30 }, ...(i ? { needs: [`s${i - 1}`] } : {}) })),
    });
    // Two places for three instruments, and each run's plan changes as its steps end.
    const [one, two] = await Promise.all([s.run(chain('one', ['a', 'b', 'c', 'a', 'b', 'c'])), s.run(chain('two', ['c', 'b', 'a', 'c', 'b', 'a']))]);
    // Their plans merge (each run's next instrument first) instead of replacing each other: when each
    // plan evicted the other's next instance, the same two runs took 8-11 starts, now 6.
    expect(pool.stats().loads).toBeLessThanOrEqual(7);
    expect([one.status, two.status]).toEqual(['succeeded', 'succeeded']);
    expect(s.artifacts.value('two/s5')).toMatchObject({ y: 10 });
    expect(pool.models().flatMap((m) => m.instances).every((i) => i.active === 0)).toBe(true);
    expect(pool.models().flatMap((m) => m.instances).length).toBeLessThanOrEqual(2);
    expect(heldPoolMemory(s)).toBeGreaterThan(0);

    // Closed while a run still starts instances: close settles, the run ends, nothing hangs.
    const late = s.start(chain('late', ['a', 'b', 'c']));
    await until(() => pool.models().some((m) => m.instances.some((i) => i.state === 'loading' || i.state === 'busy')), 'a start or a call in flight');
    await expectNoGrantLeftAfterClose(s);
    await late.done.catch(() => undefined);
  }, 20_000);

  it('keeps a pinned instrument warm under a memory budget that fits two of three: the others are evicted', async () => {
    // What one instance really takes, as it reports it over the bus.
    const probe = await symphony({ builtins: false });
    const instance = await probe.s.kernel.service('stage').startInstance('pool.a');
    const heap = (await instance.memory())!.heapUsedBytes;
    await instance.stop();
    const each = Math.ceil(heap * 1.15);
    const options = { memoryBytes: each };
    const { s, pool, transitions } = await symphony({
      pool: { instruments: true, memoryBudgetBytes: Math.floor(each * 2.5), pinned: ['pool.c'], options: { 'pool.a': options, 'pool.b': options, 'pool.c': options } },
    });
    const workflow: Workflow = {
      name: 'budget',
      steps: [
        { id: 'c', uses: 'pool.c/predict', with: { x: 1 } },
        { id: 'a', uses: 'pool.a/predict', needs: ['c'], with: { x: 2 } },
        { id: 'b', uses: 'pool.b/predict', needs: ['a'], with: { x: 3 } },
        { id: 'a2', uses: 'pool.a/predict', needs: ['b'], with: { x: 4 } },
      ],
    };
    const result = await s.run(workflow);
    expect(result.status).toBe('succeeded');
    expect(s.artifacts.value('budget/a2')).toMatchObject({ y: 8 });
    const removedC = transitions.filter((t) => t.modelId === 'pool.c' && (t.to === 'draining' || t.to === 'unloaded'));
    expect(removedC).toEqual([]);
    expect(pool.model('pool.c').warm).toBe(1);
    expect(pool.stats().removed.evicted).toBeGreaterThan(0);
    // Never more than two instances counted at once (a draining one is already out of the budget).
    let live = 0;
    let most = 0;
    for (const t of transitions) {
      if (t.to === 'loading') live++;
      if (t.to === 'draining' || t.to === 'failed' || (t.to === 'unloaded' && t.from !== 'draining')) live--;
      most = Math.max(most, live);
    }
    expect(most).toBeLessThanOrEqual(2);
  });

  it('an instance SIGKILLed mid-call: the step ends in a retried success on a new instance, and with no retries left in a coded error, never a hang', async () => {
    const { s, pool, dir } = await symphony({ extensions: [{ path: join(fixtures, 'processes'), mode: 'process' }], pool: { instruments: ['pool.k'] } });
    const pidFile = join(dir, 'pids');
    const kill = async (): Promise<number> => {
      await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'the call to reach the instance');
      const pid = Number(readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
      process.kill(pid, 'SIGKILL');
      return pid;
    };
    const workflow: Workflow = { name: 'kill', steps: [{ id: 'k', uses: 'pool.k/predict', with: { x: 5, ms: 1_500, pidFile } }] };
    const handle = s.start(workflow);
    const killed = await kill();
    const result = await handle.done;
    expect(result.status).toBe('succeeded');
    const output = s.artifacts.value(`kill/k`) as { y: number; pid: number };
    expect(output.y).toBe(10);
    expect(output.pid).not.toBe(killed);
    expect(pool.stats().lost).toBeGreaterThanOrEqual(1);
    expect(pool.model('pool.k').instances.every((i) => i.active === 0)).toBe(true);
    // The killed instance's pool.memory grant went back with it: once the rest close, none is left.
    expect(pool.model('pool.k').instances.length).toBe(1);
    expect(heldPoolMemory(s)).toBeGreaterThan(0);
    await expectNoGrantLeftAfterClose(s);

    // No retries: the kill ends the step with the instance's code, and the lease is reclaimed.
    const strict = await symphony({ extensions: [{ path: join(fixtures, 'processes'), mode: 'process' }], pool: { instruments: ['pool.k'], retries: 0 } });
    const pidFile2 = join(strict.dir, 'pids');
    const h2 = strict.s.start({ name: 'kill2', steps: [{ id: 'k', uses: 'pool.k/predict', with: { x: 5, ms: 1_500, pidFile: pidFile2 } }] });
    await until(() => existsSync(pidFile2) && readFileSync(pidFile2, 'utf8').trim() !== '', 'the call to reach the instance');
    process.kill(Number(readFileSync(pidFile2, 'utf8').trim()), 'SIGKILL');
    const failed = await h2.done;
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('E_EXTENSION_CRASHED');
    expect(strict.pool.stats().lost).toBe(1);
    expect(strict.pool.model('pool.k').instances.every((i) => i.active === 0)).toBe(true);
  });

  it('process instruments SIGKILLed at random moments under a budget, two runs at once: every run settles with a code, then the pool serves again', async () => {
    const each = 80 * MiB;
    const { s, pool, dir } = await symphony({
      extensions: [{ path: join(fixtures, 'workers'), mode: 'process' }],
      pool: { instruments: true, memoryBudgetBytes: 2.5 * each, options: Object.fromEntries(['pool.a', 'pool.b', 'pool.c'].map((id) => [id, { memoryBytes: each }])) },
    });
    const chain = (name: string, order: string[]): Workflow => ({
      name,
      steps: order.map((id, i) => ({ id: `s${i}`, uses: `pool.${id}/predict`, with: { x: i, ms: 40, pidFile }, ...(i ? { needs: [`s${i - 1}`] } : {}) })),
    });
    // Each call appends its instance's pid here: the killer strikes only this test's instances.
    const pidFile = join(dir, 'pids');
    let stop = false;
    let kills = 0;
    const killer = (async () => {
      for (let i = 0; !stop && i < 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 120 + ((i * 97) % 200)));
        const pids = existsSync(pidFile) ? [...new Set(readFileSync(pidFile, 'utf8').split('\n').map(Number).filter((pid) => pid > 0))].slice(-3) : [];
        if (pids.length === 0) continue;
        try {
          process.kill(pids[i % pids.length]!, 'SIGKILL');
          kills++;
        } catch {
          // Gone already.
        }
      }
    })().catch(() => undefined);
    const outcomes: string[] = [];
    // Rounds until the killer has struck a few times (bounded).
    for (let round = 0; round < 6 && (round < 1 || kills < 2); round++) {
      const runs = await Promise.all([s.run(chain(`r${round}a`, ['a', 'b', 'c', 'a'])), s.run(chain(`r${round}b`, ['c', 'a', 'b']))]);
      outcomes.push(...runs.map((r) => (r.status === 'succeeded' ? 'succeeded' : `${r.status}:${r.error?.code}`)));
    }
    stop = true;
    await killer;
    expect(kills).toBeGreaterThan(0);
    // Never a hang, never an uncoded failure: a killed call is retried or fails with its instance's
    // code; a killed start fails the load (then the model backs off and refuses until it may retry).
    for (const o of outcomes) expect(o).toMatch(/^(succeeded|failed:E_(EXTENSION_CRASHED|EXTENSION_FAILED|POOL_LOAD_FAILED|POOL_MODEL_FAILED))$/);
    expect(pool.models().flatMap((m) => m.instances).every((i) => i.active === 0)).toBe(true);
    // After the storm (and any back-off), the pool pre-warms and serves again.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const after = await s.run(chain('after', ['a', 'b', 'c']));
    expect(after.status).toBe('succeeded');
    await expectNoGrantLeftAfterClose(s);
  }, 30_000);

  it('refuses an instrument id that is not installed, and a budget no instance can ever fit, at once with a code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'symphony-pool-'));
    dirs.push(dir);
    const err = await createSymphony({ home: join(dir, 'home'), workspace: join(dir, 'ws'), builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', extensions: [join(fixtures, 'workers')], pool: { instruments: ['pool.nope'] } }).catch((e: unknown) => e);
    const u = err as { code?: string; message: string; cause?: { code?: string } };
    expect(u).toMatchObject({ code: 'E_PLUGIN_START', cause: { code: 'E_EXTENSION_UNKNOWN' } });
    expect(u.message).toContain('pool.nope');

    const never = await createSymphony({ home: join(dir, 'home2'), workspace: join(dir, 'ws'), builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', extensions: [join(fixtures, 'workers')], pool: { instruments: ['pool.a'], memoryBudgetBytes: 4 * MiB, options: { 'pool.a': { memoryBytes: 16 * MiB } } } }).catch((e: unknown) => e);
    const e = never as { code?: string; message: string; cause?: { code?: string } };
    expect(e).toMatchObject({ code: 'E_PLUGIN_START', cause: { code: 'E_POOL_OVER_BUDGET' } });
    expect(e.message).toContain('can never load');
  });
});
