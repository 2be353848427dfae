import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, symphony } from './cli-harness.js';

// Outsider attacks on two promises of issue 14: "a step that returns nothing stores nothing" and
// "SIGTERM on `symphony run` exits 143 with a summary, the run resumable, nothing acknowledged re-run".
const NULLS = join(FIXTURES, 'nulls');
const work = mkdtempSync(join(tmpdir(), 'symphony-attack-nulls-'));
const homes = mkdtempSync(join(tmpdir(), 'symphony-attack-nulls-home-')); // outside the workspace
afterAll(() => [work, homes].forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A chain of `n` steps returning undefined, null or 0 in turn, beside the fixture's extension. */
function chain(n: number): string {
  const dir = mkdtempSync(join(work, 'chain-'));
  symlinkSync(join(NULLS, 'extensions'), join(dir, 'extensions'));
  const values = ['undefined', 'null', '0'];
  const steps = Array.from({ length: n }, (_, i) => `  - { id: s${i}, uses: test.nulls/give, ${i ? `needs: [s${i - 1}], ` : ''}with: { id: s${i}, value: "${values[i % 3]}" } }`);
  writeFileSync(join(dir, 'wf.yaml'), `name: nulls-chain\nsteps:\n${steps.join('\n')}\n`);
  return join(dir, 'wf.yaml');
}

interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: Record<string, unknown>[];
  stdout: string;
  stderr: string;
  acked: Set<string>;
}

/** `symphony run <args> --json`, SIGTERM sent once `when(stdout so far)` holds. */
function runUntil(args: string[], env: Record<string, string>, when: (out: string, acked: Set<string>) => boolean, execArgv: string[] = []): Promise<Stopped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, CLI, 'run', ...args, '--json'], { cwd: work, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const acked = new Set<string>();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      for (const m of String(chunk).matchAll(/"event":"step:end","runId":"[^"]+","stepId":"([^"]+)"/g)) acked.add(m[1]!);
      if (!sent && when(stdout, acked)) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, signal, lines, stdout, stderr, acked });
    });
  });
}

function executions(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(log)) return counts;
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) counts.set(line.slice(5), (counts.get(line.slice(5)) ?? 0) + 1);
  return counts;
}

describe('a step that returns nothing', () => {
  it('reads as null downstream (with:, if:, toJSON) and has no artifact: artifacts get is a clear E_NOT_FOUND', async () => {
    const home = mkdtempSync(join(homes, 'mixed-'));
    const run = await symphony(['run', join(NULLS, 'mixed.yaml'), '--json', '--home', home], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    const read = await symphony(['artifacts', 'get', 'nulls-mixed/read', '--home', home], { cwd: work });
    expect(JSON.parse(read.stdout)).toEqual({ id: 'read', u: null, n: null, z: 0, e: '', f: false, a: [], o: {}, uj: 'null', nj: 'null', ueq: true, neq: true, unot: true, ustr: 'u=!', uprop: null, uout: 'success' });
    const tail = await symphony(['artifacts', 'get', 'nulls-mixed/tail', '--home', home], { cwd: work });
    expect(JSON.parse(tail.stdout)).toEqual({ id: 'tail', x: null, y: null });
    const missing = await symphony(['artifacts', 'get', 'nulls-mixed/u', '--home', home], { cwd: work });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('E_NOT_FOUND');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('SIGTERM on symphony run (found by outsider attack)', () => {
  it('mid-run: exit 143, the result line is the LAST line (acknowledgements landed before it), the resume finishes and no acknowledged step ran twice', async () => {
    const home = mkdtempSync(join(homes, 'mid-'));
    const log = join(home, '..', `${home.split('/').pop()}.log`);
    const file = chain(150);
    const first = await runUntil([file, '--home', home], { NULLS_LOG: log }, (_out, acked) => acked.size >= 40);
    expect({ code: first.code, signal: first.signal }, first.stderr).toEqual({ code: 143, signal: null });
    // Step acknowledgements were printed after the result line: an NDJSON reader stopping at it missed them.
    expect(first.lines.at(-1)).toMatchObject({ type: 'result', status: 'running', interrupted: 'SIGTERM' });
    // The engine stopped on purpose: no "refused a step result" warning with a stack trace.
    expect(first.stderr).not.toMatch(/refused a step result|\\n\s+at /);
    const runId = first.lines.at(-1)!.runId as string;
    const resumed = await symphony(['run', '--resume', runId, '--json', '--home', home], { cwd: work, env: { NULLS_LOG: log } });
    expect(resumed.code, resumed.stderr).toBe(0);
    const counts = executions(log);
    expect(counts.size).toBe(150);
    for (const id of first.acked) expect(counts.get(id), `${id} was acknowledged, then ran again`).toBe(1);
  });

  it('two SIGTERMs, the second while the first one\'s commits still land: exit 143, never hung (process.exit mid-commit waited forever on lmdb\'s write thread)', async () => {
    const file = chain(400);
    for (let trial = 0; trial < 3; trial++) {
      const home = mkdtempSync(join(homes, 'twice-'));
      const stopped = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; hung: boolean; stdout: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, 'run', file, '--home', home, '--json'], { cwd: work, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let terms = 0;
        let hung = false;
        let acksAtFirst = 0;
        // A liveness guard, not a timing assertion: a hung process never ends by itself.
        const guard = setTimeout(() => ((hung = true), child.kill('SIGKILL')), 30_000);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk;
          const acks = stdout.split('"step:end"').length - 1;
          if (terms === 0 && acks >= 20 + trial * 60) {
            terms = 1;
            acksAtFirst = acks;
            child.kill('SIGTERM');
          } else if (terms === 1 && acks > acksAtFirst) {
            // An acknowledgement after the first SIGTERM: the store is committing right now.
            terms = 2;
            child.kill('SIGTERM');
          }
        });
        child.on('error', reject);
        child.on('close', (code, signal) => (clearTimeout(guard), resolve({ code, signal, hung, stdout })));
      });
      expect(stopped.hung, `trial ${trial} hung after two SIGTERMs`).toBe(false);
      expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code: 143, signal: null });
      const last = JSON.parse(stopped.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(last).toMatchObject({ type: 'result', interrupted: 'SIGTERM' });
      const resumed = await symphony(['run', '--resume', last.runId as string, '--json', '--home', home], { cwd: work });
      expect(resumed.code, resumed.stderr).toBe(0);
    }
  });

  it('as the run ends: exit 143 (never killed by the signal), and the summary tells the true status, not "running"', async () => {
    const home = mkdtempSync(join(homes, 'end-'));
    const stopped = await runUntil([chain(30), '--home', home], {}, (out) => out.includes('"event":"run:end"'));
    expect(stopped.signal, stopped.stderr).toBeNull();
    // The process may rarely have finished before the signal arrived (0); otherwise 143.
    expect([0, 143]).toContain(stopped.code);
    const result = stopped.lines.at(-1)!;
    expect(result).toMatchObject({ type: 'result', status: 'succeeded' });
    if (stopped.code === 143) expect(result.interrupted).toBe('SIGTERM');
    const runs = await symphony(['runs', 'list', '--json', '--home', home], { cwd: work });
    expect((JSON.parse(runs.stdout) as { status: string }[]).map((r) => r.status)).toEqual(['succeeded']);
  });

  it('before a run was created: exit 143 with a result naming no run (it was "running" with runId null)', async () => {
    const home = mkdtempSync(join(homes, 'early-'));
    // Sends the SIGTERM the moment the CLI first listens for one (before the engine is loaded).
    const preload = join(work, 'term-on-listen.cjs');
    writeFileSync(preload, "const on = process.on; let armed = false;\nprocess.on = function (event, fn) { const r = on.call(this, event, fn); if (event === 'SIGTERM' && !armed) { armed = true; setImmediate(() => process.kill(process.pid, 'SIGTERM')); } return r; };\n");
    const stopped = await runUntil([join(NULLS, 'mixed.yaml'), '--home', home], {}, () => false, ['--require', preload]);
    expect({ code: stopped.code, signal: stopped.signal }, stopped.stderr).toEqual({ code: 143, signal: null });
    expect(stopped.lines.at(-1)).toMatchObject({ type: 'result', runId: null, status: null, interrupted: 'SIGTERM' });
    const runs = await symphony(['runs', 'list', '--json', '--home', home], { cwd: work });
    expect(runs.stdout.trim() === '' || JSON.parse(runs.stdout).length === 0).toBe(true);
    // A --resume stopped as early leaves its run as it was, and says so (it said "no run was created").
    const mid = await runUntil([chain(60), '--home', home], {}, (_out, acked) => acked.size >= 5);
    const runId = mid.lines.at(-1)!.runId as string;
    const resume = await runUntil(['--resume', runId, '--home', home], {}, () => false, ['--require', preload]);
    expect({ code: resume.code, signal: resume.signal }, resume.stderr).toEqual({ code: 143, signal: null });
    expect(resume.lines.at(-1)).toMatchObject({ type: 'result', runId, status: 'running', interrupted: 'SIGTERM' });
    const done = await symphony(['run', '--resume', runId, '--json', '--home', home], { cwd: work });
    expect(done.code, done.stderr).toBe(0);
  });
});
