export { openRegistry, namespaceOf, type Registry, type RegistryOptions, type PublishOptions } from './registry.js';
export { createRegistryHandler, serveRegistry, type RegistryHandler, type RegistryHttpOptions } from './http.js';
export { createSearchIndex, stem } from './search.js';
export type { Packument, VersionMeta, Publisher, PublisherKey, SearchHit, SearchOptions } from './types.js';
