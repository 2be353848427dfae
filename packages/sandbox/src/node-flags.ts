/** Which flag turns Node's permission model on: `--permission` from Node 22.13/23.5, before that experimental. */
export function permissionFlag(nodeVersion: string = process.versions.node): string {
  const [major = 0, minor = 0] = nodeVersion.split('.').map(Number);
  if (major >= 24 || (major === 23 && minor >= 5) || (major === 22 && minor >= 13)) return '--permission';
  return '--experimental-permission';
}

export interface NodePermissionOptions {
  /** Paths the process may read (code, runtime files, granted read roots). */
  read: readonly string[];
  /** Paths the process may write (granted write roots). */
  write: readonly string[];
  childProcess: boolean;
  worker: boolean;
  nodeVersion?: string;
}

/**
 * Node's permission model as flags: a second wall inside the process. One flag per path, as Node
 * 20.20 wants (the comma form is deprecated there); no child processes, workers, addons or WASI
 * unless granted. Node does not resolve symlinks when it checks (nodejs/node#49154), which is why
 * this is the second wall and not the first.
 */
export function nodePermissionFlags(options: NodePermissionOptions): string[] {
  const flags = [permissionFlag(options.nodeVersion)];
  // Only the outermost paths: Node 20 denies listing or creating in a granted folder when a path
  // below it is passed too (its radix tree stops at the deeper entry).
  for (const path of outermost(options.read)) flags.push(`--allow-fs-read=${path}`);
  for (const path of outermost(options.write)) flags.push(`--allow-fs-write=${path}`);
  if (options.childProcess) flags.push('--allow-child-process');
  if (options.worker) flags.push('--allow-worker');
  return flags;
}

/** Flags a sandboxed child may not carry over from the caller: they would reopen what we closed. */
export function isUnsafeNodeFlag(flag: string): boolean {
  return /^--(allow-|permission|experimental-permission|experimental-loader|loader|import|require|inspect|experimental-policy|policy-integrity)|^-r$/.test(flag);
}

/** The paths not inside another one of the list. */
export function outermost(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const path of sorted) {
    if (!kept.some((k) => path === k || path.startsWith(k.endsWith('/') ? k : `${k}/`))) kept.push(path);
  }
  return kept;
}
