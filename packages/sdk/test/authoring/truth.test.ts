import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { generateKeyPair, packExtension, readPackage } from '../../src/index.js';
import { runSdkCli } from '../../src/cli/index.js';

// The built SDK and zod, imported by absolute URL from an extension folder outside the repo.
const SDK = pathToFileURL(new URL('../../dist/index.js', import.meta.url).pathname).href;
const ZOD = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;

/** An extension folder whose built code defines `scan({ dir })`; the manifest is given. */
async function extension(manifest: Record<string, unknown>, pkg?: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'symphony-truth-'));
  const full = { id: 'acme.scanner', version: '1.0.0', kind: 'operator', main: 'dist/index.mjs', ...manifest };
  await writeFile(join(dir, 'symphony.extension.json'), JSON.stringify(full));
  await mkdir(join(dir, 'dist'));
  await writeFile(
    join(dir, 'dist', 'index.mjs'),
    `import { defineOperator, method } from ${JSON.stringify(SDK)};
import { z } from ${JSON.stringify(ZOD)};
const manifest = ${JSON.stringify(full)};
export default defineOperator({ manifest, methods: {
  scan: method({ input: z.object({ dir: z.string() }), output: z.number() }, async ({ dir }) => dir.length),
} });
`,
  );
  if (pkg) await writeFile(join(dir, 'package.json'), JSON.stringify(pkg));
  return dir;
}

async function cli(args: string[], cwd: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runSdkCli(args, { stdout, stderr, stdin: new PassThrough(), cwd, env: { HOME: cwd } });
  return { code, out, err };
}

describe('pack and test refuse a manifest that disagrees with the code', () => {
  it('a declared method the code lacks', async () => {
    const dir = await extension({ contributes: { methods: { scan: {}, ghost: { description: 'not in the code' } } } });
    await expect(packExtension({ dir, key: generateKeyPair() })).rejects.toMatchObject({ code: 'E_MANIFEST_MISMATCH', message: expect.stringContaining('"ghost"') });
    const tested = await cli(['test', '--no-build', '--dir', dir], dir);
    expect(tested.code).toBe(1);
    expect(tested.err).toContain('E_MANIFEST_MISMATCH');
  });

  it('a declared input schema whose fields differ from the zod schema', async () => {
    const dir = await extension({
      contributes: { methods: { scan: { input: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } } },
    });
    await expect(packExtension({ dir, key: generateKeyPair() })).rejects.toMatchObject({
      code: 'E_MANIFEST_MISMATCH',
      message: expect.stringMatching(/method "scan": the input schema in the manifest has properties \{path\} where the code's zod schema has \{dir\}/),
    });
  });

  it('a declared input property whose type differs from the zod schema', async () => {
    const dir = await extension({
      contributes: { methods: { scan: { input: { type: 'object', properties: { dir: { type: 'number' } }, required: ['dir'] } } } },
    });
    await expect(packExtension({ dir, key: generateKeyPair() })).rejects.toMatchObject({
      code: 'E_MANIFEST_MISMATCH',
      message: expect.stringContaining(`method "scan": the input schema in the manifest has property "dir" of type "number" where the code's zod schema has "string"`),
    });
  });

  it('package.json at one version and the manifest at another', async () => {
    const dir = await extension({}, { name: 'acme.scanner', version: '0.1.0' });
    await writeFile(join(dir, 'symphony.extension.json'), JSON.stringify({ id: 'acme.scanner', version: '9.9.9', kind: 'operator' }));
    await expect(packExtension({ dir, key: generateKeyPair() })).rejects.toMatchObject({ code: 'E_MANIFEST_MISMATCH', message: expect.stringContaining('0.1.0') });
  });

  it('package.json named other than the manifest id (an npm registry would never find it)', async () => {
    const dir = await extension({}, { name: 'acme.other', version: '1.0.0' });
    await expect(packExtension({ dir, key: generateKeyPair() })).rejects.toMatchObject({ code: 'E_MANIFEST_MISMATCH', message: expect.stringContaining('"acme.other"') });
  });

  it('when they agree, the packed manifest carries the zod-derived schemas and package.json a `symphony` field', async () => {
    const dir = await extension({ contributes: { methods: { scan: { description: 'by hand' } } }, permissions: { fs: { read: ['${workspace}'] } } }, { name: 'acme.scanner', version: '1.0.0' });
    const packed = await packExtension({ dir, key: generateKeyPair() });
    const pkg = await readPackage(packed.tarball);
    const methods = pkg.manifest.contributes.methods as Record<string, { description?: string; input?: { required?: string[] }; output?: unknown }>;
    expect(methods.scan).toMatchObject({ description: 'by hand', input: { type: 'object', required: ['dir'] }, output: { type: 'number' } });
    expect(pkg.packageJson).toMatchObject({ name: 'acme.scanner', version: '1.0.0', symphony: { id: 'acme.scanner', kind: 'operator', permissions: ['fs.read: ${workspace}'] } });
  });
});

describe('authoring defaults', () => {
  it('pack makes a signing key on first use and says where', async () => {
    const dir = await extension({}, { name: 'acme.scanner', version: '1.0.0' });
    const first = await cli(['pack', '--no-build', '--dir', dir], dir);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain(`generated a signing key for "acme": ${join(dir, '.symphony', 'keys', 'symphony-publisher.key')}`);
    const second = await cli(['pack', '--no-build', '--dir', dir], dir);
    expect(second.code, second.err).toBe(0);
    expect(second.out).not.toContain('generated');
  });

  it('create asks for each @symphony/* package at a range of its own version', async () => {
    const root = await mkdtemp(join(tmpdir(), 'symphony-create-'));
    expect((await cli(['create', 'motif', 'panel'], root)).code).toBe(0);
    const pkg = JSON.parse(await readFile(join(root, 'panel', 'package.json'), 'utf8'));
    for (const name of ['sdk', 'vdom', 'kernel', 'sandbox', 'extension-loader']) {
      const own = JSON.parse(await readFile(new URL(`../../../${name}/package.json`, import.meta.url), 'utf8')).version;
      expect(pkg.dependencies[`@symphony/${name}`] ?? pkg.devDependencies[`@symphony/${name}`]).toBe(`^${own}`);
    }
    expect(pkg.private).toBeUndefined();
  });
});
