import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicKey, verify } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { publishPackage, sendRegistryRequest, signRegistryRequest, type PublisherKeyPair } from '@symphony/sdk';
import { generateKeyPair, packFixture, rawTar, signedEntries, spawnRegistry, tempDir } from './helpers.js';

// Each attack from issue 23 (and issue 15's prototype names) against the real `symphony-registry`
// process on 127.0.0.1, as a hostile publisher or an anonymous uploader would make it.

const ADMIN = 'admin-secret';
let root: string;
let reg: Awaited<ReturnType<typeof spawnRegistry>>;
let acme: PublisherKeyPair;
let evil: PublisherKeyPair;

async function call(path: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(new URL(path, reg.url), init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function addPublisher(name: string, namespaces: string[], key: PublisherKeyPair) {
  return call(`-/publishers/${name}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ namespaces, publicKeys: [key.publicKey] }) });
}

const upload = (tarball: Buffer) => call('-/packages', { method: 'PUT', body: tarball });

beforeAll(async () => {
  root = await tempDir('registry-attacks');
  reg = await spawnRegistry(`${root}/registry`, ['--admin-token', ADMIN, '--reserved-namespace', 'corp', '--upload-burst', '100']);
  acme = generateKeyPair();
  evil = generateKeyPair();
  expect((await addPublisher('acme', ['acme'], acme)).status).toBe(200);
  expect((await addPublisher('evil', ['evil'], evil)).status).toBe(200);
  for (const [key, id, version] of [[acme, 'acme.http', '1.0.0'], [acme, 'acme.http', '1.1.0'], [evil, 'evil.x', '1.0.0']] as const) {
    const pack = await packFixture(root, { id, version, description: 'Fetch URLs over HTTP' }, key);
    await publishPackage({ registry: reg.url, tarball: pack.tarball, integrity: pack.integrity });
  }
}, 60_000);

afterAll(async () => {
  await reg?.stop();
});

describe('prototype names as data (issue 23, issue 15 item 8)', () => {
  it('refuses a signed yank or deprecate of __proto__ and every other publisher is untouched', async () => {
    for (const version of ['__proto__', 'constructor', 'toString']) {
      for (const action of ['yank', 'deprecate'] as const) {
        const request = signRegistryRequest(evil, { action, id: 'evil.x', version, argument: 'use evil.y' });
        await expect(sendRegistryRequest(reg.url, request)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      }
    }
    for (const tag of ['__proto__', 'constructor', 'hasOwnProperty']) {
      await expect(sendRegistryRequest(reg.url, signRegistryRequest(evil, { action: 'dist-tag', id: 'evil.x', version: '1.0.0', argument: tag }))).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    }
    // Another publisher's packages still resolve, undeprecated, unyanked.
    expect(await call('acme.http/^1.0.0')).toMatchObject({ status: 200, body: { version: '1.1.0' } });
    expect((await call('acme.http/1.0.0')).body).not.toHaveProperty('yanked');
    const search = await call('-/search?q=http');
    expect(search.body.results[0]).toMatchObject({ id: 'acme.http' });
    expect(search.body.results[0]).not.toHaveProperty('deprecated');
  });

  it('answers 400 for constructor, __proto__ and toString as ids, versions, tags and tarball names', async () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      expect(await call(name)).toMatchObject({ status: 400, body: { error: { code: 'E_INPUT_INVALID' } } });
      expect(await call(`acme.http/${name}`)).toMatchObject({ status: 400, body: { error: { code: 'E_INPUT_INVALID' } } });
      expect(await call(`acme.http/-/acme.http-${name}.tgz`)).toMatchObject({ status: 400, body: { error: { code: 'E_INPUT_INVALID' } } });
      expect((await addPublisher(name, ['ns'], acme)).status).toBe(400);
    }
    expect(await call('acme.http/%E0%A4%A')).toMatchObject({ status: 400 });
    expect(await call('acme.http/9.9.9')).toMatchObject({ status: 404, body: { error: { code: 'E_NO_MATCHING_VERSION' } } });
  });
});

describe('uploads that try to freeze the registry', () => {
  it('stops a 64 MiB+ inflation at the limit and answers other requests meanwhile', async () => {
    // 72 entries of 1 MiB zeros: ~70 KB gzipped, more than the 64 MiB unpacked cap.
    const mib = Buffer.alloc(1024 * 1024);
    const bomb = gzipSync(rawTar(Array.from({ length: 72 }, (_, i) => ({ path: `package/blob-${i}.bin`, data: mib }))), { level: 1 });
    let done = false;
    const refused = upload(bomb).finally(() => {
      done = true;
    });
    let answeredMeanwhile = 0;
    for (let i = 0; i < 200 && !done; i++) {
      const [ping, packument] = await Promise.all([call('-/ping'), call('acme.http')]);
      expect(ping.status).toBe(200);
      expect(packument.status).toBe(200);
      if (!done) answeredMeanwhile += 1;
    }
    expect(await refused).toMatchObject({ status: 422, body: { error: { code: 'E_PACKAGE_INVALID', message: expect.stringContaining('unpacks to more than') } } });
    expect(answeredMeanwhile).toBeGreaterThan(0);
  }, 30_000); // 64 MiB really is inflated (that is the limit): seconds on a loaded 2-core runner

  it('refuses an entry whose header claims 2 GiB before inflating it', async () => {
    const bomb = gzipSync(rawTar([{ path: 'package/big.bin', size: 2 ** 31, data: Buffer.alloc(4096) }], false));
    expect(await upload(bomb)).toMatchObject({ status: 422, body: { error: { code: 'E_PACKAGE_INVALID', message: expect.stringContaining('unpacks to more than') } } });
  });

  it('counts directory entries: 10,001 directories are refused at the 10,001st', async () => {
    const bomb = gzipSync(rawTar(Array.from({ length: 10_001 }, (_, i) => ({ path: `package/d${i}/`, type: 'dir' as const }))));
    expect(await upload(bomb)).toMatchObject({ status: 422, body: { error: { code: 'E_PACKAGE_INVALID', message: expect.stringContaining('more than 10000 entries') } } });
  });

  it('refuses a path longer than the limit, however it is spelled (GNU long name)', async () => {
    const long = `package/${'a/'.repeat(600)}x.js`;
    const bomb = gzipSync(rawTar([{ path: long, type: 'longname' }, { path: 'package/short.js', data: 'x' }]));
    expect(await upload(bomb)).toMatchObject({ status: 422, body: { error: { code: 'E_PACKAGE_INVALID', message: expect.stringContaining('longer than 1024 bytes') } } });
  });

  it('queues, rather than refuses, parallel uploads of one client within its budget', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => upload(Buffer.from('not a tarball'))));
    expect(answers.map((r) => r.status)).toEqual([422, 422, 422, 422, 422, 422]);
  });

  it('limits uploads per client, answering 429 with Retry-After, and keeps serving reads', async () => {
    const limited = await spawnRegistry(`${root}/limited`, ['--upload-burst', '2', '--uploads-per-minute', '1']);
    try {
      const put = () => fetch(new URL('-/packages', limited.url), { method: 'PUT', body: Buffer.from('not a tarball') });
      expect((await put()).status).toBe(422);
      expect((await put()).status).toBe(422);
      const third = await put();
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await third.json()).toMatchObject({ error: { code: 'E_RATE_LIMITED' } });
      expect((await fetch(new URL('-/ping', limited.url))).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('paths and namespaces', () => {
  it('refuses package/./index.mjs beside package/index.mjs, both signed', async () => {
    const manifest = JSON.stringify({ id: 'acme.dot', version: '1.0.0', kind: 'operator', main: 'index.mjs' });
    const entries = signedEntries({ 'symphony.extension.json': manifest, 'index.mjs': 'export default 1;\n', './index.mjs': 'export default 2;\n' }, 'acme.dot', '1.0.0', acme);
    const refused = await upload(gzipSync(rawTar(entries)));
    expect(refused).toMatchObject({ status: 422, body: { error: { code: 'E_PACKAGE_INVALID', message: expect.stringContaining('canonical') } } });
    expect((await call('acme.dot')).status).toBe(404);
  });

  it('reserves symphony (and the operator\'s namespaces) for publishers and publishes', async () => {
    expect(await addPublisher('sym', ['symphony'], evil)).toMatchObject({ status: 403, body: { error: { code: 'E_NAMESPACE_RESERVED' } } });
    expect(await addPublisher('corp', ['corp'], evil)).toMatchObject({ status: 403, body: { error: { code: 'E_NAMESPACE_RESERVED' } } });
    const pack = await packFixture(root, { id: 'symphony.files', version: '9.0.0' }, acme);
    expect(await upload(pack.tarball)).toMatchObject({ status: 403, body: { error: { code: 'E_NAMESPACE_RESERVED' } } });
  });
});

describe('signed metadata', () => {
  it('signs every packument with the registry key and a timestamp that only moves forward, restarts included', async () => {
    const key = (await call('-/key')).body as { keyId: string; publicKey: string };
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey }, format: 'jwk' });
    const signed = async () => {
      const { signed: s, fresh: f } = (await call('acme.http')).body;
      expect(s.keyId).toBe(key.keyId);
      expect(verify(null, Buffer.from(`symphony-registry-metadata/v1\n${s.payload}`), publicKey, Buffer.from(s.signature, 'base64url'))).toBe(true);
      // Each answer also carries a serve-time freshness signature naming that snapshot.
      expect(verify(null, Buffer.from(`symphony-registry-freshness/v1\n${f.payload}`), publicKey, Buffer.from(f.signature, 'base64url'))).toBe(true);
      const doc = JSON.parse(s.payload);
      expect(JSON.parse(f.payload)).toMatchObject({ registry: key.keyId, id: 'acme.http', snapshot: doc.timestamp, issuedAt: expect.any(Number) });
      return doc;
    };
    const before = await signed();
    expect(Object.keys(before.versions)).toEqual(['1.0.0', '1.1.0']);
    await sendRegistryRequest(reg.url, signRegistryRequest(acme, { action: 'deprecate', id: 'acme.http', version: '1.0.0', argument: 'use 1.1' }));
    const after = await signed();
    expect(after.timestamp).toBeGreaterThan(before.timestamp);
    expect(after.versions['1.0.0']).toMatchObject({ deprecated: 'use 1.1' });
    // A download is not a signed fact: the timestamp stays.
    expect((await fetch(new URL('acme.http/-/acme.http-1.1.0.tgz', reg.url))).status).toBe(200);
    expect((await signed()).timestamp).toBe(after.timestamp);

    await reg.stop();
    reg = await spawnRegistry(`${root}/registry`, ['--admin-token', ADMIN, '--reserved-namespace', 'corp', '--upload-burst', '100']);
    expect((await call('-/key')).body).toEqual(key);
    expect((await signed()).timestamp).toBe(after.timestamp);
    await sendRegistryRequest(reg.url, signRegistryRequest(acme, { action: 'undeprecate', id: 'acme.http', version: '1.0.0' }));
    expect((await signed()).timestamp).toBeGreaterThan(after.timestamp);
  });
});
