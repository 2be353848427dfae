import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { symphony } from './cli-harness.js';

const work = mkdtempSync(join(tmpdir(), 'symphony-train-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('symphony train and eval', () => {
  it('trains a few episodes into conductor-policy@candidate; the gate keeps production; --promote and --rollback move it', async () => {
    const out = join(work, 'models');
    const home = join(work, '.symphony');
    const run = await symphony(['train', '--episodes', '20', '--seed', '3', '--out', out, '--gate-quests', '20', '--json', '--home', home], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { version: string; candidate: string; promoted: boolean; gate: { better: boolean; quests: number; production: { version: string } }; bundled: { same: boolean } };
    expect(report.version).toBe('fqg-seed3-ep20');
    // The bundled policy was seeded as production (version 1); the candidate is version 2 and loses the gate.
    expect(report.candidate).toBe('conductor-policy@candidate (version 2)');
    expect(report.gate).toMatchObject({ better: false, quests: 20, production: { version: 'fqg-seed1-ep16000' } });
    expect(report.promoted).toBe(false);
    expect(report.bundled.same).toBe(false);
    expect(readFileSync(join(out, 'training-curve.svg'), 'utf8')).toContain('<path');

    const evalHome = async () => JSON.parse((await symphony(['eval', '--home', home, '--quests', '3', '--validation', '5', '--json'], { cwd: work })).stdout) as { model: string };
    expect((await evalHome()).model).toContain('conductor-policy@production (version 1)');

    const forced = await symphony(['train', '--episodes', '20', '--seed', '3', '--out', out, '--gate-quests', '5', '--promote', '--json', '--home', home], { cwd: work });
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ promoted: true, forced: true });
    expect((await evalHome()).model).toContain('conductor-policy@production (version 3)');

    const back = await symphony(['train', '--rollback', '--json', '--home', home], { cwd: work });
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ production: 1, previous: 3, version: 'fqg-seed1-ep16000' });
    expect((await evalHome()).model).toContain('conductor-policy@production (version 1)');
  });

  it('evaluates against tuned baselines and the oracle on held-out quests, with CIs, the best baseline and the gap closed', async () => {
    const run = await symphony(['eval', '--quests', '6', '--seed-base', '4000000', '--validation', '5', '--json'], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      quests: number;
      seeds: number[];
      bestBaseline: string;
      policies: { name: string; role: string; meanReward: number; rewardCi95: number }[];
      comparisons: { baseline: string; ci95: number[]; gapClosed: number }[];
    };
    expect(report.quests).toBe(6);
    expect(report.seeds).toEqual([4_000_000, 4_000_005]);
    expect(report.policies.map((p) => p.name)).toEqual(['policy-onnx', 'ev-greedy', 'thompson', 'cheapest-reliable', 'random', 'round-robin', 'cheapest', 'lowest-latency', 'ucb1', 'oracle']);
    const baselines = report.policies.filter((p) => p.role === 'baseline');
    expect(report.bestBaseline).toBe(baselines.reduce((a, b) => (b.meanReward > a.meanReward ? b : a)).name);
    expect(report.comparisons[0]!.baseline).toBe(report.bestBaseline);
    expect(report.comparisons[0]!.ci95[0]).toBeLessThanOrEqual(report.comparisons[0]!.ci95[1]!);
    expect(Number.isFinite(report.comparisons[0]!.gapClosed)).toBe(true);
  });

  it('refuses bad arguments with exit code 2 and no table', async () => {
    for (const args of [
      ['eval', '--quests', '0'],
      ['eval', '--quests', 'ten'],
      ['eval', '--seed', '1.5'],
      ['eval', '--bogus'],
      ['eval', '--seed-base', '500100', '--quests', '10'],
      ['eval', '--model', 'a.onnx', '--home', 'h'],
      ['train', '--episodes', '-3'],
      ['train', '--rollback', '--promote'],
    ]) {
      const run = await symphony(args, { cwd: work });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('E_USAGE');
    }
    const missingModel = await symphony(['eval', '--model', join(work, 'no-such.onnx'), '--quests', '2'], { cwd: work });
    expect(missingModel.code).toBe(1);
    expect(missingModel.stderr).toContain('E_NOT_FOUND');
    expect(missingModel.stderr).not.toContain('E_INTERNAL');
    // Outsider attack (issue 16): an --out that cannot be a folder failed after training as E_INTERNAL.
    const badOut = await symphony(['train', '--episodes', '2', '--out', '/dev/null/x', '--home', join(work, 'bad-out-home')], { cwd: work });
    expect(badOut.code).toBe(1);
    expect(badOut.stderr).toContain('E_INPUT_INVALID');
    expect(badOut.stderr).not.toContain('training [');
    // eval --home of a folder that does not exist evaluates the bundled policy and creates nothing there.
    const missingHome = join(work, 'no-such-home');
    const evaluated = await symphony(['eval', '--quests', '2', '--validation', '2', '--home', missingHome], { cwd: work });
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(existsSync(missingHome)).toBe(false);
    const noPrevious = await symphony(['train', '--rollback', '--home', join(work, 'empty')], { cwd: work });
    expect(noPrevious.code).toBe(1);
    expect(noPrevious.stderr).toContain('E_NOT_FOUND');
  });
});
