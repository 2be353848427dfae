import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import {
  FILES_PATH, PACKAGE_FORMAT, SIGNATURE_PATH, generateKeyPair, integrityOf, packExtension, sha256Hex, signText, signingText,
  type PackResult, type PublisherKeyPair,
} from '@symphony/sdk';

export interface FixtureManifest {
  id: string;
  version: string;
  kind?: 'operator' | 'instrument' | 'motif';
  description?: string;
  keywords?: string[];
  permissions?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  name?: string;
}

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `symphony-${label}-`));
}

/** A real extension folder: manifest, a built entry module, README and package.json. */
export async function writeExtension(root: string, m: FixtureManifest, code = 'export default { methods: { ping: () => "pong" } };\n'): Promise<string> {
  const dir = join(root, `${m.id}-${m.version}`);
  await mkdir(join(dir, 'dist'), { recursive: true });
  const manifest = { kind: 'operator', main: 'dist/index.js', ...m };
  await writeFile(join(dir, 'symphony.extension.json'), JSON.stringify(manifest, null, 2));
  await writeFile(join(dir, 'dist', 'index.js'), code);
  await writeFile(join(dir, 'README.md'), `# ${m.id}\n\n${m.description ?? ''}\n`);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: m.id, version: m.version, private: true, type: 'module' }));
  return dir;
}

export async function packFixture(root: string, m: FixtureManifest, key: PublisherKeyPair): Promise<PackResult> {
  return packExtension({ dir: await writeExtension(root, m), key });
}

/**
 * Builds a correctly signed tarball from arbitrary files, bypassing `packExtension`'s manifest
 * validation: how a hostile or buggy publisher would make one.
 */
export async function forgePackage(files: Record<string, string>, id: string, version: string, key: PublisherKeyPair): Promise<{ tarball: Buffer; integrity: string }> {
  const staging = await tempDir('forge');
  const list = Object.entries(files).map(([path, text]) => ({ path, sha256: sha256Hex(Buffer.from(text)), size: Buffer.byteLength(text) }));
  const filesBytes = Buffer.from(JSON.stringify({ format: PACKAGE_FORMAT, files: list }));
  const fields = { id, version, filesSha256: sha256Hex(filesBytes), keyId: key.keyId };
  const signature = { format: PACKAGE_FORMAT, algorithm: 'ed25519', ...fields, publicKey: key.publicKey, signature: signText(key.privateKeyPem, signingText(fields)) };
  const all: Record<string, string | Buffer> = { ...files, [FILES_PATH]: filesBytes, [SIGNATURE_PATH]: JSON.stringify(signature) };
  for (const [path, data] of Object.entries(all)) {
    await mkdir(join(staging, 'package', path, '..'), { recursive: true });
    await writeFile(join(staging, 'package', path), data);
  }
  const chunks: Buffer[] = [];
  for await (const c of create({ gzip: true, cwd: staging, portable: true }, Object.keys(all).map((p) => `package/${p}`))) chunks.push(c as Buffer);
  const tarball = Buffer.concat(chunks);
  return { tarball, integrity: integrityOf(tarball) };
}

export { generateKeyPair };
