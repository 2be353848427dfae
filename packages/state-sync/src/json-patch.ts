import { stateError } from './errors.js';
import { formatPointer, parsePointer } from './pointer.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One RFC 6902 operation. */
export type JsonPatchOp =
  | { op: 'add'; path: string; value: Json }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: Json }
  | { op: 'move'; from: string; path: string }
  | { op: 'copy'; from: string; path: string }
  | { op: 'test'; path: string; value: Json };

type JsonObject = { [key: string]: Json };

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;
const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * Sets an own data property. Plain assignment of `__proto__` would change the object's prototype
 * instead of adding a member; keys that come from data always go through here.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/**
 * Applies `ops` to `doc` atomically and immutably: the input (document and operations) is never
 * changed, untouched branches are shared with the result, and if any operation fails
 * (`E_STATE_PATCH_INVALID`, or `E_STATE_TEST_FAILED` for a `test`) nothing is applied. Passes
 * every case of the public json-patch-tests suite; member names such as `__proto__` are ordinary
 * keys.
 */
export function applyJsonPatch<T = Json>(doc: T, ops: readonly JsonPatchOp[]): T {
  if (!Array.isArray(ops)) throw stateError('E_STATE_PATCH_INVALID', 'A JSON Patch must be an array of operations', {});
  // Containers copied during this call belong to the result only: later operations of the same
  // patch change them in place instead of copying them again.
  const owned = new Set<object>();
  let result = doc as unknown as Json;
  for (let index = 0; index < ops.length; index++) result = applyOne(result, ops[index]!, index, owned);
  return result as unknown as T;
}

function fail(index: number, op: JsonPatchOp, reason: string): never {
  throw stateError('E_STATE_PATCH_INVALID', `JSON Patch operation #${index} (${op.op} ${op.path}) ${reason}`, { index, op: op.op, path: op.path });
}

function malformed(index: number, reason: string, op?: unknown): never {
  const o = (typeof op === 'object' && op !== null ? op : {}) as { op?: unknown; path?: unknown };
  throw stateError('E_STATE_PATCH_INVALID', `JSON Patch operation #${index} ${reason}`, {
    index, ...(typeof o.op === 'string' ? { op: o.op } : {}), ...(typeof o.path === 'string' ? { path: o.path } : {}),
  });
}

/** The operation's `value`: it must be present (RFC 6902 §4) and plain JSON; it is copied. */
function valueOf(op: JsonPatchOp, index: number): Json {
  if (!hasOwn(op, 'value') || (op as { value?: unknown }).value === undefined) malformed(index, `(${op.op} ${op.path}) has no "value"`, op);
  const value = cloneJson((op as { value: unknown }).value, 0);
  if (value === NOT_JSON) malformed(index, `(${op.op} ${op.path}) has a value that is not JSON (a function, undefined, a class instance, or nested deeper than ${MAX_DEPTH})`, op);
  return value;
}

const NOT_JSON = Symbol('not JSON');
const MAX_DEPTH = 1000;

/** A deep copy of plain JSON (members named `__proto__` stay ordinary keys), or NOT_JSON. */
function cloneJson(value: unknown, depth: number): Json | typeof NOT_JSON {
  if (value === null) return null;
  switch (typeof value) {
    case 'string': case 'boolean': return value;
    case 'number': return Number.isFinite(value) ? value : NOT_JSON;
    case 'object': break;
    default: return NOT_JSON;
  }
  if (depth >= MAX_DEPTH) return NOT_JSON;
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = cloneJson(value[i], depth + 1);
      if (item === NOT_JSON) return NOT_JSON;
      out.push(item);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return NOT_JSON;
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const item = cloneJson((value as Record<string, unknown>)[key], depth + 1);
    if (item === NOT_JSON) return NOT_JSON;
    setOwn(out, key, item);
  }
  return out;
}

function fromOf(op: JsonPatchOp, index: number): string[] {
  const from = (op as { from?: unknown }).from;
  if (typeof from !== 'string') malformed(index, `(${op.op} ${op.path}) has no string "from"`, op);
  return parsePointer(from);
}

function applyOne(doc: Json, op: JsonPatchOp, index: number, owned: Set<object>): Json {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) malformed(index, 'is not an object', op);
  if (typeof op.op !== 'string') malformed(index, 'has no string "op"', op);
  if (typeof op.path !== 'string') malformed(index, 'has no string "path"', op);
  switch (op.op) {
    case 'add': return setAt(doc, parsePointer(op.path), 0, valueOf(op, index), 'add', index, op, owned);
    case 'replace': return setAt(doc, parsePointer(op.path), 0, valueOf(op, index), 'replace', index, op, owned);
    case 'remove': return setAt(doc, parsePointer(op.path), 0, undefined, 'remove', index, op, owned);
    case 'test': {
      const expected = valueOf(op, index);
      if (!deepEqual(getAt(doc, parsePointer(op.path), index, op), expected)) {
        throw stateError('E_STATE_TEST_FAILED', `JSON Patch test #${index} failed: the value at ${op.path} is not ${JSON.stringify(expected)}`, { index, path: op.path });
      }
      return doc;
    }
    case 'move':
    case 'copy': {
      const from = fromOf(op, index);
      const path = parsePointer(op.path);
      if (op.op === 'move' && from.length < path.length && from.every((t, i) => t === path[i])) {
        fail(index, op, `cannot move ${op.from} into its own child`);
      }
      const value = getAt(doc, from, index, op);
      const without = op.op === 'move' ? setAt(doc, from, 0, undefined, 'remove', index, op, owned) : doc;
      // A copy shares the value with its source: from here on, neither may change in place.
      if (op.op === 'copy') disown(value, owned);
      return setAt(without, path, 0, value, 'add', index, op, owned);
    }
    default:
      return malformed(index, `has unknown op ${JSON.stringify((op as { op: unknown }).op)}`, op);
  }
}

/** The value at a pointer; `E_STATE_PATCH_INVALID` when it does not resolve. */
export function getAt(doc: Json, path: readonly string[], index = 0, op?: JsonPatchOp): Json {
  let node: Json = doc;
  for (const token of path) {
    if (Array.isArray(node)) {
      if (ARRAY_INDEX.test(token) && Number(token) < node.length) { node = node[Number(token)]!; continue; }
    } else if (node !== null && typeof node === 'object' && hasOwn(node, token)) {
      node = node[token]!;
      continue;
    }
    if (op) fail(index, op, `has no value at ${formatPointer(path)}`);
    throw stateError('E_STATE_PATCH_INVALID', `No value at ${formatPointer(path)}`, { path: formatPointer(path) });
  }
  return node;
}

/**
 * Copy-on-write update of `path` from token `depth` on (`value` undefined removes): containers
 * on the path are copied once per patch (then `owned`), everything else is shared.
 */
function setAt(doc: Json, path: readonly string[], depth: number, value: Json | undefined, mode: 'add' | 'replace' | 'remove', index: number, op: JsonPatchOp, owned: Set<object>): Json {
  if (depth === path.length) {
    if (mode === 'remove') fail(index, op, 'cannot remove the whole document');
    return value!;
  }
  const head = path[depth]!;
  const last = depth === path.length - 1;
  if (Array.isArray(doc)) {
    const i = head === '-' && last && mode === 'add' ? doc.length : ARRAY_INDEX.test(head) ? Number(head) : -1;
    const bound = last && mode === 'add' ? doc.length : doc.length - 1;
    if (i < 0 || i > bound) fail(index, op, `has array index "${head}" out of range (length ${doc.length})`);
    const copy = owned.has(doc) ? doc : ownedCopy(doc.slice(), owned);
    if (!last) copy[i] = setAt(doc[i]!, path, depth + 1, value, mode, index, op, owned);
    else if (mode === 'add') copy.splice(i, 0, value!);
    else if (mode === 'remove') copy.splice(i, 1);
    else copy[i] = value!;
    return copy;
  }
  if (doc === null || typeof doc !== 'object') fail(index, op, `goes through a ${doc === null ? 'null' : typeof doc} at "${head}"`);
  const has = hasOwn(doc, head);
  if (!last) {
    if (!has) fail(index, op, `has no parent object at "${head}"`);
    const child = setAt(doc[head]!, path, depth + 1, value, mode, index, op, owned);
    const copy = owned.has(doc) ? doc : ownedCopy(copyObject(doc), owned);
    setOwn(copy, head, child);
    return copy;
  }
  if (mode !== 'add' && !has) fail(index, op, `has no member "${head}" to ${mode}`);
  const copy = owned.has(doc) ? doc : ownedCopy(copyObject(doc), owned);
  if (mode === 'remove') delete copy[head];
  else setOwn(copy, head, value);
  return copy;
}

/**
 * A shallow copy of a plain object. Spread is a memcpy while its call site sees few shapes, but a
 * store's documents soon make it megamorphic, and then spreading a 1,000-member object costs
 * ~400 µs (each member added grows the copy's property array). Large objects are copied into a
 * dictionary-mode object instead (~40-100 µs): hash inserts, no O(n²) growth.
 */
function copyObject(doc: JsonObject): JsonObject {
  const keys = Object.keys(doc);
  if (keys.length <= LARGE_OBJECT) return { ...doc };
  // Deleting a member other than the last added turns an object into dictionary mode (deleting
  // the last one would only step back to the previous shape).
  const copy: JsonObject = { seed0: null, seed1: null };
  delete copy.seed0;
  delete copy.seed1;
  for (let i = 0; i < keys.length; i++) setOwn(copy, keys[i]!, doc[keys[i]!]);
  return copy;
}
const LARGE_OBJECT = 64;

/**
 * Gives up in-place rights over `value` and its owned descendants. A container is only ever
 * owned when its parent on the result's path is, so the walk stops at the first one not owned.
 */
function disown(value: Json, owned: Set<object>): void {
  if (value === null || typeof value !== 'object' || !owned.delete(value)) return;
  if (Array.isArray(value)) for (const child of value) disown(child, owned);
  else for (const key of Object.keys(value)) disown(value[key]!, owned);
}

function ownedCopy<C extends object>(copy: C, owned: Set<object>): C {
  owned.add(copy);
  return copy;
}

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as Json[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]!));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => hasOwn(bo, k) && deepEqual(ao[k]!, bo[k]!));
}

/** The paths an operation changes, for path subscriptions. */
export function touchedPaths(op: JsonPatchOp): string[][] {
  if (op.op === 'test') return [];
  if (op.op === 'move') return [parsePointer(op.from), parsePointer(op.path)];
  return [parsePointer(op.path)];
}
