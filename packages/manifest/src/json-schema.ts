import type { z } from 'zod';

/** A JSON Schema document (draft 2020-12 shape); only its structure is checked here. */
export type JsonSchema = boolean | { [keyword: string]: unknown };

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const MAX_DEPTH = 32;

type Refinement = Pick<z.RefinementCtx, 'addIssue'>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks the keywords whose shape matters to callers (type, properties, items, required, enum),
 * recursing into subschemas up to a fixed depth. The value itself is kept as written.
 */
export function checkJsonSchema(value: unknown, ctx: Refinement): void {
  walk(value, [], 0, ctx);
}

function walk(value: unknown, path: PropertyKey[], depth: number, ctx: Refinement): void {
  const issue = (message: string, at: PropertyKey[] = path) => ctx.addIssue({ code: 'custom', message, path: at as (string | number)[] });
  if (typeof value === 'boolean') return;
  if (!isPlainObject(value)) return issue('must be a JSON Schema (an object or a boolean)');
  if (depth >= MAX_DEPTH) return issue(`is nested more than ${MAX_DEPTH} levels deep`);
  const { type, properties, items, required, enum: enumValues } = value;
  if (type !== undefined) {
    const list = Array.isArray(type) ? type : [type];
    if (list.length === 0 || !list.every((t) => typeof t === 'string' && TYPES.has(t))) {
      issue(`must be one of ${[...TYPES].join(', ')} (or a non-empty list of them)`, [...path, 'type']);
    }
  }
  if (properties !== undefined) {
    if (!isPlainObject(properties)) issue('must be an object of schemas', [...path, 'properties']);
    else for (const key of Object.keys(properties)) walk(properties[key], [...path, 'properties', key], depth + 1, ctx);
  }
  if (items !== undefined) {
    if (Array.isArray(items)) items.forEach((item, i) => walk(item, [...path, 'items', i], depth + 1, ctx));
    else walk(items, [...path, 'items'], depth + 1, ctx);
  }
  if (required !== undefined && !(Array.isArray(required) && required.every((r) => typeof r === 'string'))) {
    issue('must be a list of property names', [...path, 'required']);
  }
  if (enumValues !== undefined && !Array.isArray(enumValues)) issue('must be a list of values', [...path, 'enum']);
}
