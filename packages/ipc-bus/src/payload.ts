/**
 * Estimates how many bytes a value takes on the wire, stopping as soon as it passes `limit`, so
 * the payload cap costs nanoseconds for small messages and never walks a huge one to the end.
 * Strings count one byte per UTF-16 unit, numbers eight; binary data counts its byte length
 * (a SharedArrayBuffer counts as a handle: it crosses to a worker without a copy).
 */
export function payloadSize(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return primitiveSize(value);
  let total = 0;
  const stack: unknown[] = [value];
  // Cycle guard: the root needs only a flag; the set is made once a nested object turns up, so
  // flat payloads allocate nothing.
  let rootDone = false;
  let seen: Set<object> | undefined;
  const firstVisit = (v: object): boolean => {
    if (v === value) return rootDone ? false : (rootDone = true);
    seen ??= new Set<object>();
    if (seen.has(v)) return false;
    seen.add(v);
    return true;
  };
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') {
      total += primitiveSize(v);
    } else if (firstVisit(v)) {
      // Shared memory is shared, not copied: it costs a handle, whatever its size.
      if (v instanceof SharedArrayBuffer) total += 8;
      else if (ArrayBuffer.isView(v)) total += v.buffer instanceof SharedArrayBuffer ? 8 : v.byteLength;
      else if (v instanceof ArrayBuffer) total += v.byteLength;
      else if (Array.isArray(v)) {
        total += 1;
        for (let i = 0; i < v.length; i++) stack.push(v[i]);
      } else if (v instanceof Map) {
        for (const [k, x] of v) stack.push(k, x);
      } else if (v instanceof Set) {
        for (const x of v) stack.push(x);
      } else {
        total += 2;
        for (const key in v) {
          total += key.length;
          stack.push((v as Record<string, unknown>)[key]);
        }
      }
    }
    if (total > limit) return total;
  }
  return total;
}

function primitiveSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length + 1;
    case 'number':
    case 'bigint':
      return 8;
    default:
      return 1;
  }
}
