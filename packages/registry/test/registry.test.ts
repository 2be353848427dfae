import { beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { create, Parser } from 'tar';
import { integrityOf, signRegistryRequest, type PublisherKeyPair } from '@symphony/sdk';
import { openRegistry, type Registry } from '../src/index.js';
import { forgePackage, generateKeyPair, packFixture, tempDir } from './helpers.js';

let root: string;
let registry: Registry;
let acme: PublisherKeyPair;
let evil: PublisherKeyPair;

beforeAll(async () => {
  root = await tempDir('registry');
  registry = await openRegistry({ dir: `${root}/registry` });
  acme = generateKeyPair();
  evil = generateKeyPair();
  await registry.registerPublisher({ name: 'acme', namespaces: ['acme'], publicKeys: [acme.publicKey] });
  await registry.registerPublisher({ name: 'evil', namespaces: ['evil'], publicKeys: [evil.publicKey] });
  for (const version of ['1.0.0', '1.2.0', '1.2.5', '2.0.0-beta.1', '2.0.0']) {
    const pack = await packFixture(root, {
      id: 'acme.csv',
      version,
      description: 'Parse and write CSV files',
      keywords: ['csv', 'table'],
      permissions: { fs: { read: ['${workspace}'] } },
      dependencies: version.startsWith('2') ? { 'acme.core': '^1.0.0' } : {},
    }, acme);
    await registry.publish(pack.tarball, { integrity: pack.integrity });
  }
});

describe('publish and metadata', () => {
  it('stores per-version metadata from the signed manifest', async () => {
    const meta = await registry.resolve('acme.csv', '1.2.0');
    expect(meta).toMatchObject({
      id: 'acme.csv',
      version: '1.2.0',
      kind: 'operator',
      description: 'Parse and write CSV files',
      keywords: ['csv', 'table'],
      permissions: ['fs.read: ${workspace}'],
      publisher: 'acme',
      keyId: acme.keyId,
      tarball: 'acme.csv-1.2.0.tgz',
    });
    expect(meta.readme).toContain('# acme.csv');
    expect((await registry.resolve('acme.csv', '2.0.0')).dependencies).toEqual({ 'acme.core': '^1.0.0' });
  });

  it('answers semver ranges and dist-tags', async () => {
    expect((await registry.resolve('acme.csv', '^1.2')).version).toBe('1.2.5');
    expect((await registry.resolve('acme.csv', '~1.0')).version).toBe('1.0.0');
    expect((await registry.resolve('acme.csv', 'latest')).version).toBe('2.0.0');
    expect((await registry.resolve('acme.csv', 'next')).version).toBe('2.0.0-beta.1');
    expect((await registry.resolve('acme.csv')).version).toBe('2.0.0');
    await expect(registry.resolve('acme.csv', '>=3')).rejects.toMatchObject({ code: 'E_NO_MATCHING_VERSION', details: { id: 'acme.csv' } });
    await expect(registry.resolve('acme.csv', 'nonsense tag!')).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(registry.resolve('acme.nothing', '^1')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    const packument = await registry.setDistTag('acme.csv', 'stable', '1.2.5');
    expect(packument.distTags).toMatchObject({ latest: '2.0.0', next: '2.0.0-beta.1', stable: '1.2.5' });
  });

  it('serves the exact bytes and counts downloads', async () => {
    const { data, meta } = await registry.tarball('acme.csv', '1.0.0');
    expect(integrityOf(data)).toBe(meta.integrity);
    await registry.tarball('acme.csv', '1.0.0');
    await registry.flush();
    expect((await registry.resolve('acme.csv', '1.0.0')).downloads).toBe(2);
  });

  it('yank hides a version from ranges and tags but keeps exact downloads; deprecate carries a message', async () => {
    await registry.yank('acme.csv', '1.2.5');
    expect((await registry.resolve('acme.csv', '^1.2')).version).toBe('1.2.0');
    expect((await registry.resolve('acme.csv', '1.2.5')).yanked).toBe(true);
    await registry.tarball('acme.csv', '1.2.5');
    await registry.yank('acme.csv', '1.2.5', false);
    expect((await registry.resolve('acme.csv', '^1.2')).version).toBe('1.2.5');
    const meta = await registry.deprecate('acme.csv', '1.0.0', 'use 2.x');
    expect(meta.deprecated).toBe('use 2.x');
  });

  it('keeps everything across a reopen of the same folder', async () => {
    const again = await openRegistry({ dir: registry.dir });
    expect(Object.keys((await again.packument('acme.csv')).versions).sort()).toEqual(['1.0.0', '1.2.0', '1.2.5', '2.0.0', '2.0.0-beta.1']);
    expect((await again.resolve('acme.csv', '1.0.0')).deprecated).toBe('use 2.x');
    expect((await again.search('csv'))[0]?.id).toBe('acme.csv');
  });

  it('a search with no words lists every package (its kind only when asked), within the limit', async () => {
    for (const query of ['', '   ']) expect((await registry.search(query)).map((h) => `${h.id}@${h.version}`)).toEqual(['acme.csv@2.0.0']);
    expect(await registry.search('', { kind: 'instrument' })).toEqual([]);
    expect(await registry.search('', { limit: 0 })).toEqual([]);
  });
});

describe('a registry reopened after a kill', () => {
  it('drops half-written temp files and re-signs nothing that did not change', async () => {
    const pkgDir = `${root}/registry/packages/acme.csv`;
    await writeFile(`${pkgDir}/packument.json.999.deadbeef.tmp`, '{"half":');
    const before = (await registry.packument('acme.csv')).signed?.payload;
    const reopened = await openRegistry({ dir: `${root}/registry` });
    expect((await readdir(pkgDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect((await reopened.packument('acme.csv')).signed?.payload).toBe(before);
  });
});

describe('publish refusals', () => {
  it('refuses a version that already exists', async () => {
    const pack = await packFixture(root, { id: 'acme.csv', version: '1.0.0', description: 'again' }, acme);
    await expect(registry.publish(pack.tarball)).rejects.toMatchObject({ code: 'E_VERSION_EXISTS', details: { id: 'acme.csv', version: '1.0.0' } });
  });

  it('refuses a tarball altered after signing', async () => {
    const pack = await packFixture(root, { id: 'acme.altered', version: '1.0.0' }, acme);
    const altered = await rewriteTarball(pack.tarball, (path, data) => (path === 'package/dist/index.js' ? Buffer.from('export default { evil: true };\n') : data));
    await expect(registry.publish(altered)).rejects.toMatchObject({ code: 'E_INTEGRITY_MISMATCH', details: { path: 'dist/index.js' } });
    // A flipped byte in transit: the declared integrity no longer matches.
    const damaged = Buffer.from(pack.tarball);
    damaged[damaged.length - 20] = (damaged[damaged.length - 20] as number) ^ 0xff;
    await expect(registry.publish(damaged, { integrity: pack.integrity })).rejects.toMatchObject({ code: 'E_INTEGRITY_MISMATCH' });
    await expect(registry.publish(damaged)).rejects.toMatchObject({ code: 'E_PACKAGE_INVALID' });
    await expect(registry.resolve('acme.altered')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('refuses a signature that does not verify (files.json re-hashed without the key)', async () => {
    const pack = await packFixture(root, { id: 'acme.resigned', version: '1.0.0' }, acme);
    const forged = await rewriteTarball(pack.tarball, (path, data) => {
      if (path !== 'package/.symphony/signature.json') return data;
      const sig = JSON.parse(data.toString());
      return Buffer.from(JSON.stringify({ ...sig, version: '9.9.9' }));
    });
    await expect(registry.publish(forged)).rejects.toMatchObject({ code: 'E_SIGNATURE_INVALID' });
  });

  it('refuses a manifest that does not validate, listing every problem', async () => {
    const manifest = JSON.stringify({ id: 'acme.badmanifest', version: '1.0.0', kind: 'gadget', permissions: { fs: { read: ['../etc'] } } });
    const { tarball } = await forgePackage({ 'symphony.extension.json': manifest }, 'acme.badmanifest', '1.0.0', acme);
    const error = await registry.publish(tarball).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_MANIFEST_INVALID' });
    const paths = ((error as { details: { issues: Array<{ path: string }> } }).details.issues ?? []).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['kind', 'permissions.fs.read[0]']));
  });

  it('refuses a publisher that does not own the namespace, and an unowned namespace', async () => {
    const squat = await packFixture(root, { id: 'acme.squat', version: '1.0.0' }, evil);
    await expect(registry.publish(squat.tarball)).rejects.toMatchObject({ code: 'E_NAMESPACE_FORBIDDEN', details: { namespace: 'acme', owner: 'acme', signer: 'evil' } });
    const unknownKey = generateKeyPair();
    const unsigned = await packFixture(root, { id: 'acme.unknownkey', version: '1.0.0' }, unknownKey);
    const refused = await registry.publish(unsigned.tarball).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'E_NAMESPACE_FORBIDDEN', details: { keyId: unknownKey.keyId, owner: 'acme' } });
    expect((refused as Error).message).toContain(`key ${unknownKey.keyId}`);
    const stranger = await packFixture(root, { id: 'nobody.thing', version: '1.0.0' }, acme);
    await expect(registry.publish(stranger.tarball)).rejects.toMatchObject({ code: 'E_NAMESPACE_UNOWNED', details: { namespace: 'nobody' } });
    await expect(registry.registerPublisher({ name: 'evil', namespaces: ['acme'], publicKeys: [] })).rejects.toMatchObject({ code: 'E_NAMESPACE_FORBIDDEN' });
  });

  it('names a corrupt metadata file instead of starting with half the packages', async () => {
    const dir = await tempDir('corrupt');
    await mkdir(join(dir, 'packages', 'acme.broken'), { recursive: true });
    await writeFile(join(dir, 'packages', 'acme.broken', 'packument.json'), '{ not json');
    await expect(openRegistry({ dir })).rejects.toMatchObject({ code: 'E_REGISTRY_CORRUPT', details: { path: join(dir, 'packages', 'acme.broken', 'packument.json') } });
  });

  it('refuses a file that is not a Symphony package at all', async () => {
    await expect(registry.publish(Buffer.from('hello'))).rejects.toMatchObject({ code: 'E_PACKAGE_INVALID' });
  });
});

describe('signed maintenance requests', () => {
  it('applies deprecate, yank and dist-tag signed by the namespace owner', async () => {
    await registry.applySignedRequest(signRegistryRequest(acme, { action: 'deprecate', id: 'acme.csv', version: '1.2.0', argument: 'buggy' }));
    expect((await registry.resolve('acme.csv', '1.2.0')).deprecated).toBe('buggy');
    await registry.applySignedRequest(signRegistryRequest(acme, { action: 'dist-tag', id: 'acme.csv', version: '1.2.0', argument: 'lts' }));
    expect((await registry.packument('acme.csv')).distTags.lts).toBe('1.2.0');
  });

  it('refuses another publisher, a tampered request and a stale one', async () => {
    await expect(registry.applySignedRequest(signRegistryRequest(evil, { action: 'yank', id: 'acme.csv', version: '2.0.0' }))).rejects.toMatchObject({ code: 'E_NAMESPACE_FORBIDDEN' });
    const tampered = { ...signRegistryRequest(acme, { action: 'yank', id: 'acme.csv', version: '1.0.0' }), version: '2.0.0' };
    await expect(registry.applySignedRequest(tampered)).rejects.toMatchObject({ code: 'E_SIGNATURE_INVALID' });
    const stale = signRegistryRequest(acme, { action: 'yank', id: 'acme.csv', version: '2.0.0', timestamp: Date.now() - 3_600_000 });
    await expect(registry.applySignedRequest(stale)).rejects.toMatchObject({ code: 'E_REQUEST_EXPIRED' });
    expect((await registry.resolve('acme.csv', '2.0.0')).yanked).toBeUndefined();
  });
});

/** Unpacks, lets `change` rewrite entries, and packs again without re-signing. */
async function rewriteTarball(tarball: Buffer, change: (path: string, data: Buffer) => Buffer): Promise<Buffer> {
  const dir = await tempDir('rewrite');
  const entries: Array<[string, Buffer]> = [];
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      onReadEntry: (entry) => {
        const parts: Buffer[] = [];
        entry.on('data', (c: Buffer) => parts.push(c));
        entry.on('end', () => entries.push([entry.path, Buffer.concat(parts)]));
      },
    });
    parser.on('end', () => resolve());
    parser.on('error', reject);
    parser.end(tarball);
  });
  for (const [path, data] of entries) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), change(path, data));
  }
  const chunks: Buffer[] = [];
  for await (const c of create({ gzip: true, cwd: dir, portable: true }, entries.map(([p]) => p))) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
