import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runSdkCli } from '../../src/cli/index.js';

async function cli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runSdkCli(args, { stdout, stderr, stdin: new PassThrough(), cwd, env: { HOME: cwd, ...env } });
  return { code, out, err };
}

describe('symphony-sdk (in process; the full flow runs in @symphony/marketplace e2e)', () => {
  it('create writes a complete project for each kind, with the id and ranges filled in', async () => {
    const root = await mkdtemp(join(tmpdir(), 'symphony-cli-'));
    for (const kind of ['operator', 'instrument', 'motif']) {
      const result = await cli(['create', kind, `a-${kind}`, '--publisher', 'acme'], root);
      expect(result.code, result.err).toBe(0);
      const dir = join(root, `a-${kind}`);
      expect((await readdir(dir)).sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src', 'symphony.extension.json', 'test', 'tsconfig.json', 'tsup.config.ts']);
      const manifest = JSON.parse(await readFile(join(dir, 'symphony.extension.json'), 'utf8'));
      expect(manifest).toMatchObject({ id: `acme.a-${kind}`, kind, version: '0.1.0', main: 'dist/index.js' });
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      expect(pkg.dependencies['@symphony/sdk']).toMatch(/^\^\d+\.\d+\.\d+$/);
      expect(await readFile(join(dir, 'src', 'index.ts'), 'utf8')).not.toMatch(/__[A-Z_]+__/);
    }
  });

  it('refuses a bad kind, a bad id and an existing folder, with codes', async () => {
    const root = await mkdtemp(join(tmpdir(), 'symphony-cli-'));
    expect(await cli(['create', 'gadget', 'x'], root)).toMatchObject({ code: 1, err: expect.stringContaining('E_INPUT_INVALID') });
    expect(await cli(['create', 'operator', 'Bad_Name!'], root)).toMatchObject({ code: 1, err: expect.stringContaining('E_INPUT_INVALID') });
    await mkdir(join(root, 'taken'));
    await writeFile(join(root, 'taken', 'x'), 'x');
    expect(await cli(['create', 'operator', 'taken'], root)).toMatchObject({ code: 1, err: expect.stringContaining('E_CONFLICT') });
    expect(await cli(['create'], root)).toMatchObject({ code: 2, err: expect.stringContaining('E_USAGE') });
    expect(await cli(['frobnicate'], root)).toMatchObject({ code: 2 });
    expect(await cli(['publish', '--no-build'], root)).toMatchObject({ code: 2, err: expect.stringContaining('--registry') });
  });

  it('keys generate, then pack with that key (no build script: nothing to build)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'symphony-cli-'));
    const keys = await cli(['keys', 'generate', '--publisher', 'acme', '--json'], root);
    expect(keys.code, keys.err).toBe(0);
    const { keyId, privateKeyPath } = JSON.parse(keys.out);
    expect(privateKeyPath).toBe(join(root, '.symphony', 'keys', 'symphony-publisher.key'));
    expect((await cli(['keys', 'generate'], root)).err).toContain('E_CONFLICT');

    const dir = join(root, 'ext');
    await mkdir(join(dir, 'dist'), { recursive: true });
    await writeFile(join(dir, 'symphony.extension.json'), JSON.stringify({ id: 'acme.plain', version: '2.0.0', kind: 'operator', main: 'dist/index.js' }));
    await writeFile(join(dir, 'dist', 'index.js'), 'export default {};\n');
    const packed = await cli(['pack', '--dir', 'ext', '--json'], root);
    expect(packed.code, packed.err).toBe(0);
    expect(JSON.parse(packed.out)).toMatchObject({ id: 'acme.plain', version: '2.0.0', keyId, file: join(dir, 'acme.plain-2.0.0.tgz') });
    expect(await cli(['pack', '--dir', 'ext', '--key', 'nowhere.key'], root)).toMatchObject({ code: 1, err: expect.stringContaining('E_NOT_FOUND') });
  });
});

// Outsider attack (issue 17): `--help` was parsed and ignored, so `pack --help` built and signed,
// `create … --help` created and a bare `--help` exited 2.
describe('symphony-sdk --help', () => {
  it.each([['--help'], ['-h'], ['pack', '--help'], ['create', 'operator', 'x', '--help'], ['publish', '--help'], ['test', '-h']])('%s %s prints the usage, exit 0, and does nothing', async (...args) => {
    const root = await mkdtemp(join(tmpdir(), 'symphony-cli-help-'));
    const result = await cli(args, root);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('symphony-sdk');
    expect(result.err).toBe('');
    expect(await readdir(root)).toEqual([]);
  });
});
