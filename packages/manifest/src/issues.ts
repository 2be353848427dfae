import type { z } from 'zod';
import { formatPath, type Issue } from '@symphony/types';

/**
 * zod issues as `{ path, message }`, one per problem: an unknown-keys issue becomes one issue per
 * key at that key's own path, so `permissions.fs.raed: unknown field` points at the typo.
 */
export function toIssues(error: z.ZodError): Issue[] {
  const out: Issue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: 'unknown field' });
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest, rather than "invalid input".
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] as z.core.$ZodIssue[];
      for (const inner of best) out.push({ path: formatPath([...issue.path, ...inner.path]), message: inner.message });
    } else {
      out.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}

function depth(issues: z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

export { formatPath };
