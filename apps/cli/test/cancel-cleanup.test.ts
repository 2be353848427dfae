import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, symphony } from './cli-harness.js';

// Ctrl-C on `symphony run` cancels the run as GitHub Actions does: the running step is aborted,
// steps needing success() are skipped, `if: always()` / `cancelled()` steps still run.
const ENGINE = join(FIXTURES, 'engine');
const work = mkdtempSync(join(tmpdir(), 'symphony-cancel-cleanup-'));
const home = mkdtempSync(join(tmpdir(), 'symphony-cancel-cleanup-home-')); // outside the workspace
afterAll(() => [work, home].forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('symphony run, interrupted with SIGINT', () => {
  it('runs the cleanup steps, prints a summary saying cancelled, exits 1', async () => {
    const log = join(work, 'engine.log');
    writeFileSync(log, '');
    // The gate never opens: `work` runs until the SIGINT.
    const env = { ...process.env, NO_COLOR: '1', ENGINE_LOG: log, ENGINE_GATE: join(work, 'never') };
    const child = spawn(process.execPath, [CLI, 'run', join(ENGINE, 'cleanup.yaml'), '--home', home], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    let exited = false;
    void ended.then(() => (exited = true));
    // Bounded: 30 s for the step to start.
    for (let i = 0; i < 300 && !exited && !readFileSync(log, 'utf8').includes('exec work'); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await ended, `${out}\n${stderr}`).toEqual({ code: 1, signal: null });
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['exec cleanup', 'exec report', 'exec work']);
    expect(out).toMatch(/✖ cancelled in .* · run /);
    expect(out).toMatch(/cancelled: aborted work;/);
    expect(stderr).not.toMatch(/\n\s+at /);
    const runId = /· run (\S+)/.exec(out)?.[1] as string;
    const show = await symphony(['runs', 'show', runId, '--json', '--home', home], { cwd: work });
    const shown = JSON.parse(show.stdout) as { run: { status: string }; steps: { stepId: string; status?: string; state?: string }[] };
    expect(shown.run.status).toBe('cancelled');
    const states = Object.fromEntries(shown.steps.map((s) => [s.stepId, s.status ?? s.state]));
    expect(states).toMatchObject({ work: 'failed', next: 'skipped', 'on-success': 'skipped', cleanup: 'done', report: 'done' });
  });
});
