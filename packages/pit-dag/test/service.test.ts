import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactStore, closeLedger, openLedger } from '@symphony/pit-artifacts';
import { SymphonyError } from '@symphony/types';
import { createDagService } from '../src/service.js';
import { harnessesPerTest, drive } from './helpers.js';

const { h, keep } = harnessesPerTest();

const diamond = {
  name: 'diamond',
  steps: [
    { id: 'a', uses: 'acme.x/run', with: { n: '${{ inputs.n }}' } },
    { id: 'b', uses: 'acme.x/run', needs: ['a'], with: { from: '${{ steps.a.output.n }}' } },
    { id: 'c', uses: 'acme.x/run', needs: ['a'] },
    { id: 'd', uses: 'acme.x/run', needs: ['b', 'c'], with: { both: ['${{ steps.b.output.from }}', '${{ steps.c.output }}'] } },
  ],
  inputs: { n: { type: 'number', default: 7 } },
};

describe('pit.dag: driving a run', () => {
  it('runs a diamond, resolving with: from recorded outputs, and emits every transition in order', async () => {
    const x = h();
    const run = await x.dag.createRun(diamond);
    const final = await drive(x.dag, run.runId, (s) => (s.stepId === 'c' ? 'c-out' : x.dag.resolveInputs(run.runId, s.stepId)));
    expect(final.status).toBe('succeeded');
    expect(x.artifacts.value('diamond/d')).toEqual({ both: [7, 'c-out'] });
    // Lineage: d was made from b's and c's outputs.
    const d = final.steps.find((s) => s.stepId === 'd')?.output;
    expect(x.artifacts.inputsOf(d as never).map((r) => r.name).sort()).toEqual(['diamond/b', 'diamond/c']);
    const names = x.events.map((e) => `${e.name}${e.payload.stepId ? `:${e.payload.stepId}` : ''}`);
    expect(names[0]).toBe('run:start');
    expect(names.at(-1)).toBe('run:end');
    for (const id of ['a', 'b', 'c', 'd']) {
      const order = ['step:ready', 'step:start', 'step:end'].map((n) => names.indexOf(`${n}:${id}`));
      expect(order.every((k) => k > 0)).toBe(true);
      expect(order).toEqual([...order].sort((p, q) => p - q));
    }
    // Pipelined release: d is ready once b and c started and completed in memory; every step's
    // acknowledgement (step:end) still comes before the run ends.
    expect(names.indexOf('step:start:b')).toBeLessThan(names.indexOf('step:ready:d'));
    expect(names.indexOf('step:start:c')).toBeLessThan(names.indexOf('step:ready:d'));
    for (const id of ['a', 'b', 'c', 'd']) expect(names.indexOf(`step:end:${id}`)).toBeLessThan(names.indexOf('run:end'));
    expect(x.events.at(-1)?.payload).toMatchObject({ runId: run.runId, status: 'succeeded' });
  });

  it('offers the ready set critical-first and keeps to the concurrency limit', async () => {
    const x = h();
    const run = await x.dag.createRun(
      {
        name: 'fan',
        concurrency: 2,
        steps: [
          { id: 'short', uses: 'acme.x/run' },
          { id: 'long', uses: 'acme.x/run' },
          { id: 'mid', uses: 'acme.x/run' },
          { id: 'after', uses: 'acme.x/run', needs: ['long'] },
        ],
      },
      { estimates: { short: 1, long: 10, mid: 5, after: 10 } },
    );
    expect(x.dag.ready(run.runId)).toEqual(['long', 'mid', 'short']);
    expect(x.dag.criticalPath(run.runId)).toMatchObject({ path: ['long', 'after'], length: 20, slack: { long: 0, after: 0, mid: 15, short: 19 } });
    const first = x.dag.next(run.runId);
    expect(first.map((s) => s.stepId)).toEqual(['long', 'mid']);
    expect(x.dag.next(run.runId)).toEqual([]);
    expect(() => x.dag.start(run.runId, 'short')).toThrow(/concurrency limit/);
    await x.dag.complete(run.runId, 'long');
    expect(x.dag.ready(run.runId)).toEqual(['after', 'short']);
    expect(x.dag.start(run.runId, 'short').attempt).toBe(1);
    await expect(x.dag.complete(run.runId, 'long')).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });

  it('retries per policy (backoff, codes), then fails the run and starts nothing new', async () => {
    const x = h();
    const run = await x.dag.createRun({
      name: 'retry',
      steps: [
        { id: 'flaky', uses: 'acme.x/run', retry: { count: 2, backoffMs: 1, factor: 2, on: ['E_TIMEOUT'] } },
        { id: 'picky', uses: 'acme.x/run', retry: { count: 5, backoffMs: 1, on: ['E_TIMEOUT'] } },
        { id: 'later', uses: 'acme.x/run', needs: ['flaky', 'picky'] },
      ],
    });
    const [flaky, picky] = x.dag.next(run.runId);
    expect(await x.dag.fail(run.runId, flaky!.stepId, new SymphonyError('E_TIMEOUT', 'slow'))).toEqual({ action: 'retry', attempt: 2, delayMs: 1 });
    await new Promise((r) => setTimeout(r, 20));
    const again = x.dag.next(run.runId);
    expect(again.map((s) => [s.stepId, s.attempt])).toEqual([['flaky', 2]]);
    expect(await x.dag.fail(run.runId, 'flaky', new SymphonyError('E_TIMEOUT', 'slow'))).toEqual({ action: 'retry', attempt: 3, delayMs: 2 });
    // A code outside `on` is not retried: the run fails, the in-flight step may still finish.
    expect(await x.dag.fail(run.runId, picky!.stepId, new SymphonyError('E_PERMISSION_DENIED', 'no'))).toEqual({ action: 'fail' });
    const final = await x.dag.whenDone(run.runId);
    expect(() => x.dag.next(run.runId)).toThrow(/not active/); // the ended run starts nothing
    expect(final.status).toBe('failed');
    // The retry flaky was waiting for never starts in a failing run: flaky fails for good with its
    // last error, so `later` is judged (skipped: it runs on success()) instead of left pending.
    expect(final.steps.find((s) => s.stepId === 'flaky')).toMatchObject({ state: 'failed', error: { code: 'E_TIMEOUT' } });
    expect(final.steps.find((s) => s.stepId === 'later')?.state).toBe('skipped');
    expect(x.events.filter((e) => e.name === 'step:retry')).toHaveLength(2);
    expect(x.events.find((e) => e.name === 'step:fail')?.payload).toMatchObject({ stepId: 'picky', error: { code: 'E_PERMISSION_DENIED' } });
    expect(x.dag.runs({ status: 'failed' }).map((r) => r.runId)).toEqual([run.runId]);
  });

  it('a step waiting out its retry when another fails for good fails with its last error, and a failure() step after it runs', async () => {
    const x = h();
    const run = await x.dag.createRun({
      name: 'cut-short',
      steps: [
        { id: 'slow-retry', uses: 'acme.x/run', retry: { count: 3, backoffMs: 60_000 } },
        { id: 'broken', uses: 'acme.x/run' },
        { id: 'report', uses: 'acme.x/run', needs: ['slow-retry', 'broken'], if: 'failure()' },
      ],
    });
    x.dag.next(run.runId);
    expect(await x.dag.fail(run.runId, 'slow-retry', new SymphonyError('E_STEP_FAILED', 'first'))).toMatchObject({ action: 'retry' });
    expect(await x.dag.fail(run.runId, 'broken', new SymphonyError('E_STEP_FAILED', 'for good'))).toEqual({ action: 'fail' });
    // No 60 s wait: the backoff is dropped, slow-retry fails for good, report is released.
    expect(x.dag.next(run.runId).map((s) => s.stepId)).toEqual(['report']);
    await x.dag.complete(run.runId, 'report');
    const final = await x.dag.whenDone(run.runId);
    expect(final.status).toBe('failed');
    expect(final.steps.find((s) => s.stepId === 'slow-retry')).toMatchObject({ state: 'failed', attempts: 1, error: { message: 'first' } });
    expect(final.steps.find((s) => s.stepId === 'report')?.state).toBe('done');
    expect(x.events.filter((e) => e.name === 'step:fail').map((e) => (e.payload as { stepId: string }).stepId)).toEqual(['broken', 'slow-retry']);
  });

  it('lets continueOnError failures through and skips steps whose if: is false', async () => {
    const x = h();
    const run = await x.dag.createRun({
      name: 'soft',
      steps: [
        { id: 'may-fail', uses: 'acme.x/run', continueOnError: true },
        { id: 'guarded', uses: 'acme.x/run', needs: ['may-fail'], if: "${{ steps.may-fail.outcome == 'success' }}" },
        { id: 'fallback', uses: 'acme.x/run', needs: ['may-fail'], if: "steps.may-fail.outcome == 'failure'" },
        { id: 'end', uses: 'acme.x/run', needs: ['guarded', 'fallback'] },
      ],
    });
    const final = await drive(x.dag, run.runId, (s) => {
      if (s.stepId === 'may-fail') throw new Error('boom');
      return s.stepId;
    });
    expect(final.status).toBe('succeeded');
    expect(Object.fromEntries(final.steps.map((s) => [s.stepId, s.state]))).toEqual({ 'may-fail': 'failed', guarded: 'skipped', fallback: 'done', end: 'done' });
    expect(x.events.find((e) => e.name === 'step:end' && e.payload.stepId === 'guarded')?.payload.skipped).toBe(true);
  });

  it('cancels: in-flight signals abort, steps without a status function are skipped, the run ends cancelled', async () => {
    const x = h();
    const run = await x.dag.createRun({ name: 'c', steps: [{ id: 'a', uses: 'acme.x/run' }, { id: 'b', uses: 'acme.x/run', needs: ['a'] }, { id: 'z', uses: 'acme.x/run' }] });
    const [a] = x.dag.next(run.runId, 1);
    await x.dag.cancel(run.runId, 'user asked');
    expect(a!.signal.aborted).toBe(true);
    expect((a!.signal.reason as SymphonyError).code).toBe('E_ABORTED');
    expect(x.dag.next(run.runId)).toEqual([]);
    await x.dag.complete(run.runId, 'a'); // finished work is still recorded
    const final = await x.dag.whenDone(run.runId);
    expect(final.status).toBe('cancelled');
    expect(final.steps.map((s) => s.state)).toEqual(['done', 'skipped', 'skipped']);
    expect(x.dag.record(run.runId)).toMatchObject({ status: 'cancelled', cancelled: { reason: 'user asked' } });
    await expect(x.dag.resume(run.runId)).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });

  it('still ends a cancelled run whose step ignores its signal, once the step times out', async () => {
    const x = h();
    const run = await x.dag.createRun({ name: 'stuck', steps: [{ id: 'hung', uses: 'acme.x/run', timeoutMs: 20 }, { id: 'next', uses: 'acme.x/run', needs: ['hung'] }] });
    x.dag.next(run.runId);
    await x.dag.cancel(run.runId);
    const final = await x.dag.whenDone(run.runId);
    expect(final.status).toBe('cancelled');
    expect(final.steps.map((s) => [s.state, s.error?.code])).toEqual([['failed', 'E_TIMEOUT'], ['skipped', undefined]]);
  });

  it('fails a step that outlives its timeoutMs with E_TIMEOUT and aborts its signal', async () => {
    const x = h();
    const run = await x.dag.createRun({ name: 't', steps: [{ id: 'slow', uses: 'acme.x/run', timeoutMs: 10 }] });
    const [slow] = x.dag.next(run.runId);
    const final = await x.dag.whenDone(run.runId);
    expect(slow!.signal.aborted).toBe(true);
    expect(final.status).toBe('failed');
    expect(final.steps[0]?.error?.code).toBe('E_TIMEOUT');
    await expect(x.dag.complete(run.runId, 'slow')).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });

  it('validates before anything runs', async () => {
    const x = h();
    await expect(x.dag.createRun({ name: 'bad', steps: [{ id: 'a', uses: 'acme.x/run', if: 'inputs.x ==' }] })).rejects.toMatchObject({ code: 'E_WORKFLOW_INVALID' });
    await expect(x.dag.createRun({ name: 'cyc', steps: [{ id: 'a', uses: 'acme.x/run', needs: ['b'] }, { id: 'b', uses: 'acme.x/run', needs: ['a'] }] })).rejects.toMatchObject({ code: 'E_CYCLE' });
    await expect(x.dag.createRun(diamond, { inputs: { n: 'seven' } })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(x.dag.createRun(diamond, { inputs: { other: 1 } })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await x.dag.createRun(diamond, { runId: 'fixed' });
    await expect(x.dag.createRun(diamond, { runId: 'fixed' })).rejects.toMatchObject({ code: 'E_CONFLICT' });
    expect(() => x.dag.ready('nope')).toThrow(/no run "nope"/);
    expect(x.events.filter((e) => e.name === 'run:start')).toHaveLength(1);
  });

  it('a step that returns nothing stores no artifact: successors, expressions and a resumed run see null', async () => {
    let x = h();
    const wf = {
      name: 'nothing',
      steps: [
        { id: 'a', uses: 'acme.x/run' },
        { id: 'b', uses: 'acme.x/run', needs: ['a'], with: { got: '${{ steps.a.output }}', isNull: '${{ steps.a.output == null }}' } },
        { id: 'c', uses: 'acme.x/run', needs: ['b'], with: { fromB: '${{ steps.b.output.got }}' } },
        { id: 'd', uses: 'acme.x/run', needs: ['a'], if: "steps.a.outcome == 'success'" },
        { id: 'e', uses: 'acme.x/run', needs: ['c'], with: { fromA: '${{ steps.a.output }}' } },
      ],
    };
    const run = await x.dag.createRun(wf);
    const [a] = x.dag.next(run.runId);
    // Nothing to keep: the completion is the step record alone.
    expect(await x.dag.completeWithOutput(run.runId, a!.stepId, undefined, { servedBy: 'acme.x/run' })).toBeUndefined();
    expect(x.artifacts.names('nothing/')).toEqual([]);
    const started = x.dag.next(run.runId).map((s) => s.stepId).sort();
    expect(started).toEqual(['b', 'd']);
    expect(x.dag.resolveInputs(run.runId, 'b')).toEqual({ got: null, isNull: true });
    await x.dag.completeWithOutput(run.runId, 'd', null);
    // A null output with metadata to keep (a tag) is still an artifact; so is any other value.
    const b = await x.dag.completeWithOutput(run.runId, 'b', x.dag.resolveInputs(run.runId, 'b'));
    expect(b).toMatchObject({ name: 'nothing/b', version: 1 });
    expect(x.artifacts.inputsOf(b!)).toEqual([]); // a's nothing is no lineage
    const end = x.events.find((e) => e.name === 'step:end' && e.payload.stepId === 'a');
    expect(end?.payload.output).toBeUndefined();
    expect(x.dag.state(run.runId).steps.find((s) => s.stepId === 'a')).toMatchObject({ state: 'done' });
    expect(x.dag.state(run.runId).steps.find((s) => s.stepId === 'a')?.servedBy).toBe('acme.x/run');
    // The process dies with c running: the resumed run reads a's null from its step record alone.
    x.dag.next(run.runId);
    await x.ledger.flushed();
    x = await x.reopen();
    keep(x);
    await x.dag.resume(run.runId);
    const again = x.dag.next(run.runId);
    expect(again.map((s) => s.stepId)).toEqual(['c']);
    expect(x.dag.resolveInputs(run.runId, 'c')).toEqual({ fromB: null });
    await x.dag.completeWithOutput(run.runId, 'c', 'c-out');
    x.dag.next(run.runId);
    expect(x.dag.resolveInputs(run.runId, 'e')).toEqual({ fromA: null });
    const tagged = await x.dag.completeWithOutput(run.runId, 'e', null, { tags: ['keep'] });
    expect(x.artifacts.value(tagged!.name, tagged!.version)).toBeNull();
    expect((await x.dag.whenDone(run.runId)).status).toBe('succeeded');
    expect(x.artifacts.names('nothing/').sort()).toEqual(['nothing/b', 'nothing/c', 'nothing/e']);
  });

  it('commits the output artifact and the completion together or not at all', async () => {
    const x = h();
    const run = await x.dag.createRun({ name: 'atomic', steps: [{ id: 'a', uses: 'acme.x/run' }] });
    x.dag.next(run.runId);
    // A function cannot be stored: the artifact write throws inside the transaction...
    await expect(x.dag.completeWithOutput(run.runId, 'a', () => 1)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    expect(x.artifacts.names('atomic/')).toEqual([]);
    expect(x.dag.state(run.runId).steps[0]?.state).toBe('running');
    // ...and the step can still complete properly afterwards.
    const ref = await x.dag.completeWithOutput(run.runId, 'a', { ok: true }, { tags: ['t'] });
    expect(x.artifacts.info(ref!.name, ref!.version)).toMatchObject({ kind: 'step-output', tags: ['t'], producer: { runId: run.runId, stepId: 'a' } });
    expect((await x.dag.whenDone(run.runId)).status).toBe('succeeded');
  });
});

describe('pit.dag: duration history', () => {
  it('learns step durations and ranks the next run by them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pit-dag-history-'));
    const ledger = openLedger({ path: dir });
    let clock = 1_000;
    const dag = createDagService({ ledger, artifacts: new ArtifactStore(ledger), now: () => clock });
    const workflow = { name: 'learn', steps: [{ id: 'quick', uses: 'acme.x/run' }, { id: 'slow', uses: 'acme.x/run' }] };
    const first = await dag.createRun(workflow);
    expect(dag.ready(first.runId)).toEqual(['quick', 'slow']); // no history: declaration order
    dag.next(first.runId);
    clock += 5;
    await dag.complete(first.runId, 'quick');
    clock += 500;
    await dag.complete(first.runId, 'slow');
    const second = await dag.createRun(workflow);
    expect(dag.ready(second.runId)).toEqual(['slow', 'quick']);
    expect(dag.criticalPath(second.runId)).toMatchObject({ path: ['slow'], length: 505 });
    dag.close();
    await closeLedger(ledger);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('pit.dag: resume after a restart', () => {
  it('re-runs nothing that finished and re-runs the interrupted step without spending an attempt', async () => {
    let x = h();
    const run = await x.dag.createRun({
      name: 'resume',
      steps: [
        { id: 'a', uses: 'acme.x/run' },
        { id: 'b', uses: 'acme.x/run', needs: ['a'], retry: { count: 1, backoffMs: 0 } },
        { id: 'c', uses: 'acme.x/run', needs: ['b'] },
      ],
    });
    x.dag.next(run.runId);
    await x.dag.completeWithOutput(run.runId, 'a', 'A');
    x.dag.next(run.runId); // b is running when the "process" stops
    await x.ledger.flushed();
    x = await x.reopen();
    keep(x);
    const [resumed, again] = await Promise.all([x.dag.resume(run.runId), x.dag.resume(run.runId)]);
    expect(again).toEqual(resumed); // one resume, shared
    expect(resumed.steps.map((s) => s.state)).toEqual(['done', 'ready', 'pending']);
    expect(x.events.map((e) => e.name)).toEqual(['run:start', 'step:ready']);
    const ran: string[] = [];
    const final = await drive(x.dag, run.runId, (s) => {
      ran.push(`${s.stepId}#${s.attempt}`);
      return x.dag.resolveInputs(run.runId, s.stepId);
    });
    // The host's crash is not the step's: b runs again as attempt 1, its one retry still unspent.
    expect(ran).toEqual(['b#1', 'c#1']);
    expect(final.status).toBe('succeeded');
    expect(final.steps.find((s) => s.stepId === 'b')).toMatchObject({ attempts: 1 });
    // b has a successor and the first driver releases successors pipelined: this crash is charged to no step.
    expect(final.steps.find((s) => s.stepId === 'b')?.interruptions ?? 0).toBe(0);
    expect(x.dag.runs().map((r) => r.status)).toEqual(['succeeded']);
  });

  it('cancels during a retry backoff, and resumes a step that crashed while waiting for its retry', async () => {
    let x = h();
    const wf = { name: 'backoff', steps: [{ id: 'a', uses: 'acme.x/run', retry: { count: 3, backoffMs: 60_000 } }] };
    const first = await x.dag.createRun(wf);
    x.dag.next(first.runId);
    expect(await x.dag.fail(first.runId, 'a', new Error('flaky'))).toMatchObject({ action: 'retry', delayMs: 60_000 });
    await x.dag.cancel(first.runId);
    expect((await x.dag.whenDone(first.runId)).status).toBe('cancelled');

    const second = await x.dag.createRun(wf);
    x.dag.next(second.runId);
    await x.dag.fail(second.runId, 'a', new Error('flaky')); // waits 60 s, then the process dies
    await x.ledger.flushed();
    x = await x.reopen();
    keep(x);
    const resumed = await x.dag.resume(second.runId);
    expect(resumed.steps[0]).toMatchObject({ state: 'ready', attempts: 1, error: { code: 'E_STEP_FAILED' } });
    expect(x.dag.next(second.runId)[0]?.attempt).toBe(2);
  });

  it('never spends attempts on host crashes, and fails a step that kills its host more than maxInterruptions times', async () => {
    let x = h();
    const run = await x.dag.createRun({ name: 'noretry', steps: [{ id: 'a', uses: 'acme.x/run' }, { id: 'b', uses: 'acme.x/run' }] });
    x.dag.next(run.runId, 1);
    await x.ledger.flushed();
    // Three host crashes (the default bound): each time the step runs again as attempt 1.
    for (let crash = 1; crash <= 3; crash++) {
      x = await x.reopen();
      keep(x);
      await x.dag.resume(run.runId);
      const again = x.dag.next(run.runId, 1);
      expect(again[0]).toMatchObject({ stepId: 'a', attempt: 1 });
      expect(x.dag.state(run.runId).steps[0]?.interruptions).toBe(crash);
      await x.ledger.flushed();
    }
    // The fourth interruption ends it: E_INTERRUPTED, the run fails.
    x = await x.reopen();
    keep(x);
    await x.dag.resume(run.runId);
    const final = await x.dag.whenDone(run.runId);
    expect(final.status).toBe('failed');
    expect(final.steps[0]).toMatchObject({ attempts: 1, interruptions: 4, error: { code: 'E_INTERRUPTED' } });
    expect(final.error).toMatchObject({ code: 'E_INTERRUPTED', stepId: 'a' });
  });
});

describe('pit.dag: group commit and pipelined release', () => {
  it('commits a pipelined chain and the end of its run in one transaction, and acknowledges nothing before it', async () => {
    const x = h();
    const steps = 40;
    const workflow = { name: 'pipelined', steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, uses: 'acme.x/run', ...(i ? { needs: [`s${i - 1}`] } : {}) })) };
    const run = await x.dag.createRun(workflow);
    const before = x.ledger.stats().transactions;
    const acks: Array<Promise<unknown>> = [];
    // Each successor is released as soon as its parent's output is in memory: no await in between.
    for (let ready = x.dag.next(run.runId); ready.length > 0; ready = x.dag.next(run.runId)) {
      for (const s of ready) acks.push(x.dag.completeWithOutput(run.runId, s.stepId, { n: s.stepId }));
    }
    expect(acks).toHaveLength(steps);
    // Nothing is acknowledged before its commit: no step:end and no run:end yet.
    expect(x.events.filter((e) => e.name === 'step:end' || e.name === 'run:end')).toEqual([]);
    await Promise.all(acks);
    // A driver that asks again right after its last acknowledgement hears "nothing ready".
    expect(x.dag.next(run.runId)).toEqual([]);
    const final = await x.dag.whenDone(run.runId);
    expect(final.status).toBe('succeeded');
    expect(x.ledger.stats().transactions - before).toBe(1);
    const ends = x.events.filter((e) => e.name === 'step:end' || e.name === 'run:end').map((e) => e.payload.stepId ?? e.name);
    expect(ends).toEqual([...workflow.steps.map((s) => s.id), 'run:end']);
    // All of it is in the ledger, as a restarted process sees it.
    const y = await x.reopen();
    keep(y);
    const state = y.dag.state(run.runId);
    expect(state.status).toBe('succeeded');
    expect(state.steps.every((s) => s.state === 'done' && s.output)).toBe(true);
    expect(y.dag.holder(run.runId)).toBeUndefined();
  });

  it('ends the run in a commit of its own when an earlier completion is still being committed', async () => {
    const x = h();
    const run = await x.dag.createRun({ name: 'two-turns', steps: [{ id: 'a', uses: 'acme.x/run' }, { id: 'b', uses: 'acme.x/run' }] });
    const [a, b] = x.dag.next(run.runId);
    const first = x.dag.complete(run.runId, (a as { stepId: string }).stepId);
    // Let a's batch go to the ledger (its commit may still be in flight), then finish b.
    await new Promise((resolve) => setImmediate(resolve));
    const second = x.dag.complete(run.runId, (b as { stepId: string }).stepId);
    await Promise.all([first, second]);
    expect((await x.dag.whenDone(run.runId)).status).toBe('succeeded');
    expect(x.events.map((e) => e.name).slice(-3)).toEqual(['step:end', 'step:end', 'run:end']);
  });
});

describe('pit.dag: duration history of older ledgers', () => {
  it('a damaged history record orders nothing and fails nothing: the run goes on and rewrites it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pit-dag-history-damaged-'));
    const ledger = openLedger({ path: dir });
    let clock = 1_000;
    const dag = createDagService({ ledger, artifacts: new ArtifactStore(ledger), now: () => clock });
    const workflow = { name: 'damaged', steps: [{ id: 'a', uses: 'acme.x/run' }, { id: 'b', uses: 'acme.x/run' }] };
    const first = await dag.createRun(workflow);
    for (const s of dag.next(first.runId)) {
      clock += s.stepId === 'b' ? 900 : 1;
      await dag.complete(first.runId, s.stepId);
    }
    await dag.whenDone(first.runId);
    // Every kind of damage to the stored record: bytes that are no msgpack, and a wrong shape.
    const raw = ledger.root.openDB({ name: 'dag.history', encoding: 'binary' });
    const history = ledger.db('dag.history');
    for (const damage of [() => raw.putSync(['damaged'], Buffer.from([0xc1, 0xff, 0x00, 0x13])), () => history.putSync(['damaged'], { ids: 'x', ms: 1 })]) {
      await ledger.transaction(damage);
      const run = await dag.createRun(workflow);
      expect(dag.ready(run.runId)).toEqual(['a', 'b']); // no history: declaration order
      for (const s of dag.next(run.runId)) {
        clock += s.stepId === 'b' ? 900 : 1;
        await dag.complete(run.runId, s.stepId);
      }
      expect((await dag.whenDone(run.runId)).status).toBe('succeeded');
      // Rewritten at the end: the next run is ranked by it again.
      const next = await dag.createRun(workflow);
      expect(dag.ready(next.runId)).toEqual(['b', 'a']);
      for (const s of dag.next(next.runId)) await dag.complete(next.runId, s.stepId);
      await dag.whenDone(next.runId);
    }
    dag.close();
    await closeLedger(ledger);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads per-step records written before the per-workflow record, and replaces them with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pit-dag-history-legacy-'));
    const ledger = openLedger({ path: dir });
    // As an older version wrote them: one record per step.
    const history = ledger.db('dag.history');
    await ledger.transaction(() => {
      history.putSync(['legacy', 'quick'], { ms: 2, n: 3 });
      history.putSync(['legacy', 'slow'], { ms: 900, n: 3 });
    });
    let clock = 1_000;
    const dag = createDagService({ ledger, artifacts: new ArtifactStore(ledger), now: () => clock });
    const workflow = { name: 'legacy', steps: [{ id: 'quick', uses: 'acme.x/run' }, { id: 'slow', uses: 'acme.x/run' }, { id: 'new', uses: 'acme.x/run' }] };
    const first = await dag.createRun(workflow);
    expect(dag.ready(first.runId)).toEqual(['slow', 'quick', 'new']);
    for (const s of dag.next(first.runId)) {
      clock += s.stepId === 'new' ? 5_000 : 1;
      await dag.complete(first.runId, s.stepId);
    }
    await dag.whenDone(first.runId);
    const second = await dag.createRun(workflow);
    // 'new' learned 5 s; 'slow' kept its history (900 ms folded with this run's 1 ms).
    expect(dag.ready(second.runId)).toEqual(['new', 'slow', 'quick']);
    dag.close();
    await closeLedger(ledger);
    rmSync(dir, { recursive: true, force: true });
  });
});
