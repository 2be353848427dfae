import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from './fixtures.js';
import { bins, linkDependencies, run } from './processes.js';

/**
 * Every `symphony-sdk create` template builds and passes its own tests through the harness
 * (real bus, sandbox, vdom host), and `dev` serves calls at its prompt. These run here, not in
 * the SDK's own tests, because the host packages depend on the SDK (see createTestHost).
 */
describe('symphony-sdk templates and dev', () => {
  it('instrument and motif templates pass their tests', async () => {
    const root = await tempDir('templates');
    const results = await Promise.all(
      (['instrument', 'motif'] as const).map(async (kind) => {
        const created = await run(bins.sdk, ['create', kind, `my-${kind}`, '--publisher', 'acme'], root);
        expect(created.code, created.stderr).toBe(0);
        const project = join(root, `my-${kind}`);
        await linkDependencies(project);
        return { kind, ...(await run(bins.sdk, ['test'], project)) };
      }),
    );
    for (const r of results) {
      expect(r.code, `${r.kind}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/# fail 0/);
    }
    expect(results.find((r) => r.kind === 'instrument')?.stdout).toMatch(/# pass 3/);
    expect(results.find((r) => r.kind === 'motif')?.stdout).toMatch(/# pass 2/);
  }, 90_000);

  it('dev answers method calls typed at its prompt, with errors as codes', async () => {
    const root = await tempDir('dev');
    expect((await run(bins.sdk, ['create', 'operator', 'acme.counter'], root)).code).toBe(0);
    const project = join(root, 'counter');
    await linkDependencies(project);
    const built = await new Promise<number | null>((resolve) => spawn('npm', ['run', 'build', '--silent'], { cwd: project, stdio: 'ignore' }).on('close', resolve));
    expect(built).toBe(0);
    const session = await run(bins.sdk, ['dev', '--no-build'], project, 'count {"text":"a b c"}\ncount {"text":1}\nnope {}\n.methods\n.exit\n');
    expect(session.code, session.stderr).toBe(0);
    expect(session.stdout).toContain('acme.counter@0.1.0 running (process mode');
    expect(session.stdout).toContain('{"words":3,"lines":1,"characters":5}');
    expect(session.stdout).toContain('error E_INPUT_INVALID');
    expect(session.stdout).toContain('error E_METHOD_UNKNOWN');
    expect(session.stdout).toMatch(/count\ncountFile/);

    // Hot reload: a new build in dist/ is picked up while dev keeps running.
    const dev = spawn(process.execPath, [bins.sdk, 'dev', '--no-build'], { cwd: project, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const waitFor = (pattern: RegExp) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dev never printed ${pattern}; it printed:\n${out}`)), 30_000);
      const check = () => {
        if (pattern.test(out)) {
          clearTimeout(timer);
          dev.stdout.off('data', check);
          resolve();
        }
      };
      dev.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        check();
      });
      check();
    });
    try {
      await waitFor(/running/);
      dev.stdin.write('count {"text":"x y"}\n');
      await waitFor(/"words":2/);
      // A hand-written build: what tsup --watch would write after an edit.
      await writeFile(join(project, 'dist', 'index.js'), `export default {
  [Symbol.for('symphony.extension')]: true,
  manifest: { id: 'acme.counter', version: '0.1.0' },
  methods: { count: {}, countFile: {} },
  async dispatch(method) { return { words: 42, lines: 0, characters: 0, method }; },
};\n`);
      await waitFor(/reloaded acme\.counter/);
      dev.stdin.write('count {"text":"x y"}\n');
      await waitFor(/"words":42/);
      dev.stdin.write('.exit\n');
      expect(await new Promise((resolve) => dev.on('exit', resolve))).toBe(0);
    } finally {
      dev.kill();
    }
  }, 90_000);
});
