import { basename, dirname, extname } from 'node:path';
import { z } from 'zod';
import { SymphonyError } from '@symphony/types';

/*
 * The declarative language of symphony.data: conditions, expressions and steps are plain JSON,
 * interpreted here. Nothing a user writes is ever evaluated as code.
 */

export type DataRecord = Record<string, unknown>;

const FieldName = z.string().min(1).max(256);
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export type Expr = { field: string } | { value: string | number | boolean | null } | { op: ExprOp; args: Expr[] };
const EXPR_OPS = ['add', 'sub', 'mul', 'div', 'concat', 'lower', 'upper', 'length', 'number', 'string', 'basename', 'dirname', 'extname', 'coalesce', 'round'] as const;
type ExprOp = (typeof EXPR_OPS)[number];

export const ExprSchema: z.ZodType<Expr> = z.lazy(() =>
  z.union([
    z.strictObject({ field: FieldName }),
    z.strictObject({ value: Scalar }),
    z.strictObject({ op: z.enum(EXPR_OPS), args: z.array(ExprSchema).max(16) }),
  ]),
);

const COMPARE_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'startsWith', 'endsWith', 'matches', 'exists'] as const;
export type Condition =
  | { field: string; op: (typeof COMPARE_OPS)[number]; value?: unknown }
  | { and: Condition[] }
  | { or: Condition[] }
  | { not: Condition };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ field: FieldName, op: z.enum(COMPARE_OPS), value: z.union([Scalar, z.array(Scalar)]).optional() }),
    z.strictObject({ and: z.array(ConditionSchema).min(1).max(64) }),
    z.strictObject({ or: z.array(ConditionSchema).min(1).max(64) }),
    z.strictObject({ not: ConditionSchema }),
  ]),
);

export const AGGREGATE_OPS = ['count', 'sum', 'avg', 'min', 'max', 'first', 'last', 'countDistinct', 'collect'] as const;
export const AggregateSchema = z.strictObject({ op: z.enum(AGGREGATE_OPS), field: FieldName.optional() });
export type Aggregate = z.output<typeof AggregateSchema>;

export const SortKeySchema = z.strictObject({ field: FieldName, order: z.enum(['asc', 'desc']).default('asc') });

/** Operations the engine knows. `groupBy`, `sort` and `join`'s right side hold data in memory; the rest stream. */
export const StepSchema = z.union([
  z.strictObject({ filter: ConditionSchema }),
  z.strictObject({ map: z.record(FieldName, ExprSchema) }),
  z.strictObject({ select: z.array(FieldName).min(1) }),
  z.strictObject({ groupBy: z.strictObject({ keys: z.array(FieldName).max(16).default([]), aggregate: z.record(FieldName, AggregateSchema) }) }),
  z.strictObject({ sort: z.array(SortKeySchema).min(1) }),
  z.strictObject({ limit: z.number().int().min(0) }),
  /** One record per element of an array field: object elements are merged in, others stored under `as`. */
  z.strictObject({ unnest: z.strictObject({ field: FieldName, as: FieldName.optional(), keepEmpty: z.boolean().optional() }) }),
]);
export type Step = z.output<typeof StepSchema>;

export function evalExpr(expr: Expr, record: DataRecord): unknown {
  if ('field' in expr) return getField(record, expr.field);
  if ('value' in expr) return expr.value;
  const args = expr.args.map((a) => evalExpr(a, record));
  const num = (i: number): number => Number(args[i]);
  const str = (i: number): string => (args[i] === null || args[i] === undefined ? '' : String(args[i]));
  switch (expr.op) {
    case 'add':
      return args.reduce<number>((sum, _v, i) => sum + num(i), 0);
    case 'sub':
      return num(0) - num(1);
    case 'mul':
      return args.reduce<number>((product, _v, i) => product * num(i), 1);
    case 'div':
      return num(1) === 0 ? null : num(0) / num(1);
    case 'concat':
      return args.map((_v, i) => str(i)).join('');
    case 'lower':
      return str(0).toLowerCase();
    case 'upper':
      return str(0).toUpperCase();
    case 'length':
      return Array.isArray(args[0]) ? args[0].length : str(0).length;
    case 'number': {
      const n = Number(args[0]);
      return Number.isFinite(n) ? n : null;
    }
    case 'string':
      return str(0);
    case 'basename':
      return basename(str(0));
    case 'dirname':
      return dirname(str(0));
    case 'extname':
      return extname(str(0));
    case 'coalesce':
      return args.find((v) => v !== null && v !== undefined && v !== '') ?? null;
    case 'round': {
      const digits = args.length > 1 ? num(1) : 0;
      const f = 10 ** digits;
      return Math.round(num(0) * f) / f;
    }
  }
}

/** `a.b.c` reaches into nested objects; a plain name is a plain lookup. */
export function getField(record: DataRecord, field: string): unknown {
  if (Object.prototype.hasOwnProperty.call(record, field)) return record[field];
  if (!field.includes('.')) return undefined;
  let value: unknown = record;
  for (const part of field.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as DataRecord)[part];
  }
  return value;
}

/** Numbers compare as numbers when both sides look numeric (CSV fields are strings). */
function compare(a: unknown, b: unknown): number {
  const na = typeof a === 'number' ? a : typeof a === 'string' && a.trim() !== '' ? Number(a) : NaN;
  const nb = typeof b === 'number' ? b : typeof b === 'string' && b.trim() !== '' ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  const sa = a === null || a === undefined ? '' : String(a);
  const sb = b === null || b === undefined ? '' : String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const regexCache = new Map<string, RegExp>();

export function testCondition(condition: Condition, record: DataRecord): boolean {
  if ('and' in condition) return condition.and.every((c) => testCondition(c, record));
  if ('or' in condition) return condition.or.some((c) => testCondition(c, record));
  if ('not' in condition) return !testCondition(condition.not, record);
  const value = getField(record, condition.field);
  const want = condition.value;
  switch (condition.op) {
    case 'exists':
      return value !== undefined && value !== null && value !== '';
    case 'eq':
      return compare(value, want) === 0;
    case 'ne':
      return compare(value, want) !== 0;
    case 'gt':
      return compare(value, want) > 0;
    case 'gte':
      return compare(value, want) >= 0;
    case 'lt':
      return compare(value, want) < 0;
    case 'lte':
      return compare(value, want) <= 0;
    case 'in':
      return Array.isArray(want) && want.some((w) => compare(value, w) === 0);
    case 'contains':
      return String(value ?? '').includes(String(want ?? ''));
    case 'startsWith':
      return String(value ?? '').startsWith(String(want ?? ''));
    case 'endsWith':
      return String(value ?? '').endsWith(String(want ?? ''));
    case 'matches': {
      const source = String(want ?? '');
      if (source.length > 512) throw new SymphonyError('E_INPUT_INVALID', 'A `matches` pattern may be at most 512 characters.', { details: { path: 'value' } });
      let re = regexCache.get(source);
      if (!re) {
        try {
          re = new RegExp(source);
        } catch (error) {
          throw new SymphonyError('E_INPUT_INVALID', `Invalid regular expression in a filter: ${(error as Error).message}`, { details: { path: 'value', value: source } });
        }
        regexCache.set(source, re);
      }
      return re.test(String(value ?? ''));
    }
  }
}

export function compareBy(keys: ReadonlyArray<{ field: string; order: 'asc' | 'desc' }>) {
  return (a: DataRecord, b: DataRecord): number => {
    for (const key of keys) {
      const c = compare(getField(a, key.field), getField(b, key.field));
      if (c !== 0) return key.order === 'desc' ? -c : c;
    }
    return 0;
  };
}

/** Running state of one aggregate: fed one value at a time, so a group costs O(1) memory (but `collect`/`countDistinct`). */
export class Accumulator {
  private count = 0;
  private sum = 0;
  private min: unknown = undefined;
  private max: unknown = undefined;
  private firstValue: unknown = undefined;
  private lastValue: unknown = undefined;
  private readonly distinct = new Set<string>();
  private readonly items: unknown[] = [];

  constructor(private readonly spec: Aggregate) {}

  add(record: DataRecord): void {
    const value = this.spec.field === undefined ? undefined : getField(record, this.spec.field);
    if (this.spec.op === 'count') {
      if (this.spec.field === undefined || (value !== undefined && value !== null && value !== '')) this.count++;
      return;
    }
    if (value === undefined || value === null || value === '') return;
    this.count++;
    const n = Number(value);
    if (Number.isFinite(n)) this.sum += n;
    if (this.min === undefined || compare(value, this.min) < 0) this.min = value;
    if (this.max === undefined || compare(value, this.max) > 0) this.max = value;
    if (this.count === 1) this.firstValue = value;
    this.lastValue = value;
    if (this.spec.op === 'countDistinct') this.distinct.add(String(value));
    if (this.spec.op === 'collect' && this.items.length < 10_000) this.items.push(value);
  }

  result(): unknown {
    switch (this.spec.op) {
      case 'count':
        return this.count;
      case 'sum':
        return this.sum;
      case 'avg':
        return this.count === 0 ? null : this.sum / this.count;
      case 'min':
        return this.min ?? null;
      case 'max':
        return this.max ?? null;
      case 'first':
        return this.firstValue ?? null;
      case 'last':
        return this.lastValue ?? null;
      case 'countDistinct':
        return this.distinct.size;
      case 'collect':
        return this.items;
    }
  }
}
