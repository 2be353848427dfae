import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSymphony } from '../src/index.js';

const FAULTY = fileURLToPath(new URL('./fixtures/faulty/extensions', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * The fault soak: 200 steps whose extension throws on 2% of calls, kills itself on 1% and hangs
 * on 0.5%, with `retry: { count: 3 }`. Every crash is a failed attempt of the steps it was
 * serving, the extension restarts, and the run's retries (not a wall-clock crash budget) decide.
 */
describe.each(['worker', 'process'] as const)('fault soak in %s mode', (mode) => {
  it('at least 99.5% of 200 steps succeed at 2% throws, 1% exits, 0.5% hangs with retry 3', async () => {
    const home = mkdtempSync(join(tmpdir(), `symphony-soak-${mode}-`));
    dirs.push(home);
    const symphony = await createSymphony({ home, builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', extensions: [{ path: FAULTY, mode }] });
    try {
      const steps = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, uses: 'test.faulty/flaky', with: { id: i }, retry: { count: 3, backoffMs: 1 }, timeoutMs: 1_000, continueOnError: true }));
      const result = await symphony.run({ name: `soak-${mode}`, concurrency: 16, steps });
      const done = result.steps.filter((s) => s.state === 'done').length;
      expect(done / 200, JSON.stringify(result.steps.filter((s) => s.state !== 'done').map((s) => s.error?.message))).toBeGreaterThanOrEqual(0.995);
      // The faults did happen: some steps needed more than one attempt.
      expect(result.steps.some((s) => s.attempts > 1)).toBe(true);
    } finally {
      await symphony.close();
    }
  }, 120_000);
});
