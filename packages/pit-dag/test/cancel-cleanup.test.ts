import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SymphonyError } from '@symphony/types';
import { cleanupWorkflow } from './fixtures/workflow.mjs';
import { harnessesPerTest, drive, harness } from './helpers.js';
import { evaluateCondition } from '../src/expressions.js';
import type { StartedStep } from '../src/types.js';

const { h, keep } = harnessesPerTest();

/** Resolves never; rejects with the signal's reason once the step is aborted. */
const untilAborted = (s: StartedStep): Promise<never> =>
  new Promise((_, reject) => s.signal.addEventListener('abort', () => reject(s.signal.reason), { once: true }));

const states = (view: { steps: { stepId: string; state: string }[] }) => Object.fromEntries(view.steps.map((s) => [s.stepId, s.state]));

describe('status functions in a cancelled run', () => {
  const at = (failed: boolean) => ({ inputs: {}, steps: {}, job: { status: 'cancelled' as const, failed } });
  it.each([
    ['success()', false, false],
    ['failure()', false, true],
    ['cancelled()', true, true],
    ['always()', true, true],
    [undefined, false, false],
    ['inputs.x == null', false, false],
    ['cancelled() && !failure()', true, false],
  ])('if: %s (no step failed: %s, a step failed: %s)', (condition, clean, failed) => {
    expect(evaluateCondition(condition, at(false))).toBe(clean);
    expect(evaluateCondition(condition, at(true))).toBe(failed);
  });
});

describe('cancel: GitHub-style cleanup steps', () => {
  it('aborts the running step, skips what needs success(), runs always() / cancelled() steps, ends cancelled', async () => {
    const x = h();
    const run = await x.dag.createRun(cleanupWorkflow());
    const ran: Array<[string, unknown]> = [];
    const final = await drive(x.dag, run.runId, (s) => {
      ran.push([s.stepId, x.dag.resolveInputs(run.runId, s.stepId)]);
      if (s.stepId !== 'work') return s.stepId;
      setImmediate(() => void x.dag.cancel(run.runId, 'user asked'));
      return untilAborted(s);
    });
    expect(final.status).toBe('cancelled');
    // The cleanup saw the aborted step's outcome as GitHub shows it.
    expect(ran).toEqual([['work', {}], ['cleanup', { work: 'cancelled' }], ['notify', {}]]);
    expect(states(final)).toEqual({ work: 'failed', after: 'skipped', 'on-success': 'skipped', 'on-failure': 'skipped', cleanup: 'done', notify: 'done' });
    expect(final.steps[0]?.error?.code).toBe('E_ABORTED');
    // An aborted attempt is no failure of the run: no run error, and the record says why it ended.
    expect(x.dag.record(run.runId)).toMatchObject({ status: 'cancelled', cancelled: { reason: 'user asked' } });
    expect(x.dag.record(run.runId)?.error).toBeUndefined();
    expect(x.events.at(-1)).toMatchObject({ name: 'run:end', payload: { status: 'cancelled' } });
  });

  it('failure() holds in a cancelled run only when a step had failed for good', async () => {
    const x = h();
    const wf = {
      name: 'failed-then-cancelled',
      steps: [
        { id: 'bad', uses: 'acme.x/run' },
        { id: 'slow', uses: 'acme.x/run' },
        { id: 'on-failure', uses: 'acme.x/run', needs: ['slow'], if: 'failure()' },
        { id: 'on-cancel', uses: 'acme.x/run', needs: ['slow'], if: 'cancelled() && !success()' },
      ],
    };
    const run = await x.dag.createRun(wf);
    const ran: string[] = [];
    const final = await drive(x.dag, run.runId, async (s) => {
      ran.push(s.stepId);
      if (s.stepId === 'bad') throw new Error('boom');
      if (s.stepId !== 'slow') return null;
      // Cancelled once `bad` has failed for good.
      x.emitter.once('step:fail', () => void x.dag.cancel(run.runId));
      return untilAborted(s);
    });
    expect(final.status).toBe('cancelled');
    expect(ran.sort()).toEqual(['bad', 'on-cancel', 'on-failure', 'slow']);
    expect(states(final)).toMatchObject({ bad: 'failed', slow: 'failed', 'on-failure': 'done', 'on-cancel': 'done' });
  });

  it('a step waiting out a retry backoff at the cancel never retries; its always() successor runs', async () => {
    const x = h();
    const wf = {
      name: 'backoff-cleanup',
      steps: [
        { id: 'flaky', uses: 'acme.x/run', retry: { count: 3, backoffMs: 60_000 } },
        { id: 'cleanup', uses: 'acme.x/run', needs: ['flaky'], if: 'always()', with: { was: '${{ steps.flaky.outcome }}' } },
      ],
    };
    const run = await x.dag.createRun(wf);
    x.dag.next(run.runId);
    await x.dag.fail(run.runId, 'flaky', new Error('flaky'));
    await x.dag.cancel(run.runId);
    const [cleanup] = x.dag.next(run.runId);
    expect(cleanup?.stepId).toBe('cleanup');
    expect(x.dag.resolveInputs(run.runId, 'cleanup')).toEqual({ was: 'cancelled' });
    await x.dag.complete(run.runId, 'cleanup');
    const final = await x.dag.whenDone(run.runId);
    expect(final.status).toBe('cancelled');
    expect(final.steps.map((s) => [s.state, s.attempts])).toEqual([['failed', 1], ['done', 1]]);
  });

  it('a second cancel aborts the cleanup steps too and ends the run (nothing more starts)', async () => {
    const x = h();
    const run = await x.dag.createRun(cleanupWorkflow());
    const [work] = x.dag.next(run.runId);
    await x.dag.cancel(run.runId, 'first');
    await x.dag.fail(run.runId, 'work', work!.signal.reason);
    const [cleanup] = x.dag.next(run.runId);
    expect(cleanup?.stepId).toBe('cleanup');
    expect(cleanup!.signal.aborted).toBe(false);
    await x.dag.cancel(run.runId, 'again');
    expect(cleanup!.signal.aborted).toBe(true);
    expect((cleanup!.signal.reason as SymphonyError).code).toBe('E_ABORTED');
    await x.dag.fail(run.runId, 'cleanup', cleanup!.signal.reason);
    const final = await x.dag.whenDone(run.runId);
    expect(final.status).toBe('cancelled');
    // `notify` (cancelled(), after the cleanup) never started.
    expect(states(final)).toMatchObject({ work: 'failed', cleanup: 'failed', notify: 'pending' });
    expect(x.dag.record(run.runId)?.cancelled).toMatchObject({ reason: 'first', forced: true });
    // A third cancel changes nothing.
    await expect(x.dag.cancel(run.runId)).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });

  it('a restart after a second cancel resumes into nothing: the run ends cancelled, no step offered', async () => {
    let x = h();
    const run = await x.dag.createRun(cleanupWorkflow());
    x.dag.next(run.runId);
    await x.dag.cancel(run.runId);
    await x.dag.cancel(run.runId); // forced; the process dies before `work` reports its abort
    await x.ledger.flushed();
    x = await x.reopen();
    keep(x);
    await x.dag.resume(run.runId);
    expect(x.dag.next(run.runId)).toEqual([]);
    const final = await x.dag.whenDone(run.runId);
    expect(final.status).toBe('cancelled');
    expect(final.steps.every((s) => s.state !== 'done')).toBe(true);
  });

  it('a restart after the cancel resumes into the cleanup, not into the work', async () => {
    let x = h();
    const run = await x.dag.createRun(cleanupWorkflow());
    x.dag.next(run.runId);
    await x.dag.cancel(run.runId); // the process dies before `work` reports its abort
    await x.ledger.flushed();
    x = await x.reopen();
    keep(x);
    const resumed = await x.dag.resume(run.runId);
    expect(resumed.status).toBe('running');
    const ran: string[] = [];
    const final = await drive(x.dag, run.runId, (s) => void ran.push(s.stepId));
    expect(ran).toEqual(['cleanup', 'notify']);
    expect(final.status).toBe('cancelled');
    expect(states(final)).toMatchObject({ work: 'skipped', after: 'skipped', cleanup: 'done', notify: 'done' });
  });
});

const here = fileURLToPath(new URL('.', import.meta.url));
describe.skipIf(!existsSync(join(here, '..', 'dist', 'index.js')))('cancel cleanup across a SIGKILL', () => {
  it('a process killed during its cleanup step: the resumed run runs that cleanup once more, and ends cancelled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pit-dag-cancel-'));
    try {
      const ledgerPath = join(dir, 'ledger');
      const log = join(dir, 'exec.log');
      writeFileSync(log, '');
      await new Promise<void>((resolve, reject) => {
        const proc = fork(join(here, 'fixtures', 'cancel-child.mjs'), [ledgerPath, 'r1', log], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
        let stderr = '';
        proc.stderr?.on('data', (d) => (stderr += d));
        proc.on('message', (m) => m === 'cleanup' && proc.kill('SIGKILL'));
        proc.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child ended without being killed: ${stderr}`))));
      });
      expect(readFileSync(log, 'utf8')).toBe('exec work\nexec cleanup\n');
      const x = harness(dir, false);
      keep(x);
      expect(x.dag.record('r1')).toMatchObject({ status: 'running', cancelled: { reason: 'test' } });
      await x.dag.resume('r1');
      const ran: string[] = [];
      const final = await drive(x.dag, 'r1', (s) => void ran.push(s.stepId));
      expect(ran).toEqual(['cleanup', 'notify']);
      expect(final.status).toBe('cancelled');
      expect(states(final)).toMatchObject({ work: 'failed', after: 'skipped', 'on-success': 'skipped', cleanup: 'done', notify: 'done' });
      // The attempt the kill cut off was given back: the one that ran is attempt 1.
      expect(final.steps.find((s) => s.stepId === 'cleanup')?.attempts).toBe(1);
      await expect(x.dag.resume('r1')).rejects.toMatchObject({ code: 'E_CONFLICT' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('random SIGKILLs around the cancel and the cleanup: every run ends cancelled, its cleanup acknowledged, no acknowledged step run again, no success() step ever run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pit-dag-cancel-random-'));
    const child = join(here, 'fixtures', 'cancel-random-child.mjs');
    const spawnChild = (args: string[], killAfterMs?: number) =>
      new Promise<void>((resolve) => {
        const proc = fork(child, args, { execArgv: [], stdio: 'ignore' });
        const timer = killAfterMs === undefined ? undefined : setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
        proc.on('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    try {
      for (let trial = 0; trial < 8; trial++) {
        const at = join(dir, `trial-${trial}`);
        const args = [join(at, 'ledger'), 'r', join(dir, `log-${trial}`)];
        writeFileSync(args[2] as string, '');
        // Killed somewhere between its start-up and the end of its cleanup, then resumed (maybe killed again) until done.
        await spawnChild(args, 150 + Math.random() * 350);
        let log = readFileSync(args[2] as string, 'utf8');
        for (let k = 0; k < 4 && !log.includes('final'); k++) {
          await spawnChild(args, k === 0 && Math.random() < 0.5 ? 150 + Math.random() * 300 : undefined);
          log = readFileSync(args[2] as string, 'utf8');
        }
        const acked = new Set<string>();
        for (const line of log.trim().split('\n')) {
          const [kind, stepId] = line.split(' ') as [string, string];
          if (kind === 'exec') expect(acked.has(stepId), `${stepId} ran again after its acknowledgement:\n${log}`).toBe(false);
          if (kind === 'exec') expect(['after', 'on-success', 'on-failure'], log).not.toContain(stepId);
          if (kind === 'ack') acked.add(stepId);
        }
        const finals = log.split('\n').filter((l) => l.startsWith('final'));
        expect(finals, log).toEqual(['final cancelled']);
        const x = harness(at, false);
        try {
          expect(states(x.dag.state('r')), log).toMatchObject({ after: 'skipped', 'on-success': 'skipped', 'on-failure': 'skipped', cleanup: 'done', notify: 'done' });
        } finally {
          await x.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
