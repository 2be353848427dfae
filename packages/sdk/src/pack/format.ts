import { createHash } from 'node:crypto';

/**
 * The Symphony package format, version 1: a gzipped tarball whose entries all live under
 * `package/`. Besides the extension's own files it holds two files the packer writes:
 *
 *   package/.symphony/files.json      { format: 1, files: [{ path, sha256, size }] } (every other file)
 *   package/.symphony/signature.json  an ed25519 signature over `signingText(...)`
 *
 * The signature covers the sha256 of files.json's exact bytes, and files.json covers every
 * file, so changing any byte of any file (or adding one) breaks verification. The tarball's
 * own sha512 (`integrity`, npm's SRI form) travels beside it in registry metadata: it catches
 * transport damage before anything is parsed.
 */
export const PACKAGE_FORMAT = 1 as const;
export const PACKAGE_ROOT = 'package/';
export const FILES_PATH = '.symphony/files.json';
export const SIGNATURE_PATH = '.symphony/signature.json';
/** Unpacked size cap: an extension is code and assets, not a data set. */
export const MAX_UNPACKED_BYTES = 64 * 1024 * 1024;
export const MAX_ENTRIES = 10_000;

export interface PackFile {
  /** Relative to the package root, `/`-separated. */
  path: string;
  sha256: string;
  size: number;
}

export interface FilesDocument {
  format: typeof PACKAGE_FORMAT;
  files: PackFile[];
}

export interface PackSignature {
  format: typeof PACKAGE_FORMAT;
  algorithm: 'ed25519';
  id: string;
  version: string;
  keyId: string;
  /** The signer's public key, so a verifier can check the signature before deciding trust. */
  publicKey: string;
  /** sha256 (hex) of files.json's bytes. */
  filesSha256: string;
  signature: string;
}

/** The exact text that is signed: unambiguous lines, no JSON canonicalisation needed. */
export function signingText(fields: { id: string; version: string; filesSha256: string; keyId: string }): string {
  return `symphony-package/v${PACKAGE_FORMAT}\nid=${fields.id}\nversion=${fields.version}\nfiles=${fields.filesSha256}\nkey=${fields.keyId}\n`;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha512-<base64>`, the Subresource Integrity form npm uses in lockfiles. */
export function integrityOf(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

/** The file name a packed version gets: `acme.csv-1.2.0.tgz`. */
export function tarballName(id: string, version: string): string {
  return `${id}-${version}.tgz`;
}
