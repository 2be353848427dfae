import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StepLogEvent } from '@symphony/types';
import { afterEach, describe, expect, it } from 'vitest';
import { createSymphony } from '../src/index.js';

const LOGS = fileURLToPath(new URL('./fixtures/logs/extensions', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Waits (bounded) until `done` holds: stdout is a separate pipe and may trail the step's result. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.each(['worker', 'process'] as const)('step logs from a %s extension', (mode) => {
  it('ctx.log, stdout and stderr of a real run (two steps at once in one instance) arrive as step:log with the right step and attempt, and a flood is cut with one marker', async () => {
    const home = mkdtempSync(join(tmpdir(), `symphony-steplogs-${mode}-`));
    dirs.push(home);
    const symphony = await createSymphony({ home, builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', extensions: [{ path: LOGS, mode }] });
    const logs: StepLogEvent[] = [];
    symphony.kernel.events.on('step:log', (e) => logs.push(e));
    try {
      const result = await symphony.run({
        name: `logs-${mode}`,
        steps: [
          { id: 'alpha', uses: 'test.logs/say', with: { word: 'alpha' } },
          { id: 'beta', uses: 'test.logs/say', with: { word: 'beta' } },
          { id: 'flood', uses: 'test.logs/flood', with: { lines: 1_100 }, needs: ['alpha', 'beta'] },
        ],
      });
      expect(result.status).toBe('succeeded');
      const of = (stepId: string) => logs.filter((e) => e.stepId === stepId && e.runId === result.runId);
      await until(() => of('alpha').length >= 4 && of('beta').length >= 4);
      for (const word of ['alpha', 'beta']) {
        const lines = of(word).map((e) => ({ stream: e.stream, level: e.level, line: e.line, attempt: e.attempt }));
        expect(lines).toEqual(
          expect.arrayContaining([
            { stream: 'log', level: 'info', line: `log ${word}`, attempt: 1 },
            { stream: 'log', level: 'warn', line: `warn ${word}`, attempt: 1 },
            { stream: 'stdout', level: undefined, line: `stdout ${word}`, attempt: 1 },
            { stream: 'stderr', level: undefined, line: `stderr ${word}`, attempt: 1 },
          ]),
        );
        // Nothing of the other step leaked in.
        expect(of(word).every((e) => e.line.endsWith(word))).toBe(true);
      }
      const flood = of('flood');
      expect(flood.filter((e) => !e.truncated)).toHaveLength(1_000);
      expect(flood.filter((e) => e.truncated)).toHaveLength(1);
      expect(flood.at(-1)?.truncated).toBe(true);
      expect(flood[999]?.line).toBe('line 999');
    } finally {
      await symphony.close();
    }
  }, 60_000);
});

describe('an over-long ctx.log line (outsider attack on issue 18)', () => {
  it('is cut with a marker, and the lines after it are still kept', async () => {
    const home = mkdtempSync(join(tmpdir(), 'symphony-steplogs-long-'));
    dirs.push(home);
    const symphony = await createSymphony({ home, builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', extensions: [{ path: LOGS, mode: 'worker' }] });
    const logs: StepLogEvent[] = [];
    symphony.kernel.events.on('step:log', (e) => logs.push(e));
    try {
      const result = await symphony.run({ name: 'logs-long', steps: [{ id: 'long', uses: 'test.logs/long', with: { chars: 300_000 } }] });
      expect(result.status).toBe('succeeded');
      const of = logs.filter((e) => e.runId === result.runId);
      await until(() => of.length >= 2);
      expect(of.some((e) => e.truncated)).toBe(false);
      expect(of[0]?.line.length).toBeLessThan(9_000);
      expect(of[0]?.line).toMatch(/^L+ …\[\d+ more characters dropped\]$/);
      expect(of[1]?.line).toBe('after the long line');
    } finally {
      await symphony.close();
    }
  }, 60_000);
});
