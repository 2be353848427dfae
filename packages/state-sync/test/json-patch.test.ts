import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@symphony/types';
import { applyJsonPatch, formatPointer, parsePointer, type Json, type JsonPatchOp } from '../src/index.js';

function err(fn: () => unknown): unknown { try { fn(); } catch (e) { return e; } throw new Error('expected a throw'); }

describe('JSON Patch (RFC 6902)', () => {
  it('applies the RFC examples', () => {
    expect(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }])).toEqual({ foo: 'bar', baz: 'qux' });
    expect(applyJsonPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({ foo: ['bar', 'qux', 'baz'] });
    expect(applyJsonPatch({ foo: [1] }, [{ op: 'add', path: '/foo/-', value: 2 }])).toEqual({ foo: [1, 2] });
    expect(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }])).toEqual({ foo: 'bar' });
    expect(applyJsonPatch({ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }]))
      .toEqual({ foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } });
    expect(applyJsonPatch({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }])).toEqual({ foo: ['all', 'cows', 'eat', 'grass'] });
    expect(applyJsonPatch({ 'a/b': { '~c': 1 } }, [{ op: 'replace', path: '/a~1b/~0c', value: 2 }])).toEqual({ 'a/b': { '~c': 2 } });
    expect(applyJsonPatch({ a: 1 }, [{ op: 'copy', from: '/a', path: '/b' }])).toEqual({ a: 1, b: 1 });
  });

  it('is atomic: a failing test leaves the document as it was and names the operation', () => {
    const doc = { n: 1, list: [1, 2] };
    const e = err(() => applyJsonPatch(doc, [{ op: 'replace', path: '/n', value: 2 }, { op: 'test', path: '/n', value: 3 }]));
    expect(hasErrorCode(e, 'E_STATE_TEST_FAILED')).toBe(true);
    expect((e as { details: { index: number } }).details.index).toBe(1);
    expect(doc).toEqual({ n: 1, list: [1, 2] });
  });

  it('rejects paths that do not resolve with E_STATE_PATCH_INVALID and the path', () => {
    for (const op of [
      { op: 'remove', path: '/missing' }, { op: 'replace', path: '/list/5', value: 1 }, { op: 'add', path: '/a/b/c', value: 1 },
      { op: 'add', path: 'no-slash', value: 1 }, { op: 'move', from: '/list', path: '/list/0' }, { op: 'frobnicate', path: '/n' },
    ] as JsonPatchOp[]) {
      const e = err(() => applyJsonPatch({ n: 1, list: [1] }, [op]));
      expect(hasErrorCode(e, 'E_STATE_PATCH_INVALID')).toBe(true);
    }
  });

  it('pointers round trip (property)', () => {
    fc.assert(fc.property(fc.array(fc.string()), (tokens) => {
      expect(parsePointer(formatPointer(tokens))).toEqual(tokens);
    }), { numRuns: 1000 });
  });

  it('never mutates its input, shares untouched branches, and add-then-test holds (property)', () => {
    const json: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
    fc.assert(fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c'), json), fc.constantFrom('a', 'b', 'c', 'd'), json, (doc, key, value) => {
      const before = JSON.stringify(doc);
      const out = applyJsonPatch(doc, [{ op: 'add', path: `/${key}`, value }, { op: 'test', path: `/${key}`, value }]);
      expect(JSON.stringify(doc)).toBe(before);
      for (const k of Object.keys(doc)) if (k !== key) expect(out[k]).toBe(doc[k]);
      expect(out[key]).toEqual(value);
    }), { numRuns: 1000 });
  });
});
