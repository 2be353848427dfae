import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSymphony, type Symphony } from '../src/index.js';

const dirs: string[] = [];
const open: Symphony[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'symphony-runtime-'));
  dirs.push(dir);
  return dir;
}

describe('createSymphony', () => {
  it('runs a workflow file through pit.dag with in-process steps, and the run is in the store', async () => {
    const dir = tempDir();
    const file = join(dir, 'chain.yaml');
    writeFileSync(file, ['name: chain', 'steps:', '  - id: a', '    uses: t.steps/add', '    with: { n: 1 }', '  - id: b', '    uses: t.steps/add', '    with: { n: "${{ steps.a.output.n }}" }', ''].join('\n'));
    const symphony = await createSymphony({ home: join(dir, 'home'), builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', steps: { 't.steps/add': (input) => ({ n: Number((input as { n: number }).n) + 1 }) } });
    open.push(symphony);
    const result = await symphony.run(file);
    expect(result.status).toBe('succeeded');
    expect(symphony.artifacts.value('chain/b')).toEqual({ n: 3 });
    expect(symphony.dag.state(result.runId).status).toBe('succeeded');
  });

  it('store mode opens without the Stage and refuses to run', async () => {
    const dir = tempDir();
    const symphony = await createSymphony({ home: dir, mode: 'store', logLevel: 'silent' });
    open.push(symphony);
    expect(symphony.kernel.tryService('stage')).toBeUndefined();
    expect(() => symphony.conductor).toThrow(expect.objectContaining({ code: 'E_KERNEL_STATE' }));
  });
});
