import { relative } from 'node:path';
import { SymphonyError } from '@symphony/types';
import type { PathRule, PermissionKind, PermissionSet, ValueRule } from './permission-set.js';
import { isWithin, resolveReal } from './resolve-path.js';

/** One thing an extension wants to do. */
export type AccessRequest =
  | { kind: 'fs.read'; path: string }
  | { kind: 'fs.write'; path: string }
  | { kind: 'net'; host: string; port: number | string }
  | { kind: 'child_process'; command: string }
  | { kind: 'env'; name: string }
  | { kind: 'worker' };

/** The answer, with the rule that decided it. */
export interface Decision {
  allow: boolean;
  kind: PermissionKind;
  /** What was asked, as asked. */
  requested: string;
  /** What was checked: for paths, the resolved real path; the I/O must use this. */
  target: string;
  /** The id of the deciding rule (`manifest:permissions.fs.read[0]`, `grant:fs.write[2]`, `default-deny`...). */
  rule: string;
  reason: string;
}

/**
 * The layers of rules, checked in this order; the first match decides:
 * host deny list, then the user's revocations, then the user's grants, then the manifest,
 * and anything left is denied (`default-deny`).
 */
export interface PolicyLayers {
  hostDeny?: PermissionSet;
  revoked?: PermissionSet;
  granted?: PermissionSet;
  manifest: PermissionSet;
  /** Resolve relative paths against this (the workspace). */
  cwd?: string;
  /**
   * Paths no grant reaches (the Symphony home: tokens, grants, audit log, ledger, installed code),
   * checked before every other layer, each with the few places below it that stay reachable
   * (the extension's own folder and its `${tmp}`). Real paths.
   */
  protectedPaths?: ReadonlyArray<ProtectedPath>;
}

export interface ProtectedPath {
  root: string;
  /** Below `root` but still decided by the other layers. */
  except?: readonly string[];
  /** Shown in the decision: `host:home`. */
  rule?: string;
}

export interface Policy {
  decide(request: AccessRequest): Decision;
  /** `decide`, throwing `E_PERMISSION_DENIED` (with the decision in `details`) on deny. */
  require(request: AccessRequest): Decision;
  /** Every path root the OS layers must expose: read-only and read-write. */
  fsRoots(): { read: string[]; write: string[] };
  /** The protected paths (the home), for the OS layers to mask. */
  protectedPaths(): ReadonlyArray<ProtectedPath>;
  /** Granted (manifest + user) value patterns, minus those revoked word for word. */
  effective(): { net: string[]; child_process: string[]; env: string[] };
}

export function createPolicy(layers: PolicyLayers): Policy {
  const cwd = layers.cwd ?? process.cwd();
  const allowOrder: Array<[PermissionSet | undefined, boolean]> = [
    [layers.hostDeny, false],
    [layers.revoked, false],
    [layers.granted, true],
    [layers.manifest, true],
  ];

  function decide(request: AccessRequest): Decision {
    switch (request.kind) {
      case 'fs.read':
      case 'fs.write':
        return decidePath(request.kind, request.path);
      case 'net': {
        const target = formatHostPort(request.host, request.port);
        return decideValue('net', target, target, (set) => set.net);
      }
      case 'child_process':
        return decideValue('child_process', request.command, request.command, (set) => set.childProcess);
      case 'env':
        return decideValue('env', request.name, request.name, (set) => set.env);
      case 'worker':
        return decideWorker();
      default:
        throw new SymphonyError('E_INPUT_INVALID', `Unknown access kind ${(request as { kind: string }).kind}.`, { details: { request } });
    }
  }

  function decidePath(kind: 'fs.read' | 'fs.write', requested: string): Decision {
    let target: string;
    try {
      target = resolveReal(requested, cwd);
    } catch (error) {
      // Fail closed: a path we cannot resolve is a path we cannot vouch for.
      return { allow: false, kind, requested, target: requested, rule: 'resolve-error', reason: `could not resolve ${requested}: ${(error as Error).message}` };
    }
    // Granting write implies read of the same place (stat, rename over, read back); revoking
    // read also revokes write.
    const widen = (set: PermissionSet, allow: boolean): PathRule[] =>
      (kind === 'fs.read') === allow ? [...set.fsRead, ...set.fsWrite] : kind === 'fs.read' ? set.fsRead : set.fsWrite;
    const shielded = protectedBy(target);
    if (shielded) {
      const rule = shielded.rule ?? 'host:home';
      return { allow: false, kind, requested, target, rule, reason: `${target} is inside the Symphony home (${shielded.root}), which no grant reaches` };
    }
    for (const [set, allow] of allowOrder) {
      if (!set) continue;
      const rule = widen(set, allow).find((r) => pathMatches(r, target));
      if (rule) return { allow, kind, requested, target, rule: rule.id, reason: `${allow ? 'allowed' : 'denied'} by ${rule.source} rule "${rule.pattern}"` };
    }
    return { allow: false, kind, requested, target, rule: 'default-deny', reason: `${target} is not within any granted ${kind} path` };
  }

  function protectedBy(target: string): ProtectedPath | undefined {
    return layers.protectedPaths?.find((p) => isWithin(target, p.root) && !(p.except ?? []).some((e) => isWithin(target, e)));
  }

  function decideValue(kind: PermissionKind, requested: string, target: string, pick: (set: PermissionSet) => ValueRule[]): Decision {
    for (const [set, allow] of allowOrder) {
      if (!set) continue;
      const rule = pick(set).find((r) => r.match(target));
      if (rule) return { allow, kind, requested, target, rule: rule.id, reason: `${allow ? 'allowed' : 'denied'} by ${rule.source} rule "${rule.pattern}"` };
    }
    return { allow: false, kind, requested, target, rule: 'default-deny', reason: `${kind} "${target}" is not granted` };
  }

  function decideWorker(): Decision {
    const base = { kind: 'worker' as const, requested: 'worker_threads', target: 'worker_threads' };
    if (layers.hostDeny?.worker || layers.revoked?.worker) return { ...base, allow: false, rule: 'revoked:worker', reason: 'worker threads were revoked' };
    if (layers.granted?.worker) return { ...base, allow: true, rule: 'grant:worker', reason: 'worker threads granted by the user' };
    if (layers.manifest.worker) return { ...base, allow: true, rule: 'manifest:permissions.worker', reason: 'worker threads requested by the manifest' };
    return { ...base, allow: false, rule: 'default-deny', reason: 'worker threads are not granted' };
  }

  function fsRoots(): { read: string[]; write: string[] } {
    const revokedWrite = new Set([...(layers.revoked?.fsWrite ?? []), ...(layers.hostDeny?.fsWrite ?? [])].map((r) => r.root));
    const revokedRead = new Set([...(layers.revoked?.fsRead ?? []), ...(layers.hostDeny?.fsRead ?? [])].map((r) => r.root));
    const sets = [layers.granted, layers.manifest].filter((s): s is PermissionSet => s !== undefined);
    const open = (root: string) => !protectedBy(root);
    const write = unique(sets.flatMap((s) => s.fsWrite.map((r) => r.root)).filter((root) => !revokedWrite.has(root) && !revokedRead.has(root) && open(root)));
    const read = unique(sets.flatMap((s) => s.fsRead.map((r) => r.root)).filter((root) => !revokedRead.has(root) && !write.includes(root) && open(root)));
    return { read, write };
  }

  function effective(): { net: string[]; child_process: string[]; env: string[] } {
    const collect = (pick: (set: PermissionSet) => ValueRule[]): string[] => {
      const revoked = new Set([layers.revoked, layers.hostDeny].flatMap((set) => (set ? pick(set).map((r) => r.pattern) : [])));
      return unique([layers.granted, layers.manifest].flatMap((set) => (set ? pick(set).map((r) => r.pattern) : [])).filter((p) => !revoked.has(p)));
    };
    return { net: collect((s) => s.net), child_process: collect((s) => s.childProcess), env: collect((s) => s.env) };
  }

  return {
    decide,
    effective,
    protectedPaths: () => layers.protectedPaths ?? [],
    require(request) {
      const decision = decide(request);
      if (!decision.allow) throw permissionDenied(decision);
      return decision;
    },
    fsRoots,
  };
}

function pathMatches(rule: PathRule, target: string): boolean {
  if (!isWithin(target, rule.root)) return false;
  if (!rule.glob) return true;
  return rule.glob(relative(rule.root, target));
}

function formatHostPort(host: string, port: number | string): string {
  const h = host.toLowerCase();
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** The error every denial becomes: the decision travels in `details`. */
export function permissionDenied(decision: Decision, extension?: { id: string; version?: string }): SymphonyError {
  const who = extension ? `${extension.id}${extension.version ? `@${extension.version}` : ''}` : 'the extension';
  return new SymphonyError('E_PERMISSION_DENIED', `Permission denied: ${who} may not ${decision.kind} "${decision.requested}" (${decision.reason}; rule ${decision.rule}). ${grantAdvice(decision, extension?.id)}`, {
    details: { ...(extension ? { extensionId: extension.id, version: extension.version } : {}), kind: decision.kind, requested: decision.requested, target: decision.target, rule: decision.rule, path: decision.target },
  });
}

/** What a person can do about a denial: the real command, or nothing when the host forbids it. */
export function grantAdvice(decision: Pick<Decision, 'kind' | 'rule' | 'target'>, id = '<id>'): string {
  if (decision.rule.startsWith('host')) return 'No grant can allow this.';
  const value = decision.kind === 'worker' ? 'true' : JSON.stringify(decision.target);
  return `Grant it in the manifest, or with \`symphony ext grant ${id} ${decision.kind} ${value}\`.`;
}
