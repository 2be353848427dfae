/** What the registry stores and answers about one published version. */
export interface VersionMeta {
  id: string;
  version: string;
  kind: string;
  name?: string;
  description?: string;
  keywords: string[];
  readme?: string;
  /** One line per permission asked for, e.g. `fs.read: ${workspace}`, for a consent screen. */
  permissions: string[];
  /** The manifest's permissions object, as published. */
  permissionsRaw: Record<string, unknown>;
  engines: { symphony?: string };
  dependencies: Record<string, string>;
  integrity: string;
  /** The tarball's file name under `/<id>/-/`. */
  tarball: string;
  size: number;
  fileCount: number;
  publisher: string;
  keyId: string;
  publishedAt: string;
  /** The deprecation message, when deprecated. */
  deprecated?: string;
  /** Yanked versions are skipped by ranges and tags but stay downloadable by exact version. */
  yanked?: boolean;
  downloads: number;
}

/** Everything about one package id: its versions and dist-tags. */
export interface Packument {
  id: string;
  publisher: string;
  distTags: Record<string, string>;
  versions: Record<string, VersionMeta>;
  created: string;
  modified: string;
  /** The registry's signature over the resolution facts, with a monotonically increasing timestamp. */
  signed?: SignedMetadata;
  /** Signed when served: `{ registry, id, snapshot: <signed timestamp>, issuedAt }` (freshness, TUF's timestamp role). */
  fresh?: SignedMetadata;
}

export interface PublisherKey {
  keyId: string;
  publicKey: string;
  addedAt: string;
}

export interface Publisher {
  name: string;
  /** First segments of extension ids this publisher may publish under (`acme` → `acme.*`). */
  namespaces: string[];
  keys: PublisherKey[];
}

export interface SearchHit {
  id: string;
  version: string;
  name?: string;
  description?: string;
  keywords: string[];
  kind: string;
  deprecated?: string;
  downloads: number;
  score: number;
}

export interface SearchOptions {
  limit?: number;
  kind?: string;
}

/** What the registry signs for one package (see metadata.ts); `payload` is its exact JSON. */
export interface SignedMetadataDocument {
  format: 1;
  /** The registry key's id. */
  registry: string;
  id: string;
  /** Milliseconds, registry-wide, strictly increasing with every change the registry signs. */
  timestamp: number;
  distTags: Record<string, string>;
  versions: Record<string, { integrity: string; keyId: string; engines?: { symphony: string }; yanked?: true; deprecated?: string }>;
}

export interface SignedMetadata {
  keyId: string;
  publicKey: string;
  /** `JSON.stringify(SignedMetadataDocument)`; the signature is over `symphony-registry-metadata/v1\n` + payload. */
  payload: string;
  signature: string;
}
