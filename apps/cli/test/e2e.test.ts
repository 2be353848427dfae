import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE, FIXTURES, demoRepo, symphony } from './cli-harness.js';

// End to end through the real CLI process: kernel, IPC bus (worker-thread extensions), Pit
// plugins and the LMDB store on disk.
const dirs: string[] = [];
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const result = (lines: Record<string, unknown>[]) => lines.find((l) => l.type === 'result') as { status: string; runId: string; executed: string[]; steps: { stepId: string; state: string; reused?: boolean; attempts: number }[] };

describe('symphony run, end to end', () => {
  it('runs the hotspot example on a git repository and writes the report', async () => {
    const repo = demoRepo();
    dirs.push(repo);
    const run = await symphony(['run', EXAMPLE, '--json', '--input', 'top=5'], { cwd: repo, env: { SYMPHONY_WORKSPACE: repo } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const r = result(run.lines);
    expect(r.status).toBe('succeeded');
    expect(r.steps.every((s) => s.state === 'done')).toBe(true);
    const report = readFileSync(join(repo, '.symphony', 'reports', 'hotspots.md'), 'utf8');
    expect(report).toContain('src/hot.js');
    const explain = await symphony(['runs', 'explain', r.runId, '--json'], { cwd: repo });
    const decisions = JSON.parse(explain.stdout) as { capability: string; policyVersion: string }[];
    expect(decisions[0]).toMatchObject({ capability: 'hotspots.rank', policyVersion: 'fqg-seed1-ep16000' });
    const ranking = r.steps.find((s) => s.stepId === 'ranking') as unknown as { output: { name: string; version: number } };
    expect(ranking.output.name).toBe('hotspots/ranking');
    const get = await symphony(['artifacts', 'get', `${ranking.output.name}@${ranking.output.version}`, '--json'], { cwd: repo });
    expect((JSON.parse(get.stdout) as { value: { ranked: { path: string }[] } }).value.ranked[0]!.path).toBe('src/hot.js');
  });

  it('resumes a run killed with SIGKILL mid-way without re-running any finished step', async () => {
    const work = tmp('symphony-kill-');
    const log = join(work, 'calls.log');
    const home = `${work}-home`;
    let runId = '';
    const killed = await symphony(['run', join(FIXTURES, 'slow', 'workflow.yaml'), '--json', '--home', home], {
      cwd: work,
      env: { SLEEPY_LOG: log, SLEEPY_HANG: '1' },
      onLine: (line, child) => {
        if (line.event === 'run:start') runId = line.runId as string;
        // step:end is emitted after the step's durable commit: kill right then.
        if (line.event === 'step:end' && line.stepId === 'b') child.kill('SIGKILL');
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    // Killed right after b's commit: c may or may not have been called yet.
    const before = readFileSync(log, 'utf8').trim().split('\n');
    expect(before.slice(0, 2)).toEqual(['1', '2']);
    const resumed = await symphony(['run', '--resume', runId, '--json', '--home', home], { cwd: work, env: { SLEEPY_LOG: log } });
    expect(resumed.code, resumed.stderr).toBe(0);
    const r = result(resumed.lines);
    expect(r.status).toBe('succeeded');
    expect(r.executed).toEqual(['c', 'd']);
    expect(r.steps.filter((s) => s.reused).map((s) => s.stepId)).toEqual(['a', 'b']);
    // a and b ran once, in the killed process; c ran again (it never finished), then d.
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([...before, '3', '4']);
  });

  it('recovers from an extension that crashes mid-call, per the policy decision', async () => {
    const work = tmp('symphony-crash-');
    const home = `${work}-home`;
    const run = await symphony(['run', join(FIXTURES, 'crash', 'workflow.yaml'), '--json', '--home', home], { cwd: work, env: { CRASH_DIR: work } });
    expect(run.code, run.stdout.slice(-2000)).toBe(0);
    const r = result(run.lines);
    expect(r.status).toBe('succeeded');
    const ranking = r.steps.find((s) => s.stepId === 'ranking')!;
    expect(ranking.attempts).toBeGreaterThanOrEqual(2);
    expect(existsSync(join(work, 'flaky-a.crashed')) || existsSync(join(work, 'flaky-b.crashed'))).toBe(true);
    const explain = await symphony(['runs', 'explain', r.runId, '--json', '--home', home], { cwd: work });
    const decisions = JSON.parse(explain.stdout) as { kind: string; verdict: string; outcome?: { ok: boolean; code?: string } }[];
    expect(decisions[0]!.outcome).toMatchObject({ ok: false, code: 'E_EXTENSION_CRASHED' });
    expect(decisions.some((d) => d.kind === 'failure' && /^(retry|fallback)/.test(d.verdict))).toBe(true);
    expect(decisions.at(-1)!.outcome?.ok).toBe(true);
    const retries = run.lines.filter((l) => l.event === 'step:retry');
    expect(retries.length).toBeGreaterThanOrEqual(1);
  });

  it('exits non-zero naming the failing step and its error', async () => {
    const work = tmp('symphony-fail-');
    const run = await symphony(['run', join(FIXTURES, 'crash', 'workflow.yaml'), '--home', `${work}-home`, '--input', 'x=1'], { cwd: work });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/declares no input "x".*\[E_INPUT_INVALID\]/s);
  });

  it('re-runs a failed run from its failed step (--rerun): a new run that carries the succeeded step over; both record who started them', async () => {
    const work = tmp('symphony-rerun-');
    const home = `${work}-home`;
    dirs.push(home);
    writeFileSync(join(work, 'blocked'), 'a file where a folder should be\n');
    const wf = join(work, 'wf.yaml');
    writeFileSync(wf, ['name: rerun', 'steps:', '  - id: a', '    uses: symphony.files/write', '    with: { path: a.txt, content: first }', '  - id: b', '    uses: symphony.files/write', '    with: { path: blocked/b.txt, content: "${{ steps.a.output.path }}", mkdirs: true }', ''].join('\n'));
    const first = await symphony(['run', wf, '--home', home], { cwd: work, env: { SYMPHONY_WORKSPACE: work } });
    expect(first.code).toBe(1);
    const runId = /run (run-[\w-]+)/.exec(first.stdout)![1]!;
    expect(first.stdout).toContain(`symphony run --rerun ${runId}`);
    expect((await symphony(['run', wf, '--from', 'failed', '--home', home], { cwd: work })).code).toBe(2);
    rmSync(join(work, 'blocked'));
    const again = await symphony(['run', '--rerun', runId, '--home', home, '--json'], { cwd: work, env: { SYMPHONY_WORKSPACE: work } });
    expect(again.code).toBe(0);
    const done = result(again.lines);
    expect(done.steps.map((st) => [st.stepId, st.reused ?? false])).toEqual([['a', true], ['b', false]]);
    expect(readFileSync(join(work, 'blocked', 'b.txt'), 'utf8')).toContain('a.txt');
    const shown = await symphony(['runs', 'show', done.runId, '--home', home, '--json'], { cwd: work });
    expect(JSON.parse(shown.stdout).run).toMatchObject({ startedBy: 'cli', rerunOf: runId, rerunFrom: 'failed' });
    // Nothing failed any more: a second --rerun of the new run is refused (exit 1, coded).
    const none = await symphony(['run', '--rerun', done.runId, '--home', home], { cwd: work, env: { SYMPHONY_WORKSPACE: work } });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('[E_CONFLICT]');
  });

  it('refuses an invalid workflow before anything exists: exit 1, file:line:column, --json on stdout; usage errors exit 2', async () => {
    const work = tmp('symphony-invalid-');
    const file = join(work, 'bad.yaml');
    writeFileSync(file, ['name: bad', 'steps:', '  - { id: list, uses: symphony.files/list, with: { path: "." } }', '  - id: use', '    needs: [lst]', '    uses: symphony.files/read', '    with: { path: x.txt }', '    if: ${{ sucess() }}', ''].join('\n'));
    const home = join(work, '.symphony');
    const text = await symphony(['run', 'bad.yaml', '--home', home], { cwd: work });
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('bad.yaml:5:13: needs unknown step "lst" (did you mean "list"?) [step use]');
    expect(text.stderr).toContain('bad.yaml:8:13: expression "sucess()" is invalid: Unrecognized function: \'sucess\' (did you mean "success"?) [step use]');
    expect(existsSync(home)).toBe(false);
    const json = await symphony(['run', 'bad.yaml', '--home', home, '--json'], { cwd: work });
    expect(json.code).toBe(1);
    const error = (JSON.parse(json.stdout) as { type: string; error: { code: string; details: { diagnostics: Array<Record<string, unknown>> } } });
    expect(error.type).toBe('error');
    expect(error.error.code).toBe('E_WORKFLOW_INVALID');
    expect(error.error.details.diagnostics[0]).toEqual({ file: 'bad.yaml', line: 5, column: 13, stepId: 'use', path: 'steps[1].needs[0]', message: 'needs unknown step "lst" (did you mean "list"?)', suggestion: 'list' });
    // An unknown method is found against the installed extensions, still before any run record.
    writeFileSync(file, ['name: bad', 'steps:', '  - { id: list, uses: symphony.files/lsit, with: { path: "." } }', ''].join('\n'));
    const method = await symphony(['run', 'bad.yaml', '--home', home, '--json'], { cwd: work });
    expect(method.code).toBe(1);
    expect(method.stdout).toContain('did you mean \\"symphony.files/list\\"?');
    expect(existsSync(home)).toBe(false);
    expect((await symphony(['run'], { cwd: work })).code).toBe(2);
    const flag = await symphony(['run', 'bad.yaml', '--bogus', '--json'], { cwd: work });
    expect(flag.code).toBe(2);
    expect(JSON.parse(flag.stdout)).toMatchObject({ type: 'error', error: { code: 'E_USAGE' } });
  });
});
