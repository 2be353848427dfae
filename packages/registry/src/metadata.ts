import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { generateKeyPair, keyIdOf, signText, type PublisherKeyPair } from '@symphony/sdk';
import { SymphonyError } from '@symphony/types';
import { writeFileAtomic } from './fs-atomic.js';
import type { Packument, SignedMetadata, SignedMetadataDocument } from './types.js';

/**
 * Signed registry metadata, in the spirit of TUF's snapshot and timestamp roles: for each
 * package, the registry signs the facts a client resolves with (the version list, each
 * version's tarball integrity and publisher key, `engines.symphony`, yank and deprecation
 * state, dist-tags) together with a registry-wide timestamp that only moves forward. A client
 * that remembers the newest timestamp it saw refuses a mirror replaying older metadata.
 * Dependencies are not here: clients read them from the publisher-signed manifest.
 */
export const METADATA_FORMAT = 1 as const;
export const METADATA_SIGNING_PREFIX = 'symphony-registry-metadata/v1\n';
export const REGISTRY_KEY_FILE = 'registry-key.json';

/** The registry's own key pair, kept in its folder (mode 0600); made on first open. */
export async function loadRegistryKey(dir: string): Promise<PublisherKeyPair> {
  const path = join(dir, REGISTRY_KEY_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text === undefined) {
    const pair = generateKeyPair();
    await writeFileAtomic(path, JSON.stringify(pair, null, 1));
    await chmod(path, 0o600);
    return pair;
  }
  try {
    const pair = JSON.parse(text) as PublisherKeyPair;
    if (typeof pair.privateKeyPem !== 'string' || typeof pair.publicKey !== 'string' || keyIdOf(pair.publicKey) !== pair.keyId) throw new Error('fields');
    return pair;
  } catch (cause) {
    throw new SymphonyError('E_REGISTRY_CORRUPT', `${path} is not a registry key pair; restore it from a backup (clients pinned its public key)`, { details: { path }, cause });
  }
}

/** The facts of a packument that the registry signs, without the timestamp. */
export function metadataDocument(packument: Packument, keyId: string, timestamp: number): SignedMetadataDocument {
  const versions: SignedMetadataDocument['versions'] = {};
  // Only well-formed keys are signed: a hand-edited `__proto__` never reaches a client.
  for (const v of Object.keys(packument.versions).sort()) {
    const meta = packument.versions[v];
    if (!meta || semver.valid(v) !== v) continue;
    versions[v] = {
      integrity: meta.integrity,
      keyId: meta.keyId,
      ...(meta.engines.symphony ? { engines: { symphony: meta.engines.symphony } } : {}),
      ...(meta.yanked ? { yanked: true } : {}),
      ...(meta.deprecated ? { deprecated: meta.deprecated } : {}),
    };
  }
  const distTags: Record<string, string> = {};
  for (const tag of Object.keys(packument.distTags).sort()) {
    const target = packument.distTags[tag];
    if (/^[a-z][a-z0-9._-]{0,63}$/i.test(tag) && tag !== '__proto__' && typeof target === 'string' && Object.hasOwn(versions, target)) distTags[tag] = target;
  }
  return { format: METADATA_FORMAT, registry: keyId, id: packument.id, timestamp, distTags, versions };
}

export function signMetadata(key: PublisherKeyPair, document: SignedMetadataDocument): SignedMetadata {
  const payload = JSON.stringify(document);
  return { keyId: key.keyId, publicKey: key.publicKey, payload, signature: signText(key.privateKeyPem, `${METADATA_SIGNING_PREFIX}${payload}`) };
}

export const FRESHNESS_SIGNING_PREFIX = 'symphony-registry-freshness/v1\n';

/**
 * TUF's timestamp role, per answer: "the newest metadata of `id` is the one signed at
 * `snapshot`, as of `issuedAt`", signed when served. A client refuses one older than it accepts
 * (a mirror frozen in time hides new versions and yanks even when it replays nothing old).
 */
export function signFreshness(key: PublisherKeyPair, packument: Packument, issuedAt: number): SignedMetadata {
  const payload = JSON.stringify({ format: METADATA_FORMAT, registry: key.keyId, id: packument.id, snapshot: signedTimestamp(packument), issuedAt });
  return { keyId: key.keyId, publicKey: key.publicKey, payload, signature: signText(key.privateKeyPem, `${FRESHNESS_SIGNING_PREFIX}${payload}`) };
}

/** True when the stored signature still covers the packument's current facts (and this key). */
export function signatureCurrent(packument: Packument, key: PublisherKeyPair): boolean {
  const signed = packument.signed;
  if (!signed || signed.keyId !== key.keyId) return false;
  try {
    const stored = JSON.parse(signed.payload) as SignedMetadataDocument;
    return JSON.stringify(metadataDocument(packument, key.keyId, stored.timestamp)) === signed.payload;
  } catch {
    return false;
  }
}

export function signedTimestamp(packument: Packument): number {
  try {
    const t = (JSON.parse(packument.signed?.payload ?? '{}') as { timestamp?: unknown }).timestamp;
    return typeof t === 'number' && Number.isSafeInteger(t) ? t : 0;
  } catch {
    return 0;
  }
}
