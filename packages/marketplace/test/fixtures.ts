import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateKeyPair, packExtension, type PublisherKeyPair } from '@symphony/sdk';
import { openRegistry, serveRegistry, type Registry } from '@symphony/registry';

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `symphony-${label}-`));
}

export interface Ext {
  id: string;
  version: string;
  permissions?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  engines?: { symphony: string };
  /** The entry module's source; by default a (branded, as define*() makes) definition whose `hello` names its version. */
  code?: string;
  /** More files of the package, by relative path (a `package.json`, say). */
  files?: Record<string, string>;
}

/**
 * A real registry on 127.0.0.1 with one publisher (`acme`) and a second one (`other`),
 * plus a helper that writes, packs, signs and publishes an extension.
 */
export async function startRegistry() {
  const root = await tempDir('mkt');
  const registry: Registry = await openRegistry({ dir: join(root, 'registry') });
  const served = await serveRegistry(registry);
  const acme = generateKeyPair();
  const other = generateKeyPair();
  await registry.registerPublisher({ name: 'acme', namespaces: ['acme'], publicKeys: [acme.publicKey] });
  await registry.registerPublisher({ name: 'other', namespaces: ['other'], publicKeys: [other.publicKey] });
  let n = 0;
  async function publish(ext: Ext, key: PublisherKeyPair = ext.id.startsWith('other.') ? other : acme) {
    const dir = join(root, 'src', `${ext.id}-${ext.version}-${n++}`);
    await mkdir(join(dir, 'dist'), { recursive: true });
    const manifest = { id: ext.id, version: ext.version, kind: 'operator', main: 'dist/index.js', description: `${ext.id} for tests`, permissions: ext.permissions ?? {}, dependencies: ext.dependencies ?? {}, ...(ext.engines ? { engines: ext.engines } : {}) };
    await writeFile(join(dir, 'symphony.extension.json'), JSON.stringify(manifest));
    await writeFile(join(dir, 'dist', 'index.js'), ext.code ?? definitionSource(ext.id, ext.version));
    for (const [path, content] of Object.entries(ext.files ?? {})) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    const pack = await packExtension({ dir, key });
    await registry.publish(pack.tarball, { integrity: pack.integrity });
    return pack;
  }
  return { root, registry, url: served.url, acme, other, publish, close: () => served.close() };
}

/** A module exporting what `defineOperator()` returns (brand, manifest, dispatch), without importing the SDK. */
export function definitionSource(id: string, version: string, methods = `{ hello: () => ${JSON.stringify(`${id}@${version}`)} }`): string {
  return `const methods = ${methods};
export default { [Symbol.for('symphony.extension')]: true, kind: 'operator', manifest: { id: ${JSON.stringify(id)}, version: ${JSON.stringify(version)}, kind: 'operator' }, methods, dispatch: (method, input, ctx) => methods[method](input, ctx) };
`;
}
