import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrityOf, publishPackage, sendRegistryRequest, signRegistryRequest, type PublisherKeyPair } from '@symphony/sdk';
import { openRegistry, serveRegistry, type Registry } from '../src/index.js';
import { generateKeyPair, packFixture, tempDir } from './helpers.js';

let root: string;
let registry: Registry;
let served: Awaited<ReturnType<typeof serveRegistry>>;
let acme: PublisherKeyPair;

beforeAll(async () => {
  root = await tempDir('registry-http');
  registry = await openRegistry({ dir: `${root}/registry` });
  served = await serveRegistry(registry, { adminToken: 'admin-secret' });
  acme = generateKeyPair();
});

afterAll(async () => {
  await served.close();
});

async function json(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL(path, served.url), init);
  return { status: response.status, body: await response.json() };
}

describe('registry over HTTP on 127.0.0.1', () => {
  it('manages publishers only with the admin token', async () => {
    const body = JSON.stringify({ namespaces: ['acme'], publicKeys: [acme.publicKey] });
    const denied = await json('-/publishers/acme', { method: 'PUT', body, headers: { authorization: 'Bearer wrong' } });
    expect(denied).toMatchObject({ status: 401, body: { error: { code: 'E_UNAUTHORIZED' } } });
    const ok = await json('-/publishers/acme', { method: 'PUT', body, headers: { authorization: 'Bearer admin-secret' } });
    expect(ok.status).toBe(200);
    expect(ok.body.keys[0].keyId).toBe(acme.keyId);
  });

  it('publishes with the SDK client, then serves packument, ranges, tarball and search', async () => {
    const pack = await packFixture(root, { id: 'acme.http', version: '1.0.0', description: 'Fetch URLs over HTTP', keywords: ['http', 'fetch'] }, acme);
    const receipt = await publishPackage({ registry: served.url, tarball: pack.tarball, integrity: pack.integrity });
    expect(receipt).toMatchObject({ id: 'acme.http', version: '1.0.0', integrity: pack.integrity, distTags: { latest: '1.0.0' } });

    expect((await json('acme.http')).body.distTags.latest).toBe('1.0.0');
    expect((await json('acme.http/%5E1')).body.version).toBe('1.0.0');
    const tgz = await fetch(new URL('acme.http/-/acme.http-1.0.0.tgz', served.url));
    expect(tgz.headers.get('x-symphony-integrity')).toBe(pack.integrity);
    expect(integrityOf(Buffer.from(await tgz.arrayBuffer()))).toBe(pack.integrity);
    const search = await json('-/search?q=fetch%20url');
    expect(search.body.results[0]).toMatchObject({ id: 'acme.http', version: '1.0.0' });
  });

  it('turns refusals into coded errors with HTTP statuses the SDK client rethrows', async () => {
    const pack = await packFixture(root, { id: 'acme.http', version: '1.0.0' }, acme);
    await expect(publishPackage({ registry: served.url, tarball: pack.tarball, integrity: pack.integrity })).rejects.toMatchObject({
      code: 'E_VERSION_EXISTS',
      details: { id: 'acme.http', version: '1.0.0' },
    });
    const wrongIntegrity = await packFixture(root, { id: 'acme.http', version: '1.0.1' }, acme);
    await expect(publishPackage({ registry: served.url, tarball: wrongIntegrity.tarball, integrity: 'sha512-AAAA' })).rejects.toMatchObject({ code: 'E_INTEGRITY_MISMATCH' });
    expect(await json('acme.http/9.0.0')).toMatchObject({ status: 404, body: { error: { code: 'E_NO_MATCHING_VERSION' } } });
    expect(await json('acme.nothing')).toMatchObject({ status: 404, body: { error: { code: 'E_NOT_FOUND' } } });
    expect(await json('acme.http/-/nope')).toMatchObject({ status: 404 });
    expect((await json('-/packages', { method: 'PUT', body: 'not a tarball' })).status).toBe(422);
    await expect(publishPackage({ registry: 'http://127.0.0.1:1/', tarball: pack.tarball, integrity: pack.integrity })).rejects.toMatchObject({ code: 'E_REGISTRY_UNREACHABLE' });
  });

  it('publishes under a dist-tag', async () => {
    const beta = await packFixture(root, { id: 'acme.http', version: '2.0.0-beta.1' }, acme);
    const receipt = await publishPackage({ registry: served.url, tarball: beta.tarball, integrity: beta.integrity, tag: 'beta' });
    expect(receipt.distTags).toMatchObject({ latest: '1.0.0', beta: '2.0.0-beta.1' });
  });

  it('applies signed maintenance requests', async () => {
    await sendRegistryRequest(served.url, signRegistryRequest(acme, { action: 'deprecate', id: 'acme.http', version: '1.0.0', argument: 'use acme.fetch' }));
    expect((await json('acme.http/1.0.0')).body.deprecated).toBe('use acme.fetch');
    const bad = { ...signRegistryRequest(acme, { action: 'yank', id: 'acme.http', version: '1.0.0' }), signature: 'AAAA' };
    await expect(sendRegistryRequest(served.url, bad)).rejects.toMatchObject({ code: 'E_SIGNATURE_INVALID' });
  });

  it('mounts under a base path for a host server', async () => {
    const mounted = await serveRegistry(registry, { basePath: '/registry' });
    try {
      expect(mounted.url).toMatch(/\/registry\/$/);
      expect((await (await fetch(new URL('-/ping', mounted.url))).json())).toEqual({ ok: true });
      expect((await fetch(new URL('/elsewhere', mounted.url))).status).toBe(404);
    } finally {
      await mounted.close();
    }
  });
});
