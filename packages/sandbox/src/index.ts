export { createSandbox, type SandboxOptions, type SandboxService, type SandboxedExtension } from './sandbox.js';
export { sandboxPlugin } from './plugin.js';
export {
  createPermissionSet,
  expandPathVariables,
  type PathRule,
  type PathVariables,
  type PermissionKind,
  type PermissionRequest,
  type PermissionSet,
  type RuleSource,
  type ValueRule,
} from './permission-set.js';
export { createPolicy, permissionDenied, type AccessRequest, type Decision, type Policy, type PolicyLayers } from './policy.js';
export { resolveReal, isWithin } from './resolve-path.js';
export { createGrantStore, type ExtensionKey, type GrantRecord, type GrantStore } from './grant-store.js';
export { createAuditLog, type AuditEntry, type AuditKind, type AuditLog, type AuditQuery } from './audit-log.js';
export { bubblewrapArgs, probeBubblewrap, runtimeMounts, type BubblewrapArgsOptions, type BubblewrapStatus } from './bubblewrap.js';
export { nodePermissionFlags, permissionFlag, type NodePermissionOptions } from './node-flags.js';
export { filterEnv, type EnvFilterResult } from './env-filter.js';
export { moduleClosure, isPackageName, type ModuleClosure, type ModuleClosureOptions } from './module-closure.js';
export { verifySignedFiles } from './installed-files.js';
export { sandboxCommandLine, type CommandLine, type SandboxCommandInput, type SandboxedCommandLine } from './command-line.js';
export { guardLaunched, type EndpointLike, type LaunchedLike, type GuardOptions } from './guard-launcher.js';
export { DEFAULT_LIMITS, resolveLimits, processTreeCpuMs, createCpuWatchdog, type CpuWatchdog, type ResourceLimits } from './limits.js';
export { sandboxContext, policyFromSource, type PolicySource, type SandboxContext } from './context.js';
