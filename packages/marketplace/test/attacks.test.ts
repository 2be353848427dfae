import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, sendRegistryRequest, signRegistryRequest, type PublisherKeyPair } from '@symphony/sdk';
import { createMarketplace, LOCKFILE, type MarketplaceOptions } from '../src/index.js';
import { tempDir } from './fixtures.js';
import { HANG, editJson, spawnRegistry, startMirror, type Mirror, type SpawnedRegistry } from './hostile.js';
import { bins, run } from './processes.js';

// Issue 23's attacks on the install path, each against the real registry process (`a`), a
// second registry whose `acme` namespace belongs to someone else (`b`), and a hostile mirror
// in front of `a` that rewrites what it serves.

let root: string;
let a: SpawnedRegistry;
let b: SpawnedRegistry;
let mirror: Mirror;
let acme: PublisherKeyPair;
let impostor: PublisherKeyPair;

beforeAll(async () => {
  root = await tempDir('mkt-attacks');
  [a, b] = await Promise.all([spawnRegistry(root, 'a'), spawnRegistry(root, 'b')]);
  acme = generateKeyPair();
  impostor = generateKeyPair();
  await a.addPublisher('acme', ['acme'], acme);
  await b.addPublisher('acme', ['acme'], impostor);
  mirror = await startMirror(a.url);
}, 60_000);

afterAll(async () => {
  await mirror?.close();
  await Promise.all([a?.stop(), b?.stop()]);
});

/** A marketplace on a fresh home (or `home`), trusting acme's real key. The start check is covered by its own tests. */
async function market(registries: string[], home?: string, extra: Partial<MarketplaceOptions> = {}) {
  const mkt = await createMarketplace({ home: home ?? (await tempDir('home')), registries, consent: () => true, startCheck: async () => undefined, ...extra });
  await mkt.trust('acme', ['acme'], acme.publicKey);
  return mkt;
}

const versions = async (mkt: Awaited<ReturnType<typeof market>>) => (await mkt.list()).map((e) => `${e.id}@${e.version}`).sort();

describe('a hostile mirror', { timeout: 20_000 }, () => {
  it('replaying older signed metadata is refused (E_METADATA_ROLLBACK); with a second registry it falls through, never downgrading', async () => {
    await a.publish({ id: 'acme.rb', version: '1.0.0' }, acme);
    const old = Buffer.from(await (await fetch(new URL('acme.rb', a.url))).arrayBuffer());
    await a.publish({ id: 'acme.rb', version: '1.1.0' }, acme);
    const home = await tempDir('home');
    await (await market([a.url], home)).install('acme.rb');

    mirror.rewrite = (path) => (path === 'acme.rb' ? old : undefined);
    try {
      const viaMirror = await market([mirror.url], home);
      await expect(viaMirror.update()).rejects.toMatchObject({ code: 'E_METADATA_ROLLBACK', details: { id: 'acme.rb' } });
      await expect(viaMirror.outdated()).rejects.toMatchObject({ code: 'E_METADATA_ROLLBACK' });
      expect(await versions(viaMirror)).toEqual(['acme.rb@1.1.0']);
      const withFallback = await market([mirror.url, a.url], home);
      const report = await withFallback.update();
      expect(report.updated).toEqual([]);
      expect(await versions(withFallback)).toEqual(['acme.rb@1.1.0']);
    } finally {
      mirror.rewrite = () => undefined;
    }
  });

  it('adding dependencies to the metadata installs nothing: dependencies come from the signed manifest', async () => {
    await a.publish({ id: 'acme.victim', version: '1.0.0' }, acme);
    await a.publish({ id: 'acme.injected', version: '1.0.0' }, acme);
    mirror.rewrite = (path, body) =>
      path === 'acme.victim' ? editJson(body, (p) => { p.versions['1.0.0'].dependencies = { 'acme.injected': '*' }; }) : undefined;
    try {
      const mkt = await market([mirror.url]);
      await mkt.install('acme.victim');
      expect(await versions(mkt)).toEqual(['acme.victim@1.0.0']);
      expect((await mkt.list())[0]?.dependencies).toEqual({});
    } finally {
      mirror.rewrite = () => undefined;
    }
  });

  it('editing, stripping or swapping the signed metadata is refused with a code', async () => {
    await a.publish({ id: 'acme.meta', version: '1.0.0' }, acme);
    await a.publish({ id: 'acme.meta', version: '1.0.1' }, acme);
    const other = (await (await fetch(new URL('acme.injected', a.url))).json()) as { signed: unknown; fresh: unknown };
    const cases: Array<[string, (p: any) => void]> = [
      ['E_METADATA_INVALID', (p) => { p.signed.payload = p.signed.payload.replace('"1.0.1":{', '"1.0.1":{"yanked":true,'); }],
      ['E_METADATA_UNSIGNED', (p) => { delete p.signed; }],
      ['E_METADATA_INVALID', (p) => { p.signed = other.signed; }],
      ['E_METADATA_EXPIRED', (p) => { delete p.fresh; }],
      ['E_METADATA_EXPIRED', (p) => { p.fresh = other.fresh; }],
    ];
    for (const [code, edit] of cases) {
      mirror.rewrite = (path, body) => (path === 'acme.meta' ? editJson(body, edit) : undefined);
      const mkt = await market([mirror.url]);
      await expect(mkt.install('acme.meta')).rejects.toMatchObject({ code, details: { id: 'acme.meta' } });
      expect(await mkt.list()).toEqual([]);
    }
    mirror.rewrite = () => undefined;
  });

  it('sending endless or never-ending answers is cut off with a code (size cap, timeout)', async () => {
    await a.publish({ id: 'acme.endless', version: '1.0.0' }, acme);
    mirror.rewrite = (path, body) => (path === 'acme.endless' ? editJson(body, (p) => { p.padding = 'x'.repeat(17 * 1024 * 1024); }) : undefined);
    try {
      await expect((await market([mirror.url])).install('acme.endless')).rejects.toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE' });
      mirror.rewrite = (path) => (path === 'acme.endless' ? HANG : undefined);
      await expect((await market([mirror.url], undefined, { requestTimeoutMs: 300 })).install('acme.endless')).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    } finally {
      mirror.rewrite = () => undefined;
    }
  });

  it('frozen in time (metadata signed as fresh over a day ago) is refused (E_METADATA_EXPIRED)', async () => {
    await a.publish({ id: 'acme.frozen', version: '1.0.0' }, acme);
    const day = 24 * 60 * 60 * 1000;
    // The clock of a user a day and a minute after the mirror froze its answers.
    const later = await market([mirror.url], undefined, { now: () => Date.now() + day + 60_000 });
    await expect(later.install('acme.frozen')).rejects.toMatchObject({ code: 'E_METADATA_EXPIRED', details: { id: 'acme.frozen' } });
    const lenient = await market([mirror.url], undefined, { now: () => Date.now() + day + 60_000, maxMetadataAgeMs: 2 * day });
    expect((await lenient.install('acme.frozen')).added).toEqual([{ id: 'acme.frozen', version: '1.0.0' }]);
  });

  it('switching to another registry key after the first use is refused (E_REGISTRY_KEY_CHANGED)', async () => {
    await a.publish({ id: 'acme.pin', version: '1.0.0' }, acme);
    await b.publish({ id: 'acme.pin', version: '1.0.0' }, impostor);
    const home = await tempDir('home');
    await (await market([mirror.url], home)).install('acme.pin');
    mirror.upstream = b.url;
    try {
      await expect((await market([mirror.url], home)).update()).rejects.toMatchObject({ code: 'E_REGISTRY_KEY_CHANGED' });
    } finally {
      mirror.upstream = a.url;
    }
  });
});

describe('several registries', { timeout: 20_000 }, () => {
  it('an untrusted signer in the first registry falls through to the next', async () => {
    await b.publish({ id: 'acme.multi', version: '1.0.0' }, impostor);
    await a.publish({ id: 'acme.multi', version: '1.0.0' }, acme);
    await expect((await market([b.url])).install('acme.multi')).rejects.toMatchObject({ code: 'E_SIGNER_UNTRUSTED' });
    const mkt = await market([b.url, a.url]);
    await mkt.install('acme.multi');
    expect((await mkt.list())[0]).toMatchObject({ id: 'acme.multi', registry: a.url, keyId: acme.keyId });
  });
});

describe('yanks', { timeout: 20_000 }, () => {
  it('keep an installed version installed, with a warning, instead of locking the user out', async () => {
    await a.publish({ id: 'acme.yk', version: '1.0.0' }, acme);
    await a.publish({ id: 'acme.yk-peer', version: '1.0.0' }, acme);
    const mkt = await market([a.url]);
    await mkt.install('acme.yk');
    await sendRegistryRequest(a.url, signRegistryRequest(acme, { action: 'yank', id: 'acme.yk', version: '1.0.0' }));
    const install = await mkt.install('acme.yk-peer');
    expect(install.warnings).toEqual([expect.stringContaining('acme.yk@1.0.0 was yanked')]);
    const update = await mkt.update();
    expect(update.warnings).toEqual([expect.stringContaining('acme.yk@1.0.0 was yanked')]);
    expect(await versions(mkt)).toEqual(['acme.yk-peer@1.0.0', 'acme.yk@1.0.0']);
    await a.publish({ id: 'acme.yk', version: '1.0.1' }, acme);
    expect((await mkt.update()).updated).toEqual([{ id: 'acme.yk', from: '1.0.0', to: '1.0.1' }]);
  });
});

describe('the lockfile and the store', { timeout: 20_000 }, () => {
  it('refuse a hand-edited integrity or permission and an altered installed file, with codes', async () => {
    await a.publish({ id: 'acme.lk', version: '1.0.0', permissions: { fs: { read: ['${workspace}'] } } }, acme);
    await a.publish({ id: 'acme.lk-peer', version: '1.0.0' }, acme);
    const home = await tempDir('home');
    const mkt = await market([a.url], home);
    await mkt.install('acme.lk');
    const lockPath = join(mkt.extensionsDir, LOCKFILE);
    const genuine = await readFile(lockPath, 'utf8');
    const edit = async (change: (lock: any) => void) => {
      const lock = JSON.parse(genuine);
      change(lock);
      await writeFile(lockPath, JSON.stringify(lock, null, 2));
    };

    // A permission added by hand is not consent: the lockfile's own integrity no longer matches.
    await edit((l) => l.extensions['acme.lk'].permissions.push('net.hosts: *'));
    await expect(mkt.install('acme.lk-peer')).rejects.toMatchObject({ code: 'E_LOCKFILE_TAMPERED' });
    await expect(mkt.verify()).rejects.toMatchObject({ code: 'E_LOCKFILE_TAMPERED' });
    // Without the integrity field (an old lockfile) the store's signed manifest still tells.
    await edit((l) => {
      delete l.integrity;
      l.extensions['acme.lk'].permissions.push('net.hosts: *');
    });
    await expect(mkt.verify()).rejects.toMatchObject({ code: 'E_LOCKFILE_TAMPERED', details: { id: 'acme.lk' } });
    // ... and the registry's signed integrity catches an edited one.
    await edit((l) => {
      delete l.integrity;
      l.extensions['acme.lk'].integrity = 'sha512-AAAA';
    });
    await expect(mkt.install('acme.lk-peer')).rejects.toMatchObject({ code: 'E_LOCKFILE_TAMPERED', details: { id: 'acme.lk' } });
    await writeFile(lockPath, genuine);
    expect(await mkt.verify()).toEqual([{ id: 'acme.lk', version: '1.0.0' }]);

    // An installed file changed on disk: verify (at start), install and update refuse; the CLI exits 1.
    const entry = join(mkt.extensionsDir, 'acme.lk', 'dist', 'index.js');
    await writeFile(entry, 'export default { methods: { hello: () => "evil" } };\n');
    await expect(mkt.verify()).rejects.toMatchObject({ code: 'E_FILES_TAMPERED', details: { id: 'acme.lk', path: 'dist/index.js' } });
    await expect(mkt.update()).rejects.toMatchObject({ code: 'E_FILES_TAMPERED' });
    const cli = await run(bins.marketplace, ['verify', '--home', home], root);
    expect(cli).toMatchObject({ code: 1, stderr: expect.stringContaining('E_FILES_TAMPERED') });
    // Uninstalling the altered one still works; reinstalling replaces the altered store folder.
    await mkt.uninstall('acme.lk');
    const again = await mkt.install('acme.lk');
    expect(again.warnings).toEqual([expect.stringContaining('had been altered')]);
    expect(await readFile(entry, 'utf8')).toContain('acme.lk@1.0.0');
    expect(await mkt.verify()).toEqual([{ id: 'acme.lk', version: '1.0.0' }]);
  });
});

describe('names', { timeout: 20_000 }, () => {
  it('never installs reserved namespaces from a registry, nor trusts anyone for them', async () => {
    const mkt = await market([a.url], undefined, { reservedNamespaces: ['corp'] });
    await expect(mkt.install('symphony.files@9.0.0')).rejects.toMatchObject({ code: 'E_NAMESPACE_RESERVED' });
    await expect(mkt.install('corp.tool')).rejects.toMatchObject({ code: 'E_NAMESPACE_RESERVED' });
    await expect(mkt.trust('evil', ['symphony'], impostor.publicKey)).rejects.toMatchObject({ code: 'E_NAMESPACE_RESERVED' });
    // A dependency on a built-in is the host's to provide: it is not looked up in any registry.
    await a.publish({ id: 'acme.uses-builtin', version: '1.0.0', dependencies: { 'symphony.files': '*' } }, acme);
    await mkt.install('acme.uses-builtin');
    expect(await versions(mkt)).toEqual(['acme.uses-builtin@1.0.0']);
  });

  it('answers constructor, __proto__ and toString as ids or versions with E_INPUT_INVALID', async () => {
    const mkt = await market([a.url]);
    for (const name of ['constructor', '__proto__', 'toString']) {
      await expect(mkt.install(`acme.rb@${name}`)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      await expect(mkt.install(name)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      await expect(mkt.info(name)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      await expect(mkt.update([name])).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      await expect(mkt.uninstall(name)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    }
    expect(await mkt.list()).toEqual([]);
  });
});
