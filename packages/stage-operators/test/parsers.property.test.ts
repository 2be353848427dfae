import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSymphonyError } from '@symphony/types';
import { checkRevision, readRecords, TransformSchema, writeRecords, type DataFormat, type DataRecord } from '../src/index.js';
import { tempDir } from './helpers.js';

let root: { dir: string; cleanup: () => void };
beforeAll(() => (root = tempDir('symphony-props-')));
afterAll(() => root.cleanup());

async function collect(path: string, format: DataFormat): Promise<DataRecord[]> {
  const out: DataRecord[] = [];
  for await (const r of readRecords(path, { format })) out.push(r);
  return out;
}

const FORMATS: DataFormat[] = ['csv', 'json', 'ndjson'];
let n = 0;

describe('data parsers (property)', () => {
  it('any bytes either parse to records or fail with a coded SymphonyError, never a TypeError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(s))), fc.constantFrom(...FORMATS), async (bytes, format) => {
        const file = join(root.dir, `fuzz-${n++}.${format}`);
        writeFileSync(file, bytes);
        try {
          const records = await collect(file, format);
          for (const r of records) expect(typeof r === 'object' && r !== null && !Array.isArray(r)).toBe(true);
        } catch (error) {
          expect(isSymphonyError(error)).toBe(true);
          expect((error as { code: string }).code).toMatch(/^E_/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('records written in any format read back equal (strings with commas, quotes, newlines, unicode)', async () => {
    const value = fc.string({ maxLength: 20 });
    const recordsArb = fc.array(fc.record({ a: value, b: value, c: value }), { minLength: 1, maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(recordsArb, fc.constantFrom(...FORMATS), async (records, format) => {
        const file = join(root.dir, `round-${n++}.${format}`);
        await writeRecords(file, records, { format });
        expect(await collect(file, format)).toEqual(records);
      }),
      { numRuns: 200 },
    );
  });

  it('any JSON value is either a valid transform spec or rejected by the schema, without throwing anything else', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const result = TransformSchema.safeParse({ source: { path: 'x.csv' }, steps: [value] });
        if (result.success) expect(Array.isArray(result.data.steps)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('git revisions (property)', () => {
  it('nothing that could be read as an option, or split by a shell, is ever accepted', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        let accepted = false;
        try {
          checkRevision(value);
          accepted = true;
        } catch (error) {
          expect((error as { code: string }).code).toBe('E_INPUT_INVALID');
        }
        if (accepted) {
          expect(value.startsWith('-')).toBe(false);
          expect(/[\s;&|`$<>'"\\\0]/.test(value)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (rest) => {
        expect(() => checkRevision(`-${rest}`)).toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
