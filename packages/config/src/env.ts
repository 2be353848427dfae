import { delimiter, resolve } from 'node:path';
import type { Issue } from '@symphony/types';

type Kind = 'string' | 'path' | 'int' | 'boolean' | 'list' | 'paths' | 'json';

/** Each `SYMPHONY_*` variable and the config field it overrides. Environment beats the file. */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: readonly string[]; kind: Kind }> = [
  { env: 'SYMPHONY_HOME', path: ['home'], kind: 'path' },
  { env: 'SYMPHONY_STORE', path: ['store'], kind: 'path' },
  { env: 'SYMPHONY_WORKSPACE', path: ['workspace'], kind: 'path' },
  { env: 'SYMPHONY_PLUGINS', path: ['plugins'], kind: 'list' },
  { env: 'SYMPHONY_PLUGIN_OPTIONS', path: ['pluginOptions'], kind: 'json' },
  { env: 'SYMPHONY_EXTENSIONS_DIRS', path: ['extensions', 'dirs'], kind: 'paths' },
  { env: 'SYMPHONY_CONDUCTOR_POLICY', path: ['conductor', 'policy'], kind: 'string' },
  { env: 'SYMPHONY_CONDUCTOR_MODEL', path: ['conductor', 'model'], kind: 'path' },
  { env: 'SYMPHONY_CONDUCTOR_MAX_PARALLEL', path: ['conductor', 'maxParallel'], kind: 'int' },
  { env: 'SYMPHONY_SERVER_HOST', path: ['server', 'host'], kind: 'string' },
  { env: 'SYMPHONY_SERVER_PORT', path: ['server', 'port'], kind: 'int' },
  { env: 'SYMPHONY_LOGGING_LEVEL', path: ['logging', 'level'], kind: 'string' },
  { env: 'SYMPHONY_LOGGING_FILE', path: ['logging', 'file'], kind: 'path' },
  { env: 'SYMPHONY_LOGGING_PRETTY', path: ['logging', 'pretty'], kind: 'boolean' },
  { env: 'SYMPHONY_REDIS_URL', path: ['scaleOut', 'redis'], kind: 'string' },
];

/** Names the config file to load instead of looking for `symphony.config.*` in `cwd`. */
export const CONFIG_FILE_ENV = 'SYMPHONY_CONFIG';

export interface EnvApplied {
  /** The config with env values set in. */
  value: unknown;
  /** Which variable set which dotted field, to name it in validation messages. */
  sources: Map<string, string>;
  issues: Issue[];
}

/**
 * Sets each non-empty `SYMPHONY_*` override into a copy of `raw`. Paths from the environment are
 * resolved against `cwd` here (a file's paths resolve against the file's folder later).
 */
export function applyEnv(raw: unknown, env: Record<string, string | undefined>, cwd: string): EnvApplied {
  const sources = new Map<string, string>();
  const issues: Issue[] = [];
  if (!isPlainObject(raw)) return { value: raw, sources, issues };
  const root: Record<string, unknown> = { ...raw };
  for (const { env: name, path, kind } of ENV_OVERRIDES) {
    const text = env[name];
    if (text === undefined || text.trim() === '') continue;
    const converted = convert(text.trim(), kind, cwd);
    if ('error' in converted) {
      issues.push({ path: `${name} (${path.join('.')})`, message: converted.error });
      continue;
    }
    if (setIn(root, path, converted.value)) sources.set(path.join('.'), name);
  }
  return { value: root, sources, issues };
}

function convert(text: string, kind: Kind, cwd: string): { value: unknown } | { error: string } {
  switch (kind) {
    case 'string':
      return { value: text };
    case 'path':
      return { value: resolve(cwd, text) };
    case 'int':
      return /^-?[0-9]+$/.test(text) ? { value: Number(text) } : { error: `must be an integer, got "${text}"` };
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(text)) return { value: true };
      if (/^(0|false|no|off)$/i.test(text)) return { value: false };
      return { error: `must be true or false, got "${text}"` };
    case 'list':
      return { value: text.split(',').map((s) => s.trim()).filter(Boolean) };
    case 'paths':
      return { value: text.split(delimiter).filter(Boolean).map((p) => resolve(cwd, p)) };
    case 'json':
      try {
        return { value: JSON.parse(text) };
      } catch (err) {
        return { error: `must be JSON: ${(err as Error).message}` };
      }
  }
}

/** Sets `path` in `root`, copying objects on the way; false when a section is not an object. */
function setIn(root: Record<string, unknown>, path: readonly string[], value: unknown): boolean {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
    if (next === undefined) node[key] = {};
    else if (isPlainObject(next)) node[key] = { ...next };
    else return false; // the file's section is malformed: validation reports it
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1) as string] = value;
  return true;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
