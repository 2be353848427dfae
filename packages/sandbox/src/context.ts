import type { PathVariables, PermissionRequest } from './permission-set.js';
import { createPermissionSet } from './permission-set.js';
import { createPolicy, type Policy, type ProtectedPath } from './policy.js';

/** The rule layers as plain data: what the host hands a sandboxed process so it can check itself. */
export interface PolicySource {
  manifest?: PermissionRequest;
  granted?: PermissionRequest;
  revoked?: PermissionRequest;
  hostDeny?: PermissionRequest;
  /** Paths no grant reaches (the home), with their exceptions: see `PolicyLayers.protectedPaths`. */
  protectedPaths?: ReadonlyArray<ProtectedPath>;
  vars: PathVariables;
}

export function policyFromSource(source: PolicySource): Policy {
  return createPolicy({
    manifest: createPermissionSet(source.manifest, source.vars, 'manifest'),
    ...(source.granted ? { granted: createPermissionSet(source.granted, source.vars, 'grant') } : {}),
    ...(source.revoked ? { revoked: createPermissionSet(source.revoked, source.vars, 'grant') } : {}),
    ...(source.hostDeny ? { hostDeny: createPermissionSet(source.hostDeny, source.vars, 'host') } : {}),
    cwd: source.vars.workspace,
    ...(source.protectedPaths ? { protectedPaths: source.protectedPaths } : {}),
  });
}

export interface SandboxContext {
  id: string;
  version: string;
  vars: PathVariables;
  policy: Policy;
}

const KEY = Symbol.for('symphony.sandbox');

/**
 * Inside a sandboxed extension process: who it is, its path variables and the same policy the host
 * enforces, so built-in operators refuse early with a clear E_PERMISSION_DENIED (the OS and
 * Node walls stay the real ones). `undefined` outside a sandbox.
 */
export function sandboxContext(): SandboxContext | undefined {
  const info = (globalThis as Record<symbol, unknown>)[KEY] as { id: string; version: string; policy?: PolicySource } | undefined;
  if (!info?.policy) return undefined;
  return { id: info.id, version: info.version, vars: info.policy.vars, policy: policyFromSource(info.policy) };
}
