import { afterEach, describe, expect, it } from 'vitest';
import { SymphonyError, type SymphonyEvents } from '@symphony/types';
import { FEATURE_NAMES } from '../src/index.js';
import { removeDir, startKernel, type TestKernel } from './helpers.js';

let open: TestKernel[] = [];
afterEach(async () => {
  for (const k of open) {
    await k.close().catch(() => {});
    removeDir(k.dir);
  }
  open = [];
});
describe('orchestrator over pit.dag, through the real kernel, ledger and artifact store', () => {
const start = async (options: Parameters<typeof startKernel>[0] = {}) => {
  const k = await startKernel(options);
  open.push(k);
  return k;
};

const diamond = {
  name: 'diamond',
  inputs: { n: { type: 'number' as const, default: 2 } },
  steps: [
    { id: 'a', uses: 'test.math/double', with: { x: '${{ inputs.n }}' } },
    { id: 'b', uses: 'test.math/double', with: { x: '${{ steps.a.output.y }}' } },
    { id: 'c', uses: 'test.math/double', with: { x: '${{ steps.a.output.y }}' } },
    { id: 'd', uses: 'test.math/sum', with: { xs: ['${{ steps.b.output.y }}', '${{ steps.c.output.y }}'], label: 'total=${{ steps.b.output.y }}' } },
    { id: 'e', uses: 'test.math/double', if: '${{ steps.d.output.y > 1000 }}', with: { x: 1 } },
  ],
};


  it('runs a DAG with expressions and conditions, storing every output as an artifact', async () => {
    const { kernel, conductor } = await start();
    conductor.registerStep('test.math/double', (input) => ({ y: (input as { x: number }).x * 2 }));
    conductor.registerStep('test.math/sum', (input) => {
      const { xs, label } = input as { xs: number[]; label: string };
      return { y: xs.reduce((a, b) => a + b, 0), label };
    });
    const seen: string[] = [];
    const on = (name: keyof SymphonyEvents) => kernel.events.on(name as 'step:end', (e: { stepId?: string }) => seen.push(`${name}:${e.stepId ?? ''}`));
    (['run:start', 'step:start', 'step:end', 'run:end'] as const).forEach(on);
    const result = await conductor.run(diamond, { inputs: { n: '3' } });
    expect(result.status).toBe('succeeded');
    const byId = Object.fromEntries(result.steps.map((s) => [s.stepId, s]));
    expect(byId.d?.state).toBe('done');
    expect(byId.e?.state).toBe('skipped');
    const artifacts = kernel.service<{ value(n: string, v?: number): unknown; inputsOf(r: { name: string; version: number }): { name: string }[] }>('pit.artifacts');
    // One artifact name per workflow step; each run adds a version.
    expect(byId.d!.output!.name).toBe('diamond/d');
    expect(artifacts.value('diamond/d', byId.d!.output!.version)).toEqual({ y: 24, label: 'total=12' });
    expect(artifacts.inputsOf(byId.d!.output!).map((r) => r.name).sort()).toEqual(['diamond/b', 'diamond/c']);
    expect(seen[0]).toBe('run:start:');
    expect(seen.at(-1)).toBe('run:end:');
    // Per step: start before end. Dependents may start before a parent's durable commit
    // (pipelining); commits land in order, so a parent is never less durable than its child.
    for (const id of ['a', 'b', 'c', 'd']) expect(seen.indexOf(`step:start:${id}`)).toBeLessThan(seen.indexOf(`step:end:${id}`));
    expect(seen.indexOf('step:start:a')).toBeLessThan(seen.indexOf('step:start:b'));
    expect(conductor.show(result.runId).run.status).toBe('succeeded');
    expect(conductor.runs().map((r) => r.runId)).toContain(result.runId);
  });

  it('rejects bad inputs and unknown runs with coded errors naming what is wrong', async () => {
    const { conductor } = await start();
    expect(() => conductor.start(diamond, { inputs: { n: 'many' } })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => conductor.start(diamond, { inputs: { m: 1 } })).toThrow(/declares no input "m"/);
    await expect(conductor.resume('run-nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND', details: { runId: 'run-nope' } });
    expect(() => conductor.start({ name: 'x', steps: [{ id: 'a', uses: 'nope' }] })).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID' }));
  });

  it('falls back to another candidate when one crashes, and logs each decision with its features', async () => {
    const { conductor } = await start({ fallback: 'round-robin' });
    let crashes = 0;
    conductor.registerStep('test.rank-fast/rank', () => {
      crashes++;
      throw new SymphonyError('E_EXTENSION_CRASHED', 'worker died');
    }, { capabilities: ['rank'], cost: 0.1 });
    conductor.registerStep('test.rank-good/rank', (input) => ({ ranked: (input as { items: number[] }).items.slice().sort((a, b) => b - a) }), { capabilities: ['rank'], cost: 0.9 });
    const result = await conductor.run({ name: 'rank', steps: [{ id: 'r', uses: 'capability:rank', with: { items: [3, 1, 2] } }] });
    expect(result.status).toBe('succeeded');
    expect(result.steps[0]?.servedBy).toBe('test.rank-good/rank');
    expect(crashes).toBeGreaterThanOrEqual(1);
    const decisions = conductor.explain(result.runId);
    expect(decisions[0]).toMatchObject({ kind: 'select', chosen: 'test.rank-fast/rank', policyVersion: 'heuristic:round-robin', outcome: { ok: false, code: 'E_EXTENSION_CRASHED' } });
    expect(decisions.at(-1)).toMatchObject({ kind: 'failure', chosen: 'test.rank-good/rank', outcome: { ok: true } });
    expect(decisions.at(-1)!.verdict).toMatch(/^fallback to test.rank-good\/rank/);
    expect(decisions[0]!.features.length).toBeGreaterThan(50);
  });

  it('fails the run with the failing step and its error, then a resume re-runs only unfinished steps', async () => {
    const { conductor } = await start();
    const calls: string[] = [];
    let broken = true;
    conductor.registerStep('test.io/step', (input, ctx) => {
      calls.push(ctx.stepId);
      if (ctx.stepId === 'c' && broken) throw new SymphonyError('E_DISK', 'disk unplugged');
      return { ok: input };
    });
    const wf = { name: 'chain', steps: ['a', 'b', 'c', 'd'].map((id, i, all) => ({ id, uses: 'test.io/step', ...(i ? { needs: [all[i - 1]!] } : {}) })) };
    const first = await conductor.run(wf);
    expect(first.status).toBe('failed');
    expect(first.error).toMatchObject({ code: 'E_DISK', stepId: 'c' });
    expect(['skipped', 'pending']).toContain(first.steps.find((s) => s.stepId === 'd')?.state);
    broken = false;
    calls.length = 0;
    // pit.dag ends a failed run for good; a crashed (still running) run is what it resumes.
    await expect(conductor.resume(first.runId)).rejects.toMatchObject({ code: 'E_CONFLICT' });
    // ... and a re-run from the failed step is a new run that carries a and b over.
    const again = await conductor.rerun(first.runId, { from: 'failed', startedBy: 'token:ci' }).done;
    expect(again.status).toBe('succeeded');
    expect(calls).toEqual(['c', 'd']);
    expect(again.steps.filter((s) => s.reused).map((s) => s.stepId)).toEqual(['a', 'b']);
    const shown = conductor.show(again.runId);
    expect(shown.run).toMatchObject({ rerunOf: first.runId, rerunFrom: 'failed', startedBy: 'token:ci', inputs: {} });
    expect(shown.steps.map((s) => s.reusedFrom)).toEqual([first.runId, first.runId, undefined, undefined]);
    expect(shown.steps[1]!.output).toEqual(first.steps[1]!.output);
    // Nothing failed in that one: re-running "the failed steps" is refused; from a step, or all, is not.
    expect(() => conductor.rerun(again.runId, { from: 'failed' })).toThrow(expect.objectContaining({ code: 'E_CONFLICT' }));
    expect(() => conductor.rerun(again.runId, { from: 'zz' })).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    calls.length = 0;
    await conductor.rerun(again.runId, { from: 'b' }).done;
    expect(calls).toEqual(['b', 'c', 'd']);
    calls.length = 0;
    const all = await conductor.rerun(again.runId).done;
    expect(calls).toEqual(['a', 'b', 'c', 'd']);
    expect(conductor.show(all.runId).run).toMatchObject({ rerunOf: again.runId, rerunFrom: 'all' });
  });

  it('refuses to re-run a run that is still running', async () => {
    const { conductor } = await start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    conductor.registerStep('test.io/wait', () => gate.then(() => 1));
    const handle = conductor.start({ name: 'wait', steps: [{ id: 'w', uses: 'test.io/wait' }] }, { startedBy: 'cli', source: 'wait.yaml' });
    for (let i = 0; i < 200 && !conductor.runs().some((r) => r.runId === handle.runId); i++) await new Promise((r) => setTimeout(r, 5));
    expect(() => conductor.rerun(handle.runId)).toThrow(expect.objectContaining({ code: 'E_CONFLICT' }));
    release();
    await handle.done;
    expect(conductor.show(handle.runId).run).toMatchObject({ startedBy: 'cli', source: 'wait.yaml' });
  });

  it('feeds each decision the step\'s critical-path rank and slack from pit.dag', async () => {
    const { conductor } = await start();
    conductor.registerStep('test.p1/work', (input) => input, { capabilities: ['work'] });
    conductor.registerStep('test.p2/work', (input) => input, { capabilities: ['work'] });
    conductor.registerStep('test.io/step', (input) => input);
    // a -> b -> c -> d is the critical path (4 steps of the default duration); side can wait 3 of them.
    const result = await conductor.run({
      name: 'slack',
      steps: [
        { id: 'a', uses: 'capability:work' },
        { id: 'b', uses: 'test.io/step', needs: ['a'] },
        { id: 'c', uses: 'test.io/step', needs: ['b'] },
        { id: 'd', uses: 'capability:work', needs: ['c'] },
        { id: 'side', uses: 'capability:work' },
      ],
    });
    expect(result.status).toBe('succeeded');
    const at = (name: string) => FEATURE_NAMES.indexOf(name);
    const features = Object.fromEntries(conductor.explain(result.runId).map((d) => [d.stepId, { rank: d.features[at('remaining_critical_path')], slack: d.features[at('slack')] }]));
    expect(features).toEqual({ a: { rank: 1, slack: 0 }, d: { rank: 0.25, slack: 0 }, side: { rank: 0.25, slack: 0.75 } });
    // The next run's durations are this one's, measured (ms): still shares of the critical path,
    // so the step that starts it has rank 1.
    const again = await conductor.run({ name: 'slack', steps: [{ id: 'a', uses: 'capability:work' }, { id: 'b', uses: 'test.io/step', needs: ['a'] }, { id: 'c', uses: 'test.io/step', needs: ['b'] }, { id: 'd', uses: 'capability:work', needs: ['c'] }, { id: 'side', uses: 'capability:work' }] });
    const ranks = conductor.explain(again.runId).map((d) => d.features[at('remaining_critical_path')] as number);
    expect(Math.max(...ranks)).toBe(1);
  });

  it('retries an extension step per its retry policy', async () => {
    const { conductor } = await start();
    let n = 0;
    conductor.registerStep('test.flaky/go', () => {
      if (++n < 3) throw new SymphonyError('E_TIMEOUT', 'slow');
      return n;
    });
    const r = await conductor.run({ name: 'retry', steps: [{ id: 'x', uses: 'test.flaky/go', retry: { count: 3, backoffMs: 1 } }] });
    expect(r.status).toBe('succeeded');
    expect(r.steps[0]?.attempts).toBe(3);
  });

  it('cancels a run cleanly: running steps see the abort, the run ends cancelled and can resume', async () => {
    const { conductor } = await start();
    let release!: () => void;
    const entered = new Promise<void>((resolve) => (release = resolve));
    conductor.registerStep('test.slow/wait', (_input, ctx) => {
      release();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve('late'), 10_000);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new SymphonyError('E_ABORTED', 'stopped'));
        });
      });
    });
    const handle = conductor.start({ name: 'slow', steps: [{ id: 'w', uses: 'test.slow/wait' }] });
    await entered;
    expect(conductor.cancel(handle.runId)).toBe(true);
    const r = await handle.done;
    expect(r.status).toBe('cancelled');
    expect(conductor.show(handle.runId).run.status).toBe('cancelled');
  });

  it('a cancel in the same tick as the start (before pit.dag holds the run) still ends it cancelled, cleanup run', async () => {
    const { conductor } = await start();
    const ran: string[] = [];
    conductor.registerStep('test.early/go', (input) => void ran.push((input as { id: string }).id));
    const handle = conductor.start({ name: 'early', steps: [{ id: 'a', uses: 'test.early/go', with: { id: 'a' } }, { id: 'z', uses: 'test.early/go', needs: ['a'], if: 'cancelled()', with: { id: 'z' } }] });
    expect(conductor.cancel(handle.runId)).toBe(true);
    const r = await handle.done;
    expect(r.status).toBe('cancelled');
    expect(ran).toEqual(['z']);
    expect(r.steps.map((s) => s.state)).toEqual(['skipped', 'done']);
  });

  it('after a cancel runs the always() / cancelled() cleanup steps (their signal live), skips the rest; cancelling again changes nothing, a force-cancel aborts the cleanup', async () => {
    const { conductor, kernel } = await start();
    const ran: string[] = [];
    const entered = new Map<string, () => void>();
    const inside = (id: string) => new Promise<void>((resolve) => entered.set(id, resolve));
    conductor.registerStep('test.cleanup/hold', (input, ctx) => {
      const id = (input as { id: string }).id;
      ran.push(id);
      entered.get(id)?.();
      return new Promise((_resolve, reject) => {
        if (ctx.signal.aborted) reject(new SymphonyError('E_ABORTED', `${id} started aborted`));
        ctx.signal.addEventListener('abort', () => reject(new SymphonyError('E_ABORTED', `${id} stopped`)));
      });
    });
    conductor.registerStep('test.cleanup/quick', (input) => {
      const id = (input as { id: string }).id;
      ran.push(id);
      entered.get(id)?.();
    });
    const wf = {
      name: 'cleanup',
      steps: [
        { id: 'work', uses: 'test.cleanup/hold', with: { id: 'work' } },
        { id: 'next', uses: 'test.cleanup/quick', needs: ['work'], with: { id: 'next' } },
        { id: 'teardown', uses: 'test.cleanup/hold', needs: ['work'], if: 'always()', with: { id: 'teardown' } },
        { id: 'report', uses: 'test.cleanup/quick', needs: ['work'], if: 'cancelled()', with: { id: 'report' } },
        { id: 'late', uses: 'test.cleanup/quick', needs: ['teardown'], if: 'always()', with: { id: 'late' } },
      ],
    };
    const work = inside('work');
    // The cleanup steps have started (with a live signal) and `report` is acknowledged.
    const reported = new Promise<void>((resolve) => kernel.events.on('step:end', (e: { stepId: string }) => e.stepId === 'report' && resolve()));
    const cleanup = Promise.all([inside('teardown'), reported]);
    const handle = conductor.start(wf);
    await work;
    expect(conductor.cancel(handle.runId)).toBe(true);
    await cleanup;
    // Cancelling again (a retried request, a second user) changes nothing: the cleanup goes on.
    expect(conductor.cancel(handle.runId)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(conductor.show(handle.runId).steps.find((s) => s.stepId === 'teardown')?.state).toBe('running');
    expect(conductor.cancel(handle.runId, { force: true })).toBe(true); // GitHub's force-cancel: the cleanup is aborted
    const r = await handle.done;
    expect(r.status).toBe('cancelled');
    expect(ran.sort()).toEqual(['report', 'teardown', 'work']);
    expect(Object.fromEntries(r.steps.map((s) => [s.stepId, s.state]))).toEqual({ work: 'failed', next: 'skipped', teardown: 'failed', report: 'done', late: 'pending' });
    expect(r.error?.code).toBe('E_ABORTED');
  });
});
