import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSymphony, installedExtensions, type Symphony } from '../src/index.js';

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

  it('refuses an invalid workflow file before a run exists: every uses: is checked against what is installed', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, ['name: bad', 'steps:', '  - id: a', '    uses: t.steps/ad', '  - id: b', '    uses: t.steps/add', '    if: failure() && steps.a.outcome', ''].join('\n'));
    const symphony = await createSymphony({ home: join(dir, 'home'), builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', steps: { 't.steps/add': (input) => input } });
    open.push(symphony);
    const err = await symphony.run(file).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_WORKFLOW_INVALID' });
    expect((err as { details: { diagnostics: unknown[] } }).details.diagnostics).toEqual([
      { file, line: 4, column: 11, stepId: 'a', path: 'steps[0].uses', message: 'extension "t.steps" has no method "ad" (did you mean "t.steps/add"?)', suggestion: 't.steps/add' },
    ]);
    expect(symphony.dag.runs()).toEqual([]);
  });

  it('refuses an invalid workflow object in run() and start() before a run exists (uses:, capability, __proto__)', async () => {
    const dir = tempDir();
    const symphony = await createSymphony({ home: join(dir, 'home'), builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent', steps: { 't.steps/add': (input) => input } });
    open.push(symphony);
    const unknownMethod = { name: 'obj', steps: [{ id: 'a', uses: 't.steps/ad' }] };
    const unknownCapability = { name: 'obj', steps: [{ id: 'a', uses: 'capability:no-such-thing' }] };
    // A `__proto__` step id as JSON.parse makes it (an own key, as an HTTP body or file would carry it).
    const proto = JSON.parse('{"name":"obj","steps":[{"id":"__proto__","uses":"t.steps/add"}]}') as { name: string };
    for (const wf of [unknownMethod, unknownCapability, proto]) {
      await expect(symphony.run(wf as never)).rejects.toMatchObject({ code: 'E_WORKFLOW_INVALID', details: { diagnostics: expect.any(Array) } });
      expect(() => symphony.start(wf as never)).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID' }));
    }
    expect(symphony.dag.runs()).toEqual([]);
    const ok = await symphony.run({ name: 'obj', steps: [{ id: 'a', uses: 't.steps/add', with: { n: 1 } }] } as never);
    expect(ok.status).toBe('succeeded');
    expect(symphony.dag.runs()).toHaveLength(1);
  });

  it("checks with: against a Stage extension's declared input before a run exists", async () => {
    const dir = tempDir();
    const file = join(dir, 'read.yaml');
    writeFileSync(file, ['name: read', 'steps:', '  - id: r', '    uses: symphony.files/read', '    with: { pth: a.txt }', ''].join('\n'));
    const symphony = await createSymphony({ home: join(dir, 'home'), workspace: join(dir, 'ws'), policy: 'heuristic', noSync: true, logLevel: 'silent' });
    open.push(symphony);
    const err = await symphony.run(file).catch((e: unknown) => e);
    expect((err as { details: { diagnostics: Array<{ message: string }> } }).details.diagnostics.map((d) => d.message)).toEqual([
      'symphony.files/read needs "path" in with:',
      'symphony.files/read takes no "pth" (did you mean "path"?)',
    ]);
    expect(symphony.dag.runs()).toEqual([]);
  });

  it('installedExtensions lists what the Stage would load, from manifests, creating nothing', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    const catalog = await installedExtensions({ home });
    expect(catalog.find((e) => e.id === 'symphony.files')?.methods).toContain('read');
    expect(catalog.some((e) => (e.capabilities ?? []).includes('classify-risk'))).toBe(true);
    expect(existsSync(home)).toBe(false);
    expect(await installedExtensions({ home, builtins: false })).toEqual([]);
  });

  it('store mode opens without the Stage and refuses to run', async () => {
    const dir = tempDir();
    const symphony = await createSymphony({ home: dir, mode: 'store', logLevel: 'silent' });
    open.push(symphony);
    expect(symphony.kernel.tryService('stage')).toBeUndefined();
    expect(() => symphony.conductor).toThrow(expect.objectContaining({ code: 'E_KERNEL_STATE' }));
  });

  it('refuses a home inside the workspace (E_HOME_IN_WORKSPACE), and the built-in file operators deny the home', async () => {
    const dir = tempDir();
    const ws = join(dir, 'ws');
    mkdirSync(ws);
    await expect(createSymphony({ home: join(ws, '.symphony'), workspace: ws, builtins: false, logLevel: 'silent', noSync: true })).rejects.toMatchObject({ code: 'E_HOME_IN_WORKSPACE' });
    await expect(createSymphony({ home: ws, workspace: ws, builtins: false, logLevel: 'silent', noSync: true })).rejects.toMatchObject({ code: 'E_HOME_IN_WORKSPACE' });
    // Inspection (store mode) starts no extension: a home anywhere is fine.
    const store = await createSymphony({ home: join(ws, '.symphony'), workspace: ws, mode: 'store', logLevel: 'silent' });
    open.push(store);
    const home = join(dir, 'home');
    const symphony = await createSymphony({ home, workspace: ws, policy: 'heuristic', noSync: true, logLevel: 'silent' });
    open.push(symphony);
    writeFileSync(join(home, 'tokens.json'), '{"admin":"secret"}');
    const result = await symphony.run({ name: 'peek', steps: [{ id: 'read', uses: 'symphony.files/read', with: { path: join(home, 'tokens.json') } }] });
    expect(result.status).toBe('failed');
    expect(JSON.stringify(result.steps[0])).toContain('E_PERMISSION_DENIED');
  });
});
