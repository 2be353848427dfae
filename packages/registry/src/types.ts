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
