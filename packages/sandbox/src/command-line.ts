import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SymphonyError } from '@symphony/types';
import { bubblewrapArgs, type BubblewrapStatus } from './bubblewrap.js';
import { filterEnv } from './env-filter.js';
import type { ResourceLimits } from './limits.js';
import { prlimitArgs } from './limits.js';
import { moduleClosure } from './module-closure.js';
import { isUnsafeNodeFlag, nodePermissionFlags } from './node-flags.js';
import type { Policy } from './policy.js';
import type { PolicySource } from './context.js';
import { isWithin } from './resolve-path.js';

/** A child's command line, the shape the IPC bus's spawn hook passes and expects back. */
export interface CommandLine {
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface SandboxedCommandLine extends CommandLine {
  /** Which walls are up for this child. */
  layers: { bubblewrap: boolean; nodePermission: true; openFileLimit: boolean };
  warnings: string[];
  /** Environment names the child will not see (values never leave the host). */
  withheldEnv: string[];
  /** Node flags the caller passed that were dropped because they would undo the sandbox. */
  droppedFlags: string[];
}

export interface SandboxCommandInput {
  commandLine: CommandLine;
  extension: { id: string; version: string; dir?: string };
  policy: Policy;
  limits: ResourceLimits;
  bubblewrap: BubblewrapStatus;
  /** Absolute path of `dist/preload.cjs`. */
  preload: string;
  /** Env names the bus itself sets for the child (protocol, not secrets). */
  protocolEnv?: readonly string[];
  /** The host's environment, to know which names were withheld even if the bus did not pass them. */
  hostEnv?: Record<string, string | undefined>;
  /** Absolute path of `prlimit`, when present. */
  prlimit?: string;
  /** The policy as data, handed to the child for its own early checks (`sandboxContext()`). */
  policySource?: PolicySource;
  /** `${workspace}`: the child's working directory when it may read it, so relative paths mean the workspace. */
  workspace?: string;
  /**
   * The extension's folder holds third-party code (installed from a registry): its `package.json`
   * dependencies are validated and confined to its own `node_modules` (see `moduleClosure`).
   */
  confineCode?: boolean;
}

/** Names every process has and libraries read casually; withheld silently rather than loudly. */
const AMBIENT_ENV = /^(PATH|HOME|USER|LOGNAME|SHELL|PWD|OLDPWD|SHLVL|TERM|TZ|LANG|LANGUAGE|LC_[A-Z_]+|TMPDIR|TMP|TEMP|HOSTNAME|COLUMNS|LINES|NODE_[A-Z_]+|DEBUG|FORCE_COLOR|NO_COLOR|CI|_)$/;

const PROTOCOL_ENV = ['SYMPHONY_LAUNCH_DATA', 'SYMPHONY_IPC_SOCKET', 'SYMPHONY_IPC_FD'];

/**
 * Turns the bus's plain `node [flags] entry [args]` into the sandboxed one:
 * `[prlimit --nofile=N --] [bwrap <namespaces and binds> --] node --experimental-permission
 * --allow-fs-read=... --require preload.cjs [flags] entry [args]`, with the environment reduced
 * to granted names. Without bubblewrap the same line runs without the namespaces and the result
 * carries a warning the host must log loudly.
 */
export function sandboxCommandLine(input: SandboxCommandInput): SandboxedCommandLine {
  const { commandLine, policy, extension, limits } = input;
  const node = realpathSync(process.execPath);
  let command: string;
  try {
    command = realpathSync(commandLine.command);
  } catch {
    command = commandLine.command;
  }
  if (command !== node) {
    throw new SymphonyError('E_PERMISSION_DENIED', `The sandbox only starts Node programs; refusing to start "${commandLine.command}" for ${extension.id}.`, {
      details: { extensionId: extension.id, command: commandLine.command, path: commandLine.command },
    });
  }
  const entryIndex = commandLine.args.findIndex((arg) => !arg.startsWith('-'));
  if (entryIndex === -1) {
    throw new SymphonyError('E_INPUT_INVALID', `No entry module in the command line of ${extension.id}.`, { details: { extensionId: extension.id, args: commandLine.args } });
  }
  const callerFlags = commandLine.args.slice(0, entryIndex);
  const entry = commandLine.args[entryIndex]!;
  const rest = commandLine.args.slice(entryIndex + 1);
  const droppedFlags = callerFlags.filter(isUnsafeNodeFlag);
  const keptFlags = callerFlags.filter((flag) => !isUnsafeNodeFlag(flag) && !flag.startsWith('--max-old-space-size='));
  const requestedHeap = callerFlags.find((flag) => flag.startsWith('--max-old-space-size='));
  const heapMb = Math.min(limits.memoryMb, requestedHeap ? Number(requestedHeap.split('=')[1]) || limits.memoryMb : limits.memoryMb);

  const launchEnv = realModulePath(commandLine.env, extension);
  const closure = moduleClosure([entry, ...(extension.dir ? [extension.dir] : [])], input.confineCode && extension.dir ? { confined: [extension.dir] } : {});
  const roots = policy.fsRoots();
  const preloadDir = dirname(input.preload);
  const codeRead = [...closure.roots, ...closure.links.map((l) => l.link), preloadDir];
  const childProcess = policy.decide({ kind: 'child_process', command: '*' }).allow || hasAnyRule(policy, 'child_process');
  const worker = policy.decide({ kind: 'worker' }).allow;
  const flags = nodePermissionFlags({ read: [...codeRead, ...roots.read, ...roots.write], write: roots.write, childProcess, worker });

  const netPatterns = netGrantPatterns(policy);
  const { env, dropped, refused } = filterEnv(launchEnv, policy, [...PROTOCOL_ENV, ...(input.protocolEnv ?? [])]);
  const hostNames = Object.keys(input.hostEnv ?? process.env).filter((name) => !(name in env));
  const withheldEnv = [...new Set([...dropped, ...refused, ...hostNames])];
  // msgpackr (the bus's socket codec) would probe for its native addon: refused here, and noise in the audit.
  env.MSGPACKR_NATIVE_ACCELERATION_DISABLED = 'true';
  env.SYMPHONY_SANDBOX = JSON.stringify({
    id: extension.id,
    version: extension.version,
    net: netPatterns,
    withheldEnv: withheldEnv.filter((name) => !AMBIENT_ENV.test(name)),
    ...(input.policySource ? { policy: input.policySource } : {}),
    // The home stays out even under a grant that contains it (`fs.read: /`): Node's flags cannot
    // subtract a folder, so without bubblewrap this layer is what keeps tokens.json unread.
    fs: { read: [...codeRead, ...roots.read], write: roots.write, protected: policy.protectedPaths().map((p) => ({ root: p.root, except: [...(p.except ?? []), ...codeRead] })) },
    childProcess,
    worker,
  });

  // Relative paths in an extension mean the workspace (as in the built-in operators), not its own folder.
  const workspaceAccess = input.workspace ? policy.decide({ kind: 'fs.read', path: input.workspace }) : undefined;
  const childCwd = workspaceAccess?.allow ? workspaceAccess.target : commandLine.cwd;
  const warnings: string[] = [];
  if (refused.length > 0) warnings.push(`${extension.id}: environment ${refused.join(', ')} granted but never passed (they could disable the sandbox).`);
  if (droppedFlags.length > 0) warnings.push(`${extension.id}: Node flags ${droppedFlags.join(' ')} dropped (they would undo the sandbox).`);
  const nodeArgs = [...flags, '--require', input.preload, `--max-old-space-size=${heapMb}`, ...keptFlags, entry, ...rest];

  let argv: string[];
  let useBwrap = false;
  if (input.bubblewrap.available && input.bubblewrap.path) {
    useBwrap = true;
    const visible = [...codeRead, ...roots.read, ...roots.write];
    const cwd = visible.some((root) => isWithin(childCwd, root)) ? childCwd : closure.roots[0] ?? '/';
    // Socket mode: the child connects back over a Unix socket, which must be visible inside.
    const socket = commandLine.env.SYMPHONY_IPC_SOCKET;
    const socketDirs = socket ? [dirname(socket)] : [];
    const bw = bubblewrapArgs({ readOnly: [...closure.roots, preloadDir, ...roots.read], readWrite: [...roots.write, ...socketDirs], network: netPatterns.length > 0, cwd, symlinks: closure.links, masks: policy.protectedPaths().map((p) => p.root) });
    argv = [input.bubblewrap.path, ...bw, node, ...nodeArgs];
  } else {
    warnings.push(
      `SANDBOX DEGRADED for ${extension.id}: bubblewrap is unavailable (${input.bubblewrap.reason ?? 'unknown reason'}). ` +
        'The extension runs under Node\'s permission model and Symphony\'s in-process checks only: a granted child process runs unconfined, ' +
        'network access is refused only inside the process, and a symlink swapped between check and use is not caught. Install bubblewrap to close these gaps.',
    );
    argv = [node, ...nodeArgs];
    for (const shielded of policy.protectedPaths()) {
      const wide = [...roots.read, ...roots.write].filter((root) => isWithin(shielded.root, root));
      if (wide.length > 0) {
        warnings.push(`${extension.id}: its grant of ${wide.join(', ')} contains the Symphony home ${shielded.root}; without bubblewrap only Symphony's in-process checks keep the extension out of it.`);
      }
    }
  }
  let openFileLimit = false;
  if (input.prlimit) {
    openFileLimit = true;
    argv = [input.prlimit, ...prlimitArgs(limits), ...argv];
  }
  return {
    command: argv[0]!,
    args: argv.slice(1),
    env,
    // bwrap itself starts in the host folder and `--chdir`s inside; without it the child starts there.
    cwd: useBwrap ? commandLine.cwd : childCwd,
    layers: { bubblewrap: useBwrap, nodePermission: true, openFileLimit },
    warnings,
    withheldEnv,
    droppedFlags,
  };
}

/**
 * The module the runtime entry loads, named by its real path: an installed extension is reached
 * through the home's `extensions` link chain, which is neither mounted nor granted; its real
 * folder is. A module whose real path leaves the extension's real folder is refused.
 */
function realModulePath(env: Record<string, string | undefined>, extension: { id: string; dir?: string }): Record<string, string | undefined> {
  const raw = env.SYMPHONY_LAUNCH_DATA;
  if (!raw || !extension.dir) return env;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return env;
  }
  if (typeof data.module !== 'string') return env;
  const path = data.module.startsWith('file:') ? fileURLToPath(data.module) : data.module;
  let real: string;
  let realDir: string;
  try {
    real = realpathSync(path);
    realDir = realpathSync(extension.dir);
  } catch {
    return env; // a missing module: the entry reports it
  }
  if (!isWithin(real, realDir)) {
    throw new SymphonyError('E_PERMISSION_DENIED', `${extension.id}: its entry module ${path} resolves to ${real}, outside its own folder ${realDir}.`, {
      details: { extensionId: extension.id, path: real },
    });
  }
  return { ...env, SYMPHONY_LAUNCH_DATA: JSON.stringify({ ...data, module: real }) };
}

function hasAnyRule(policy: Policy, kind: 'child_process'): boolean {
  return policy.effective()[kind].length > 0;
}

function netGrantPatterns(policy: Policy): string[] {
  return policy.effective().net;
}

