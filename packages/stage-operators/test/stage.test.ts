/**
 * The built-in operators as they run in production: discovered by the real stage from
 * BUILTIN_OPERATORS_DIR, each in its own sandboxed child process (bubblewrap when it can run
 * here), called by `id/method` through the bus.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '@symphony/kernel';
import { stagePlugin } from '@symphony/extension-loader';
import { probeBubblewrap, sandboxPlugin } from '@symphony/sandbox';
import { BUILTIN_OPERATORS, BUILTIN_OPERATORS_DIR } from '../src/index.js';
import { makeRepo, tempDir } from './helpers.js';

const bwrap = probeBubblewrap();
if (!bwrap.available) console.warn(`[stage-operators] bubblewrap cannot run here; operators run degraded: ${bwrap.reason}`);

let root: { dir: string; cleanup: () => void };
let kernel: Kernel;
let ws: string;
const call = (uses: string, input: unknown) => kernel.service('stage').call(uses, input, { timeoutMs: 30_000 });

beforeAll(async () => {
  if (!existsSync(join(BUILTIN_OPERATORS_DIR, 'files', 'symphony.extension.json'))) throw new Error(`build @symphony/stage-operators first (${BUILTIN_OPERATORS_DIR})`);
  root = tempDir('symphony-stage-ops-');
  ws = join(root.dir, 'ws');
  mkdirSync(join(ws, 'src'), { recursive: true });
  writeFileSync(join(ws, 'src', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(ws, 'sales.csv'), 'region,amount\nnorth,10\nsouth,5\nnorth,7\n');
  makeRepo(join(ws, 'repo'));
  kernel = createKernel({
    plugins: [sandboxPlugin, stagePlugin],
    config: {
      pluginOptions: {
        // symphony.data gets a 48 MB heap, so a file larger than that must stream to be read at all.
        sandbox: { home: join(root.dir, 'home'), workspace: ws, limitsFor: { 'symphony.data': { memoryMb: 48 } } },
        stage: { dirs: [BUILTIN_OPERATORS_DIR] },
      },
    },
  });
  await kernel.start();
});
afterAll(async () => {
  await kernel?.stop();
  root?.cleanup();
});

describe('the built-in operators through the stage, sandboxed', () => {
  it('are discovered with the documented ids and methods, in process mode', () => {
    const listed = kernel.service('stage').list();
    for (const op of BUILTIN_OPERATORS) {
      const info = listed.find((e) => e.id === op.id);
      expect(info).toMatchObject({ mode: 'process', kind: 'operator' });
      expect(info!.methods.sort()).toEqual([...op.methods].sort());
    }
  });

  it('symphony.files: write, read, glob; /etc/passwd refused and audited', async () => {
    await call('symphony.files/write', { path: 'notes/today.md', content: '# hi', mkdirs: true });
    expect(await call('symphony.files/read', { path: 'notes/today.md' })).toMatchObject({ content: '# hi' });
    expect(await call('symphony.files/glob', { patterns: ['**/*.ts', '**/*.md'], ignore: ['repo/**'] })).toMatchObject({ files: ['notes/today.md', 'src/a.ts'] });
    await expect(call('symphony.files/read', { path: '/etc/passwd' })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    expect(kernel.service('sandbox').audit.read({ extensionId: 'symphony.files', kind: 'deny' }).at(-1)).toMatchObject({ target: '/etc/passwd' });
  });

  it('symphony.files/hash streams a 1 GB sparse file inside the sandbox (heap limit 256 MB)', async () => {
    const big = join(ws, 'sparse.bin');
    closeSync(openSync(big, 'w'));
    await truncate(big, 1024 ** 3);
    expect(await call('symphony.files/hash', { path: 'sparse.bin' })).toMatchObject({ bytes: 1024 ** 3, sha256: '49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14' });
    await expect(call('symphony.data/parse', { path: 'sparse.bin', format: 'csv' })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
  });

  it('symphony.data streams an NDJSON file larger than its whole heap limit', async () => {
    const line = (i: number) => JSON.stringify({ file: `src/module-${i % 97}.ts`, added: i % 13, note: 'x'.repeat(40) });
    const chunk = Array.from({ length: 10_000 }, (_, i) => line(i)).join('\n') + '\n';
    const big = join(ws, 'churn.ndjson');
    writeFileSync(big, '');
    for (let i = 0; i < 64; i++) appendFileSync(big, chunk); // ~56 MB, 640,000 records
    expect(statSync(big).size).toBeGreaterThan(48 * 1024 * 1024);
    const result = (await call('symphony.data/aggregate', { source: { path: 'churn.ndjson' }, groupBy: ['file'], aggregate: { added: { op: 'sum', field: 'added' }, n: { op: 'count' } } })) as { records: Array<{ n: number }> };
    expect(result.records).toHaveLength(97);
    expect(result.records.reduce((sum, r) => sum + r.n, 0)).toBe(640_000);
  });

  it('symphony.data/aggregate and symphony.data/write', async () => {
    const result = await call('symphony.data/aggregate', { source: { path: 'sales.csv' }, groupBy: ['region'], aggregate: { total: { op: 'sum', field: 'amount' } }, sort: [{ field: 'total', order: 'desc' }] });
    expect(result).toMatchObject({ records: [{ region: 'north', total: 17 }, { region: 'south', total: 5 }] });
    await expect(call('symphony.data/write', { path: '../escape.csv', records: [{ a: 1 }] })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    expect(existsSync(join(root.dir, 'escape.csv'))).toBe(false);
  });

  it('symphony.git: log with numstat, current branch, and a hotspot ranking piped into symphony.data', async () => {
    const { commits } = (await call('symphony.git/log', { repo: 'repo', numstat: true })) as { commits: Array<{ subject: string; files: Array<{ path: string; added: number; deleted: number }> }> };
    expect(commits.map((c) => c.subject)).toEqual(['second: touch a, add b', 'first']);
    expect(await call('symphony.git/currentBranch', { repo: 'repo' })).toMatchObject({ branch: 'main' });
    // The hotspot pipeline, declaratively: churn per file from the commits, sizes from the files, joined.
    const churn = (await call('symphony.data/transform', {
      source: { records: commits },
      steps: [
        { unnest: { field: 'files' } },
        { map: { churn: { op: 'add', args: [{ field: 'added' }, { field: 'deleted' }] } } },
        { groupBy: { keys: ['path'], aggregate: { churn: { op: 'sum', field: 'churn' }, commits: { op: 'count' } } } },
      ],
    })) as { records: Array<Record<string, unknown>> };
    const sizes = (await call('symphony.files/measure', { patterns: ['**/*.ts', '**/*.md'], cwd: 'repo' })) as { files: Array<Record<string, unknown>> };
    const ranking = await call('symphony.data/transform', {
      source: { records: churn.records },
      steps: [
        { join: { with: { records: sizes.files }, on: 'path' } },
        { map: { score: { op: 'mul', args: [{ field: 'churn' }, { field: 'lines' }] } } },
        { sort: [{ field: 'score', order: 'desc' }, { field: 'path' }] },
        { select: ['path', 'churn', 'commits', 'lines', 'score'] },
      ],
      output: { path: 'hotspots.json' },
    });
    expect(ranking).toMatchObject({ count: 3, output: { format: 'json' } });
    expect(await call('symphony.files/read', { path: 'hotspots.json' }).then((r) => JSON.parse((r as { content: string }).content))).toEqual([
      { path: 'src/a.ts', churn: 4, commits: 2, lines: 2, score: 8 },
      { path: 'README.md', churn: 1, commits: 1, lines: 1, score: 1 },
      { path: 'src/b.ts', churn: 1, commits: 1, lines: 1, score: 1 },
    ]);
  });

  it('symphony.git refuses a ref like --output=/tmp/x and writes nothing', async () => {
    const target = join(root.dir, 'x');
    await expect(call('symphony.git/log', { repo: 'repo', ref: `--output=${target}` })).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { path: 'ref' } });
    await expect(call('symphony.git/diff', { repo: 'repo', from: '--output=/tmp/x' })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    expect(existsSync(target)).toBe(false);
  });

  it('only symphony.git may start processes: the other operators have no child_process grant', () => {
    const sandbox = kernel.service('sandbox');
    expect(sandbox.policy('symphony.git').decide({ kind: 'child_process', command: '/usr/bin/git' }).allow).toBe(true);
    expect(sandbox.policy('symphony.files').decide({ kind: 'child_process', command: '/usr/bin/git' }).allow).toBe(false);
    expect(sandbox.policy('symphony.data').decide({ kind: 'child_process', command: 'sh' }).allow).toBe(false);
  });
});
