import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasErrorCode, isSymphonyError } from '@symphony/types';
import { applyJsonPatch, formatPointer, openStateStore, parsePointer, type Json, type JsonPatchOp } from '../src/index.js';

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

  it('copies each container once per patch, yet a copied value and its source stay apart', () => {
    const doc = { a: { n: 1, list: [1] }, z: { keep: true } };
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/a/m', value: 2 }, { op: 'add', path: '/a/list/-', value: 2 },
      { op: 'copy', from: '/a', path: '/b' }, { op: 'add', path: '/b/o', value: 3 }, { op: 'add', path: '/b/list/-', value: 3 },
      { op: 'move', from: '/b', path: '/c' }, { op: 'remove', path: '/c/n' },
    ]) as Record<string, Json>;
    expect(out).toEqual({ a: { n: 1, m: 2, list: [1, 2] }, c: { m: 2, o: 3, list: [1, 2, 3] }, z: { keep: true } });
    expect(doc).toEqual({ a: { n: 1, list: [1] }, z: { keep: true } });
    expect(out.z).toBe(doc.z);
  });

  it('a patch applied at once equals its operations applied one by one; neither input changes (property)', () => {
    const key = fc.constantFrom('a', 'b', '0', '1', '-', '__proto__', 'constructor');
    const pointer = fc.array(key, { minLength: 0, maxLength: 3 }).map((t) => formatPointer(t));
    const json = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
    const op: fc.Arbitrary<JsonPatchOp> = fc.oneof(
      fc.record({ op: fc.constantFrom('add', 'replace', 'test'), path: pointer, value: json }) as fc.Arbitrary<JsonPatchOp>,
      fc.record({ op: fc.constant('remove'), path: pointer }) as fc.Arbitrary<JsonPatchOp>,
      fc.record({ op: fc.constantFrom('move', 'copy'), from: pointer, path: pointer }) as fc.Arbitrary<JsonPatchOp>,
    );
    const doc = fc.dictionary(fc.constantFrom('a', 'b', '0', '__proto__'), fc.oneof(json, fc.array(json, { maxLength: 3 }))) as fc.Arbitrary<Json>;
    fc.assert(fc.property(doc, fc.array(op, { maxLength: 8 }), (d, ops) => {
      const before = JSON.stringify([d, ops]);
      let stepwise: Json | undefined = d;
      try { for (const o of ops) stepwise = applyJsonPatch(stepwise, [o]); } catch { stepwise = undefined; }
      let batch: Json | undefined;
      try { batch = applyJsonPatch(d, ops); } catch (e) { expect(isSymphonyError(e)).toBe(true); batch = undefined; }
      expect(JSON.stringify(batch)).toBe(JSON.stringify(stepwise));
      expect(JSON.stringify([d, ops])).toBe(before);
    }), { numRuns: 2000 });
  });

  it('follows the RFC 6901 grammar: "~" only as ~0 or ~1', () => {
    for (const pointer of ['/~2', '/a~', '/~', '/a/~x/b', '/~~0']) {
      expect(hasErrorCode(err(() => parsePointer(pointer)), 'E_STATE_PATCH_INVALID'), pointer).toBe(true);
      expect(hasErrorCode(err(() => applyJsonPatch({}, [{ op: 'add', path: pointer, value: 1 }])), 'E_STATE_PATCH_INVALID'), pointer).toBe(true);
    }
    expect(parsePointer('/~01/~10/~0~1')).toEqual(['~1', '/0', '~/']);
  });

  it('refuses malformed operations with a code, never a TypeError, and commits nothing', async () => {
    const store = await openStateStore({ initial: [1] });
    for (const ops of [
      [{ op: 'add', path: '/-' }], [{ op: 'replace', path: '/0' }], [{ op: 'test', path: '/0' }], [{ op: 'add', path: '/-', value: undefined }],
      [{ op: 'copy', path: '/-' }], [{ op: 'move', path: '/0' }], [{ op: 'move', from: 7, path: '/0' }], [null], ['add'], [{ path: '/0' }],
      [{ op: 'add', path: '/-', value: () => 1 }], [{ op: 'add', path: '/-', value: { f: () => 1 } }], 'not a list',
      [{ op: 'add', path: '/-', value: NaN }], [{ op: 'add', path: '/-', value: [new Date(0)] }], [{ op: 'add', path: '/-', value: { a: undefined } }],
    ] as unknown as JsonPatchOp[][]) {
      const e = err(() => store.apply(ops));
      expect(hasErrorCode(e, 'E_STATE_PATCH_INVALID'), `${JSON.stringify(ops)}: ${String(e)}`).toBe(true);
    }
    expect(store.revision).toBe(0);
    expect(store.state).toEqual([1]);
  });

  it('member names from data are ordinary keys: __proto__, constructor, toString, hasOwnProperty', () => {
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const doc = {} as Record<string, Json>;
      const out = applyJsonPatch(doc, [
        { op: 'add', path: `/${key}`, value: { polluted: true } },
        { op: 'test', path: `/${key}/polluted`, value: true },
        { op: 'add', path: `/${key}/more`, value: 1 },
      ]) as Record<string, Json>;
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.keys(out)).toEqual([key]);
      expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse(`{"${key}":{"polluted":true,"more":1}}`));
      expect((out as { polluted?: unknown }).polluted).toBeUndefined();
      expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
      // Absent keys that an object inherits do not resolve.
      expect(hasErrorCode(err(() => applyJsonPatch({}, [{ op: 'remove', path: `/${key}` }])), 'E_STATE_PATCH_INVALID')).toBe(true);
      expect(hasErrorCode(err(() => applyJsonPatch({}, [{ op: 'test', path: `/${key}`, value: null }])), 'E_STATE_PATCH_INVALID')).toBe(true);
      const moved = applyJsonPatch(out, [{ op: 'move', from: `/${key}`, path: '/x' }, { op: 'copy', from: '/x', path: `/${key}` }, { op: 'remove', path: '/x' }]);
      expect(JSON.stringify(moved)).toBe(JSON.stringify(out));
    }
  });
});
