import { describe, expect, it } from 'vitest';
import { SymphonyError } from '@symphony/types';
import { harnessesPerTest, drive } from './helpers.js';

const { h, keep } = harnessesPerTest();

const fails = (id: string) => (s: { stepId: string }) => {
  if (s.stepId === id) throw new SymphonyError('E_STEP_FAILED', `${id} broke`);
  return s.stepId;
};
const states = (final: { steps: Array<{ stepId: string; state: string }> }) => Object.fromEntries(final.steps.map((s) => [s.stepId, s.state]));

describe('status functions wired to the run (GitHub semantics)', () => {
  const workflow = {
    name: 'cleanup',
    steps: [
      { id: 'build', uses: 'acme.x/run' },
      { id: 'test', uses: 'acme.x/run', needs: ['build'] },
      { id: 'report', uses: 'acme.x/run', needs: ['test'], if: 'failure()' },
      { id: 'notify', uses: 'acme.x/run', needs: ['report'], if: '${{ always() }}', with: { build: '${{ steps.build.outcome }}', test: '${{ steps.test.conclusion }}' } },
      { id: 'publish', uses: 'acme.x/run', needs: ['notify'] },
      { id: 'guarded', uses: 'acme.x/run', needs: ['notify'], if: "inputs.go == 'yes'" },
    ],
    inputs: { go: { type: 'string', default: 'YES' } },
  };

  it('after a failure: steps without if: are skipped, failure() and always() steps run, the run fails', async () => {
    const x = h();
    const run = await x.dag.createRun(workflow);
    const ran: string[] = [];
    const final = await drive(x.dag, run.runId, (s) => {
      ran.push(s.stepId);
      if (s.stepId === 'notify') return x.dag.resolveInputs(run.runId, s.stepId);
      return fails('build')(s);
    });
    expect(final.status).toBe('failed');
    expect(ran).toEqual(['build', 'report', 'notify']);
    expect(states(final)).toEqual({ build: 'failed', test: 'skipped', report: 'done', notify: 'done', publish: 'skipped', guarded: 'skipped' });
    expect(x.artifacts.value('cleanup/notify')).toEqual({ build: 'failure', test: 'skipped' });
  });

  it('on success: failure() steps are skipped, always() and plain steps run, and `==` ignores case', async () => {
    const x = h();
    const run = await x.dag.createRun(workflow);
    const ran: string[] = [];
    const final = await drive(x.dag, run.runId, (s) => (ran.push(s.stepId), s.stepId));
    expect(final.status).toBe('succeeded');
    expect(ran).toEqual(['build', 'test', 'notify', 'publish', 'guarded']);
    expect(states(final).report).toBe('skipped');
  });

  it('continue-on-error: outcome is failure, conclusion success, and success() still holds', async () => {
    const x = h();
    const run = await x.dag.createRun({
      name: 'coe',
      steps: [
        { id: 'lint', uses: 'acme.x/run', continueOnError: true },
        { id: 'after', uses: 'acme.x/run', needs: ['lint'], with: { o: '${{ steps.lint.outcome }}', c: '${{ steps.lint.conclusion }}', ok: '${{ success() }}' } },
        { id: 'onfail', uses: 'acme.x/run', needs: ['lint'], if: "steps.lint.outcome == 'failure'" },
      ],
    });
    const final = await drive(x.dag, run.runId, (s) => (s.stepId === 'lint' ? fails('lint')(s) : x.dag.resolveInputs(run.runId, s.stepId)));
    expect(final.status).toBe('succeeded');
    expect(x.artifacts.value('coe/after')).toEqual({ o: 'failure', c: 'success', ok: true });
    expect(states(final).onfail).toBe('done');
  });

  it('a step queued on success() before a parallel failure is skipped, an always() one still runs', async () => {
    const x = h();
    const run = await x.dag.createRun({
      name: 'parallel',
      steps: [
        { id: 'a', uses: 'acme.x/run' },
        { id: 'b', uses: 'acme.x/run' },
        { id: 'c', uses: 'acme.x/run', if: 'always()' },
      ],
      concurrency: 1,
    });
    const [a] = x.dag.next(run.runId);
    expect(a?.stepId).toBe('a');
    await x.dag.fail(run.runId, 'a', new SymphonyError('E_STEP_FAILED', 'no'));
    const next = x.dag.next(run.runId);
    expect(next.map((s) => s.stepId)).toEqual(['c']);
    await x.dag.complete(run.runId, 'c');
    const final = await x.dag.whenDone(run.runId);
    expect(final.status).toBe('failed');
    expect(states(final)).toEqual({ a: 'failed', b: 'skipped', c: 'done' });
  });

  it('after a crash mid-cleanup, the resumed run still runs the always() step and skips the rest', async () => {
    let x = h();
    const run = await x.dag.createRun({
      name: 'crash-cleanup',
      steps: [
        { id: 'a', uses: 'acme.x/run' },
        { id: 'b', uses: 'acme.x/run', needs: ['a'] },
        { id: 'cleanup', uses: 'acme.x/run', needs: ['a'], if: 'always()' },
      ],
    });
    x.dag.next(run.runId);
    await x.dag.fail(run.runId, 'a', new SymphonyError('E_STEP_FAILED', 'no'));
    expect(x.dag.ready(run.runId)).toEqual(['cleanup']);
    await x.ledger.flushed();
    x = await x.reopen(); // the process dies before cleanup starts
    keep(x);
    const resumed = await x.dag.resume(run.runId);
    expect(states(resumed)).toMatchObject({ a: 'failed', b: 'skipped', cleanup: 'ready' });
    const final = await drive(x.dag, run.runId, (s) => s.stepId);
    expect(final.status).toBe('failed');
    expect(states(final)).toEqual({ a: 'failed', b: 'skipped', cleanup: 'done' });
  });

  it('reads step ids case-insensitively and computed references through *', async () => {
    const x = h();
    const run = await x.dag.createRun({
      name: 'case',
      steps: [
        { id: 'Build', uses: 'acme.x/run' },
        { id: 'use', uses: 'acme.x/run', with: { v: '${{ steps.build.output }}', all: '${{ steps.*.outcome }}' } },
      ],
    });
    await drive(x.dag, run.runId, (s) => (s.stepId === 'Build' ? 'built' : x.dag.resolveInputs(run.runId, s.stepId)));
    expect(x.artifacts.value('case/use')).toEqual({ v: 'built', all: ['success'] });
  });
});
