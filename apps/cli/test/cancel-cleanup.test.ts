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
    expect(out).toMatch(/^work +cancelled +1 /m);
    expect(stderr).not.toMatch(/\n\s+at /);
    const runId = /· run (\S+)/.exec(out)?.[1] as string;
    const show = await symphony(['runs', 'show', runId, '--json', '--home', home], { cwd: work });
    const shown = JSON.parse(show.stdout) as { run: { status: string }; steps: { stepId: string; status?: string; state?: string }[] };
    expect(shown.run.status).toBe('cancelled');
    const states = Object.fromEntries(shown.steps.map((s) => [s.stepId, s.status ?? s.state]));
    expect(states).toMatchObject({ work: 'failed', next: 'skipped', 'on-success': 'skipped', cleanup: 'done', report: 'done' });
  });

  it('while a step spins on the CPU (deaf to its abort): its worker is terminated and the cleanup step on the same extension runs', async () => {
    const log = join(work, 'spin-cancel.log');
    writeFileSync(log, '');
    const child = spawn(process.execPath, [CLI, 'run', join(ENGINE, 'spin-cancel.yaml'), '--json', '--home', home], { cwd: work, env: { ...process.env, NO_COLOR: '1', ENGINE_LOG: log }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    let exited = false;
    void closed.then(() => (exited = true));
    // Once the method spins (it logs first); bounded: 30 s.
    for (let i = 0; i < 300 && !exited && !readFileSync(log, 'utf8').includes('exec spin'); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await closed, `${out}\n${stderr}`).toEqual({ code: 1, signal: null });
    const result = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; status?: string; steps?: { stepId: string; state: string }[] }).find((l) => l.type === 'result');
    expect(result?.status).toBe('cancelled');
    expect(Object.fromEntries(result!.steps!.map((s) => [s.stepId, s.state]))).toEqual({ spin: 'failed', cleanup: 'done' });
    expect(readFileSync(log, 'utf8')).toBe('exec spin\nexec cleanup\n');
  });
});

describe('symphony run, interrupted with SIGINT twice', () => {
  it('the second SIGINT aborts the cleanup step; nothing more starts; exit 1 with a summary', async () => {
    const log = join(work, 'force.log');
    writeFileSync(log, '');
    const env = { ...process.env, NO_COLOR: '1', ENGINE_LOG: log, ENGINE_GATE: join(work, 'never') };
    const child = spawn(process.execPath, [CLI, 'run', join(ENGINE, 'cleanup-force.yaml'), '--home', home], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    let exited = false;
    void closed.then(() => (exited = true));
    // Bounded waits (30 s each): the first SIGINT once `work` runs, the second once the cleanup runs.
    const until = async (text: string) => {
      for (let i = 0; i < 300 && !exited && !readFileSync(log, 'utf8').includes(text); i++) await new Promise((r) => setTimeout(r, 100));
    };
    await until('exec work');
    child.kill('SIGINT');
    await until('exec cleanup');
    child.kill('SIGINT');
    expect(await closed, `${out}\n${stderr}`).toEqual({ code: 1, signal: null });
    expect(readFileSync(log, 'utf8')).toBe('exec work\nexec cleanup\n');
    expect(out).toMatch(/^cleanup +cancelled +1 /m);
    expect(out).toMatch(/^after +pending +0 /m);
    expect(out).toMatch(/cancelled: aborted work, cleanup; .*cancelled again: 1 step never started/);
    expect(stderr).toMatch(/cancelling run .* again: its cleanup steps are aborted/);
  });
});

describe('symphony run of a step that spins past its timeoutMs', () => {
  it('fails it E_TIMEOUT and the always() step on the same extension succeeds (not E_EXTENSION_CRASHED)', async () => {
    const run = await symphony(['run', join(ENGINE, 'spin.yaml'), '--json', '--home', home], { cwd: work });
    expect(run.code, run.stderr).toBe(1);
    const result = run.lines.find((l) => l.type === 'result') as { status: string; steps: { stepId: string; state: string; error?: { code: string } }[] };
    expect(result.status).toBe('failed');
    expect(result.steps.map((s) => [s.stepId, s.state, s.error?.code])).toEqual([['spin', 'failed', 'E_TIMEOUT'], ['cleanup', 'done', undefined]]);
  });
});
