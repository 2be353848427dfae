import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, symphony } from './cli-harness.js';

// Outsider attacks on issue 14 (cancel semantics, stuck instances) that found something.
const ENGINE = join(FIXTURES, 'engine');
const work = mkdtempSync(join(tmpdir(), 'symphony-atkcancel-'));
const home = mkdtempSync(join(tmpdir(), 'symphony-atkcancel-home-')); // outside the workspace
afterAll(() => [work, home].forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('a stuck instance terminated while another step runs on it', () => {
  it('is not charged to the run crash budget: the always() step on the same extension still runs', async () => {
    // `spin` times out and never lets go: its worker is terminated, which also ends `busy`
    // (E_EXTENSION_CRASHED). With `crashBudget: 1` that termination used to spend the budget, so
    // `cleanup` failed E_EXTENSION_FAILED without ever being called.
    const run = await symphony(['run', join(ENGINE, 'stuck-budget.yaml'), '--json', '--home', home], { cwd: work });
    expect(run.code, run.stderr).toBe(1);
    const result = run.lines.find((l) => l.type === 'result') as { status: string; steps: { stepId: string; state: string; error?: { code: string; message: string } }[] };
    expect(result.status).toBe('failed');
    const steps = Object.fromEntries(result.steps.map((s) => [s.stepId, s]));
    expect(steps.spin?.error?.code).toBe('E_TIMEOUT');
    expect(steps.busy?.error?.code).toBe('E_EXTENSION_CRASHED');
    expect(steps.busy?.error?.message).toMatch(/terminated by the host/);
    expect(steps.cleanup?.state).toBe('done');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
