import { beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { isSymphonyError } from '@symphony/types';
import { readPackage, type PackResult } from '@symphony/sdk';
import { generateKeyPair, packFixture, tempDir } from './helpers.js';

const CODES = new Set(['E_PACKAGE_INVALID', 'E_INTEGRITY_MISMATCH', 'E_SIGNATURE_INVALID', 'E_MANIFEST_INVALID', 'E_KEY_INVALID']);
let pack: PackResult;
let tar: Buffer;

beforeAll(async () => {
  pack = await packFixture(await tempDir('prop'), { id: 'acme.prop', version: '1.0.0', description: 'property test subject' }, generateKeyPair());
  tar = gunzipSync(pack.tarball);
});

/** Either the exact signed content comes back, or a coded refusal: never a TypeError, never altered bytes. */
async function check(bytes: Buffer): Promise<void> {
  try {
    const pkg = await readPackage(bytes);
    expect(pkg.id).toBe('acme.prop');
    for (const file of pack.files) expect(pkg.contents.get(file.path)?.length).toBe(file.size);
    expect([...pkg.contents.keys()].sort()).toEqual(pack.files.map((f) => f.path).sort());
  } catch (error) {
    if (!isSymphonyError(error) || !CODES.has(error.code)) throw error;
  }
}

describe('readPackage on hostile input (fast-check)', () => {
  it('byte flips, truncations and appended junk in the gzipped tarball', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'truncate', 'append'), async (at, value, how) => {
        const pos = at % pack.tarball.length;
        let bytes = Buffer.from(pack.tarball);
        if (how === 'flip') bytes[pos] = (bytes[pos] as number) ^ value;
        else if (how === 'truncate') bytes = bytes.subarray(0, pos);
        else bytes = Buffer.concat([bytes, Buffer.alloc(value, value)]);
        await check(bytes);
      }),
      { numRuns: 400 },
    );
  });

  it('edits inside the uncompressed tar (headers, names, file bodies), re-gzipped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (edits) => {
        const bytes = Buffer.from(tar);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        await check(gzipSync(bytes));
      }),
      { numRuns: 600 },
    );
  });

  it('arbitrary bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (data) => check(Buffer.from(data))), { numRuns: 300 });
  });
});
