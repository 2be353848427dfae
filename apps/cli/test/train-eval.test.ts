import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { symphony } from './cli-harness.js';

const work = mkdtempSync(join(tmpdir(), 'symphony-train-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('symphony train and eval', () => {
  it('trains a few episodes, writes the model and the curve, and stores it as conductor-policy@production', async () => {
    const out = join(work, 'models');
    const run = await symphony(['train', '--episodes', '20', '--seed', '3', '--out', out, '--json', '--home', `${work}-home`], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { version: string; sha256: string; alias: string; bundled: { same: boolean } };
    expect(report.version).toBe('fqg-seed3-ep20');
    expect(report.alias).toMatch(/^conductor-policy@production \(version 1\)$/);
    expect(report.bundled.same).toBe(false);
    expect(readFileSync(join(out, 'training-curve.svg'), 'utf8')).toContain('<path');
    const listed = await symphony(['artifacts', 'list', 'conductor-policy', '--json', '--home', `${work}-home`], { cwd: work });
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: 'conductor-policy', kind: 'model', attributes: { version: 'fqg-seed3-ep20', source: 'trained' } }]);
  });

  it('evaluates the bundled policy against every heuristic on held-out quests, with confidence intervals', async () => {
    const run = await symphony(['eval', '--quests', '6', '--json'], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { quests: number; seeds: number[]; policies: { name: string; rewardCi95: number }[]; comparisons: { baseline: string; ci95: number[] }[] };
    expect(report.quests).toBe(6);
    expect(report.seeds[0]).toBe(900_000);
    expect(report.policies.map((p) => p.name)).toEqual(['policy-onnx', 'random', 'round-robin', 'cheapest', 'lowest-latency', 'ucb1']);
    expect(report.comparisons[0]!.ci95[0]).toBeLessThanOrEqual(report.comparisons[0]!.ci95[1]!);
  });
});
