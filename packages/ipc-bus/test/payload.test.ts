import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadSize } from '../src/index.js';

describe('payloadSize', () => {
  it('counts every character of a JSON value, and reports over-limit whenever the full size is', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const full = payloadSize(value, Infinity);
        // Every character of every string and key is counted; punctuation is the only slack.
        const chars = textLength(value);
        expect(full).toBeGreaterThanOrEqual(chars);
        const limit = Math.floor(full / 2);
        if (full > 1) expect(payloadSize(value, limit)).toBeGreaterThan(limit);
      }),
      { numRuns: 1_000 },
    );
  });

  it('counts binary data by bytes and shared memory as a handle, and survives cycles', () => {
    expect(payloadSize(new Uint8Array(1_000), Infinity)).toBe(1_000);
    expect(payloadSize({ b: new ArrayBuffer(5_000) }, Infinity)).toBeGreaterThanOrEqual(5_000);
    expect(payloadSize(new SharedArrayBuffer(1 << 20), Infinity)).toBe(8);
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(payloadSize(cyclic, Infinity)).toBeLessThan(100);
  });
});

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + textLength(v), 0);
  if (value && typeof value === 'object') return Object.entries(value).reduce((n, [k, v]) => n + k.length + textLength(v), 0);
  return 0;
}
