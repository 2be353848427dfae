export { openRegistry, namespaceOf, RESERVED_NAMESPACES, type Registry, type RegistryOptions, type PublishOptions } from './registry.js';
export { createRegistryHandler, serveRegistry, type RegistryHandler, type RegistryHttpOptions } from './http.js';
export { createSearchIndex, stem } from './search.js';
export { FRESHNESS_SIGNING_PREFIX, METADATA_SIGNING_PREFIX } from './metadata.js';
export type { SignedMetadata, SignedMetadataDocument, Packument, VersionMeta, Publisher, PublisherKey, SearchHit, SearchOptions } from './types.js';
