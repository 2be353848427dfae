import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/index.js';

/** The same value with every object's keys inserted in reverse order. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reversed((v as Record<string, unknown>)[k])]));
}

describe('canonicalJson', () => {
  it('is valid JSON of the same value, whatever the key insertion order (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
        expect(canonicalJson(reversed(v))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('sorts keys at every level and drops what JSON drops', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: undefined }, undefined], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,{"z":0},null]},"b":1}');
    expect(canonicalJson({ '0': 1, '': 2, b: Number.NaN, f: () => 1 })).toBe('{"":2,"0":1,"b":null}');
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });
});
