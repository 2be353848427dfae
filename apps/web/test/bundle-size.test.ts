import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { BUDGET_KIB, firstScreenJs } from '../scripts/check-size.mjs';
import { appDir, ensureBuilt } from './helpers.js';

describe('bundle size', () => {
  it(`the first screen loads at most ${120} KiB of gzipped JavaScript; pages and Radix load on demand`, async () => {
    await ensureBuilt();
    const { files, totalGzip } = firstScreenJs(`${appDir}/dist`) as { files: Array<{ file: string; gzip: number }>; totalGzip: number };
    expect(BUDGET_KIB).toBe(120);
    expect(totalGzip).toBeLessThanOrEqual(BUDGET_KIB * 1024);
    // The lazy parts really are separate: none of the first screen's files is the Radix chunk.
    expect(files.some((f) => /radix/.test(f.file))).toBe(false);
  });
});
