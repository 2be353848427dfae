import { vdomError } from './errors.js';
import { jsonLength, nodeLowerBound, stringLength } from './json-size.js';
import type { Patch, Path, PropValue, Props, VChild, VirtualNode } from './types.js';

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/**
 * Keyed diff from `a` to `b`, as patches such that `applyPatches(a, diff(a, b))` deep-equals `b`.
 * Subtrees shared by identity (`a.children[i] === b.children[i]`) are skipped without a walk, so
 * an immutable update with structural sharing costs time proportional to what changed. Where a
 * subtree's patches would be larger (as JSON) than replacing it, it is replaced: the patch list
 * is never larger than `[{ op: 'replace', path: [], node: b }]`. Prop names are own keys only
 * (`toString`, `constructor`, `__proto__` are ordinary names).
 */
export function diff(a: VirtualNode, b: VirtualNode): Patch[] {
  const out: Patch[] = [];
  if (a.type !== b.type || a.key !== b.key) out.push({ op: 'replace', path: [], node: b });
  else diffNode([], 2, a, b, out);
  return out;
}

// The JSON of each patch kind without its fields' values: `{"op":"replace","path":,"node":}`.
// Patches are built below with their fields in this order, so their JSON is exactly this plus
// the values.
const overhead = (patch: Record<string, unknown>): number => JSON.stringify(patch).length - (Object.keys(patch).length - 1);
const OVERHEAD = {
  insert: overhead({ op: 'insert', path: 0, index: 0, node: 0 }),
  remove: overhead({ op: 'remove', path: 0, index: 0 }),
  move: overhead({ op: 'move', path: 0, from: 0, to: 0 }),
  replace: overhead({ op: 'replace', path: 0, node: 0 }),
  set: overhead({ op: 'set', path: 0, name: 0, value: 0 }),
  unset: overhead({ op: 'unset', path: 0, name: 0 }),
  text: overhead({ op: 'text', path: 0, text: 0 }),
} as const;

/**
 * Emits `patch` (whose path's JSON length is `pl`); returns its JSON length plus one (its comma
 * in the list).
 */
function emit(out: Patch[], patch: Patch, pl: number): number {
  out.push(patch);
  const n = pl + 1;
  switch (patch.op) {
    case 'set': return n + OVERHEAD.set + stringLength(patch.name) + jsonLength(patch.value);
    case 'unset': return n + OVERHEAD.unset + stringLength(patch.name);
    case 'text': return n + OVERHEAD.text + stringLength(patch.text);
    case 'insert': return n + OVERHEAD.insert + jsonLength(patch.index) + jsonLength(patch.node);
    case 'remove': return n + OVERHEAD.remove + jsonLength(patch.index);
    case 'move': return n + OVERHEAD.move + jsonLength(patch.from) + jsonLength(patch.to);
    case 'replace': return n + OVERHEAD.replace + jsonLength(patch.node);
  }
}

// What the last diffNode / diffChildren call learnt of the size of its `b` (a lower bound of its
// JSON length; for children, the sum over those that were diffed and the sum of their
// quickBounds), for the caller to read right after it returns. Each level then bounds its own
// size from its children's without walking them again.
let sizeBound = 0;
let diffedBound = 0;
let diffedQuick = 0;

/** Length of `i` in decimal (an index in a path). */
function digits(i: number): number {
  return i < 10 ? 1 : i < 100 ? 2 : i < 1000 ? 3 : i < 10000 ? 4 : String(i).length;
}

/** A lower bound of a child's JSON length from its own fields only: O(1). */
function quickBound(child: VChild): number {
  if (typeof child === 'string') return child.length + 2;
  const key = child.key;
  return 36 + child.type.length + (key === undefined ? 0 : typeof key === 'string' ? 9 + key.length : 8);
}

/** The JSON length of the path of child `i` under `path` (whose length is `pl`). */
const childPathLength = (path: Path, pl: number, i: number): number => pl + digits(i) + (path.length > 0 ? 1 : 0);

/**
 * Diffs one pair; `pl` is the JSON length of `path`. Returns the JSON length of the patches
 * emitted (each plus one for its comma).
 */
function diffNode(path: Path, pl: number, a: VChild, b: VChild, out: Patch[]): number {
  if (typeof a === 'string' || typeof b === 'string') {
    // Matching guarantees both are text here; a text node's only content is its string. A text
    // patch is always shorter than a replace of the same string.
    sizeBound = quickBound(b);
    return a === b ? 0 : emit(out, { op: 'text', path, text: b as string }, pl);
  }
  if (a === b) { sizeBound = quickBound(b); return 0; }
  const start = out.length;
  let bytes = 0;
  if (a.props !== b.props) bytes += diffProps(path, pl, a.props, b.props, out);
  let diffed = 0;
  let diffedQuickSum = 0;
  if (a.children !== b.children) {
    bytes += diffChildren(path, pl, a.children, b.children, out);
    diffed = diffedBound;
    diffedQuickSum = diffedQuick;
  }
  const own = quickBound(b);
  if (bytes === 0) { sizeBound = own; return 0; }
  // Replacing this subtree costs OVERHEAD.replace + path + node + 1: fall back to it when the
  // node is shorter than what its patches leave. Bounds first (this node's fields plus what its
  // children's diffs learnt; then with the other children's fields; then a walk of the shape),
  // then an exact walk of at most `limit` characters.
  const limit = bytes - 1 - OVERHEAD.replace - pl;
  if (limit <= 0) { sizeBound = own; return bytes; }
  let bound = own + diffed;
  if (bound < limit) bound += childrenQuickBound(b.children) - diffedQuickSum;
  if (bound >= limit || nodeLowerBound(b, limit) >= limit) { sizeBound = Math.max(bound, limit); return bytes; }
  const size = jsonLength(b, limit);
  if (size >= limit) { sizeBound = limit; return bytes; }
  out.length = start;
  sizeBound = size;
  return emit(out, { op: 'replace', path, node: b }, pl);
}

function childrenQuickBound(children: VChild[]): number {
  let n = children.length > 0 ? children.length - 1 : 0;
  for (const child of children) n += quickBound(child);
  return n;
}

function diffProps(path: Path, pl: number, a: Props, b: Props, out: Patch[]): number {
  let bytes = 0;
  // for-in with an own-property check: no key arrays, and inherited names are never props.
  for (const name in b) {
    if (!hasOwn(b, name)) continue;
    const value = b[name]!;
    if (!hasOwn(a, name) || !equalValue(a[name]!, value)) bytes += emit(out, { op: 'set', path, name, value }, pl);
  }
  for (const name in a) if (hasOwn(a, name) && !hasOwn(b, name)) bytes += emit(out, { op: 'unset', path, name }, pl);
  return bytes;
}

/** Structural equality for prop values (plain JSON). */
export function equalValue(x: PropValue, y: PropValue): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!equalValue(x[i]!, y[i]!)) return false;
    return true;
  }
  if (Array.isArray(y)) return false;
  const xo = x as Record<string, PropValue>;
  const yo = y as Record<string, PropValue>;
  const xk = Object.keys(xo);
  if (xk.length !== Object.keys(yo).length) return false;
  for (const k of xk) if (!hasOwn(yo, k) || !equalValue(xo[k]!, yo[k]!)) return false;
  return true;
}

/** Same slot: both text, or elements of one type with one key (both may be unkeyed). */
function sameSlot(x: VChild, y: VChild): boolean {
  if (typeof x === 'string') return typeof y === 'string';
  return typeof y !== 'string' && x.type === y.type && x.key === y.key;
}

function diffChildren(path: Path, pl: number, a: VChild[], b: VChild[], out: Patch[]): number {
  if (a.length === b.length) {
    let aligned = true;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i] && !sameSlot(a[i]!, b[i]!)) { aligned = false; break; }
    }
    if (aligned) {
      let bytes = 0;
      let bound = 0;
      let quick = 0;
      for (let i = 0; i < a.length; i++) {
        if (a[i] === b[i]) continue;
        bytes += diffNode([...path, i], childPathLength(path, pl, i), a[i]!, b[i]!, out);
        bound += sizeBound;
        quick += quickBound(b[i]!);
      }
      diffedBound = bound;
      diffedQuick = quick;
      return bytes;
    }
  }
  return reorderChildren(path, pl, a, b, out);
}

/**
 * Identity of a child among its siblings: keyed elements by type + key; unkeyed ones by their
 * order among unkeyed siblings of the same type (text counts as one type).
 */
function slotTokens(children: VChild[], path: Path): string[] {
  const seen = new Set<string>();
  const ordinals = new Map<string, number>();
  return children.map((child) => {
    let token: string;
    if (typeof child !== 'string' && child.key !== undefined) {
      token = `k\u0000${child.type}\u0000${typeof child.key}\u0000${child.key}`;
      if (seen.has(token)) {
        throw vdomError('E_VDOM_DUPLICATE_KEY', `Two ${child.type} siblings share the key ${JSON.stringify(child.key)} under path [${path.join(', ')}]`, {
          path, key: child.key, type: child.type,
        });
      }
    } else {
      const kind = typeof child === 'string' ? '#text' : child.type;
      const n = ordinals.get(kind) ?? 0;
      ordinals.set(kind, n + 1);
      token = `u\u0000${kind}\u0000${n}`;
    }
    seen.add(token);
    return token;
  });
}

function reorderChildren(path: Path, pl: number, a: VChild[], b: VChild[], out: Patch[]): number {
  let bytes = 0;
  const aTokens = slotTokens(a, path);
  const bTokens = slotTokens(b, path);
  const oldIndex = new Map<string, number>();
  aTokens.forEach((t, i) => oldIndex.set(t, i));
  const matched = bTokens.map((t) => oldIndex.get(t) ?? -1);
  const kept = new Set<number>(matched.filter((i) => i >= 0));

  // 1. Remove old children with no counterpart, from the end so earlier indices stay valid.
  for (let i = a.length - 1; i >= 0; i--) if (!kept.has(i)) bytes += emit(out, { op: 'remove', path, index: i }, pl);
  const current = aTokens.filter((_, i) => kept.has(i));

  // 2. Children on the longest increasing run of old positions stay put; every other survivor
  //    moves once and every new child is inserted once, placed right to left before its anchor.
  const stable = longestIncreasing(matched);
  for (let i = b.length - 1; i >= 0; i--) {
    const anchor = i + 1 < b.length ? current.indexOf(bTokens[i + 1]!) : current.length;
    if (matched[i] === -1) {
      bytes += emit(out, { op: 'insert', path, index: anchor, node: b[i]! }, pl);
      current.splice(anchor, 0, bTokens[i]!);
    } else if (!stable.has(i)) {
      const from = current.indexOf(bTokens[i]!);
      current.splice(from, 1);
      const to = from < anchor ? anchor - 1 : anchor;
      if (from !== to) bytes += emit(out, { op: 'move', path, from, to }, pl);
      current.splice(to, 0, bTokens[i]!);
    }
  }

  // 3. Now positions match `b`: diff the matched pairs in place.
  let bound = 0;
  let quick = 0;
  for (let i = 0; i < b.length; i++) {
    const j = matched[i]!;
    if (j < 0 || a[j] === b[i]) continue;
    bytes += diffNode([...path, i], childPathLength(path, pl, i), a[j]!, b[i]!, out);
    bound += sizeBound;
    quick += quickBound(b[i]!);
  }
  diffedBound = bound;
  diffedQuick = quick;
  return bytes;
}

/** Positions (in `seq`) of a longest strictly increasing subsequence of its non-negative entries. */
function longestIncreasing(seq: number[]): Set<number> {
  const tails: number[] = []; // tails[k]: position in seq of the smallest tail of a run of length k+1
  const prev = new Array<number>(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    const v = seq[i]!;
    if (v < 0) continue;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]!]! < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
  }
  const result = new Set<number>();
  let k = tails.length ? tails[tails.length - 1]! : -1;
  while (k >= 0) { result.add(k); k = prev[k]!; }
  return result;
}
