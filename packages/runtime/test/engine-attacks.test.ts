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
          { id: 'loop', uses: 'test.hostile/cycle' },
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
