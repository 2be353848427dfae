import type { z } from 'zod';
import { SymphonyError, type ErrorCode } from './errors.js';

/** One validation problem with the dotted path to the offending value (`steps[2].uses`). */
export interface Issue {
  path: string;
  message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `server.port`, `steps[2].uses`, `dependencies["acme.csv"]` (keys that are not identifiers are quoted). */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && IDENTIFIER.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(root)';
}

export function issuesFromZod(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** A SymphonyError that lists every problem, one per line, and carries them in `details.issues`. */
export function validationError(code: ErrorCode, what: string, issues: Issue[]): SymphonyError {
  const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
  return new SymphonyError(code, `${what} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines}`, {
    details: { issues },
  });
}

/** Parses with a zod schema; on failure throws a SymphonyError listing every issue with its path. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, code: ErrorCode, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationError(code, what, issuesFromZod(result.error));
}
