import semver from 'semver';
import { keyIdOf, tarballName, verifyText } from '@symphony/sdk';
import { SymphonyError } from '@symphony/types';
import { PROTO_NAMES, nullRecord, own } from './own.js';
import type { RemotePackument, RemoteVersion } from './registry-client.js';

/**
 * The registry's signed metadata (the wire contract of @symphony/registry's metadata.ts,
 * restated): per package, the version list, each version's tarball integrity, publisher key,
 * `engines.symphony`, yank and deprecation state and the dist-tags, with a registry-wide
 * timestamp that only moves forward, signed with the registry's ed25519 key.
 */
export const METADATA_SIGNING_PREFIX = 'symphony-registry-metadata/v1\n';
export const FRESHNESS_SIGNING_PREFIX = 'symphony-registry-freshness/v1\n';
/** How old a registry's freshness signature may be (TUF's timestamp expiry): 24 hours by default. */
export const DEFAULT_MAX_METADATA_AGE_MS = 24 * 60 * 60 * 1000;

export interface SignedMetadata {
  keyId: string;
  publicKey: string;
  payload: string;
  signature: string;
}

interface MetadataDocument {
  format: 1;
  registry: string;
  id: string;
  timestamp: number;
  distTags: Record<string, string>;
  versions: Record<string, { integrity: string; keyId: string; engines?: { symphony: string }; yanked?: true; deprecated?: string }>;
}

export interface VerifiedMetadata {
  /** The resolution view: only signed facts (display fields from the unsigned summary are labelled as such). */
  packument: RemotePackument;
  keyId: string;
  publicKey: string;
  timestamp: number;
}

function refuse(code: string, message: string, details: Record<string, unknown>): SymphonyError {
  return new SymphonyError(code as `E_${string}`, message, { details });
}

/**
 * Checks a packument's registry signature and builds the view resolution may use: versions,
 * integrity, yank/deprecation, engines and dist-tags come from the signed payload only; the
 * unsigned summary contributes display text (name, description, keywords, permission lines).
 */
export function verifyMetadata(raw: unknown, id: string, registry: string, freshness: { now: number; maxAgeMs: number } = { now: Date.now(), maxAgeMs: DEFAULT_MAX_METADATA_AGE_MS }): VerifiedMetadata {
  const signed = own(raw as Record<string, unknown>, 'signed') as SignedMetadata | undefined;
  if (!signed || typeof signed !== 'object' || typeof signed.payload !== 'string' || typeof signed.signature !== 'string'
    || typeof signed.publicKey !== 'string' || typeof signed.keyId !== 'string') {
    throw refuse('E_METADATA_UNSIGNED', `${registry} served metadata for ${id} without the registry's signature; refusing to resolve from it`, { id, registry });
  }
  let valid = false;
  try {
    valid = keyIdOf(signed.publicKey) === signed.keyId && verifyText(signed.publicKey, `${METADATA_SIGNING_PREFIX}${signed.payload}`, signed.signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw refuse('E_METADATA_INVALID', `${registry} served metadata for ${id} whose signature does not verify; it was altered after the registry signed it`, { id, registry, keyId: signed.keyId });
  }
  let doc: MetadataDocument;
  try {
    doc = JSON.parse(signed.payload) as MetadataDocument;
  } catch {
    throw refuse('E_METADATA_INVALID', `${registry}: the signed metadata for ${id} is not JSON`, { id, registry });
  }
  if (!doc || doc.format !== 1 || doc.id !== id || doc.registry !== signed.keyId || !Number.isSafeInteger(doc.timestamp)
    || typeof doc.versions !== 'object' || !doc.versions || typeof doc.distTags !== 'object' || !doc.distTags) {
    throw refuse('E_METADATA_INVALID', `${registry} served signed metadata that is not about ${id} (signed for ${String(doc?.id)})`, { id, registry, signedFor: doc?.id });
  }

  checkFreshness(own(raw as Record<string, unknown>, 'fresh') as SignedMetadata | undefined, signed, doc, registry, freshness);

  const summary = (own(raw as Record<string, unknown>, 'versions') ?? {}) as Record<string, Partial<RemoteVersion>>;
  const versions = nullRecord<RemoteVersion>();
  for (const [v, fact] of Object.entries(doc.versions)) {
    if (semver.valid(v) !== v || !fact || typeof fact.integrity !== 'string' || typeof fact.keyId !== 'string') continue;
    const display = own(summary, v) ?? {};
    const meta: RemoteVersion = {
      id,
      version: v,
      kind: typeof display.kind === 'string' ? display.kind : 'operator',
      keywords: Array.isArray(display.keywords) ? display.keywords.filter((k): k is string => typeof k === 'string') : [],
      permissions: Array.isArray(display.permissions) ? display.permissions.filter((k): k is string => typeof k === 'string') : [],
      engines: typeof fact.engines?.symphony === 'string' ? { symphony: fact.engines.symphony } : {},
      integrity: fact.integrity,
      tarball: tarballName(id, v),
      publisher: typeof display.publisher === 'string' ? display.publisher : '',
      keyId: fact.keyId,
    };
    if (typeof display.name === 'string') meta.name = display.name;
    if (typeof display.description === 'string') meta.description = display.description;
    if (typeof fact.deprecated === 'string') meta.deprecated = fact.deprecated;
    if (fact.yanked === true) meta.yanked = true;
    versions[v] = meta;
  }
  const distTags = nullRecord<string>();
  for (const [tag, v] of Object.entries(doc.distTags)) {
    if (!PROTO_NAMES.has(tag) && typeof v === 'string' && Object.hasOwn(versions, v)) distTags[tag] = v;
  }
  const publisher = own(raw as Record<string, unknown>, 'publisher');
  return {
    packument: { id, publisher: typeof publisher === 'string' ? publisher : '', distTags, versions },
    keyId: signed.keyId,
    publicKey: signed.publicKey,
    timestamp: doc.timestamp,
  };
}

/** The registry's serve-time signature: same key, same package, same snapshot, recent enough. */
function checkFreshness(fresh: SignedMetadata | undefined, signed: SignedMetadata, doc: MetadataDocument, registry: string, freshness: { now: number; maxAgeMs: number }): void {
  const id = doc.id;
  let stamp: { format?: unknown; registry?: unknown; id?: unknown; snapshot?: unknown; issuedAt?: unknown } | undefined;
  try {
    if (fresh && typeof fresh.payload === 'string' && fresh.publicKey === signed.publicKey
      && verifyText(signed.publicKey, `${FRESHNESS_SIGNING_PREFIX}${fresh.payload}`, String(fresh.signature))) {
      stamp = JSON.parse(fresh.payload) as typeof stamp;
    }
  } catch {
    stamp = undefined;
  }
  if (!stamp || stamp.format !== 1 || stamp.registry !== signed.keyId || stamp.id !== id || stamp.snapshot !== doc.timestamp || typeof stamp.issuedAt !== 'number') {
    throw refuse('E_METADATA_EXPIRED', `${registry} served ${id}'s metadata without a valid freshness signature for it; a mirror cannot vouch that it is current`, { id, registry });
  }
  const age = freshness.now - stamp.issuedAt;
  if (age > freshness.maxAgeMs) {
    throw refuse('E_METADATA_EXPIRED', `${registry} served ${id}'s metadata as of ${new Date(stamp.issuedAt).toISOString()}, older than ${Math.round(freshness.maxAgeMs / 3_600_000)} h: a mirror frozen in time could be hiding newer versions or yanks`, {
      id, registry, issuedAt: stamp.issuedAt, maxAgeMs: freshness.maxAgeMs,
    });
  }
}
