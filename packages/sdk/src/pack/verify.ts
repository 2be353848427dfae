import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { ReadEntry } from 'tar';
import { SymphonyError } from '@symphony/types';
import { keyIdOf, verifyText } from './keys.js';
import {
  FILES_PATH,
  MAX_ENTRIES,
  MAX_UNPACKED_BYTES,
  PACKAGE_FORMAT,
  PACKAGE_ROOT,
  SIGNATURE_PATH,
  integrityOf,
  sha256Hex,
  signingText,
  type FilesDocument,
  type PackFile,
  type PackSignature,
} from './format.js';
import { MANIFEST_FILES, parseManifestText, type PackageManifest } from './manifest-file.js';

/** A package whose every file matched its signed hash. Nothing here is trusted yet: see `signer`. */
export interface VerifiedPackage {
  id: string;
  version: string;
  manifest: PackageManifest;
  /** `sha512-…` of the tarball bytes as received. */
  integrity: string;
  files: PackFile[];
  signature: PackSignature;
  /** The verified bytes of every listed file, by relative path. */
  contents: ReadonlyMap<string, Buffer>;
  /** files.json's exact signed bytes, written beside the files so a host can re-verify them at every load. */
  filesJson?: Buffer;
  /** `package.json` of the extension, when it ships one (description, keywords, readme fallbacks). */
  packageJson?: Record<string, unknown>;
  readme?: string;
}

export interface ReadPackageOptions {
  /** The integrity the publisher or registry claims; a mismatch is `E_INTEGRITY_MISMATCH`. */
  integrity?: string;
  /** A label for errors (a file name or `id@version`). */
  source?: string;
}

/**
 * Parses a tarball in memory and checks it end to end: the claimed sha512, the tar structure
 * (regular files under `package/` only, no `..`, no links), every file against files.json, and
 * the ed25519 signature over files.json. It does NOT decide whether the signer is trusted:
 * the registry and the marketplace each apply their own trust list to `signature.publicKey`.
 */
export async function readPackage(tarball: Buffer, options: ReadPackageOptions = {}): Promise<VerifiedPackage> {
  const source = options.source ?? '(package)';
  const integrity = integrityOf(tarball);
  if (options.integrity !== undefined && options.integrity !== integrity) {
    throw new SymphonyError('E_INTEGRITY_MISMATCH', `${source}: the tarball's sha512 does not match the expected integrity; it was altered or damaged`, {
      details: { source, expected: options.integrity, actual: integrity },
    });
  }
  const raw = await untar(tarball, source);
  const filesDoc = parseJsonEntry<FilesDocument>(raw, FILES_PATH, source);
  const signature = parseJsonEntry<PackSignature>(raw, SIGNATURE_PATH, source);
  if (filesDoc.format !== PACKAGE_FORMAT || !Array.isArray(filesDoc.files) || signature.format !== PACKAGE_FORMAT) {
    throw invalid(source, `unsupported package format (this Symphony reads format ${PACKAGE_FORMAT})`, FILES_PATH);
  }

  const filesSha256 = sha256Hex(raw.get(FILES_PATH) as Buffer);
  const fields = { id: signature.id, version: signature.version, filesSha256, keyId: signature.keyId };
  if (signature.algorithm !== 'ed25519' || typeof signature.publicKey !== 'string' || keyIdOf(signature.publicKey) !== signature.keyId
    || !verifyText(signature.publicKey, signingText(fields), String(signature.signature))) {
    throw new SymphonyError('E_SIGNATURE_INVALID', `${source}: the signature does not verify; the package was changed after signing or signed badly`, {
      details: { source, keyId: signature.keyId, path: SIGNATURE_PATH },
    });
  }

  const listed = new Set<string>();
  for (const file of filesDoc.files as unknown[]) {
    const f = file as Partial<PackFile> | null;
    if (!f || typeof f !== 'object' || typeof f.path !== 'string' || typeof f.sha256 !== 'string' || typeof f.size !== 'number') {
      throw invalid(source, `${FILES_PATH} has an entry that is not { path, sha256, size }`, FILES_PATH);
    }
    // The signed list is checked in canonical form only: `./index.mjs` beside `index.mjs` is refused, not merged.
    if (!isCanonicalPackagePath(f.path) || f.path === FILES_PATH || f.path === SIGNATURE_PATH) {
      throw invalid(source, `${FILES_PATH} lists "${f.path}", which is not a canonical relative path`, String(f.path));
    }
    if (listed.has(f.path)) throw invalid(source, `${FILES_PATH} lists ${f.path} twice`, f.path);
    listed.add(f.path);
  }
  const contents = new Map<string, Buffer>();
  for (const file of filesDoc.files) {
    const data = raw.get(file.path);
    if (!data || sha256Hex(data) !== file.sha256 || data.length !== file.size) {
      throw new SymphonyError('E_INTEGRITY_MISMATCH', `${source}: ${file.path} does not match its signed sha256${data ? '' : ' (missing)'}`, {
        details: { source, path: file.path, expected: file.sha256, actual: data ? sha256Hex(data) : null },
      });
    }
    contents.set(file.path, data);
  }
  for (const path of raw.keys()) {
    if (path !== FILES_PATH && path !== SIGNATURE_PATH && !contents.has(path)) {
      throw new SymphonyError('E_INTEGRITY_MISMATCH', `${source}: ${path} is in the tarball but not in the signed file list`, {
        details: { source, path },
      });
    }
  }

  const manifestName = MANIFEST_FILES.find((name) => contents.has(name));
  if (!manifestName) throw invalid(source, `no manifest (expected one of ${MANIFEST_FILES.join(', ')})`, '(root)');
  const manifest = parseManifestText(manifestName, (contents.get(manifestName) as Buffer).toString('utf8'));
  if (manifest.id !== signature.id || manifest.version !== signature.version) {
    throw new SymphonyError('E_SIGNATURE_INVALID', `${source}: signed for ${signature.id}@${signature.version} but the manifest says ${manifest.id}@${manifest.version}`, {
      details: { source, signed: `${signature.id}@${signature.version}`, manifest: `${manifest.id}@${manifest.version}` },
    });
  }
  const result: VerifiedPackage = { id: manifest.id, version: manifest.version, manifest, integrity, files: filesDoc.files, signature, contents, filesJson: raw.get(FILES_PATH) as Buffer };
  const pkg = contents.get('package.json');
  if (pkg) {
    try {
      result.packageJson = JSON.parse(pkg.toString('utf8')) as Record<string, unknown>;
    } catch {
      // a broken package.json is the author's business; the manifest is what Symphony reads
    }
  }
  const readmeName = [...contents.keys()].find((p) => /^readme(\.md|\.txt)?$/i.test(p));
  if (readmeName) result.readme = (contents.get(readmeName) as Buffer).toString('utf8');
  return result;
}

/** Writes a verified package's files under `dir` (which must not hold anything else yet). */
export async function writePackageFiles(pkg: VerifiedPackage, dir: string): Promise<void> {
  const root = resolve(dir);
  for (const [path, data] of pkg.contents) {
    const target = resolve(root, path);
    if (!target.startsWith(root + sep)) throw invalid(`${pkg.id}@${pkg.version}`, 'a path escapes the package root', path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data);
  }
  await mkdir(join(root, '.symphony'), { recursive: true });
  await writeFile(join(root, SIGNATURE_PATH), `${JSON.stringify(pkg.signature, null, 2)}\n`);
  if (pkg.filesJson) await writeFile(join(root, FILES_PATH), pkg.filesJson);
}

function invalid(source: string, why: string, path: string): SymphonyError {
  return new SymphonyError('E_PACKAGE_INVALID', `${source}: ${why}`, { details: { source, path } });
}

function parseJsonEntry<T>(raw: Map<string, Buffer>, path: string, source: string): T {
  const data = raw.get(path);
  if (!data) throw invalid(source, `missing ${path}; not a signed Symphony package (pack it with \`symphony-sdk pack\`)`, path);
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    throw invalid(source, `${path} is not JSON`, path);
  }
}

/** Longest entry path accepted (bytes of `package/…`); pack never makes one near it. */
const MAX_PATH_LENGTH = 1024;
/** Tar headers, padding and pax records on top of the files' own bytes. */
const MAX_TAR_OVERHEAD = MAX_ENTRIES * 1536 + 1024 * 1024;

/**
 * A path inside the package in its one canonical form: `/`-separated, relative, no empty,
 * `.` or `..` segment, no backslash, no NUL. Anything else is refused rather than normalised,
 * so two spellings of one file (`index.mjs`, `./index.mjs`) can never both be signed.
 */
export function isCanonicalPackagePath(path: string): boolean {
  return typeof path === 'string' && path.length > 0 && Buffer.byteLength(path) <= MAX_PATH_LENGTH
    && !path.includes('\\') && !path.includes('\0')
    && path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * Streams the tarball through an asynchronous gunzip (zlib's thread pool, so the event loop
 * keeps serving) into tar's parser, and stops at the first chunk past a limit: unpacked bytes,
 * entries (directories count), path length. Nothing is inflated after a limit is crossed.
 */
async function untar(tarball: Buffer, source: string): Promise<Map<string, Buffer>> {
  // Loaded on use, like pack.ts: extensions import this package without ever reading a tarball.
  const { Parser } = await import('tar');
  const { createGunzip } = await import('node:zlib');
  const files = new Map<string, Buffer>();
  const seen = new Set<string>();
  let content = 0;
  let inflated = 0;
  let entries = 0;
  let problem: SymphonyError | undefined;
  let stopped = false;
  await new Promise<void>((resolvePromise) => {
    const gunzip = createGunzip({ chunkSize: 64 * 1024 });
    const stop = () => {
      if (stopped) return;
      stopped = true;
      gunzip.removeAllListeners('data');
      gunzip.on('error', () => undefined);
      gunzip.destroy();
      resolvePromise();
    };
    const fail = (why: string, path: string) => {
      problem ??= invalid(source, why, path);
      stop();
    };
    const parser = new Parser({
      strict: true,
      maxMetaEntrySize: MAX_PATH_LENGTH * 4,
      onReadEntry: (entry: ReadEntry) => {
        if (stopped) return entry.resume();
        const path = entry.path;
        entries += 1;
        if (entries > MAX_ENTRIES) return fail(`more than ${MAX_ENTRIES} entries (directories count)`, path.slice(0, 200));
        if (Buffer.byteLength(path) > MAX_PATH_LENGTH) return fail(`an entry path is longer than ${MAX_PATH_LENGTH} bytes`, `${path.slice(0, 200)}…`);
        if (entry.type === 'Directory') return entry.resume();
        if (entry.type !== 'File' && entry.type !== 'OldFile') return fail(`${path} is a ${entry.type}; packages may only hold regular files`, path);
        const rel = path.startsWith(PACKAGE_ROOT) ? path.slice(PACKAGE_ROOT.length) : '';
        if (!isCanonicalPackagePath(rel)) return fail(`entry "${path}" is outside package/ or not a canonical relative path (no "", ".", ".." segments or backslashes)`, path);
        // One file per spelling: a case or Unicode-normalisation twin would overwrite it on some file systems.
        const key = rel.normalize('NFC').toLowerCase();
        if (files.has(rel) || seen.has(key)) return fail(`${rel} appears twice (or differs from another entry only by case or Unicode form)`, rel);
        seen.add(key);
        if (content + entry.size > MAX_UNPACKED_BYTES) return fail(`unpacks to more than ${MAX_UNPACKED_BYTES} bytes`, rel);
        const parts: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => {
          if (stopped) return;
          content += chunk.length;
          if (content > MAX_UNPACKED_BYTES) fail(`unpacks to more than ${MAX_UNPACKED_BYTES} bytes`, rel);
          else parts.push(chunk);
        });
        entry.on('end', () => {
          if (!stopped) files.set(rel, Buffer.concat(parts));
        });
      },
    });
    parser.on('warn', (_code: string, message: string | Error) => fail(`not a valid gzipped tarball (${String(message)})`, '(tarball)'));
    parser.on('error', (error: Error) => fail(`not a valid gzipped tarball (${error.message})`, '(tarball)'));
    parser.on('end', () => stop());
    parser.on('close', () => stop());
    gunzip.on('data', (chunk: Buffer) => {
      inflated += chunk.length;
      if (inflated > MAX_UNPACKED_BYTES + MAX_TAR_OVERHEAD) return fail(`unpacks to more than ${MAX_UNPACKED_BYTES} bytes`, '(tarball)');
      parser.write(chunk);
    });
    gunzip.on('error', (error: Error) => fail(`not a valid gzipped tarball (${error.message})`, '(tarball)'));
    gunzip.on('end', () => {
      if (!stopped) parser.end();
    });
    gunzip.end(tarball);
  });
  if (problem) throw problem;
  if (files.size === 0) throw invalid(source, 'the tarball is empty', '(tarball)');
  return files;
}
