import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level: one byte sequence per value. Same output as
 * `JSON.stringify` with sorted keys (undefined and functions dropped from objects, `null` in
 * arrays, `toJSON` honoured), written by hand because a sorting replacer costs 3-4× more.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

function write(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt is not JSON');
    case 'object': {
      if (v === null) return 'null';
      const withJson = v as { toJSON?: () => unknown };
      if (typeof withJson.toJSON === 'function') return write(withJson.toJSON());
      if (Array.isArray(v)) {
        // Feature vectors: all finite numbers, which JSON.stringify writes natively and identically.
        let numeric = true;
        for (let i = 0; i < v.length && numeric; i++) numeric = typeof v[i] === 'number' && Number.isFinite(v[i]);
        if (numeric) return JSON.stringify(v);
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + (write(v[i]) ?? 'null');
        return out + ']';
      }
      const obj = v as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const key of Object.keys(obj).sort()) {
        const s = write(obj[key]);
        if (s === undefined) continue;
        out += (first ? '' : ',') + JSON.stringify(key) + ':' + s;
        first = false;
      }
      return out + '}';
    }
    default:
      return undefined; // undefined, functions, symbols: dropped like JSON.stringify does
  }
}

/**
 * An object's canonical JSON from already-canonical member texts, keys given in sorted order
 * (members whose text is `undefined` are dropped, as `canonicalJson` would).
 */
export function canonicalObject(members: readonly (readonly [string, string | undefined])[]): string {
  let out = '{';
  let first = true;
  for (const [key, text] of members) {
    if (text === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + text;
    first = false;
  }
  return out + '}';
}

/** Canonical text of one member value (`undefined` when JSON would drop it). */
export function canonicalMember(value: unknown): string | undefined {
  return write(value);
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
