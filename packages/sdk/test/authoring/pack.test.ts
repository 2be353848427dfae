import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateKeyPair, keyPairFromPem, packExtension, readKeyPair, readPackage, signText, summarizePermissions, verifyText, writeKeyPair, writePackageFiles,
} from '../../src/index.js';

async function extension(manifest: Record<string, unknown> = {}, files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'symphony-pack-'));
  const all: Record<string, string> = {
    'symphony.extension.json': JSON.stringify({ id: 'acme.packed', version: '1.0.0', kind: 'operator', main: 'dist/index.js', ...manifest }),
    'dist/index.js': 'export default {};\n',
    'README.md': '# packed\n',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

describe('package format', () => {
  it('packs deterministically, lists every file with its sha256 and verifies', async () => {
    const key = generateKeyPair();
    const dir = await extension({}, { 'node_modules/x/index.js': 'x', 'old-1.0.0.tgz': 'x' });
    const a = await packExtension({ dir, key });
    const b = await packExtension({ dir, key: key.privateKeyPem });
    expect(a.integrity).toBe(b.integrity);
    expect(a.integrity).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/);
    expect(a.files.map((f) => f.path)).toEqual(['README.md', 'dist/index.js', 'symphony.extension.json']);
    expect(a.filename).toBe('acme.packed-1.0.0.tgz');
    const pkg = await readPackage(a.tarball, { integrity: a.integrity });
    expect(pkg).toMatchObject({ id: 'acme.packed', version: '1.0.0', readme: '# packed\n' });
    expect(pkg.signature.keyId).toBe(key.keyId);
    const out = join(await mkdtemp(join(tmpdir(), 'symphony-unpack-')), 'x');
    await writePackageFiles(pkg, out);
    expect(await readFile(join(out, 'dist/index.js'), 'utf8')).toBe('export default {};\n');
  });

  it('honours package.json "files" but always keeps the manifest, README and package.json', async () => {
    const dir = await extension({}, { 'package.json': JSON.stringify({ name: 'acme.packed', files: ['dist'] }), 'src/index.ts': 'source', 'test/a.test.mjs': 't' });
    const pack = await packExtension({ dir, key: generateKeyPair() });
    expect(pack.files.map((f) => f.path)).toEqual(['README.md', 'dist/index.js', 'package.json', 'symphony.extension.json']);
  });

  it('refuses a symlink, a folder without a manifest and an invalid manifest', async () => {
    const key = generateKeyPair();
    const linked = await extension();
    await symlink('/etc/passwd', join(linked, 'dist', 'passwd'));
    await expect(packExtension({ dir: linked, key })).rejects.toMatchObject({ code: 'E_PACK_SYMLINK' });
    await expect(packExtension({ dir: await mkdtemp(join(tmpdir(), 'symphony-empty-')), key })).rejects.toMatchObject({ code: 'E_MANIFEST_NOT_FOUND' });
    const bad = await extension({ kind: 'gadget', version: 'one' });
    const error = await packExtension({ dir: bad, key }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_MANIFEST_INVALID' });
    expect((error as { details: { issues: Array<{ path: string }> } }).details.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['kind', 'version']));
  });

  it('signs and verifies with ed25519; a key round-trips through its files', async () => {
    const key = generateKeyPair();
    const signature = signText(key.privateKeyPem, 'hello');
    expect(verifyText(key.publicKey, 'hello', signature)).toBe(true);
    expect(verifyText(key.publicKey, 'hellO', signature)).toBe(false);
    expect(verifyText(generateKeyPair().publicKey, 'hello', signature)).toBe(false);
    expect(() => verifyText('not-a-key', 'hello', signature)).toThrow(expect.objectContaining({ code: 'E_KEY_INVALID' }));
    const dir = await mkdtemp(join(tmpdir(), 'symphony-keys-'));
    const written = await writeKeyPair(dir, key, { publisher: 'acme' });
    expect((await stat(written.privateKeyPath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(written.publicKeyPath, 'utf8'))).toEqual({ keyId: key.keyId, publicKey: key.publicKey, publisher: 'acme' });
    expect((await readKeyPair(written.privateKeyPath)).keyId).toBe(key.keyId);
    await expect(writeKeyPair(dir, generateKeyPair(), { publisher: 'acme' })).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await expect(readKeyPair(join(dir, 'missing.key'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(() => keyPairFromPem('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n')).toThrow(expect.objectContaining({ code: 'E_KEY_INVALID' }));
  });

  it('summarizes permissions one line each, sorted', () => {
    expect(summarizePermissions({ fs: { read: ['${workspace}'], write: [] }, net: { hosts: ['api.example.com'] }, child_process: true, env: ['HOME'] })).toEqual([
      'child_process', 'env: HOME', 'fs.read: ${workspace}', 'net.hosts: api.example.com',
    ]);
    expect(summarizePermissions({ fs: { read: [], write: [] }, child_process: false })).toEqual([]);
  });
});
