import { describe, expect, it } from 'vitest';
import { SymphonyError } from '@symphony/types';
import { harnessesPerTest, drive } from './helpers.js';

const { h, keep } = harnessesPerTest();

// a → b → d, a → c → d, and e alone.
const wf = {
  name: 'again',
  steps: [
    { id: 'a', uses: 'acme.x/run', with: { n: '${{ inputs.n }}' } },
    { id: 'b', uses: 'acme.x/run', needs: ['a'], with: { from: '${{ steps.a.output.n }}' } },
    { id: 'c', uses: 'acme.x/run', needs: ['a'] },
    { id: 'd', uses: 'acme.x/run', needs: ['b', 'c'], with: { b: '${{ steps.b.output.from }}', c: '${{ steps.c.output }}' } },
    { id: 'e', uses: 'acme.x/run' },
  ],
  inputs: { n: { type: 'number', default: 7 } },
};

describe('pit.dag: a re-run that carries over an ended run\'s results (createRun({ reuse }))', () => {
  it('runs only the failed step and what follows it, reading the carried outputs; carried steps are marked', async () => {
    const x = h();
    const first = await x.dag.createRun(wf);
    const failing = await drive(x.dag, first.runId, (s) => {
      if (s.stepId === 'c') throw new SymphonyError('E_INPUT_INVALID', 'c is broken');
      return x.dag.resolveInputs(first.runId, s.stepId);
    });
    expect(failing.status).toBe('failed');
    expect(failing.steps.find((s) => s.stepId === 'd')?.state).toBe('skipped');

    const ran: string[] = [];
    const again = await x.dag.createRun(wf, { reuse: { runId: first.runId } });
    const final = await drive(x.dag, again.runId, (s) => {
      ran.push(s.stepId);
      return s.stepId === 'c' ? 'c fixed' : x.dag.resolveInputs(again.runId, s.stepId);
    });
    expect(final.status).toBe('succeeded');
    expect(ran.sort()).toEqual(['c', 'd']);
    // d read b's output from the first run and c's new one.
    expect(x.artifacts.value('again/d')).toEqual({ b: 7, c: 'c fixed' });
    const carried = Object.fromEntries(final.steps.map((s) => [s.stepId, s.reusedFrom]));
    expect(carried).toEqual({ a: first.runId, b: first.runId, c: undefined, d: undefined, e: first.runId });
    // The record in the ledger says so too (a view of a run nobody drives).
    expect(x.dag.state(again.runId).steps.filter((s) => s.reusedFrom).map((s) => s.stepId).sort()).toEqual(['a', 'b', 'e']);
    // Each carried step is announced as ended without an attempt, naming its run; nothing of it started.
    const mine = x.events.filter((e) => e.payload.runId === again.runId);
    expect(mine.filter((e) => e.name === 'step:end' && e.payload.reusedFrom).map((e) => [e.payload.stepId, e.payload.attempt, e.payload.reusedFrom]).sort()).toEqual([['a', 0, first.runId], ['b', 0, first.runId], ['e', 0, first.runId]]);
    expect(mine.filter((e) => e.name === 'step:start').map((e) => e.payload.stepId).sort()).toEqual(['c', 'd']);
    // The carried steps' outputs are the first run's artifact versions, not new ones.
    expect(final.steps.find((s) => s.stepId === 'b')?.output).toEqual(failing.steps.find((s) => s.stepId === 'b')?.output);
  });

  it('re-runs a named step and everything after it; a re-run of a re-run names the run that produced each result', async () => {
    const x = h();
    const first = await x.dag.createRun(wf);
    await drive(x.dag, first.runId, (s) => x.dag.resolveInputs(first.runId, s.stepId));
    const ran: string[] = [];
    const second = await x.dag.createRun(wf, { reuse: { runId: first.runId, rerun: ['b'] } });
    await drive(x.dag, second.runId, (s) => (ran.push(s.stepId), x.dag.resolveInputs(second.runId, s.stepId)));
    expect(ran.sort()).toEqual(['b', 'd']);
    const third = await x.dag.createRun(wf, { reuse: { runId: second.runId, rerun: ['e'] } });
    const final = await drive(x.dag, third.runId, (s) => (ran.push(s.stepId), x.dag.resolveInputs(third.runId, s.stepId)));
    expect(Object.fromEntries(final.steps.map((s) => [s.stepId, s.reusedFrom]))).toEqual({ a: first.runId, b: second.runId, c: first.runId, d: second.runId, e: undefined });
  });

  it('refuses a run that has not ended, an unknown run and an unknown step, writing nothing', async () => {
    const x = h();
    const live = await x.dag.createRun(wf);
    const before = x.dag.runs().length;
    await expect(x.dag.createRun(wf, { reuse: { runId: live.runId } })).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await expect(x.dag.createRun(wf, { reuse: { runId: 'nope' } })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await drive(x.dag, live.runId, (s) => x.dag.resolveInputs(live.runId, s.stepId));
    await expect(x.dag.createRun(wf, { reuse: { runId: live.runId, rerun: ['zz'] } })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    expect(x.dag.runs().length).toBe(before);
  });

  it('a re-run with nothing left to do ends succeeded at once; after a restart it still knows what was carried', async () => {
    let x = h();
    const first = await x.dag.createRun(wf);
    await drive(x.dag, first.runId, (s) => x.dag.resolveInputs(first.runId, s.stepId));
    const again = await x.dag.createRun(wf, { reuse: { runId: first.runId } });
    expect((await x.dag.whenDone(again.runId)).status).toBe('succeeded');
    x = await x.reopen();
    keep(x);
    expect(x.dag.state(again.runId).steps.every((s) => s.reusedFrom === first.runId)).toBe(true);
  });
});
