import type { z } from 'zod';
import { formatPath, type Issue } from '@symphony/types';

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

export { formatPath };
