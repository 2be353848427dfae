import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, symphony } from './cli-harness.js';

// A workflow's `check:` through the real CLI: two extensions (worker threads) provide
// `capability:test.answer`; the cheaper one answers wrong. Neither reports a quality: the
// check is the only signal that tells them apart.
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

const WORKFLOW = join(FIXTURES, 'check', 'workflow.yaml');
const CHEAP = 'test.guess-cheap/answer';
const RIGHT = 'test.guess-right/answer';

type Result = { type: string; status: string; runId: string; steps: { stepId: string; servedBy?: string; quality?: number }[] };
type Decision = { chosen?: string; outcome?: { ok: boolean; quality?: number; checked?: boolean; reward: number } };

describe('symphony run with a check: step', () => {
  it('scores each call by the check, shows it in the result, explain and the artifact, and the policy settles on the provider that passes', async () => {
    const work = tmp('symphony-check-');
    const home = `${work}-home`;
    dirs.push(home);
    const runs: Result[] = [];
    // Seven runs: exploration tries each candidate at most EXPLORE_DEFAULTS.maxObservations (3) times,
    // and when it does depends on measured latencies (a loaded machine moves them), so the runs leave
    // room for all of it before the last two, which must be the policy's settled choice.
    for (let i = 0; i < 7; i++) {
      const run = await symphony(['run', WORKFLOW, '--json', '--home', home], { cwd: work });
      expect(run.code, run.stderr).toBe(0);
      runs.push(run.lines.find((l) => l.type === 'result') as unknown as Result);
    }
    const served = runs.map((r) => r.steps[0]!.servedBy);
    for (const r of runs) expect(r.steps[0]!.quality).toBe(r.steps[0]!.servedBy === RIGHT ? 1 : 0);
    // Both were tried (policy or bounded exploration), then the one whose answers pass the check.
    expect(served).toContain(CHEAP);
    expect(served.filter((s) => s === CHEAP).length).toBeLessThanOrEqual(3);
    expect(served.slice(-2)).toEqual([RIGHT, RIGHT]);

    const wrong = runs.find((r) => r.steps[0]!.servedBy === CHEAP)!;
    const json = await symphony(['runs', 'explain', wrong.runId, '--json', '--home', home], { cwd: work });
    const [decision] = JSON.parse(json.stdout) as Decision[];
    expect(decision).toMatchObject({ chosen: CHEAP, outcome: { ok: true, quality: 0, checked: true } });
    expect(decision!.outcome!.reward).toBeLessThan(0);
    const text = await symphony(['runs', 'explain', wrong.runId, '--home', home], { cwd: work });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/outcome: ok in [\d.]+ ms, quality 0\.000 \(check\), reward -/);
    // The reason for the decision: a sentence, and each candidate's estimate ± uncertainty.
    expect(text.stdout).toMatch(/why: (explored|policy's choice|the policy scored)/);
    expect(text.stdout).toMatch(/test\.guess-right\/answer +p=[\d.]+ +value -?[\d.]+ ± [\d.]+/);

    const last = runs.at(-1)!;
    const shown = await symphony(['artifacts', 'get', `quiz/answer@${runs.length}`, '--json', '--home', home], { cwd: work });
    expect(JSON.parse(shown.stdout)).toMatchObject({ value: { value: 42, by: 'guess-right' } });
    expect(last.status).toBe('succeeded');
  }, 240_000);

  it('refuses a check that reads another step before anything exists (exit 1, line and column)', async () => {
    const work = tmp('symphony-check-bad-');
    const file = join(work, 'bad.yaml');
    writeFileSync(file, ['name: bad', 'steps:', '  - { id: ask, uses: capability:test.answer }', '  - id: answer', '    uses: capability:test.answer', '    check: ${{ steps.ask.output.value == 42 }}', ''].join('\n'));
    const home = join(work, 'home');
    const run = await symphony(['run', file, '--home', home], { cwd: work });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('bad.yaml:6:16: check: reads only its own step (steps.answer) and inputs, not step "ask"');
    expect(existsSync(home)).toBe(false);
  });
});
