import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, packExtension, type PublisherKeyPair } from '@symphony/sdk';
import { createMarketplace } from '../src/index.js';
import { definitionSource, tempDir } from './fixtures.js';

/**
 * An npm-protocol registry (packuments at /<name>, tarballs at /<name>/-/<file>) on 127.0.0.1,
 * serving what `npm publish <signed tarball>` stores: the packed package.json as version metadata
 * plus `dist`. The full path through verdaccio and the real npm CLI is the release test in
 * apps/cli; this one attacks the client's edges.
 */
const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

interface Published { name: string; versions: Record<string, Record<string, unknown>>; tarballs: Map<string, Buffer> }

async function npmRegistry(packages: Map<string, Published>): Promise<string> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [name, dash, file] = decodeURIComponent(url.pathname.slice(1)).split('/');
    const pkg = packages.get(name ?? '');
    if (!pkg) return void res.writeHead(404).end('{"error":"not found"}');
    if (dash === '-' && file) {
      const data = pkg.tarballs.get(file);
      return void (data ? res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(data) : res.writeHead(404).end());
    }
    const versions = Object.keys(pkg.versions);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: pkg.name, 'dist-tags': { latest: versions.at(-1) }, versions: pkg.versions }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}/`;
}

async function publish(packages: Map<string, Published>, base: string, key: PublisherKeyPair, id: string, version: string, edit: (meta: Record<string, unknown>) => void = () => {}) {
  const dir = await tempDir('npm-ext');
  await mkdir(join(dir, 'dist'));
  await writeFile(join(dir, 'symphony.extension.json'), JSON.stringify({ id, version, kind: 'operator', main: 'dist/index.js', permissions: { fs: { read: ['${workspace}'] } } }));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: id, version, description: `${id} from npm` }));
  await writeFile(join(dir, 'dist', 'index.js'), definitionSource(id, version));
  const pack = await packExtension({ dir, key });
  const entry = packages.get(id) ?? { name: id, versions: {}, tarballs: new Map<string, Buffer>() };
  const file = `${id}-${version}.tgz`;
  const packageJson = JSON.parse(Buffer.from((await import('node:zlib')).gunzipSync(pack.tarball)).toString('latin1').match(/\{\n  "name"[\s\S]*?\n\}\n/)?.[0] ?? '{}');
  const meta = { ...packageJson, dist: { tarball: `${base}${id}/-/${file}`, integrity: pack.integrity } };
  edit(meta);
  entry.versions[version] = meta;
  entry.tarballs.set(file, pack.tarball);
  packages.set(id, entry);
}

describe('extensions from an npm-protocol registry (npm:<url>)', () => {
  it('installs with the same signature check, trust and consent; the lockfile remembers npm:<url>', async () => {
    const packages = new Map<string, Published>();
    const base = await npmRegistry(packages);
    const key = generateKeyPair();
    await publish(packages, base, key, 'acme.hello', '1.0.0');
    packages.set('left-pad', { name: 'left-pad', versions: { '1.0.0': { name: 'left-pad', version: '1.0.0', dist: { tarball: `${base}left-pad/-/x.tgz`, integrity: 'sha512-x' } } }, tarballs: new Map() });
    const home = await tempDir('npm-home');
    const mkt = await createMarketplace({ home, registries: [`npm:${base}`], consent: () => true });

    await expect(mkt.install('acme.hello')).rejects.toMatchObject({ code: 'E_SIGNER_UNTRUSTED' });
    await mkt.trust('acme', ['acme'], key.publicKey);
    await expect(createMarketplace({ home, registries: [`npm:${base}`], consent: () => false }).then((m) => m.install('acme.hello'))).rejects.toMatchObject({ code: 'E_CONSENT_REQUIRED' });
    const report = await mkt.install('acme.hello');
    expect(report.added).toEqual([{ id: 'acme.hello', version: '1.0.0' }]);
    expect((await mkt.list())[0]).toMatchObject({ id: 'acme.hello', registry: `npm:${base}`, permissions: ['fs.read: ${workspace}'] });
    // A package that is not a Symphony extension is not found, whatever npm has.
    await expect(mkt.install('left-pad.x')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });

    await publish(packages, base, key, 'acme.hello', '1.1.0');
    expect(await mkt.outdated()).toEqual([{ id: 'acme.hello', current: '1.0.0', wanted: '1.1.0', latest: '1.1.0' }]);
  });

  it('follows the signed package, not the metadata; refuses a tampered tarball and a tarball on another host', async () => {
    const packages = new Map<string, Published>();
    const base = await npmRegistry(packages);
    const key = generateKeyPair();
    const home = await tempDir('npm-home');
    const mkt = await createMarketplace({ home, registries: [`npm:${base}`], consent: () => true });
    await mkt.trust('acme', ['acme'], key.publicKey);

    // The registry's metadata names another signing key than the tarball's signature.
    await publish(packages, base, key, 'acme.liar', '1.0.0', (meta) => ((meta.symphony as Record<string, unknown>).keyId = 'k-someone-else'));
    await expect(mkt.install('acme.liar')).rejects.toMatchObject({ code: expect.stringMatching(/^E_SIGNER_(MISMATCH|UNTRUSTED)$/) });
    // ...or dependencies the signed manifest does not have: resolution reads the signed manifest.
    await publish(packages, base, key, 'acme.extra', '1.0.0');
    await publish(packages, base, key, 'acme.deps', '1.0.0', (meta) => ((meta.symphony as Record<string, unknown>).dependencies = { 'acme.extra': '^1.0.0' }));
    expect((await mkt.install('acme.deps')).added).toEqual([{ id: 'acme.deps', version: '1.0.0' }]);
    await mkt.uninstall('acme.deps');

    await publish(packages, base, key, 'acme.swapped', '1.0.0');
    const swapped = packages.get('acme.swapped') as Published;
    swapped.tarballs.set('acme.swapped-1.0.0.tgz', (packages.get('acme.extra') as Published).tarballs.get('acme.extra-1.0.0.tgz') as Buffer);
    await expect(mkt.install('acme.swapped')).rejects.toMatchObject({ code: 'E_INTEGRITY_MISMATCH' });

    await publish(packages, base, key, 'acme.elsewhere', '1.0.0', (meta) => ((meta.dist as Record<string, unknown>).tarball = 'http://127.0.0.2:9/acme.elsewhere.tgz'));
    await expect(mkt.install('acme.elsewhere')).rejects.toMatchObject({ code: 'E_REGISTRY_FAILED' });
    expect(await mkt.list()).toEqual([]);
  });
});
