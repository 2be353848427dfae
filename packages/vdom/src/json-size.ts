/**
 * Length of `JSON.stringify(value)` (in UTF-16 code units, as `.length` counts), computed without
 * building the string. With `limit`, the walk stops as soon as the count reaches it and returns a
 * number ≥ `limit`: asking "is this subtree smaller than n?" costs O(n), not O(subtree).
 * Handles what trees and patches hold: plain objects, arrays, strings, numbers, booleans, null;
 * object members whose value is undefined are skipped, as JSON.stringify does.
 */
export function jsonLength(value: unknown, limit = Infinity): number {
  switch (typeof value) {
    case 'string': return stringLength(value);
    case 'number': return numberLength(value);
    case 'boolean': return value ? 4 : 5;
    default: break;
  }
  counted = 0;
  cap = limit;
  walk(value);
  return counted;
}

let counted = 0;
let cap = Infinity;

// Characters JSON.stringify escapes: quote, backslash, controls, and lone surrogates.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

export function stringLength(s: string): number {
  if (s.length > 24) return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).length : s.length + 2;
  // Short strings (prop names, most values): a loop beats a RegExp call.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s).length;
  }
  return s.length + 2;
}

function numberLength(n: number): number {
  if (n >= 0 && n < 1000 && Number.isInteger(n)) return n < 10 ? 1 : n < 100 ? 2 : 3;
  if (Number.isInteger(n) && n >= 0 && n < 1e15) {
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    return digits;
  }
  return Number.isFinite(n) ? String(Object.is(n, -0) ? 0 : n).length : 4; // null
}

function walk(value: unknown): void {
  if (counted >= cap) return;
  switch (typeof value) {
    case 'string': counted += stringLength(value); return;
    case 'number': counted += numberLength(value); return;
    case 'boolean': counted += value ? 4 : 5; return;
    case 'object': break;
    default: counted += 4; return; // undefined/function inside an array: "null"
  }
  if (value === null) { counted += 4; return; }
  if (Array.isArray(value)) {
    counted += value.length === 0 ? 2 : 1 + value.length; // brackets and commas
    for (let i = 0; i < value.length && counted < cap; i++) walk(value[i]);
    return;
  }
  const record = value as Record<string, unknown>;
  counted += 1; // {
  let members = 0;
  for (const key of Object.keys(record)) {
    const member = record[key];
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    counted += stringLength(key) + 1 + (members++ > 0 ? 1 : 0); // "key": and a comma before it
    walk(member);
    if (counted >= cap) return;
  }
  counted += 1; // }
}

// `{"type":"","props":{},"children":[]}`: the shortest element, before its type and key.
const EMPTY_ELEMENT = 36;

/**
 * A lower bound of `jsonLength(node)` that reads only types, keys, text and the shape of the
 * tree (no props, no escapes, no allocation), stopping once it reaches `limit`: a cheap first
 * answer to "is this subtree shorter than n?".
 */
export function nodeLowerBound(node: unknown, limit: number): number {
  if (typeof node === 'string') return node.length + 2;
  const element = node as { type: string; key?: string | number; children: unknown[] };
  let n = EMPTY_ELEMENT + element.type.length;
  if (element.key !== undefined) n += typeof element.key === 'string' ? 9 + element.key.length : 8;
  const children = element.children;
  if (children.length > 0) n += children.length - 1;
  for (let i = 0; i < children.length && n < limit; i++) n += nodeLowerBound(children[i], limit - n);
  return n;
}
