import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, symphony } from './cli-harness.js';

// Outsider attacks on issue 14 (cancel semantics, stuck instances) that found something.
const ENGINE = join(FIXTURES, 'engine');
const work = mkdtempSync(join(tmpdir(), 'symphony-atkcancel-'));
const home = mkdtempSync(join(tmpdir(), 'symphony-atkcancel-home-')); // outside the workspace
afterAll(() => [work, home].forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('a stuck instance terminated while another step runs on it', () => {
  it('is not charged to the run crash budget: the always() step on the same extension still runs', async () => {
    // `spin` times out and never lets go: its worker is terminated, which also ends `busy`
    // (E_EXTENSION_CRASHED). With `crashBudget: 0` that termination used to spend the budget, so
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

describe('a wide run (20 steps at once on one extension) cancelled mid-way', () => {
  it('aborts them all, runs the cleanup once, prints no Node warning', async () => {
    const log = join(work, 'wide.log');
    writeFileSync(log, '');
    const env = { ...process.env, NO_COLOR: '1', ENGINE_LOG: log, ENGINE_GATE: join(work, 'never') };
    const child = spawn(process.execPath, [CLI, 'run', join(ENGINE, 'wide-cancel.yaml'), '--json', '--home', home], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    let exited = false;
    void closed.then(() => (exited = true));
    const started = () => readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('exec w')).length;
    // Bounded: 30 s for 12 of the 20 steps to start (the extension's start had them all waiting at once).
    for (let i = 0; i < 300 && !exited && started() < 12; i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await closed, `${out}\n${stderr}`).toEqual({ code: 1, signal: null });
    expect(stderr).not.toMatch(/MaxListenersExceededWarning|\n\s+at /);
    const result = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; status?: string; steps?: { stepId: string; state: string }[] }).find((l) => l.type === 'result');
    expect(result?.status).toBe('cancelled');
    const states = Object.fromEntries(result!.steps!.map((s) => [s.stepId, s.state]));
    expect(states).toMatchObject({ w1: 'failed', w20: 'failed', cleanup: 'done', after: 'skipped' });
    expect(readFileSync(log, 'utf8').split('\n').filter((l) => l === 'exec cleanup')).toHaveLength(1);
    expect(readFileSync(log, 'utf8')).not.toMatch(/exec after/);
  });
});

describe('an extension that sends the host a malformed bus message', () => {
  it('does not take `symphony run` down: the run succeeds, no stack trace', async () => {
    // A log message with an unknown level used to throw in the host's message handler: the CLI
    // died with an uncaught TypeError and left the run `running`.
    const run = await symphony(['run', join(FIXTURES, 'hostile', 'bad-log.yaml'), '--json', '--home', home], { cwd: work });
    expect(run.stderr).not.toMatch(/\n\s+at |TypeError/);
    expect(run.code, run.stderr).toBe(0);
    const result = run.lines.find((l) => l.type === 'result') as { status: string };
    expect(result.status).toBe('succeeded');
  });
});

describe('a cancel while a step waits out its retry backoff', () => {
  it('shows that step cancelled (as its outcome is), in the summary, --json and runs show', async () => {
    // The step ends with its last error (E_EXTENSION_CRASHED here) and outcome `cancelled`; the
    // summary, the --json result and `runs show` said `failed`, unlike an aborted running step.
    let sent = false;
    const run = await symphony(['run', join(ENGINE, 'backoff-cancel.yaml'), '--json', '--home', home], {
      cwd: work,
      onLine: (line, child) => {
        if (!sent && line.event === 'step:retry') (sent = true), child.kill('SIGINT');
      },
    });
    expect(run.code, run.stderr).toBe(1);
    const result = run.lines.find((l) => l.type === 'result') as { runId: string; status: string; steps: { stepId: string; state: string; cancelled?: boolean }[] };
    expect(result.status).toBe('cancelled');
    expect(result.steps.map((s) => [s.stepId, s.state, s.cancelled ?? false])).toEqual([['die', 'failed', true], ['cleanup', 'done', false]]);
    const show = await symphony(['runs', 'show', result.runId, '--home', home], { cwd: work });
    expect(show.stdout).toMatch(/^die +cancelled +1 /m);
    const shown = JSON.parse((await symphony(['runs', 'show', result.runId, '--json', '--home', home], { cwd: work })).stdout) as { steps: { stepId: string; cancelled?: boolean }[] };
    expect(shown.steps.find((s) => s.stepId === 'die')?.cancelled).toBe(true);
  });
});

describe('POST /runs/:id/cancel on a run this server does not drive', () => {
  it('answers 409 E_RUN_LOCKED naming the holder while a `symphony run` drives it, 409 E_CONFLICT once it ended (never a silent ok)', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'symphony-atkcancel-srv-'));
    const children: ChildProcess[] = [];
    try {
      const token = /sym_\S+/.exec((await symphony(['tokens', 'create', '--scope', 'run', '--home', shared], { cwd: work })).stdout)?.[0] as string;
      const log = join(work, 'locked.log');
      writeFileSync(log, '');
      const env = { ...process.env, NO_COLOR: '1', ENGINE_LOG: log, ENGINE_GATE: join(work, 'never') };
      const cli = spawn(process.execPath, [CLI, 'run', join(ENGINE, 'gated.yaml'), '--home', shared], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(cli);
      let out = '';
      cli.stdout.on('data', (chunk: Buffer) => (out += chunk));
      cli.stderr.on('data', (chunk: Buffer) => (out += chunk));
      const cliClosed = new Promise<number | null>((resolve) => cli.on('close', (code) => resolve(code)));
      const server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--home', shared], { cwd: work, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(server);
      let served = '';
      server.stdout.on('data', (chunk: Buffer) => (served += chunk));
      // Bounded: 30 s for the gated step to run and the server to listen.
      for (let i = 0; i < 300 && !(readFileSync(log, 'utf8').includes('exec b') && /http:\/\/\S+/.test(served) && /· (run-\S+)/.test(out)); i++) await new Promise((r) => setTimeout(r, 100));
      const url = /Symphony server on (http:\/\/\S+)/.exec(served)?.[1] as string;
      const runId = /· (run-\S+)/.exec(out)?.[1] as string;
      const cancel = async () => {
        const res = await fetch(`${url}/runs/${runId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        return { status: res.status, body: (await res.json()) as { code?: string; message?: string } };
      };
      const locked = await cancel();
      expect(locked.status).toBe(409);
      expect(locked.body.code).toBe('E_RUN_LOCKED');
      expect(locked.body.message).toMatch(new RegExp(`pid ${cli.pid}`));
      cli.kill('SIGINT');
      expect(await cliClosed).toBe(1);
      const ended = await cancel();
      expect(ended.status).toBe(409);
      expect(ended.body.code).toBe('E_CONFLICT');
      expect(ended.body.message).toMatch(/already ended \(cancelled\)/);
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.on('close', r)) : undefined)));
      rmSync(shared, { recursive: true, force: true });
    }
  });
});

describe('crashBudget: 0 (no crash tolerated)', () => {
  it('runs the extension until it crashes once, then refuses it: not before any crash', async () => {
    // `crashed >= budget` refused every call of a run with `crashBudget: 0` ("crashed 0 times").
    const run = await symphony(['run', join(ENGINE, 'budget-zero.yaml'), '--json', '--home', home], { cwd: work });
    expect(run.code, run.stderr).toBe(1);
    const result = run.lines.find((l) => l.type === 'result') as { steps: { stepId: string; state: string; error?: { code: string } }[] };
    expect(result.steps.map((s) => [s.stepId, s.state, s.error?.code])).toEqual([
      ['a', 'done', undefined],
      ['die', 'failed', 'E_EXTENSION_CRASHED'],
      ['after', 'failed', 'E_EXTENSION_FAILED'],
    ]);
  });
});
