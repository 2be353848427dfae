import { createHash, createPublicKey, verify } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { SymphonyError } from '@symphony/types';

const FILES_PATH = '.symphony/files.json';
const SIGNATURE_PATH = '.symphony/signature.json';
/** Bound on the walk: an installed package holds at most this many entries (the packer's cap). */
const MAX_ENTRIES = 10_000;

interface SignatureDoc {
  format: number;
  algorithm: string;
  id: string;
  version: string;
  keyId: string;
  publicKey: string;
  filesSha256: string;
  signature: string;
}

/**
 * Re-verifies an installed package folder against what its publisher signed, at every load:
 * the ed25519 signature over files.json (the Symphony package format, v1), every listed file's
 * sha256 and size, and nothing else in the folder (no extra file, no link, no `node_modules`
 * added after install). Any difference throws `E_FILES_TAMPERED`; nothing of it is started.
 */
export function verifySignedFiles(dir: string): { id: string; version: string; keyId: string; files: number } {
  const fail = (why: string, path: string): never => {
    throw new SymphonyError('E_FILES_TAMPERED', `${dir}: ${why}; refusing to start it (reinstall it with \`symphony ext install\`).`, { details: { path, dir } });
  };
  let signature: SignatureDoc;
  let filesBytes: Buffer;
  try {
    signature = JSON.parse(readFileSync(join(dir, SIGNATURE_PATH), 'utf8')) as SignatureDoc;
    filesBytes = readFileSync(join(dir, FILES_PATH));
  } catch (error) {
    return fail(`the signed file list is missing or unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, join(dir, FILES_PATH));
  }
  const filesSha256 = sha256(filesBytes);
  const keyId = `ed25519:${sha256(Buffer.from(String(signature.publicKey), 'base64url')).slice(0, 16)}`;
  const text = `symphony-package/v1\nid=${signature.id}\nversion=${signature.version}\nfiles=${filesSha256}\nkey=${signature.keyId}\n`;
  if (signature.format !== 1 || signature.algorithm !== 'ed25519' || signature.filesSha256 !== filesSha256 || keyId !== signature.keyId || !verifies(signature.publicKey, text, signature.signature)) {
    fail('the signature over its file list does not verify', join(dir, SIGNATURE_PATH));
  }
  let listed: Array<{ path: string; sha256: string; size: number }>;
  try {
    listed = (JSON.parse(filesBytes.toString('utf8')) as { files: typeof listed }).files;
    if (!Array.isArray(listed)) throw new Error('no files array');
  } catch {
    return fail('the signed file list is not valid', join(dir, FILES_PATH));
  }
  const expected = new Map(listed.map((f) => [f.path, f]));
  let entries = 0;
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (++entries > MAX_ENTRIES) fail(`more than ${MAX_ENTRIES} entries`, folder);
      const full = join(folder, entry.name);
      const rel = relative(dir, full).split(sep).join('/');
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      if (rel === FILES_PATH || rel === SIGNATURE_PATH) continue;
      if (!entry.isFile()) fail(`${rel} is not a regular file`, full);
      if (!expected.has(rel)) fail(`${rel} is not in the signed file list`, full);
    }
  };
  walk(dir);
  for (const file of listed) {
    const full = join(dir, ...String(file.path).split('/'));
    if (String(file.path).split('/').includes('..')) fail(`${file.path} escapes the package`, full);
    let data: Buffer;
    try {
      if (!lstatSync(full).isFile()) fail(`${file.path} is not a regular file`, full);
      data = readFileSync(full);
    } catch (error) {
      if (error instanceof SymphonyError) throw error;
      return fail(`${file.path} is missing`, full);
    }
    if (data.length !== file.size || sha256(data) !== file.sha256) fail(`${file.path} does not match its signed sha256`, full);
  }
  return { id: signature.id, version: signature.version, keyId: signature.keyId, files: listed.length };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function verifies(publicKey: string, text: string, signature: string): boolean {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
    return verify(null, Buffer.from(text, 'utf8'), key, Buffer.from(String(signature), 'base64url'));
  } catch {
    return false;
  }
}
