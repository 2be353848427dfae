import { isAbsolute, normalize } from 'node:path';
import { SymphonyError } from '@symphony/types';
import { PATH_VARIABLES, type PathVariable, type Permissions } from './schema.js';

/** The folders `${workspace}`, `${extension}` and `${tmp}` stand for. Each must be absolute. */
export type PathVariables = Partial<Record<PathVariable, string>>;

/**
 * Replaces a leading `${workspace}` / `${extension}` / `${tmp}` with its folder and normalises the
 * result. Glob characters are kept as they are. A variable with no value given is
 * `E_INPUT_INVALID` naming it.
 */
export function expandPath(pattern: string, variables: PathVariables): string {
  const match = /^\$\{([^}]*)\}/.exec(pattern);
  if (!match) return normalize(pattern);
  const name = match[1] as PathVariable;
  if (!(PATH_VARIABLES as readonly string[]).includes(name)) {
    throw new SymphonyError('E_INPUT_INVALID', `unknown path variable \${${name}} in "${pattern}"`, { details: { path: pattern, variable: name } });
  }
  const value = variables[name];
  if (value === undefined || value === '') {
    throw new SymphonyError('E_INPUT_INVALID', `no value for \${${name}} while expanding "${pattern}"`, { details: { path: pattern, variable: name } });
  }
  if (!isAbsolute(value)) {
    throw new SymphonyError('E_INPUT_INVALID', `\${${name}} must be an absolute path, got "${value}"`, { details: { variable: name, value } });
  }
  return normalize(value + pattern.slice(match[0].length));
}

/** A copy of `permissions` with every fs path expanded by `expandPath`. */
export function expandPermissionPaths(permissions: Permissions, variables: PathVariables): Permissions {
  return {
    ...permissions,
    fs: {
      read: permissions.fs.read.map((p) => expandPath(p, variables)),
      write: permissions.fs.write.map((p) => expandPath(p, variables)),
    },
  };
}
