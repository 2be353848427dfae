// The public json-patch-tests suite (github.com/json-patch/json-patch-tests, Apache-2.0), read at
// test time from ../shared/conformance-data beside the repository: never copied into it.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isSymphonyError } from '@symphony/types';
import { conformanceDataDir } from './conformance-data.js';
import { applyJsonPatch, openStateStore, type Json, type JsonPatchOp } from '../src/index.js';

const dataDir = conformanceDataDir() ?? '../shared/conformance-data';
const FILES = ['json-patch-tests.json', 'json-patch-spec_tests.json'];
const present = FILES.every((f) => existsSync(resolve(dataDir, f)));

interface Case { comment?: string; doc: Json; patch: JsonPatchOp[]; expected?: Json; error?: string; disabled?: boolean }

// Cases the suite marks `disabled` are run too, except those whose point is a JSON text with a
// duplicate member ("two 'op' members"): once parsed, the duplicate is gone, so no API that takes
// parsed objects can see it.
const unrepresentable = (c: Case): boolean => c.disabled === true && /two 'op' members/.test(c.error ?? '');

const cases: Array<[string, Case]> = present
  ? FILES.flatMap((file) => (JSON.parse(readFileSync(resolve(dataDir, file), 'utf8')) as Case[])
    .map((c, i): [string, Case] => [`${file} #${i}: ${c.comment ?? c.error ?? JSON.stringify(c.patch)}`, c]))
  : [];

describe.skipIf(!present)('RFC 6902 conformance: json-patch-tests', () => {
  it('has the whole suite', () => {
    expect(cases.length).toBe(112);
    expect(cases.filter(([, c]) => !c.disabled)).toHaveLength(108);
  });

  it.each(cases.filter(([, c]) => !unrepresentable(c)))('%s', (_name, c) => {
    const before = JSON.stringify(c.doc);
    const patchBefore = JSON.stringify(c.patch);
    let out: Json | undefined;
    let error: unknown;
    try { out = applyJsonPatch(c.doc, c.patch); } catch (e) { error = e; }
    if (c.error !== undefined) {
      expect(error, `must fail: ${c.error}`).toBeDefined();
      expect(isSymphonyError(error) && /^E_STATE_(PATCH_INVALID|TEST_FAILED)$/.test(error.code), String(error)).toBe(true);
    } else {
      expect(error).toBeUndefined();
      if ('expected' in c) expect(isDeepStrictEqual(out, c.expected), JSON.stringify(out)).toBe(true);
    }
    expect(JSON.stringify(c.doc)).toBe(before);
    expect(JSON.stringify(c.patch)).toBe(patchBefore);
  });

  it('a store commits no revision for a patch the suite says must fail', async () => {
    const store = await openStateStore({ initial: [1] });
    for (const [, c] of cases.filter(([, x]) => x.error !== undefined && !unrepresentable(x))) {
      expect(() => store.apply(c.patch)).toThrow();
    }
    expect(store.revision).toBe(0);
    expect(store.state).toEqual([1]);
  });
});

describe.runIf(!present)('RFC 6902 conformance (skipped)', () => {
  it(`skips: the public suite is not at ../shared/conformance-data beside the repository (nor SYMPHONY_CONFORMANCE_DATA); it is never copied into the repository`, () => {
    expect(present).toBe(false);
  });
});
