/** Names every plain object answers to: never valid as an id, version, tag or publisher. */
export const PROTO_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** `record[key]` only when the key is the record's own: `constructor` or `__proto__` never reach the prototype. */
export function own<T>(record: Readonly<Record<string, T>> | undefined | null, key: string): T | undefined {
  return record && typeof record === 'object' && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A plain-data record without a prototype, filled from trusted entries only. */
export function nullRecord<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** `JSON.stringify` with object keys sorted at every depth: one text per value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? nullRecord(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]] as const)) : v,
  );
}
