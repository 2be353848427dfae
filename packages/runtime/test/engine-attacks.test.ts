// An outsider's attacks on the run engine (issue 14), each one a fault it had: kept as tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSymphony } from '../src/index.js';

const HOSTILE = fileURLToPath(new URL('./fixtures/hostile/extensions', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const freshHome = (tag: string) => {
  const home = mkdtempSync(join(tmpdir(), `symphony-attack-${tag}-`));
  dirs.push(home);
  return home;
};

/**
 * A BigInt or a cyclic object crosses the extension boundary (structured clone, msgpack) but the
 * store keeps only JSON: pit.dag refused the output and left the step `running`, the Conductor
 * only logged it, and the run (and `symphony run`) waited forever.
 */
describe.each(['worker', 'process'] as const)('an output the store cannot keep (%s mode)', (mode) => {
  it('is a failed attempt (E_OUTPUT_INVALID), retried, then the run fails and a failure() step still runs', async () => {
    const symphony = await createSymphony({ home: freshHome(mode), builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', extensions: [{ path: HOSTILE, mode }] });
    try {
      const result = await symphony.run({
        name: `unstorable-${mode}`,
        steps: [
          { id: 'big', uses: 'test.hostile/bigint', retry: { count: 1, backoffMs: 1 } },
          // After big (always): big's retry is never cut short by loop failing the run first.
          { id: 'loop', uses: 'test.hostile/cycle', needs: ['big'], if: 'always()' },
          { id: 'after', needs: ['big', 'loop'], if: 'failure()', uses: 'test.hostile/ok', with: { big: '${{ steps.big.outcome }}' } },
        ],
      });
      expect(result.status).toBe('failed');
      const by = Object.fromEntries(result.steps.map((s) => [s.stepId, s]));
      expect(by.big).toMatchObject({ state: 'failed', attempts: 2, error: { code: 'E_OUTPUT_INVALID', details: { servedBy: 'test.hostile/bigint' } } });
      expect(by.big?.error?.message).toMatch(/BigInt/);
      expect(by.loop).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'E_OUTPUT_INVALID' } });
      expect(by.loop?.error?.message).toMatch(/circular/);
      expect(by.after).toMatchObject({ state: 'done' });
      expect(symphony.dag.record(result.runId)?.status).toBe('failed');
      expect(symphony.artifacts.names(`unstorable-${mode}/`)).toEqual([`unstorable-${mode}/after`]);
    } finally {
      await symphony.close();
    }
  }, 60_000);
});

/**
 * Listeners observe a run. One that threw (an embedder's bug; the server's event log when its disk
 * fails) threw inside the engine: on run:start/step:ready/step:start the run was left `running`
 * forever and `run()` rejected with the listener's raw error; on run:end the process crashed.
 */
describe('a run event listener that throws', () => {
  it('is logged and the run goes on to its true end, whatever event it listens to', async () => {
    const symphony = await createSymphony({ home: freshHome('listener'), builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', extensions: [{ path: HOSTILE, mode: 'worker' }] });
    const names = ['run:start', 'step:ready', 'step:start', 'step:progress', 'step:log', 'step:retry', 'step:fail', 'step:end', 'run:end'] as const;
    const heard = new Map<string, number>();
    for (const name of names) {
      symphony.kernel.events.on(name, () => {
        heard.set(name, (heard.get(name) ?? 0) + 1);
        throw new Error(`a listener of ${name} is broken`);
      });
    }
    try {
      const result = await symphony.run({
        name: 'listeners',
        steps: [
          { id: 'talk', uses: 'test.hostile/chatty' },
          { id: 'boom', needs: ['talk'], uses: 'test.hostile/boom', retry: { count: 1, backoffMs: 1 } },
          { id: 'cleanup', needs: ['boom'], if: 'failure()', uses: 'test.hostile/ok' },
        ],
      });
      expect(result.status).toBe('failed');
      expect(result.steps.map((s) => `${s.stepId}:${s.state}:${s.attempts}`)).toEqual(['talk:done:1', 'boom:failed:2', 'cleanup:done:1']);
      expect(symphony.dag.record(result.runId)?.status).toBe('failed');
      // Every event was emitted (and threw) at least once.
      expect(names.filter((n) => !heard.has(n))).toEqual([]);
      // A second run on the same Symphony is unaffected.
      const again = await symphony.run({ name: 'listeners-2', steps: [{ id: 'a', uses: 'test.hostile/ok' }] });
      expect(again.status).toBe('succeeded');
    } finally {
      await symphony.close();
    }
  }, 60_000);
});

/**
 * A step that times out: pit.dag fails it (E_TIMEOUT) and aborts the call; the aborted call came
 * back to the Conductor while the failure was being written and was applied as a second failure:
 * two step:fail events for one attempt, and the step's error became "was cancelled" (E_ABORTED).
 */
describe('a step that times out', () => {
  it('fails once, with E_TIMEOUT, after its retries; the aborted call is not a second failure', async () => {
    const symphony = await createSymphony({ home: freshHome('timeout'), builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', extensions: [{ path: HOSTILE, mode: 'worker' }] });
    const events: { name: string; stepId: string; code?: string }[] = [];
    for (const name of ['step:retry', 'step:fail'] as const) symphony.kernel.events.on(name, (e) => events.push({ name, stepId: e.stepId, code: e.error.code }));
    try {
      const result = await symphony.run({
        name: 'timeouts',
        steps: [
          { id: 'twice', uses: 'test.hostile/hang', timeoutMs: 200, retry: { count: 1, backoffMs: 0 } },
          // After twice (always): a failing run retries nothing, so once must not fail first.
          { id: 'once', uses: 'test.hostile/hang', timeoutMs: 200, needs: ['twice'], if: 'always()' },
          { id: 'cleanup', needs: ['once', 'twice'], if: 'always()', uses: 'test.hostile/ok' },
        ],
      });
      expect(result.status).toBe('failed');
      const by = Object.fromEntries(result.steps.map((s) => [s.stepId, s]));
      expect(by.once).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'E_TIMEOUT' } });
      expect(by.twice).toMatchObject({ state: 'failed', attempts: 2, error: { code: 'E_TIMEOUT' } });
      expect(by.cleanup).toMatchObject({ state: 'done' });
      expect(events.filter((e) => e.stepId === 'once')).toEqual([{ name: 'step:fail', stepId: 'once', code: 'E_TIMEOUT' }]);
      expect(events.filter((e) => e.stepId === 'twice')).toEqual([
        { name: 'step:retry', stepId: 'twice', code: 'E_TIMEOUT' },
        { name: 'step:fail', stepId: 'twice', code: 'E_TIMEOUT' },
      ]);
    } finally {
      await symphony.close();
    }
  }, 60_000);
});
