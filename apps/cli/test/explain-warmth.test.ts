import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSymphony } from '@symphony/runtime';
import { symphony } from './cli-harness.js';

// A run whose capability step chose between a warm and a cold pooled instrument (an embedder's
// createSymphony({ pool })), read back through the real CLI process.
const dir = mkdtempSync(join(tmpdir(), 'symphony-cli-warmth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scorer(id: string): string {
  const folder = join(dir, 'extensions', id);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'index.mjs'), `import { defineInstrument } from '${import.meta.resolve('@symphony/sdk/runtime')}';
export default defineInstrument({ manifest: { id: '${id}', version: '1.0.0' }, methods: { predict: ({ x }) => ({ y: x * 2 }) } });\n`);
  writeFileSync(
    join(folder, 'symphony.extension.json'),
    JSON.stringify({ id, version: '1.0.0', kind: 'instrument', main: 'index.mjs', engines: { symphony: '>=0.1.0' }, contributes: { methods: { predict: {} }, capabilities: [{ name: 'score', method: 'predict', cost: 0.3 }] } }),
  );
  return folder;
}

describe('symphony runs explain', () => {
  it('shows which candidates were warm, and the start cost the cold ones carried', async () => {
    const extensions = [scorer('cli.s1'), scorer('cli.s2')];
    const home = join(dir, 'home');
    const s = await createSymphony({ home, workspace: join(dir, 'ws'), builtins: false, policy: 'heuristic', logLevel: 'silent', extensions, pool: { instruments: true } });
    let runId: string;
    try {
      const pool = s.kernel.service('pit.pool') as { expect(id: string): void; model(id: string): { warm: number } };
      pool.expect('cli.s2');
      for (let i = 0; i < 400 && pool.model('cli.s2').warm !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      const result = await s.run({ name: 'w', steps: [{ id: 'score', uses: 'capability:score', with: { x: 2 }, explore: false }] });
      expect(result.status).toBe('succeeded');
      runId = result.runId;
    } finally {
      await s.close();
    }
    const out = await symphony(['runs', 'explain', runId, '--home', home], { cwd: dir, env: { NO_COLOR: '1' } });
    expect(out.code).toBe(0);
    // One line per candidate (the header names the chosen one too).
    const row = (id: string) => out.stdout.split('\n').find((l) => l.includes(`${id}/predict`) && l.includes(' p='));
    expect(row('cli.s1')).toMatch(/cold \(start ~150 ms\)$/);
    expect(row('cli.s2')).toMatch(/▶ .* warm$/);
  });

  it('symphony run with SYMPHONY_POOL_MB serves instruments from the pool: explain shows every candidate with its warmth', async () => {
    const work = join(dir, 'pooled');
    mkdirSync(join(work, 'ws'), { recursive: true });
    // The workflow's own extensions/ folder (worker threads), as a user lays it out.
    for (const id of ['cli.p1', 'cli.p2']) {
      const folder = scorer(id);
      const target = join(work, 'extensions', id);
      mkdirSync(target, { recursive: true });
      for (const f of ['index.mjs', 'symphony.extension.json']) writeFileSync(join(target, f), readFileSync(join(folder, f)));
    }
    writeFileSync(join(work, 'workflow.yaml'), 'name: pooled\nsteps:\n  - { id: score, uses: "capability:score", with: { x: 2 } }\n');
    const home = join(dir, 'pooled-home');
    const run = await symphony(['run', join(work, 'workflow.yaml'), '--json', '--home', home], { cwd: join(work, 'ws'), env: { SYMPHONY_POOL_MB: '256' } });
    expect(run.code, run.stderr).toBe(0);
    const runId = (run.lines.find((l) => l.type === 'result') as { runId: string }).runId;
    const explained = await symphony(['runs', 'explain', runId, '--json', '--home', home], { cwd: work });
    const [decision] = JSON.parse(explained.stdout) as { candidates: { id: string; warm?: boolean; startCostMs?: number }[] }[];
    // Pooled candidates carry their warmth; without the pool they carry none.
    expect(decision!.candidates.map((c) => typeof c.warm)).toEqual(['boolean', 'boolean']);

    const bad = await symphony(['run', join(work, 'workflow.yaml'), '--home', home], { cwd: join(work, 'ws'), env: { SYMPHONY_POOL_MB: 'lots' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/SYMPHONY_POOL_MB.*E_INPUT_INVALID|E_INPUT_INVALID[\s\S]*SYMPHONY_POOL_MB/);
  });
});
