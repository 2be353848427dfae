import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRecords, transform, TransformSchema, AggregateSpecSchema, aggregateToTransform, writeInline, type PathGuard } from '../src/index.js';
import { tempDir, workspaceGuard } from './helpers.js';

let root: { dir: string; cleanup: () => void };
let guard: PathGuard;
let ws: string;
const run = (spec: unknown) => transform({ guard }, TransformSchema.parse(spec));

beforeEach(() => {
  root = tempDir();
  guard = workspaceGuard(root.dir);
  ws = guard.workspace;
  writeFileSync(join(ws, 'sales.csv'), 'region,product,amount\nnorth,apple,10\nsouth,apple,5\nnorth,pear,7\n"west, far",pear,"3"\nnorth,apple,1\n');
  writeFileSync(join(ws, 'regions.json'), JSON.stringify([{ region: 'north', manager: 'Ann' }, { region: 'south', manager: 'Bo' }]));
  writeFileSync(join(ws, 'events.ndjson'), '{"n":1,"tag":"a"}\n\n{"n":2,"tag":"b"}\n{"n":3,"tag":"a"}\n');
});
afterEach(() => root.cleanup());

describe('data_ops: formats', () => {
  it('parses CSV (quoted fields), JSON arrays and NDJSON', async () => {
    expect((await run({ source: { path: 'sales.csv' } })).records?.[3]).toEqual({ region: 'west, far', product: 'pear', amount: '3' });
    expect((await run({ source: { path: 'regions.json' } })).records).toHaveLength(2);
    expect((await run({ source: { path: 'events.ndjson' } })).records?.map((r) => r.n)).toEqual([1, 2, 3]);
  });

  it('writes each format atomically and reads it back identically', async () => {
    const records = [{ a: 1, b: 'x,y' }, { a: 2, b: 'z"q' }];
    for (const ext of ['csv', 'json', 'ndjson']) {
      await writeInline({ guard }, { path: `out.${ext}`, records });
      const back = (await run({ source: { path: `out.${ext}`, ...(ext === 'csv' ? { csv: { cast: true } } : {}) } })).records;
      expect(back).toEqual(records);
    }
  });

  it('refuses bad input with E_INPUT_INVALID naming the file: binary, ragged CSV, broken JSON, a line of NDJSON', async () => {
    writeFileSync(join(ws, 'image.csv'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]));
    await expect(run({ source: { path: 'image.csv' } })).rejects.toMatchObject({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/binary/) });
    writeFileSync(join(ws, 'ragged.csv'), 'a,b\n1,2\n3\n');
    await expect(run({ source: { path: 'ragged.csv' } })).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { path: 'ragged.csv' } });
    writeFileSync(join(ws, 'broken.json'), '[{"a":1},{"a":');
    await expect(run({ source: { path: 'broken.json' } })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    writeFileSync(join(ws, 'object.json'), '{"a":1}');
    await expect(run({ source: { path: 'object.json' } })).rejects.toMatchObject({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/array/) });
    writeFileSync(join(ws, 'bad.ndjson'), '{"a":1}\n{oops}\n');
    await expect(run({ source: { path: 'bad.ndjson' } })).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { line: 2 } });
    await expect(run({ source: { path: 'missing.csv' } })).rejects.toMatchObject({ code: 'E_NOT_FOUND', details: { path: 'missing.csv' } });
    await expect(run({ source: { path: '../../etc/passwd', format: 'csv' } })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
  });

  it('a 1 GB sparse file is refused as binary after one chunk, without loading it', async () => {
    const big = join(ws, 'huge.csv');
    closeSync(openSync(big, 'w'));
    await truncate(big, 1024 ** 3);
    const before = process.memoryUsage().rss;
    await expect(run({ source: { path: 'huge.csv' } })).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { offset: 0 } });
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('data_ops: the declarative pipeline', () => {
  it('filter → map → select → sort → limit', async () => {
    const result = await run({
      source: { path: 'sales.csv' },
      steps: [
        { filter: { and: [{ field: 'amount', op: 'gte', value: 5 }, { not: { field: 'region', op: 'eq', value: 'south' } }] } },
        { map: { label: { op: 'concat', args: [{ op: 'upper', args: [{ field: 'region' }] }, { value: '/' }, { field: 'product' }] }, doubled: { op: 'mul', args: [{ field: 'amount' }, { value: 2 }] } } },
        { select: ['label', 'doubled'] },
        { sort: [{ field: 'doubled', order: 'desc' }] },
        { limit: 1 },
      ],
    });
    expect(result.records).toEqual([{ label: 'NORTH/apple', doubled: 20 }]);
  });

  it('group-by with aggregates, then a join, written to a file', async () => {
    const spec = AggregateSpecSchema.parse({
      source: { path: 'sales.csv' },
      groupBy: ['region'],
      aggregate: { total: { op: 'sum', field: 'amount' }, orders: { op: 'count' }, products: { op: 'countDistinct', field: 'product' } },
      sort: [{ field: 'total', order: 'desc' }],
    });
    const grouped = await transform({ guard }, aggregateToTransform(spec));
    expect(grouped.records).toEqual([
      { region: 'north', total: 18, orders: 3, products: 2 },
      { region: 'south', total: 5, orders: 1, products: 1 },
      { region: 'west, far', total: 3, orders: 1, products: 1 },
    ]);
    const joined = await run({ source: { records: grouped.records }, steps: [{ join: { with: { path: 'regions.json' }, on: 'region', type: 'left' } }], output: { path: 'report.ndjson' } });
    expect(joined.count).toBe(3);
    expect(readFileSync(join(ws, 'report.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).manager)).toEqual(['Ann', 'Bo', undefined]);
  });

  it('streams a 200,000-line NDJSON file record by record and aggregates it', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++) lines.push(JSON.stringify({ file: `src/f${i % 50}.ts`, added: i % 7 }));
    writeFileSync(join(ws, 'churn.ndjson'), lines.join('\n'));
    let seen = 0;
    for await (const _ of readRecords(join(ws, 'churn.ndjson'), { format: 'ndjson' })) seen++;
    expect(seen).toBe(200_000);
    const top = await run({ source: { path: 'churn.ndjson' }, steps: [{ groupBy: { keys: ['file'], aggregate: { churn: { op: 'sum', field: 'added' } } } }, { sort: [{ field: 'churn', order: 'desc' }] }, { limit: 3 }] });
    expect(top.records).toHaveLength(3);
    expect(top.records?.[0]).toMatchObject({ file: expect.stringMatching(/^src\/f\d+\.ts$/) });
  });

  it('unnest turns commits with files into one record per file (the hotspot shape)', async () => {
    const commits = [
      { hash: 'a1', files: [{ path: 'src/a.ts', added: 2, deleted: 1 }, { path: 'src/b.ts', added: 1, deleted: 0 }] },
      { hash: 'b2', files: [{ path: 'src/a.ts', added: 5, deleted: 5 }] },
      { hash: 'c3', files: [] },
    ];
    const result = await run({
      source: { records: commits },
      steps: [
        { unnest: { field: 'files' } },
        { map: { churn: { op: 'add', args: [{ field: 'added' }, { field: 'deleted' }] } } },
        { groupBy: { keys: ['path'], aggregate: { churn: { op: 'sum', field: 'churn' }, commits: { op: 'countDistinct', field: 'hash' } } } },
        { sort: [{ field: 'churn', order: 'desc' }] },
      ],
    });
    expect(result.records).toEqual([{ path: 'src/a.ts', churn: 13, commits: 2 }, { path: 'src/b.ts', churn: 1, commits: 1 }]);
    expect((await run({ source: { records: [{ id: 1, tags: ['x', 'y'] }, { id: 2 }] }, steps: [{ unnest: { field: 'tags', as: 'tag', keepEmpty: true } }] })).records).toEqual([
      { id: 1, tag: 'x' },
      { id: 1, tag: 'y' },
      { id: 2, tag: null },
    ]);
  });

  it('rejects specs that are not data: unknown ops, code strings, extra keys', () => {
    expect(() => TransformSchema.parse({ source: { path: 'a.csv' }, steps: [{ map: { x: { op: 'eval', args: [{ value: 'process.exit()' }] } } }] })).toThrow();
    expect(() => TransformSchema.parse({ source: { path: 'a.csv' }, steps: [{ filter: { field: 'a', op: 'eq', value: 1, where: 'x' } }] })).toThrow();
    expect(() => TransformSchema.parse({ source: { path: 'a.csv' }, steps: [{ filter: 'amount > 5' }] })).toThrow();
  });

  it('property: any filter of generated records keeps exactly the records the condition holds for, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ n: fc.integer({ min: -5, max: 5 }), s: fc.constantFrom('a', 'b', 'ab') }), { maxLength: 30 }), fc.integer({ min: -5, max: 5 }), async (records, pivot) => {
        const result = await run({ source: { records }, steps: [{ filter: { or: [{ field: 'n', op: 'gt', value: pivot }, { field: 's', op: 'startsWith', value: 'ab' }] } }] });
        expect(result.records).toEqual(records.filter((r) => r.n > pivot || r.s.startsWith('ab')));
      }),
      { numRuns: 200 },
    );
  });
});
