import { isAbsolute } from 'node:path';
import picomatch from 'picomatch';
import { SymphonyError } from '@symphony/types';
import { resolveReal } from './resolve-path.js';

/**
 * The permissions an extension asks for, as its manifest states them. Paths may use
 * `${workspace}`, `${extension}` and `${tmp}`, and may end in a glob (`${workspace}/**\/*.csv`);
 * a plain path grants that path and everything below it.
 */
export interface PermissionRequest {
  fs?: { read?: readonly string[]; write?: readonly string[] };
  /** Hosts as `host`, `host:port`, `*.example.com`, `127.0.0.1:*`; `true` means any host. */
  net?: boolean | readonly string[] | { hosts?: readonly string[] };
  /** `true` for any command, or the commands (names or absolute paths) it may run. */
  child_process?: boolean | readonly string[];
  /** Names of environment variables it may read; a trailing `*` matches a prefix. */
  env?: readonly string[];
  /** Whether it may start worker threads (process mode only). */
  worker?: boolean;
}

/** Values for the path variables. */
export interface PathVariables {
  workspace: string;
  extension: string;
  tmp: string;
}

export type PermissionKind = 'fs.read' | 'fs.write' | 'net' | 'child_process' | 'env' | 'worker';

/** Where a rule came from: the manifest, a user's grant, or the host's own deny list. */
export type RuleSource = 'manifest' | 'grant' | 'host';

export interface PathRule {
  /** A stable, human-readable id of the rule, reported with every decision it makes. */
  id: string;
  source: RuleSource;
  /** The pattern as written. */
  pattern: string;
  /** The resolved (realpath) directory or file the rule is rooted at; what the OS layers see. */
  root: string;
  /** Set when the pattern has a glob part: matches the path relative to `root`. */
  glob?: (relative: string) => boolean;
}

export interface ValueRule {
  id: string;
  source: RuleSource;
  pattern: string;
  match: (value: string) => boolean;
}

/** A manifest's permissions with variables expanded and paths resolved, ready for the policy. */
export interface PermissionSet {
  fsRead: PathRule[];
  fsWrite: PathRule[];
  net: ValueRule[];
  childProcess: ValueRule[];
  env: ValueRule[];
  worker: boolean;
}

const VARIABLE = /\$\{([^}]*)\}/g;

/** Replaces `${workspace}`, `${extension}` and `${tmp}`; any other variable is an error naming it. */
export function expandPathVariables(pattern: string, vars: PathVariables): string {
  return pattern.replace(VARIABLE, (_whole, name: string) => {
    if (name === 'workspace' || name === 'extension' || name === 'tmp') return vars[name];
    throw new SymphonyError('E_MANIFEST_INVALID', `Unknown path variable \${${name}} in permission "${pattern}"; use \${workspace}, \${extension} or \${tmp}.`, {
      details: { pattern, variable: name },
    });
  });
}

/** Builds a path rule: expands variables, splits off the glob, resolves the static root. */
export function pathRule(pattern: string, vars: PathVariables, id: string, source: RuleSource): PathRule {
  const expanded = expandPathVariables(pattern, vars);
  const scan = picomatch.scan(expanded);
  const base = scan.isGlob ? scan.base || '/' : expanded;
  if (!isAbsolute(base)) {
    throw new SymphonyError('E_MANIFEST_INVALID', `Permission path "${pattern}" must be absolute after expansion (got "${expanded}"); start it with \${workspace}, \${extension}, \${tmp} or /.`, {
      details: { pattern, expanded },
    });
  }
  if (base.includes(',')) {
    // Node 20's --allow-fs-* flags cannot carry a comma inside a path.
    throw new SymphonyError('E_MANIFEST_INVALID', `Permission path "${pattern}" contains a comma, which the OS layer cannot express.`, {
      details: { pattern },
    });
  }
  const rule: PathRule = { id, source, pattern, root: resolveReal(base) };
  if (scan.isGlob) {
    const matcher = picomatch(scan.glob, { dot: true });
    rule.glob = (relative) => matcher(relative);
  }
  return rule;
}

/** Splits `host`, `host:port`, `[v6]:port` or a bare IPv6 address; the port is `*` when absent. */
export function splitHostPort(text: string): { host: string; port: string } {
  const value = text.trim().toLowerCase();
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    const rest = value.slice(close + 1);
    return { host: value.slice(1, close), port: rest.startsWith(':') ? rest.slice(1) : '*' };
  }
  const colons = value.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = value.split(':') as [string, string];
    return { host, port };
  }
  return { host: value, port: '*' };
}

/** `*`, `host`, `host:port`, `host:*`, `*.domain[:port]`, `[::1]:port`. */
export function netRule(pattern: string, id: string, source: RuleSource): ValueRule {
  if (pattern.trim() === '' || /\s/.test(pattern.trim())) {
    throw new SymphonyError('E_MANIFEST_INVALID', `Network permission "${pattern}" must be a host, host:port or *.domain.`, { details: { pattern } });
  }
  if (pattern.trim() === '*') return { id, source, pattern, match: () => true };
  const want = splitHostPort(pattern);
  const hostMatch = want.host.startsWith('*.')
    ? (host: string) => host.endsWith(want.host.slice(1))
    : (host: string) => host === want.host;
  return {
    id,
    source,
    pattern,
    match: (value) => {
      const got = splitHostPort(value);
      return hostMatch(got.host) && (want.port === '*' || want.port === got.port);
    },
  };
}

/** Exact names; a trailing `*` matches a prefix (`SYMPHONY_*`). */
export function nameRule(pattern: string, id: string, source: RuleSource): ValueRule {
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return { id, source, pattern, match: (value) => value.startsWith(prefix) };
  }
  return { id, source, pattern, match: (value) => value === pattern };
}

/** A command rule matches the command as given or its basename (`git` matches `/usr/bin/git`). */
export function commandRule(pattern: string, id: string, source: RuleSource): ValueRule {
  if (pattern === '*') return { id, source, pattern, match: () => true };
  return {
    id,
    source,
    pattern,
    match: (value) => value === pattern || (!pattern.includes('/') && value.split('/').pop() === pattern),
  };
}

function netPatterns(net: PermissionRequest['net']): readonly string[] {
  if (net === undefined || net === false) return [];
  if (net === true) return ['*'];
  if (Array.isArray(net)) return net;
  return (net as { hosts?: readonly string[] }).hosts ?? [];
}

function commandPatterns(cp: PermissionRequest['child_process']): readonly string[] {
  if (cp === undefined || cp === false) return [];
  if (cp === true) return ['*'];
  return cp;
}

/** Turns a manifest's permission request into rules; every rule id names where it came from. */
export function createPermissionSet(request: PermissionRequest | undefined, vars: PathVariables, source: RuleSource = 'manifest'): PermissionSet {
  const req = request ?? {};
  const prefix = source === 'manifest' ? 'manifest:permissions' : source;
  return {
    fsRead: (req.fs?.read ?? []).map((p, i) => pathRule(p, vars, `${prefix}.fs.read[${i}]`, source)),
    fsWrite: (req.fs?.write ?? []).map((p, i) => pathRule(p, vars, `${prefix}.fs.write[${i}]`, source)),
    net: netPatterns(req.net).map((p, i) => netRule(p, `${prefix}.net[${i}]`, source)),
    childProcess: commandPatterns(req.child_process).map((p, i) => commandRule(p, `${prefix}.child_process[${i}]`, source)),
    env: (req.env ?? []).map((p, i) => nameRule(p, `${prefix}.env[${i}]`, source)),
    worker: req.worker === true,
  };
}
