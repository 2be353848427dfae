import { vdomError } from './errors.js';
import type { Patch, Path, PropValue, Props, VChild, VirtualNode } from './types.js';

/**
 * Keyed diff from `a` to `b`, as patches such that `applyPatches(a, diff(a, b))` deep-equals `b`.
 * Subtrees shared by identity (`a.children[i] === b.children[i]`) are skipped without a walk, so
 * an immutable update with structural sharing costs time proportional to what changed.
 */
export function diff(a: VirtualNode, b: VirtualNode): Patch[] {
  const out: Patch[] = [];
  if (a.type !== b.type || a.key !== b.key) out.push({ op: 'replace', path: [], node: b });
  else diffNode([], a, b, out);
  return out;
}

function diffNode(path: Path, a: VChild, b: VChild, out: Patch[]): void {
  if (a === b) return;
  if (typeof a === 'string' || typeof b === 'string') {
    // Matching guarantees both are text here; a text node's only content is its string.
    out.push({ op: 'text', path, text: b as string });
    return;
  }
  if (a.props !== b.props) diffProps(path, a.props, b.props, out);
  if (a.children !== b.children) diffChildren(path, a.children, b.children, out);
}

function diffProps(path: Path, a: Props, b: Props, out: Patch[]): void {
  for (const name in b) {
    const value = b[name]!;
    if (!(name in a) || !equalValue(a[name]!, value)) out.push({ op: 'set', path, name, value });
  }
  for (const name in a) if (!(name in b)) out.push({ op: 'unset', path, name });
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
  for (const k of xk) if (!(k in yo) || !equalValue(xo[k]!, yo[k]!)) return false;
  return true;
}

/** Same slot: both text, or elements of one type with one key (both may be unkeyed). */
function sameSlot(x: VChild, y: VChild): boolean {
  if (typeof x === 'string') return typeof y === 'string';
  return typeof y !== 'string' && x.type === y.type && x.key === y.key;
}

function diffChildren(path: Path, a: VChild[], b: VChild[], out: Patch[]): void {
  if (a.length === b.length) {
    let aligned = true;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i] && !sameSlot(a[i]!, b[i]!)) { aligned = false; break; }
    }
    if (aligned) {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diffNode([...path, i], a[i]!, b[i]!, out);
      return;
    }
  }
  reorderChildren(path, a, b, out);
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

function reorderChildren(path: Path, a: VChild[], b: VChild[], out: Patch[]): void {
  const aTokens = slotTokens(a, path);
  const bTokens = slotTokens(b, path);
  const oldIndex = new Map<string, number>();
  aTokens.forEach((t, i) => oldIndex.set(t, i));
  const matched = bTokens.map((t) => oldIndex.get(t) ?? -1);
  const kept = new Set<number>(matched.filter((i) => i >= 0));

  // 1. Remove old children with no counterpart, from the end so earlier indices stay valid.
  for (let i = a.length - 1; i >= 0; i--) if (!kept.has(i)) out.push({ op: 'remove', path, index: i });
  const current = aTokens.filter((_, i) => kept.has(i));

  // 2. Children on the longest increasing run of old positions stay put; every other survivor
  //    moves once and every new child is inserted once, placed right to left before its anchor.
  const stable = longestIncreasing(matched);
  for (let i = b.length - 1; i >= 0; i--) {
    const anchor = i + 1 < b.length ? current.indexOf(bTokens[i + 1]!) : current.length;
    if (matched[i] === -1) {
      out.push({ op: 'insert', path, index: anchor, node: b[i]! });
      current.splice(anchor, 0, bTokens[i]!);
    } else if (!stable.has(i)) {
      const from = current.indexOf(bTokens[i]!);
      current.splice(from, 1);
      const to = from < anchor ? anchor - 1 : anchor;
      if (from !== to) out.push({ op: 'move', path, from, to });
      current.splice(to, 0, bTokens[i]!);
    }
  }

  // 3. Now positions match `b`: diff the matched pairs in place.
  for (let i = 0; i < b.length; i++) {
    const j = matched[i]!;
    if (j >= 0 && a[j] !== b[i]) diffNode([...path, i], a[j]!, b[i]!, out);
  }
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
