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

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/**
 * Applies `ops` to `doc` atomically and immutably: the input is never changed, untouched branches
 * are shared with the result, and if any operation fails (`E_STATE_PATCH_INVALID`, or
 * `E_STATE_TEST_FAILED` for a `test`) nothing is applied.
 */
export function applyJsonPatch<T = Json>(doc: T, ops: readonly JsonPatchOp[]): T {
  let result = doc as unknown as Json;
  ops.forEach((op, index) => { result = applyOne(result, op, index); });
  return result as unknown as T;
}

function fail(index: number, op: JsonPatchOp, reason: string): never {
  throw stateError('E_STATE_PATCH_INVALID', `JSON Patch operation #${index} (${op.op} ${op.path}) ${reason}`, { index, op: op.op, path: op.path });
}

function applyOne(doc: Json, op: JsonPatchOp, index: number): Json {
  if (typeof op !== 'object' || op === null || typeof op.path !== 'string') {
    throw stateError('E_STATE_PATCH_INVALID', `JSON Patch operation #${index} has no string "path"`, { index });
  }
  const path = parsePointer(op.path);
  switch (op.op) {
    case 'add': return setAt(doc, path, clone(op.value), 'add', index, op);
    case 'replace': return setAt(doc, path, clone(op.value), 'replace', index, op);
    case 'remove': return setAt(doc, path, undefined, 'remove', index, op);
    case 'test':
      if (!deepEqual(getAt(doc, path, index, op), op.value)) {
        throw stateError('E_STATE_TEST_FAILED', `JSON Patch test #${index} failed: the value at ${op.path} is not ${JSON.stringify(op.value)}`, { index, path: op.path });
      }
      return doc;
    case 'move':
    case 'copy': {
      const from = parsePointer(op.from);
      if (op.op === 'move' && from.length < path.length && formatPointer(path.slice(0, from.length)) === op.from) {
        fail(index, op, `cannot move ${op.from} into its own child`);
      }
      const value = getAt(doc, from, index, op);
      const without = op.op === 'move' ? setAt(doc, from, undefined, 'remove', index, op) : doc;
      return setAt(without, path, op.op === 'copy' ? clone(value) : value, 'add', index, op);
    }
    default:
      throw stateError('E_STATE_PATCH_INVALID', `JSON Patch operation #${index} has unknown op "${(op as { op: unknown }).op}"`, { index });
  }
}

/** The value at a pointer; `E_STATE_PATCH_INVALID` when it does not resolve. */
export function getAt(doc: Json, path: readonly string[], index = 0, op?: JsonPatchOp): Json {
  let node: Json = doc;
  for (const token of path) {
    if (Array.isArray(node) && ARRAY_INDEX.test(token) && Number(token) < node.length) node = node[Number(token)]!;
    else if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.prototype.hasOwnProperty.call(node, token)) node = node[token]!;
    else if (op) fail(index, op, `has no value at ${formatPointer(path)}`);
    else throw stateError('E_STATE_PATCH_INVALID', `No value at ${formatPointer(path)}`, { path: formatPointer(path) });
  }
  return node;
}

/** Copy-on-write update along `path`: `value` undefined removes. */
function setAt(doc: Json, path: readonly string[], value: Json | undefined, mode: 'add' | 'replace' | 'remove', index: number, op: JsonPatchOp): Json {
  if (path.length === 0) {
    if (mode === 'remove') fail(index, op, 'cannot remove the whole document');
    return value!;
  }
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(doc)) {
    const last = rest.length === 0;
    const i = head === '-' && last && mode === 'add' ? doc.length : ARRAY_INDEX.test(head) ? Number(head) : -1;
    const bound = last && mode === 'add' ? doc.length : doc.length - 1;
    if (i < 0 || i > bound) fail(index, op, `has array index "${head}" out of range (length ${doc.length})`);
    const copy = doc.slice();
    if (!last) copy[i] = setAt(doc[i]!, rest, value, mode, index, op);
    else if (mode === 'add') copy.splice(i, 0, value!);
    else if (mode === 'remove') copy.splice(i, 1);
    else copy[i] = value!;
    return copy;
  }
  if (doc === null || typeof doc !== 'object') fail(index, op, `goes through a ${doc === null ? 'null' : typeof doc} at "${head}"`);
  const has = Object.prototype.hasOwnProperty.call(doc, head);
  if (rest.length > 0) {
    if (!has) fail(index, op, `has no parent object at "${head}"`);
    return { ...doc, [head]: setAt(doc[head]!, rest, value, mode, index, op) };
  }
  if (mode !== 'add' && !has) fail(index, op, `has no member "${head}" to ${mode}`);
  const copy = { ...doc };
  if (mode === 'remove') delete copy[head];
  else copy[head] = value!;
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
  const ao = a as Record<string, Json>;
  const bo = b as Record<string, Json>;
  const keys = Object.keys(ao);
  return keys.length === Object.keys(bo).length && keys.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual(ao[k]!, bo[k]!));
}

function clone<T extends Json>(value: T): T {
  return value === null || typeof value !== 'object' ? value : (structuredClone(value) as T);
}

/** The paths an operation changes, for path subscriptions. */
export function touchedPaths(op: JsonPatchOp): string[][] {
  if (op.op === 'test') return [];
  if (op.op === 'move') return [parsePointer(op.from), parsePointer(op.path)];
  return [parsePointer(op.path)];
}
