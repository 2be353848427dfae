import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join, sep } from 'node:path';

export interface BubblewrapStatus {
  available: boolean;
  /** Absolute path of `bwrap` when found. */
  path?: string;
  version?: string;
  /** Why it cannot be used, for the loud warning. */
  reason?: string;
}

let cached: BubblewrapStatus | undefined;

/**
 * Whether bubblewrap can actually build a sandbox here: present on PATH *and* able to create the
 * namespaces we ask for (containers often forbid user namespaces). Probed once per process by
 * running `/bin/true`-equivalent inside the same kind of sandbox we use.
 */
export function probeBubblewrap(options: { refresh?: boolean; path?: string } = {}): BubblewrapStatus {
  if (cached && !options.refresh && !options.path) return cached;
  const status = probe(options.path);
  if (!options.path) cached = status;
  return status;
}

function probe(explicit?: string): BubblewrapStatus {
  if (process.platform !== 'linux') return { available: false, reason: `bubblewrap is Linux-only (this is ${process.platform})` };
  const path = explicit ?? findOnPath('bwrap');
  if (!path) return { available: false, reason: 'bwrap was not found on PATH (Debian/Ubuntu: apt-get install bubblewrap)' };
  const version = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (version.status !== 0) return { available: false, path, reason: `\`${path} --version\` failed: ${(version.stderr || version.error?.message || '').trim()}` };
  const node = realpathSync(process.execPath);
  const args = [...runtimeMounts(), '--proc', '/proc', '--dev', '/dev', ...namespaceFlags(false), node, '-e', 'process.exit(42)'];
  const run = spawnSync(path, args, { encoding: 'utf8', timeout: 30_000, env: {} });
  if (run.status !== 42) {
    const why = (run.stderr || run.error?.message || `exit ${run.status}`).trim();
    return { available: false, path, version: version.stdout.trim(), reason: `bwrap cannot create a sandbox here (${why}); user namespaces may be disabled` };
  }
  return { available: true, path, version: version.stdout.trim() };
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The namespaces: everything is unshared; the network only when no network is granted. Every
 * capability is dropped: run by root, bwrap would otherwise leave the child all of them
 * (CAP_SYS_ADMIN could mount its way out of the namespace).
 */
function namespaceFlags(network: boolean): string[] {
  const flags = ['--unshare-user-try', '--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try', '--cap-drop', 'ALL'];
  if (!network) flags.push('--unshare-net');
  return flags;
}

/**
 * What the Node runtime needs to start: `/usr` (the binary and its shared libraries), the merged-usr
 * links, and the Node install prefix when it lives elsewhere (nvm, /opt). Read-only.
 */
export function runtimeMounts(execPath: string = process.execPath): string[] {
  const args: string[] = ['--ro-bind', '/usr', '/usr'];
  for (const dir of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    if (!existsSync(dir)) continue;
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) {
      const target = realpathSync(dir);
      args.push('--symlink', target.startsWith('/usr/') ? target.slice(1) : target, dir);
    } else {
      args.push('--ro-bind', dir, dir);
    }
  }
  const node = realpathSync(execPath);
  if (!node.startsWith('/usr/')) args.push('--ro-bind', dirname(dirname(node)), dirname(dirname(node)));
  return args;
}

export interface BubblewrapArgsOptions {
  /** Paths bound read-only (code, granted reads). */
  readOnly: readonly string[];
  /** Paths bound read-write (granted writes). */
  readWrite: readonly string[];
  /** Whether network access is granted (otherwise a fresh, empty network namespace). */
  network: boolean;
  /** Working directory inside the sandbox. */
  cwd: string;
  /**
   * Paths hidden behind an empty tmpfs when a bound path contains them (the home below a granted
   * `/`): mounted in depth order, so deeper binds (the extension's own code) show through again.
   */
  masks?: readonly string[];
  /** Symlinks to recreate inside (pnpm's `node_modules` links outside the bound roots). */
  symlinks?: ReadonlyArray<{ link: string; target: string }>;
  execPath?: string;
}

/**
 * The bwrap command line up to (not including) the program: a mount namespace holding only the
 * runtime, the given paths and private /tmp, /proc and /dev; new PID, IPC, UTS and (unless
 * granted) network namespaces; killed with its parent; a new session so it cannot push
 * keystrokes into the host's terminal. Paths are bound at the same place they live on the host,
 * so the Node permission flags name the same paths inside and out. Binds are ordered parents
 * first, so a read-write grant below a read-only one stays writable and vice versa.
 */
export function bubblewrapArgs(options: BubblewrapArgsOptions): string[] {
  // A grant of `/` itself is bound first: bound after them it would cover the private /proc and
  // /dev, and the runtime's own links (/bin → usr/bin) already exist in it (bwrap: File exists).
  const rootBind = options.readWrite.includes(sep) ? ['--bind', sep, sep] : options.readOnly.includes(sep) ? ['--ro-bind', sep, sep] : [];
  // A granted `/` includes the host's /tmp (where workspaces often are): no private /tmp then.
  const args = rootBind.length > 0 ? [...rootBind, '--proc', '/proc', '--dev', '/dev'] : [...runtimeMounts(options.execPath), '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp'];
  if (options.network) {
    // Name resolution and TLS roots, only when the network is granted.
    for (const file of ['/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/ssl', '/etc/ca-certificates']) {
      if (existsSync(file)) args.push('--ro-bind-try', file, file);
    }
  }
  const binds = new Map<string, 'ro' | 'rw' | 'mask'>();
  for (const path of options.readOnly) if (!binds.has(path)) binds.set(path, 'ro');
  for (const path of options.readWrite) binds.set(path, 'rw');
  for (const path of options.masks ?? []) {
    const shown = [...binds.keys()].some((bound) => bound !== path && (path.startsWith(bound + sep) || bound === sep));
    if (shown) binds.set(path, 'mask');
  }
  const ordered = [...binds.entries()].sort(([a], [b]) => depth(a) - depth(b) || a.localeCompare(b));
  for (const [path, mode] of ordered) {
    if (path === sep && mode !== 'mask') continue; // bound first, above
    // `-try`: a granted path that does not exist yet is simply absent, not a failure to start.
    if (mode === 'mask') args.push('--tmpfs', path);
    else args.push(mode === 'rw' ? '--bind-try' : '--ro-bind-try', path, path);
  }
  for (const { link, target } of options.symlinks ?? []) {
    // Under a bound `/` a link is already there, unless a mask hides it.
    const hidden = ordered.some(([path, mode]) => mode === 'mask' && link.startsWith(path + sep));
    const covered = ordered.some(([path, mode]) => mode !== 'mask' && (link === path || link.startsWith(path + sep) || (path === sep && !hidden)));
    if (!covered) args.push('--symlink', target, link);
  }
  args.push(...namespaceFlags(options.network), '--die-with-parent', '--new-session', '--chdir', options.cwd);
  return args;
}

function depth(path: string): number {
  return path.split(sep).filter(Boolean).length;
}
