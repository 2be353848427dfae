export {
  createMarketplace,
  parseSpec,
  type Marketplace,
  type MarketplaceOptions,
  type ConsentRequest,
  type InstallReport,
  type InstalledExtension,
  type OutdatedRow,
  type ProgressEvent,
  type ProgressStep,
} from './marketplace.js';
export { CLIENT_LIMITS, createRegistryClient, type RegistryClientOptions, type RegistryClient, type RemotePackument, type RemoteVersion, type RemoteSearchHit } from './registry-client.js';
export { createNpmRegistryClient, isNpmRegistry, NPM_PREFIX } from './npm-client.js';
export { resolveTree, type ResolveOptions, type Resolved, type RootRequest } from './resolve.js';
export { assertTrustedSigner, type TrustFile } from './trust.js';
export { sandboxedStartCheck, type SandboxedStartCheckOptions, type StartCandidate } from './start-check.js';
export { LOCKFILE, type Lockfile, type LockEntry } from './layout.js';
export { runMarketplaceCli, MARKETPLACE_USAGE, type MarketplaceCliIo } from './cli.js';
