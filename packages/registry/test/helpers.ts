import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
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

/**
 * A ustar archive written byte by byte, so a test can say exactly what a hostile publisher
 * would put in it (`package/./x`, 10,001 directories, a header claiming 2 GiB) without a tar
 * library tidying it up. `size` overrides the header's size field (the data is written as given).
 */
export function rawTar(entries: Array<{ path: string; data?: Buffer | string; type?: 'file' | 'dir' | 'longname'; size?: number }>, end = true): Buffer {
  const blocks: Buffer[] = [];
  for (const given of entries) {
    // A GNU long name: an `L` entry whose data is the next entry's path.
    const entry = given.type === 'longname' ? { ...given, path: '././@LongLink', data: `${given.path}\0` } : given;
    const data = Buffer.from(entry.data ?? '');
    const header = Buffer.alloc(512);
    header.write(entry.path, 0, 100, 'utf8');
    header.write(entry.type === 'dir' ? '0000755\0' : '0000644\0', 100, 'ascii');
    header.write('0000000\0', 108, 'ascii');
    header.write('0000000\0', 116, 'ascii');
    header.write(`${(entry.size ?? data.length).toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    header.write('00000000000\0', 136, 'ascii');
    header.write('        ', 148, 'ascii');
    header.write(entry.type === 'dir' ? '5' : entry.type === 'longname' ? 'L' : '0', 156, 'ascii');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (end) blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** Signed files.json + signature.json entries for `files`, as the packer would write them. */
export function signedEntries(files: Record<string, string>, id: string, version: string, key: PublisherKeyPair): Array<{ path: string; data: Buffer }> {
  const list = Object.entries(files).map(([path, text]) => ({ path, sha256: sha256Hex(Buffer.from(text)), size: Buffer.byteLength(text) }));
  const filesBytes = Buffer.from(JSON.stringify({ format: PACKAGE_FORMAT, files: list }));
  const fields = { id, version, filesSha256: sha256Hex(filesBytes), keyId: key.keyId };
  const signature = { format: PACKAGE_FORMAT, algorithm: 'ed25519', ...fields, publicKey: key.publicKey, signature: signText(key.privateKeyPem, signingText(fields)) };
  return [
    ...Object.entries(files).map(([path, text]) => ({ path: `package/${path}`, data: Buffer.from(text) })),
    { path: `package/${FILES_PATH}`, data: filesBytes },
    { path: `package/${SIGNATURE_PATH}`, data: Buffer.from(JSON.stringify(signature)) },
  ];
}

/** The real `symphony-registry serve` in a child process on 127.0.0.1; resolves once it prints its URL. */
export async function spawnRegistry(dir: string, extra: string[] = []): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'serve', '--dir', dir, '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`symphony-registry exited ${code}: ${stderr}`)));
  });
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
