/**
 * 64-bit SimHash by random hyperplanes (Charikar 2002): similar feature vectors (by cosine)
 * get hashes a small Hamming distance apart. Returned as two 32-bit halves.
 */
export function simhash(features: Iterable<[string, number]>): [number, number] {
  const acc = new Float64Array(64);
  for (const [name, value] of features) {
    if (value === 0 || !Number.isFinite(value)) continue;
    // xorshift32 seeded by the feature name: two 32-bit words give this feature's ±1 coordinate
    // on each of the 64 random hyperplanes.
    let h = fnv1a(name);
    for (let word = 0; word < 2; word++) {
      h ^= h << 13;
      h ^= h >>> 17;
      h ^= h << 5;
      const base = word * 32;
      for (let bit = 0; bit < 32; bit++) acc[base + bit]! += (h >>> bit) & 1 ? value : -value;
    }
  }
  let hi = 0;
  let lo = 0;
  for (let bit = 0; bit < 32; bit++) {
    if (acc[bit]! > 0) hi |= 1 << bit;
    if (acc[bit + 32]! > 0) lo |= 1 << bit;
  }
  return [hi >>> 0, lo >>> 0];
}

export function hamming(a: readonly [number, number], b: readonly [number, number]): number {
  return popcount((a[0] ^ b[0]) >>> 0) + popcount((a[1] ^ b[1]) >>> 0);
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 1; // xorshift needs a non-zero seed
}
