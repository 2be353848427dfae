import { z } from 'zod';
import { method } from '@symphony/sdk';
import { AggregateSpecSchema, JoinSchema, SourceSchema, TransformSchema, aggregateToTransform, transform, writeInline } from '../data-ops.js';
import { DATA_MANIFEST } from '../manifests.js';
import { defineBuiltinOperator } from '../operator.js';

const Format = z.enum(['csv', 'json', 'ndjson']);

/** symphony.data: parse, write, transform, aggregate, join. */
export default defineBuiltinOperator(DATA_MANIFEST, (env) => {
  const ctx = (signal: AbortSignal) => ({ guard: env().guard, signal });
  return {
    parse: method(
      {
        input: z.strictObject({ path: z.string().min(1), format: Format.optional(), csv: z.strictObject({ delimiter: z.string().optional(), columns: z.array(z.string()).optional(), cast: z.boolean().optional() }).optional(), limit: z.number().int().min(1).max(1_000_000).optional() }),
        description: 'Records of a CSV, JSON or NDJSON file (streamed; at most `limit` returned, the count is of all).',
      },
      (input, c) => {
        const { limit, ...source } = input;
        return transform(ctx(c.signal), { source: source as z.output<typeof SourceSchema>, steps: [], maxRecords: limit ?? 10_000 });
      },
    ),
    write: method(
      { input: z.strictObject({ path: z.string().min(1), format: Format.optional(), records: z.array(z.record(z.string(), z.unknown())), columns: z.array(z.string()).optional() }), description: 'Write records as CSV, JSON or NDJSON, atomically.' },
      (input, c) => writeInline(ctx(c.signal), input),
    ),
    transform: method({ input: TransformSchema, description: 'source → filter/map/select/groupBy/sort/limit/join steps → records or an output file.' }, (input, c) => transform(ctx(c.signal), input)),
    aggregate: method({ input: AggregateSpecSchema, description: 'filter → group by keys → aggregates (count, sum, avg, min, max, first, last, countDistinct, collect) → sort → limit.' }, (input, c) =>
      transform(ctx(c.signal), aggregateToTransform(input)),
    ),
    join: method(
      {
        input: z.strictObject({ left: SourceSchema, right: SourceSchema, on: JoinSchema.shape.on, type: z.enum(['inner', 'left']).default('inner'), prefix: z.string().default('right_'), maxRecords: z.number().int().min(1).max(1_000_000).default(10_000) }),
        description: 'A hash join of two sources on a key.',
      },
      (input, c) => transform(ctx(c.signal), { source: input.left, steps: [{ join: { with: input.right, on: input.on, type: input.type, prefix: input.prefix } }], maxRecords: input.maxRecords }),
    ),
  };
});
