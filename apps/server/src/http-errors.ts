import { isSymphonyError, issuesFromZod, type Issue } from '@symphony/types';
import type { z } from 'zod';

/** A problem answer: `{ code, message, issues? }` with a status that fits the code. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: Issue[],
    readonly headers: Record<string, string> = {},
    /** A workflow's validation diagnostics (E_WORKFLOW_INVALID): file, line, column, stepId, message, suggestion. */
    readonly diagnostics?: unknown[],
  ) {
    super(message);
  }
}

const STATUS_BY_CODE: Record<string, number> = {
  E_INPUT_INVALID: 400,
  E_WORKFLOW_INVALID: 400,
  E_MANIFEST_INVALID: 400,
  E_NOT_FOUND: 404,
  E_EXTENSION_DISABLED: 409,
  E_NOT_SUPPORTED: 501,
  E_CONFLICT: 409,
  E_RUN_LOCKED: 409,
  E_PERMISSION_DENIED: 403,
  E_PAYLOAD_TOO_LARGE: 413,
  E_TIMEOUT: 504,
  E_KERNEL_STATE: 503,
};

export function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (isSymphonyError(err)) {
    const issues = Array.isArray(err.details.issues) ? (err.details.issues as Issue[]) : undefined;
    const diagnostics = Array.isArray(err.details.diagnostics) ? (err.details.diagnostics as unknown[]) : undefined;
    return new HttpProblem(STATUS_BY_CODE[err.code] ?? 500, err.code, err.message, issues, {}, diagnostics);
  }
  const fastifyErr = err as { statusCode?: number; code?: string; message?: string };
  if (fastifyErr.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpProblem(413, 'E_PAYLOAD_TOO_LARGE', 'request body is too large');
  if (fastifyErr.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new HttpProblem(415, 'E_INPUT_INVALID', 'unsupported content type: send application/json');
  if (fastifyErr.statusCode === 400 || fastifyErr.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new HttpProblem(400, 'E_INPUT_INVALID', `malformed request: ${fastifyErr.message ?? 'bad JSON'}`);
  }
  if (fastifyErr.statusCode && fastifyErr.statusCode < 500) return new HttpProblem(fastifyErr.statusCode, 'E_INPUT_INVALID', fastifyErr.message ?? 'bad request');
  return new HttpProblem(500, 'E_INTERNAL', 'internal error');
}

/** Parses with zod or throws a 400 listing every problem with its path. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesFromZod(result.error).map((i) => ({ ...i, path: `${where}.${i.path}`.replace(/\.\(root\)$/, '') }));
  throw new HttpProblem(400, 'E_INPUT_INVALID', `invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/**
 * True when `text` (JSON) nests arrays or objects deeper than `max`: one pass over the
 * characters, skipping strings, so a 100k-deep array is refused without being parsed.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/**
 * A public answer without stack traces: errors stored with a run (a step's failure and its causes)
 * carry `stack`, which names absolute paths of the host; clients get code, message and details only.
 */
export function withoutStacks<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const strip = (_key: string, v: unknown): unknown => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return typeof o.message === 'string' && 'stack' in o ? { ...o, stack: undefined } : v;
  };
  return JSON.parse(JSON.stringify(value, strip)) as T;
}
