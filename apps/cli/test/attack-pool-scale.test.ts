import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { symphony } from './cli-harness.js';

// Outsider attacks on issues 19 (scale-out) and 21 (pooled instruments) through the built CLI.
const dir = mkdtempSync(join(tmpdir(), 'symphony-cli-atk1921-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SYMPHONY_POOL_MB and symphony worker under attack', () => {
  it('a model that can never fit the budget fails its step with E_POOL_OVER_BUDGET, and --json lines carry no stack trace', async () => {
    const work = join(dir, 'pool');
    const ext = join(work, 'extensions', 'atk.big');
    mkdirSync(ext, { recursive: true });
    mkdirSync(join(work, 'ws'));
    // 40 MiB of real heap in each instance: never fits a 16 MiB budget.
    writeFileSync(join(ext, 'index.mjs'), `import { defineInstrument } from '${import.meta.resolve('@symphony/sdk/runtime')}';
const weights = [];
for (let i = 0; i < 40; i++) weights.push(new Array(128 * 1024).fill(i + 0.5));
export default defineInstrument({ manifest: { id: 'atk.big', version: '1.0.0' }, methods: { predict: ({ x = 1 } = {}) => ({ y: x * 2, w: weights.length }), health: () => true } });\n`);
    writeFileSync(join(ext, 'symphony.extension.json'), JSON.stringify({ id: 'atk.big', version: '1.0.0', kind: 'instrument', main: 'index.mjs', engines: { symphony: '>=0.1.0' }, contributes: { methods: { predict: {}, health: {} } } }));
    writeFileSync(join(work, 'workflow.yaml'), 'name: big\nsteps:\n  - { id: a, uses: atk.big/predict, with: { x: 2 } }\n  - { id: b, uses: atk.big/predict, with: { x: 3 }, needs: [a] }\n');
    const run = await symphony(['run', join(work, 'workflow.yaml'), '--json', '--home', join(dir, 'pool-home')], { cwd: join(work, 'ws'), env: { SYMPHONY_POOL_MB: '16' } });
    expect(run.code).toBe(1);
    const result = run.lines.find((l) => l.type === 'result') as { status: string; error?: { code: string } };
    expect(result.status).toBe('failed');
    expect(JSON.stringify(result.error)).toContain('E_POOL_OVER_BUDGET');
    expect(run.stdout).not.toMatch(/"stack"|\\n\s+at /);
  });

  it('symphony worker --secret-file naming a missing file: a coded error, exit 1, no stack', async () => {
    const cwd = join(dir, 'wcwd');
    mkdirSync(cwd);
    const r = await symphony(['worker', '--redis', 'redis://127.0.0.1:1', '--secret-file', join(dir, 'no-such-secret'), '--home', join(dir, 'whome')], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[E_CONFIG_INVALID]');
    expect(r.stderr).toContain('no-such-secret');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
