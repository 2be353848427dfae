import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { SymphonyError } from '@symphony/types';
import { keyPairFromPem, signText, type PublisherKeyPair } from './keys.js';
import {
  FILES_PATH,
  PACKAGE_FORMAT,
  SIGNATURE_PATH,
  integrityOf,
  sha256Hex,
  signingText,
  tarballName,
  type FilesDocument,
  type PackFile,
  type PackSignature,
} from './format.js';
import { findManifestFile, parseManifestText, type PackageManifest } from './manifest-file.js';
import { packedPackageJson } from './package-json.js';
import { checkManifestAgainstCode } from './code-check.js';

export interface PackOptions {
  /** The extension's folder (holds the manifest). */
  dir: string;
  /** The author's key: a PEM string or a pair from `generateKeyPair()`/`readKeyPair()`. */
  key: string | PublisherKeyPair;
}

export interface PackResult {
  id: string;
  version: string;
  manifest: PackageManifest;
  /** The gzipped tarball. */
  tarball: Buffer;
  /** `sha512-<base64>` of `tarball`. */
  integrity: string;
  files: PackFile[];
  signature: PackSignature;
  /** `acme.csv-1.2.0.tgz`. */
  filename: string;
}

/** Never shipped: build inputs and local state. `package.json` `files` narrows it further. */
const IGNORED = new Set(['node_modules', '.git', '.symphony', '.turbo', 'coverage', '.DS_Store']);
const ALWAYS = /^(package\.json|readme(\.[a-z]+)?|license(\.[a-z]+)?|changelog(\.[a-z]+)?)$/i;

/**
 * Packs an extension folder into a signed Symphony package. Files come from `package.json`
 * `files` when present (plus the manifest, package.json, README, LICENSE), else everything
 * except node_modules, VCS and build state and earlier tarballs.
 */
export async function packExtension(options: PackOptions): Promise<PackResult> {
  const pair = typeof options.key === 'string' ? keyPairFromPem(options.key) : options.key;
  const manifestFile = await findManifestFile(options.dir);
  const manifest = parseManifestText(manifestFile.name, await readFile(manifestFile.path, 'utf8'));
  const paths = await selectFiles(options.dir, manifestFile.name);
  // package.json goes in with a `symphony` field derived from the manifest (npm registries show it).
  const packageJson = await packedPackageJson(options.dir, manifest, pair.keyId);
  // The built code must agree with the manifest; the packed manifest then carries the JSON
  // Schemas derived from the code's zod schemas (a JSON manifest file; TOML stays as written).
  const fromCode = await checkManifestAgainstCode(options.dir, manifest);
  // Only the methods come from the code; every other field stays as the author wrote it.
  const manifestBytes = fromCode && manifestFile.name.endsWith('.json') ? withCodeMethods(await readFile(manifestFile.path, 'utf8'), fromCode) : undefined;
  const contents = async (path: string) => {
    if (path === 'package.json' && packageJson) return packageJson;
    if (path === manifestFile.name && manifestBytes) return manifestBytes;
    return readFile(join(options.dir, path));
  };

  const files: PackFile[] = [];
  for (const path of paths) {
    const data = await contents(path);
    files.push({ path, sha256: sha256Hex(data), size: data.length });
  }
  const filesDoc: FilesDocument = { format: PACKAGE_FORMAT, files };
  const filesBytes = Buffer.from(`${JSON.stringify(filesDoc, null, 1)}\n`);
  const filesSha256 = sha256Hex(filesBytes);
  const fields = { id: manifest.id, version: manifest.version, filesSha256, keyId: pair.keyId };
  const signature: PackSignature = {
    format: PACKAGE_FORMAT,
    algorithm: 'ed25519',
    ...fields,
    publicKey: pair.publicKey,
    signature: signText(pair.privateKeyPem, signingText(fields)),
  };

  const staging = await mkdtemp(join(tmpdir(), 'symphony-pack-'));
  try {
    const root = join(staging, 'package');
    for (const path of paths) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), await contents(path));
    }
    await mkdir(join(root, '.symphony'), { recursive: true });
    await writeFile(join(root, FILES_PATH), filesBytes);
    await writeFile(join(root, SIGNATURE_PATH), `${JSON.stringify(signature, null, 2)}\n`);
    const tarball = await tarDirectory(staging, [...paths, FILES_PATH, SIGNATURE_PATH]);
    return {
      id: manifest.id,
      version: manifest.version,
      manifest: manifestBytes ? parseManifestText(manifestFile.name, manifestBytes.toString('utf8')) : manifest,
      tarball,
      integrity: integrityOf(tarball),
      files,
      signature,
      filename: tarballName(manifest.id, manifest.version),
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function withCodeMethods(fileText: string, fromCode: PackageManifest): Buffer {
  const file = JSON.parse(fileText) as Record<string, unknown> & { contributes?: Record<string, unknown> };
  const methods = (fromCode.contributes as { methods?: unknown } | undefined)?.methods;
  const next = methods === undefined ? file : { ...file, contributes: { ...(file.contributes ?? {}), methods } };
  return Buffer.from(`${JSON.stringify(next, null, 2)}\n`);
}

// Sorted, fixed mtime, no owners: the same folder packs to the same bytes.
async function tarDirectory(cwd: string, relPaths: string[]): Promise<Buffer> {
  // Loaded on use: every extension imports this package, and only packing needs tar.
  const { create } = await import('tar');
  const entries = relPaths.map((p) => `package/${p}`).sort();
  const chunks: Buffer[] = [];
  const stream = create({ gzip: true, cwd, portable: true, mtime: new Date(0), noDirRecurse: true }, entries);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function selectFiles(dir: string, manifestName: string): Promise<string[]> {
  const all = await walk(dir, '');
  let allowed: string[] | undefined;
  try {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { files?: unknown };
    if (Array.isArray(pkg.files)) allowed = pkg.files.filter((f): f is string => typeof f === 'string').map((f) => f.replace(/^\.\//, '').replace(/\/+$/, ''));
  } catch {
    // no package.json, or not JSON: every file is a candidate
  }
  const picked = all.filter((path) => {
    if (path === manifestName || ALWAYS.test(path)) return true;
    if (/\.tgz$/.test(path)) return false;
    if (!allowed) return true;
    return allowed.some((entry) => path === entry || path.startsWith(`${entry}/`));
  });
  if (picked.length === 0) {
    throw new SymphonyError('E_PACK_EMPTY', `nothing to pack in ${dir}`, { details: { path: dir } });
  }
  return picked.sort();
}

async function walk(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    if (IGNORED.has(entry.name)) continue;
    const childRel = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await walk(root, childRel)));
    else if (entry.isFile()) out.push(childRel);
    else if (entry.isSymbolicLink()) {
      // A symlink would unpack to a path outside the package on someone else's machine.
      const target = await lstat(join(root, childRel));
      throw new SymphonyError('E_PACK_SYMLINK', `${childRel} is a symbolic link; packages may only hold regular files`, {
        details: { path: relative(process.cwd(), join(root, childRel)).split(sep).join('/'), mode: target.mode },
      });
    }
  }
  return out;
}
