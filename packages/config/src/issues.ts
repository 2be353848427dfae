import type { z } from 'zod';
import type { Issue } from '@symphony/types';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `server.port`, `plugins[2]`, `pluginOptions["pit.dag"]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && IDENTIFIER.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(root)';
}

/**
 * zod issues as `{ path, message }`, one per problem (an unknown key is reported at its own
 * path), naming the `SYMPHONY_*` variable when the value came from the environment.
 */
export function toIssues(error: z.ZodError, envSources: ReadonlyMap<string, string>): Issue[] {
  const out: Issue[] = [];
  const push = (path: PropertyKey[], message: string) => {
    const dotted = path.join('.');
    let from: string | undefined;
    for (const [field, variable] of envSources) if (dotted === field || dotted.startsWith(`${field}.`)) from = variable;
    out.push({ path: formatPath(path), message: from ? `${message} (from ${from})` : message });
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) push([...issue.path, key], 'unknown field');
    else push(issue.path, issue.message);
  }
  return out;
}
