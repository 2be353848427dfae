import { z } from 'zod';
import { SymphonyError } from '@symphony/types';
import { formatOf, readRecords, writeRecords, type DataFormat } from './data-io.js';
import {
  Accumulator,
  AggregateSchema,
  ConditionSchema,
  SortKeySchema,
  StepSchema,
  compareBy,
  evalExpr,
  getField,
  testCondition,
  type DataRecord,
  type Step,
} from './data-spec.js';
import type { PathGuard } from './guard.js';

const FormatSchema = z.enum(['csv', 'json', 'ndjson']);
const CsvSchema = z.strictObject({ delimiter: z.string().min(1).max(4).optional(), columns: z.array(z.string()).optional(), cast: z.boolean().optional() });

/** Where records come from: a file (streamed) or records passed inline (e.g. a previous step's output). */
export const SourceSchema = z.union([
  z.strictObject({ path: z.string().min(1), format: FormatSchema.optional(), csv: CsvSchema.optional() }),
  z.strictObject({ records: z.array(z.record(z.string(), z.unknown())) }),
]);
export type Source = z.output<typeof SourceSchema>;

export const OutputSchema = z.strictObject({ path: z.string().min(1), format: FormatSchema.optional(), columns: z.array(z.string()).optional() });

export const JoinSchema = z.strictObject({
  with: SourceSchema,
  /** A field name present on both sides, or the left and right field names. */
  on: z.union([z.string().min(1), z.strictObject({ left: z.string().min(1), right: z.string().min(1) })]),
  type: z.enum(['inner', 'left']).default('inner'),
  /** Prefix for right-side fields that clash with left ones. */
  prefix: z.string().default('right_'),
});

export const TransformSchema = z.strictObject({
  source: SourceSchema,
  steps: z.array(z.union([StepSchema, z.strictObject({ join: JoinSchema })])).max(64).default([]),
  output: OutputSchema.optional(),
  /** Records returned inline at most (when there is no output file). */
  maxRecords: z.number().int().min(1).max(1_000_000).default(10_000),
});
export type TransformSpec = z.input<typeof TransformSchema>;

export const AggregateSpecSchema = z.strictObject({
  source: SourceSchema,
  filter: ConditionSchema.optional(),
  groupBy: z.array(z.string().min(1)).max(16).default([]),
  aggregate: z.record(z.string().min(1), AggregateSchema),
  sort: z.array(SortKeySchema).optional(),
  limit: z.number().int().min(0).optional(),
  output: OutputSchema.optional(),
});

/** How many records `sort`, `groupBy` groups and a join's right side may hold in memory. */
export const MAX_RECORDS_IN_MEMORY = 2_000_000;

export interface DataContext {
  guard: PathGuard;
  signal?: AbortSignal;
}

export function openSource(ctx: DataContext, source: Source): AsyncIterable<DataRecord> {
  if ('records' in source) return iterate(source.records);
  const path = ctx.guard.read(source.path);
  return readRecords(path, { format: formatOf(source.path, source.format), shownPath: source.path, ...(source.csv ? { csv: source.csv } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
}

async function* iterate(records: DataRecord[]): AsyncGenerator<DataRecord> {
  yield* records;
}

type AnyStep = Step | { join: z.output<typeof JoinSchema> };

/** Applies the steps lazily: filter, map, select, unnest and limit stream; groupBy, sort and join buffer what they must. */
export async function* applySteps(ctx: DataContext, source: AsyncIterable<DataRecord>, steps: readonly AnyStep[]): AsyncGenerator<DataRecord> {
  let stream = source;
  for (const step of steps) stream = applyStep(ctx, stream, step);
  yield* stream;
}

async function* applyStep(ctx: DataContext, input: AsyncIterable<DataRecord>, step: AnyStep): AsyncGenerator<DataRecord> {
  if ('filter' in step) {
    for await (const r of input) if (testCondition(step.filter, r)) yield r;
  } else if ('map' in step) {
    const entries = Object.entries(step.map);
    for await (const r of input) {
      const out: DataRecord = { ...r };
      for (const [field, expr] of entries) out[field] = evalExpr(expr, r);
      yield out;
    }
  } else if ('select' in step) {
    for await (const r of input) {
      const out: DataRecord = {};
      for (const field of step.select) out[field] = getField(r, field) ?? null;
      yield out;
    }
  } else if ('limit' in step) {
    if (step.limit === 0) return;
    let n = 0;
    for await (const r of input) {
      yield r;
      if (++n >= step.limit) return;
    }
  } else if ('unnest' in step) {
    const { field, as, keepEmpty } = step.unnest;
    for await (const r of input) {
      const value = getField(r, field);
      const { [field]: _dropped, ...rest } = r;
      const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
      if (items.length === 0 && keepEmpty) yield { ...rest, ...(as ? { [as]: null } : {}) };
      for (const item of items) {
        if (!as && item !== null && typeof item === 'object' && !Array.isArray(item)) yield { ...rest, ...(item as DataRecord) };
        else yield { ...rest, [as ?? field]: item };
      }
    }
  } else if ('sort' in step) {
    const all: DataRecord[] = [];
    for await (const r of input) {
      all.push(r);
      bound(all.length, 'sort');
    }
    yield* all.sort(compareBy(step.sort));
  } else if ('groupBy' in step) {
    yield* groupBy(input, step.groupBy.keys, step.groupBy.aggregate);
  } else {
    yield* join(ctx, input, step.join);
  }
}

async function* groupBy(input: AsyncIterable<DataRecord>, keys: string[], aggregate: Record<string, z.output<typeof AggregateSchema>>): AsyncGenerator<DataRecord> {
  const groups = new Map<string, { key: DataRecord; accs: Array<[string, Accumulator]> }>();
  const specs = Object.entries(aggregate);
  for await (const r of input) {
    const keyValues = keys.map((k) => getField(r, k) ?? null);
    const id = JSON.stringify(keyValues);
    let group = groups.get(id);
    if (!group) {
      bound(groups.size + 1, 'groupBy');
      const key: DataRecord = {};
      keys.forEach((k, i) => (key[k] = keyValues[i]));
      group = { key, accs: specs.map(([name, spec]) => [name, new Accumulator(spec)]) };
      groups.set(id, group);
    }
    for (const [, acc] of group.accs) acc.add(r);
  }
  for (const { key, accs } of groups.values()) {
    const out: DataRecord = { ...key };
    for (const [name, acc] of accs) out[name] = acc.result();
    yield out;
  }
}

/** A hash join: the right side is loaded into memory, the left side streams. */
async function* join(ctx: DataContext, left: AsyncIterable<DataRecord>, spec: z.output<typeof JoinSchema>): AsyncGenerator<DataRecord> {
  const leftKey = typeof spec.on === 'string' ? spec.on : spec.on.left;
  const rightKey = typeof spec.on === 'string' ? spec.on : spec.on.right;
  const index = new Map<string, DataRecord[]>();
  let size = 0;
  for await (const r of openSource(ctx, spec.with)) {
    bound(++size, 'join');
    const k = String(getField(r, rightKey) ?? '');
    const bucket = index.get(k);
    if (bucket) bucket.push(r);
    else index.set(k, [r]);
  }
  for await (const l of left) {
    const matches = index.get(String(getField(l, leftKey) ?? ''));
    if (!matches) {
      if (spec.type === 'left') yield { ...l };
      continue;
    }
    for (const r of matches) {
      const out: DataRecord = { ...l };
      for (const [field, value] of Object.entries(r)) {
        if (field === rightKey && typeof spec.on === 'string') continue;
        out[field in l ? `${spec.prefix}${field}` : field] = value;
      }
      yield out;
    }
  }
}

function bound(n: number, what: string): void {
  if (n > MAX_RECORDS_IN_MEMORY) {
    throw new SymphonyError('E_PAYLOAD_TOO_LARGE', `${what} would hold more than ${MAX_RECORDS_IN_MEMORY} records in memory; filter or aggregate first.`, { details: { step: what, limit: MAX_RECORDS_IN_MEMORY } });
  }
}

export interface TransformResult {
  count: number;
  records?: DataRecord[];
  truncated?: boolean;
  output?: { path: string; format: DataFormat; bytes: number };
}

/** Runs a whole spec: source → steps → an output file (streamed) or records returned inline. */
export async function transform(ctx: DataContext, spec: z.output<typeof TransformSchema>): Promise<TransformResult> {
  const stream = applySteps(ctx, openSource(ctx, spec.source), spec.steps);
  if (spec.output) {
    const path = ctx.guard.write(spec.output.path);
    const format = formatOf(spec.output.path, spec.output.format);
    const written = await writeRecords(path, stream, { format, shownPath: spec.output.path, ...(spec.output.columns ? { columns: spec.output.columns } : {}) });
    return { count: written.count, output: { path, format, bytes: written.bytes } };
  }
  const records: DataRecord[] = [];
  let count = 0;
  for await (const r of stream) {
    count++;
    if (records.length < spec.maxRecords) records.push(r);
  }
  return { count, records, truncated: count > records.length };
}

/** The common case as one call: filter → groupBy/aggregate → sort → limit. */
export function aggregateToTransform(spec: z.output<typeof AggregateSpecSchema>): z.output<typeof TransformSchema> {
  const steps: AnyStep[] = [];
  if (spec.filter) steps.push({ filter: spec.filter });
  steps.push({ groupBy: { keys: spec.groupBy, aggregate: spec.aggregate } });
  if (spec.sort) steps.push({ sort: spec.sort.map((k) => ({ field: k.field, order: k.order ?? 'asc' })) });
  if (spec.limit !== undefined) steps.push({ limit: spec.limit });
  return { source: spec.source, steps, ...(spec.output ? { output: spec.output } : {}), maxRecords: 1_000_000 };
}

export async function writeInline(ctx: DataContext, input: { path: string; format?: DataFormat; records: DataRecord[]; columns?: string[] }): Promise<{ path: string; count: number; bytes: number }> {
  const path = ctx.guard.write(input.path);
  const written = await writeRecords(path, input.records, { format: formatOf(input.path, input.format), shownPath: input.path, ...(input.columns ? { columns: input.columns } : {}) });
  return { path, ...written };
}
