import { lstat, readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  FILES_PATH, MANIFEST_FILES, SIGNATURE_PATH, isCanonicalPackagePath, keyIdOf, parseManifestText, sha256Hex, signingText,
  summarizePermissions, verifyText, type FilesDocument, type PackSignature, type PackageManifest,
} from '@symphony/sdk';
import { SymphonyError } from '@symphony/types';
import { canonicalJson } from './own.js';
import { assertTrustedSigner, type TrustFile } from './trust.js';

/** What the lockfile says about one installed version (the fields the store can vouch for). */
export interface StoreClaim {
  version: string;
  keyId: string;
  permissions: string[];
  dependencies: Record<string, string>;
}

const MAX_FILES = 10_000;

/**
 * Re-verifies an installed store folder from scratch, as if it had just been downloaded: the
 * publisher's signature over the file list (both kept in `.symphony/`), every file's sha256
 * and size, no file or link that the signed list does not name, a signer still trusted for
 * the namespace, and a lockfile entry whose permissions and dependencies are exactly the
 * signed manifest's (a permission added to the lockfile by hand is not consent).
 */
export async function verifyStoreEntry(dir: string, id: string, claim: StoreClaim, trust: TrustFile): Promise<PackageManifest> {
  const at = `${id}@${claim.version}`;
  const tampered = (why: string, path: string) =>
    new SymphonyError('E_FILES_TAMPERED', `the installed copy of ${at} was altered (${why}); uninstall it and install it again`, { details: { id, version: claim.version, path } });

  const info = await lstat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw tampered(info ? 'its store entry is not a plain folder' : 'its store folder is missing', '.');
  let filesBytes: Buffer;
  let signature: PackSignature;
  try {
    filesBytes = await readFile(join(dir, FILES_PATH));
    signature = JSON.parse(await readFile(join(dir, SIGNATURE_PATH), 'utf8')) as PackSignature;
  } catch {
    throw tampered('its signed file list or signature is missing', '.symphony');
  }
  const fields = { id: signature.id, version: signature.version, filesSha256: sha256Hex(filesBytes), keyId: signature.keyId };
  let signed = false;
  try {
    signed = signature.filesSha256 === fields.filesSha256 && typeof signature.publicKey === 'string' && keyIdOf(signature.publicKey) === signature.keyId
      && verifyText(signature.publicKey, signingText(fields), String(signature.signature));
  } catch {
    signed = false;
  }
  if (!signed || signature.id !== id || signature.version !== claim.version) throw tampered('the signature does not verify', SIGNATURE_PATH);
  if (signature.keyId !== claim.keyId) throw tampered(`signed by ${signature.keyId}, the lockfile says ${claim.keyId}`, SIGNATURE_PATH);
  assertTrustedSigner(trust, id, signature);

  let doc: FilesDocument;
  try {
    doc = JSON.parse(filesBytes.toString('utf8')) as FilesDocument;
  } catch {
    throw tampered('the signed file list is not JSON', FILES_PATH);
  }
  const listed = new Map<string, { sha256: string; size: number }>();
  for (const file of Array.isArray(doc.files) ? doc.files : []) {
    if (!isCanonicalPackagePath(file.path) || listed.has(file.path)) throw tampered(`the signed list names "${String(file.path)}"`, FILES_PATH);
    listed.set(file.path, file);
  }

  // Every entry on disk must be a listed regular file (or a folder on the way to one).
  const present = new Set<string>();
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const rel = relative(dir, full).split(sep).join('/');
      if (present.size > MAX_FILES) throw tampered('it holds too many files', rel);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) present.add(rel);
      else throw tampered(`${rel} is not a regular file`, rel);
    }
  };
  await walk(dir);
  for (const rel of present) {
    if (rel !== FILES_PATH && rel !== SIGNATURE_PATH && !listed.has(rel)) throw tampered(`${rel} is not in the signed file list`, rel);
  }
  const contents = new Map<string, Buffer>();
  for (const [rel, file] of listed) {
    if (!present.has(rel)) throw tampered(`${rel} is missing`, rel);
    const data = await readFile(join(dir, rel));
    if (data.length !== file.size || sha256Hex(data) !== file.sha256) throw tampered(`${rel} does not match its signed sha256`, rel);
    if (MANIFEST_FILES.includes(rel as (typeof MANIFEST_FILES)[number])) contents.set(rel, data);
  }
  const manifestName = MANIFEST_FILES.find((name) => contents.has(name));
  if (!manifestName) throw tampered('it has no manifest', '.');
  const manifest = parseManifestText(manifestName, (contents.get(manifestName) as Buffer).toString('utf8'));

  const permissions = summarizePermissions(manifest.permissions);
  if (canonicalJson([...permissions].sort()) !== canonicalJson([...claim.permissions].sort())) {
    const extra = claim.permissions.filter((line) => !permissions.includes(line));
    throw new SymphonyError('E_LOCKFILE_TAMPERED', `the lockfile records permissions for ${at} that its signed manifest does not ask for${extra.length ? ` (${extra.join(', ')})` : ''}; consent is only what was asked and granted`, {
      details: { id, version: claim.version, recorded: claim.permissions, signed: permissions },
    });
  }
  if (canonicalJson(manifest.dependencies ?? {}) !== canonicalJson(claim.dependencies ?? {})) {
    throw new SymphonyError('E_LOCKFILE_TAMPERED', `the lockfile records dependencies for ${at} that differ from its signed manifest`, {
      details: { id, version: claim.version, recorded: claim.dependencies, signed: manifest.dependencies },
    });
  }
  return manifest;
}
