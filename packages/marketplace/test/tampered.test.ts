import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { create, Parser } from 'tar';
import { integrityOf } from '@symphony/sdk';
import { openRegistry, serveRegistry } from '@symphony/registry';
import { createMarketplace } from '../src/index.js';
import { startRegistry, tempDir } from './fixtures.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;

beforeAll(async () => {
  reg = await startRegistry();
  await reg.publish({ id: 'acme.tamper', version: '1.0.0' });
  await reg.publish({ id: 'acme.swap', version: '1.0.0' });
}, 30_000);

afterAll(async () => {
  await reg.close();
});

/** Rewrites one file inside a tarball without re-signing: what an attacker with disk access does. */
async function alter(tarball: Buffer, path: string, content: string): Promise<Buffer> {
  const dir = await tempDir('alter');
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
  for (const [entryPath, data] of entries) {
    await mkdir(dirname(join(dir, entryPath)), { recursive: true });
    await writeFile(join(dir, entryPath), entryPath === `package/${path}` ? content : data);
  }
  const chunks: Buffer[] = [];
  for await (const c of create({ gzip: true, cwd: dir, portable: true }, entries.map(([p]) => p))) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('a registry that serves an altered package', () => {
  it('is caught by the sha512 when the metadata was left alone', async () => {
    const file = join(reg.registry.dir, 'packages', 'acme.tamper', 'acme.tamper-1.0.0.tgz');
    await writeFile(file, await alter(await readFile(file), 'dist/index.js', 'export default { methods: { hello: () => "evil" } };\n'));
    const mkt = await createMarketplace({ home: await tempDir('home'), registries: [reg.url] });
    await mkt.trust('acme', ['acme'], reg.acme.publicKey);
    await expect(mkt.install('acme.tamper')).rejects.toMatchObject({ code: 'E_INTEGRITY_MISMATCH', details: { expected: expect.any(String) } });
    expect(await mkt.list()).toEqual([]);
  });

  it('is caught by the signed file hashes when the registry vouches for the new bytes', async () => {
    const dir = join(reg.registry.dir, 'packages', 'acme.swap');
    const altered = await alter(await readFile(join(dir, 'acme.swap-1.0.0.tgz')), 'dist/index.js', 'export default { methods: { hello: () => "evil" } };\n');
    await writeFile(join(dir, 'acme.swap-1.0.0.tgz'), altered);
    const packument = JSON.parse(await readFile(join(dir, 'packument.json'), 'utf8'));
    packument.versions['1.0.0'].integrity = integrityOf(altered);
    await writeFile(join(dir, 'packument.json'), JSON.stringify(packument));
    // The registry process restarts over its (altered) folder and serves it as genuine.
    const lying = await serveRegistry(await openRegistry({ dir: reg.registry.dir }));
    try {
      const mkt = await createMarketplace({ home: await tempDir('home'), registries: [lying.url] });
      await mkt.trust('acme', ['acme'], reg.acme.publicKey);
      await expect(mkt.install('acme.swap')).rejects.toMatchObject({ code: 'E_INTEGRITY_MISMATCH', details: { path: 'dist/index.js' } });
      expect(await mkt.list()).toEqual([]);
    } finally {
      await lying.close();
    }
  });
});
