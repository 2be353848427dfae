import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOCKFILE, createMarketplace, type ConsentRequest, type Marketplace } from '../src/index.js';
import { startRegistry, tempDir } from './fixtures.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.publish({ id: 'acme.core', version: '1.0.0' });
  await reg.publish({ id: 'acme.core', version: '1.1.0' });
  await reg.publish({ id: 'acme.core', version: '2.0.0' });
  await reg.publish({ id: 'acme.app', version: '1.0.0', dependencies: { 'acme.core': '^1.0.0' }, permissions: { fs: { read: ['${workspace}'] } } });
  await reg.publish({ id: 'acme.app', version: '1.1.0', dependencies: { 'acme.core': '^1.0.0' }, permissions: { fs: { read: ['${workspace}'] } } });
  await reg.publish({ id: 'acme.needs-two', version: '1.0.0', dependencies: { 'acme.core': '^2.0.0' } });
  await reg.publish({ id: 'acme.missing-dep', version: '1.0.0', dependencies: { 'acme.core': '^7.0.0' } });
  await reg.publish({ id: 'other.tool', version: '1.0.0' });
}, 60_000);

afterAll(async () => {
  await reg.close();
});

async function freshMarketplace(consent: (r: ConsentRequest[]) => boolean = () => true): Promise<Marketplace> {
  const home = await tempDir('home');
  const mkt = await createMarketplace({ home, registries: [reg.url], consent });
  await mkt.trust('acme', ['acme'], reg.acme.publicKey);
  return mkt;
}

async function callHello(mkt: Marketplace, id: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(mkt.extensionsDir, id, 'symphony.extension.json'), 'utf8'));
  const mod = await import(`${pathToFileURL(join(mkt.extensionsDir, id, manifest.main)).href}?t=${Date.now()}`);
  return mod.default.methods.hello();
}

describe('install', () => {
  it('resolves the tree, verifies, asks consent for permissions, and writes a lockfile', async () => {
    const asked: ConsentRequest[][] = [];
    const mkt = await freshMarketplace((r) => {
      asked.push(r);
      return true;
    });
    const report = await mkt.install('acme.app@^1.0');
    expect(report.added).toEqual(expect.arrayContaining([{ id: 'acme.app', version: '1.1.0' }, { id: 'acme.core', version: '1.1.0' }]));
    expect(asked).toEqual([[expect.objectContaining({ id: 'acme.app', version: '1.1.0', added: ['fs.read: ${workspace}'], publisher: 'acme' })]]);
    const lock = JSON.parse(await readFile(mkt.lockfilePath, 'utf8'));
    expect(lock.extensions['acme.app']).toMatchObject({ version: '1.1.0', requested: '^1.0', permissions: ['fs.read: ${workspace}'], publisher: 'acme' });
    expect(lock.extensions['acme.core']).toMatchObject({ version: '1.1.0' });
    expect(lock.extensions['acme.core'].requested).toBeUndefined();
    expect(await callHello(mkt, 'acme.app')).toBe('acme.app@1.1.0');
    expect((await lstat(mkt.extensionsDir)).isSymbolicLink()).toBe(true);
    expect((await mkt.list()).map((e) => `${e.id}@${e.version}`).sort()).toEqual(['acme.app@1.1.0', 'acme.core@1.1.0']);
  });

  it('refuses without consent and changes nothing', async () => {
    const mkt = await freshMarketplace(() => false);
    await expect(mkt.install('acme.app')).rejects.toMatchObject({ code: 'E_CONSENT_REQUIRED' });
    expect(await mkt.list()).toEqual([]);
  });

  it('reports a dependency range that cannot be satisfied, and a conflict with both paths', async () => {
    const mkt = await freshMarketplace();
    await expect(mkt.install('acme.missing-dep')).rejects.toMatchObject({
      code: 'E_NO_MATCHING_VERSION',
      details: { id: 'acme.core', range: '^7.0.0', path: ['acme.missing-dep@1.0.0', 'acme.core'] },
    });
    await mkt.install('acme.app');
    const error = await mkt.install('acme.needs-two').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_DEPENDENCY_CONFLICT', details: { id: 'acme.core' } });
    const paths = (error as { details: { constraints: Array<{ range: string; path: string[] }> } }).details.constraints;
    expect(paths).toEqual(expect.arrayContaining([
      { range: '^1.0.0', path: ['acme.app@1.1.0', 'acme.core'] },
      { range: '^2.0.0', path: ['acme.needs-two@1.0.0', 'acme.core'] },
    ]));
    expect((await mkt.list()).map((e) => e.id).sort()).toEqual(['acme.app', 'acme.core']);
  });

  it('refuses a signer that is not trusted, or trusted only for another namespace', async () => {
    const mkt = await freshMarketplace();
    await expect(mkt.install('other.tool')).rejects.toMatchObject({ code: 'E_SIGNER_UNTRUSTED', details: { id: 'other.tool' } });
    await mkt.trust('other', ['acme'], reg.other.publicKey); // trusted, but for the wrong namespace
    await expect(mkt.install('other.tool')).rejects.toMatchObject({ code: 'E_SIGNER_MISMATCH', details: { namespace: 'other', signers: ['other'] } });
    expect(await mkt.list()).toEqual([]);
  });

  it('uninstalls, pruning dependencies, and refuses to remove a needed dependency', async () => {
    const mkt = await freshMarketplace();
    await mkt.install('acme.app');
    await expect(mkt.uninstall('acme.core')).rejects.toMatchObject({ code: 'E_DEPENDED_ON', details: { dependents: ['acme.app'] } });
    const report = await mkt.uninstall('acme.app');
    expect(report.removed.map((r) => r.id).sort()).toEqual(['acme.app', 'acme.core']);
    expect(await mkt.list()).toEqual([]);
    expect(await readdir(mkt.extensionsDir)).toEqual([LOCKFILE]);
  });

  it('searches across registries', async () => {
    const second = await startRegistry();
    try {
      await second.publish({ id: 'acme.elsewhere', version: '1.0.0' });
      const home = await tempDir('home');
      const mkt = await createMarketplace({ home, registries: [reg.url, second.url] });
      const hits = await mkt.search('elsewhere tests');
      expect(hits[0]).toMatchObject({ id: 'acme.elsewhere', registry: second.url });
      expect((await mkt.info('acme.app')).registry).toBe(reg.url);
      await expect(mkt.info('acme.nowhere')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    } finally {
      await second.close();
    }
  });

  it('keeps the extensions link relative, so a home can move', async () => {
    const mkt = await freshMarketplace();
    await mkt.install('acme.core@1.0.0');
    expect(await readlink(mkt.extensionsDir)).toMatch(/^\.marketplace[\\/]generations[\\/]\d+$/);
  });
});
