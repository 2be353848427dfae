import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '@symphony/manifest';
import { SymphonyError, silentLogger, type Logger } from '@symphony/types';
import { createAuditLog, type AuditLog } from './audit-log.js';
import { probeBubblewrap, type BubblewrapStatus } from './bubblewrap.js';
import { sandboxCommandLine, type CommandLine } from './command-line.js';
import { createGrantStore, type GrantStore } from './grant-store.js';
import { guardLaunched, type LaunchedLike } from './guard-launcher.js';
import { verifySignedFiles } from './installed-files.js';
import { isWithin } from './resolve-path.js';
import { resolveLimits, type ResourceLimits } from './limits.js';
import { policyFromSource, type PolicySource } from './context.js';
import type { PathVariables, PermissionRequest } from './permission-set.js';
import { permissionDenied, type AccessRequest, type Decision, type Policy } from './policy.js';

/** What the sandbox knows about one extension: from its manifest and the embedder. */
export interface SandboxedExtension {
  id: string;
  version: string;
  /** The extension's own directory: `${extension}`, and readable code. */
  dir?: string;
  permissions?: PermissionRequest;
  /** Embedder's mark: only trusted extensions may run in worker mode. */
  trusted?: boolean;
  limits?: Partial<ResourceLimits>;
}

export interface SandboxOptions {
  /** Where `grants.json` and `audit.jsonl` live (the Symphony home). */
  home: string;
  /** `${workspace}`. */
  workspace: string;
  /** Limits for every extension (see `DEFAULT_LIMITS`)... */
  limits?: Partial<ResourceLimits>;
  /** ...and per extension id, over those. */
  limitsFor?: Readonly<Record<string, Partial<ResourceLimits>>>;
  /** Paths, hosts... no extension may ever have, whatever it is granted. */
  deny?: PermissionRequest;
  logger?: Logger;
  /** `auto` probes bwrap; `off` runs without it (degraded, warned); `require` refuses to start without it. */
  bubblewrap?: 'auto' | 'off' | 'require';
  /** Extension ids the embedder trusts to run in worker mode (unsandboxed, in the host's process). */
  trusted?: readonly string[];
}

export interface SandboxService {
  readonly audit: AuditLog;
  readonly grants: GrantStore;
  readonly bubblewrap: BubblewrapStatus;
  register(extension: SandboxedExtension): void;
  unregister(id: string): void;
  get(id: string): SandboxedExtension | undefined;
  variables(id: string): PathVariables;
  policy(id: string): Policy;
  limits(id: string): ResourceLimits;
  /** Decides; a denial is written to the audit log. */
  check(id: string, request: AccessRequest): Decision;
  /** Decides; a denial is audited and thrown as `E_PERMISSION_DENIED`. Use `decision.target` for the I/O. */
  enforce(id: string, request: AccessRequest): Decision;
  /** The bus's per-call limits for this extension (`limitsFor` of the stage). */
  callLimits(id: string): { timeoutMs: number; maxPayloadBytes: number; maxInFlight: number };
  /** Refuses worker mode for an extension not marked trusted (Node's permission model is per process). */
  assertIsolation(id: string, mode: string): void;
  /**
   * The IPC bus's `spawnWrapper`: bubblewrap + Node permission flags + filtered env. An extension
   * not registered is registered from the manifest in `spec.cwd` (its folder), as the stage starts it.
   */
  spawnWrapper(command: CommandLine, spec: { id: string; mode?: string; cwd?: string }): Promise<CommandLine>;
  /** Wraps the bus's `Launcher`: isolation check, per-call CPU budget, error translation, audit. */
  wrapLauncher<S extends { id: string; mode: string; cwd?: string }, L extends LaunchedLike>(launcher: (spec: S) => Promise<L>): (spec: S) => Promise<L>;
  close(): void;
}

/** `dist/preload.cjs`: beside this module once built, or in ../dist when running from source (tests). */
function preloadPath(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'preload.cjs'), join(here, '..', 'dist', 'preload.cjs')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new SymphonyError('E_INTERNAL', `The sandbox preload is missing (looked at ${candidates.join(', ')}); build @symphony/sandbox.`, { details: { path: candidates[0] } });
  return found;
}

export function createSandbox(options: SandboxOptions): SandboxService {
  const logger = options.logger ?? silentLogger;
  const audit = createAuditLog(join(options.home, 'audit.jsonl'));
  const grants = createGrantStore(join(options.home, 'grants.json'));
  const extensions = new Map<string, SandboxedExtension>();
  const policies = new Map<string, Policy>();
  const wrapsPending = new Map<string, number>();
  const mode = options.bubblewrap ?? 'auto';
  const bubblewrap: BubblewrapStatus = mode === 'off' ? { available: false, reason: 'disabled by configuration (bubblewrap: off)' } : probeBubblewrap();
  const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p));
  const preload = preloadPath();
  mkdirSync(options.home, { recursive: true });
  const realHome = realpathSync(options.home);
  const realWorkspace = existsSync(options.workspace) ? realpathSync(options.workspace) : options.workspace;
  if (isWithin(realHome, realWorkspace)) {
    throw new SymphonyError('E_HOME_IN_WORKSPACE', `The Symphony home ${realHome} lies inside the workspace ${realWorkspace}: an extension granted the workspace could read its tokens and grants or rewrite its audit log. Use a home outside the workspace (the default is $XDG_DATA_HOME/symphony; --home or SYMPHONY_HOME to choose).`, {
      details: { path: realHome, workspace: realWorkspace },
    });
  }

  if (!bubblewrap.available) {
    if (mode === 'require') {
      throw new SymphonyError('E_SANDBOX_UNAVAILABLE', `bubblewrap is required but cannot run: ${bubblewrap.reason}.`, { details: { reason: bubblewrap.reason } });
    }
    logger.warn({ reason: bubblewrap.reason }, 'SANDBOX DEGRADED: bubblewrap is unavailable; process-mode extensions run under Node\'s permission model and Symphony\'s in-process checks only (a granted child process runs unconfined, network access is refused only in-process). Install bubblewrap; see the @symphony/sandbox README.');
  }

  grants.onChange = (ext, record, change) => {
    policies.delete(ext.id);
    audit.append({ kind: change === 'grant' ? 'grant' : 'revoke', extensionId: ext.id, version: ext.version, operation: change, target: `${record.permission} ${record.value}`, rule: 'user' });
  };

  /** Installed from a registry (it lives under the home): third-party code whose package facts are checked. */
  function isInstalled(dir: string): boolean {
    try {
      return isWithin(realpathSync(dir), realpathSync(options.home));
    } catch {
      return false;
    }
  }

  function verifyInstalledFiles(ext: SandboxedExtension): void {
    try {
      const signed = verifySignedFiles(ext.dir as string);
      // Signed by the key the install accepted (the live lockfile's entry), for this id and version.
      const lock = readLockEntry(ext.id);
      if (signed.id !== ext.id || signed.version !== ext.version || (lock && (lock.version !== ext.version || lock.keyId !== signed.keyId))) {
        throw new SymphonyError('E_FILES_TAMPERED', `${ext.dir}: signed as ${signed.id}@${signed.version} by ${signed.keyId}, but installed as ${ext.id}@${ext.version}${lock ? ` signed by ${lock.keyId}` : ''}; refusing to start it (reinstall it with \`symphony ext install\`).`, {
          details: { path: ext.dir, dir: ext.dir, keyId: signed.keyId },
        });
      }
    } catch (error) {
      audit.append({ kind: 'refuse', extensionId: ext.id, version: ext.version, operation: 'launch', target: ext.dir as string, rule: 'files-tampered', detail: (error as Error).message });
      throw error;
    }
  }

  /** The live lockfile's entry for an installed extension (written by the marketplace in the home). */
  function readLockEntry(id: string): { version?: string; keyId?: string } | undefined {
    try {
      const lock = JSON.parse(readFileSync(join(realHome, 'extensions', 'symphony-lock.json'), 'utf8')) as { extensions?: Record<string, { version?: string; keyId?: string }> };
      return Object.hasOwn(lock.extensions ?? {}, id) ? lock.extensions![id] : undefined;
    } catch {
      return undefined;
    }
  }

  function known(id: string): SandboxedExtension {
    const ext = extensions.get(id);
    if (!ext) {
      throw new SymphonyError('E_PERMISSION_DENIED', `The sandbox knows no extension "${id}": register it (with its manifest's permissions) before it runs.`, { details: { extensionId: id } });
    }
    return ext;
  }

  /**
   * What the sandbox enforces for an extension about to start: the manifest in the folder the
   * stage starts it in (re-read at every launch, so a hot reload's new version and permissions
   * apply), with the embedder's `trusted` mark and limits from any registration; an extension
   * with no manifest on disk must have been registered.
   */
  async function resolveExtension(spec: { id: string; cwd?: string }): Promise<SandboxedExtension> {
    const registered = extensions.get(spec.id);
    const loaded = spec.cwd ? await loadManifest(spec.cwd).catch((error: unknown) => error as Error) : undefined;
    if (loaded === undefined || loaded instanceof Error) {
      if (registered) return registered;
      throw new SymphonyError('E_PERMISSION_DENIED', `The sandbox cannot read the manifest of ${spec.id}${spec.cwd ? ` in ${spec.cwd}` : ''}, so it cannot know its permissions${loaded ? `: ${loaded.message}` : ''}.`, {
        details: { extensionId: spec.id, path: spec.cwd },
        ...(loaded ? { cause: loaded } : {}),
      });
    }
    if (loaded.manifest.id !== spec.id) {
      throw new SymphonyError('E_PERMISSION_DENIED', `The manifest in ${spec.cwd} is for ${loaded.manifest.id}, not ${spec.id}.`, { details: { extensionId: spec.id, path: loaded.file } });
    }
    const ext: SandboxedExtension = {
      id: loaded.manifest.id,
      version: loaded.manifest.version,
      dir: loaded.dir,
      permissions: loaded.manifest.permissions,
      trusted: registered?.trusted ?? options.trusted?.includes(spec.id) ?? false,
      ...(registered?.limits ? { limits: registered.limits } : {}),
    };
    if (!registered || registered.version !== ext.version || registered.dir !== ext.dir || JSON.stringify(registered.permissions) !== JSON.stringify(ext.permissions)) {
      extensions.set(spec.id, ext);
      policies.delete(spec.id);
    }
    return extensions.get(spec.id)!;
  }

  function variables(id: string): PathVariables {
    const ext = known(id);
    const tmp = join(realHome, 'tmp', id);
    mkdirSync(tmp, { recursive: true });
    return { workspace: options.workspace, extension: ext.dir ?? join(tmpdir(), 'symphony-no-extension-dir'), tmp };
  }

  function policySource(id: string): PolicySource {
    const ext = known(id);
    const userRules = grants.asRequests(ext);
    const vars = variables(id);
    const except = [vars.tmp, ...(ext.dir && existsSync(ext.dir) ? [realpathSync(ext.dir)] : [])].filter((path) => isWithin(path, realHome));
    return {
      protectedPaths: [{ root: realHome, except, rule: 'host:home' }],
      ...(ext.permissions ? { manifest: ext.permissions } : {}),
      granted: userRules.granted,
      revoked: userRules.revoked,
      ...(options.deny ? { hostDeny: options.deny } : {}),
      vars,
    };
  }

  function policy(id: string): Policy {
    const cached = policies.get(id);
    if (cached) return cached;
    const built = policyFromSource(policySource(id));
    policies.set(id, built);
    return built;
  }

  function limits(id: string): ResourceLimits {
    return resolveLimits({ ...options.limits, ...options.limitsFor?.[id], ...known(id).limits });
  }

  function auditDecision(id: string, decision: Decision): void {
    const ext = known(id);
    audit.append({ kind: 'deny', extensionId: ext.id, version: ext.version, operation: decision.kind, target: decision.target, rule: decision.rule, detail: decision.reason });
  }

  const service: SandboxService = {
    audit,
    grants,
    bubblewrap,
    register(extension) {
      extensions.set(extension.id, { ...extension, trusted: extension.trusted ?? options.trusted?.includes(extension.id) ?? false });
      policies.delete(extension.id);
    },
    unregister(id) {
      extensions.delete(id);
      policies.delete(id);
    },
    get: (id) => extensions.get(id),
    variables,
    policy,
    limits,
    check(id, request) {
      const decision = policy(id).decide(request);
      if (!decision.allow) auditDecision(id, decision);
      return decision;
    },
    enforce(id, request) {
      const decision = policy(id).decide(request);
      if (!decision.allow) {
        auditDecision(id, decision);
        throw permissionDenied(decision, known(id));
      }
      return decision;
    },
    callLimits(id) {
      const l = limits(id);
      return { timeoutMs: l.wallTimeMs, maxPayloadBytes: l.maxPayloadBytes, maxInFlight: l.maxConcurrentCalls };
    },
    assertIsolation(id, isolation) {
      const ext = known(id);
      if (isolation === 'worker' && !ext.trusted) {
        audit.append({ kind: 'refuse', extensionId: ext.id, version: ext.version, operation: 'launch', target: 'worker', rule: 'untrusted-in-worker' });
        throw new SymphonyError('E_PERMISSION_DENIED', `Refusing to run ${ext.id}@${ext.version} in worker mode: a worker shares the host's process, so its file-system permissions cannot be narrower than the host's. Run it in process mode, or mark it trusted if you accept that.`, {
          details: { extensionId: ext.id, version: ext.version, mode: 'worker', rule: 'untrusted-in-worker' },
        });
      }
    },
    async spawnWrapper(command, spec) {
      const ext = await resolveExtension(spec);
      if (spec.mode === 'socket' && bubblewrap.available && !command.env.SYMPHONY_IPC_SOCKET) {
        // The bus names the socket only after this hook returns, so it could not be mounted.
        throw new SymphonyError('E_SANDBOX_UNSUPPORTED', `${ext.id}: socket mode cannot run inside bubblewrap yet (the socket path is chosen after the sandbox is built); use process mode.`, {
          details: { extensionId: ext.id, mode: 'socket' },
        });
      }
      const installed = ext.dir !== undefined && isInstalled(ext.dir);
      if (installed) verifyInstalledFiles(ext);
      const result = sandboxCommandLine({ commandLine: command, extension: ext, policy: policy(spec.id), policySource: policySource(spec.id), workspace: options.workspace, limits: limits(spec.id), bubblewrap, preload, confineCode: installed, ...(prlimit ? { prlimit } : {}) });
      for (const warning of result.warnings) {
        logger.warn({ extensionId: ext.id }, warning);
        audit.append({ kind: 'warning', extensionId: ext.id, version: ext.version, operation: 'launch', target: 'sandbox', rule: result.layers.bubblewrap ? 'flags' : 'no-bubblewrap', detail: warning });
      }
      wrapsPending.set(spec.id, (wrapsPending.get(spec.id) ?? 0) + 1);
      return { command: result.command, args: result.args, env: result.env, cwd: result.cwd };
    },
    wrapLauncher(launcher) {
      return async (spec) => {
        const ext = await resolveExtension(spec);
        service.assertIsolation(ext.id, spec.mode);
        if (spec.mode === 'worker') return launcher(spec);
        const launched = await launcher(spec);
        const pending = wrapsPending.get(spec.id) ?? 0;
        if (pending === 0) {
          // The launcher did not go through spawnWrapper: this process runs unsandboxed.
          launched.kill('SIGKILL');
          throw new SymphonyError('E_PERMISSION_DENIED', `${ext.id} was started without the sandbox's spawnWrapper; create the launcher with { spawnWrapper: sandbox.spawnWrapper }.`, {
            details: { extensionId: ext.id, rule: 'unsandboxed-launch' },
          });
        }
        wrapsPending.set(spec.id, pending - 1);
        return guardLaunched(launched, { extension: ext, limits: limits(spec.id), audit });
      };
    },
    close() {
      audit.close();
    },
  };
  return service;
}
