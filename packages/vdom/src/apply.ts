import { vdomError } from './errors.js';
import { setOwn } from './own.js';
import type { Patch, VChild, VirtualNode } from './types.js';

export interface ApplyOptions {
  /**
   * Throw `E_VDOM_PATCH_TARGET` when a patch targets a missing node. Off by default: a late
   * update for a node that was already removed is dropped (and reported to `onDropped`) instead
   * of raising one error per patch.
   */
  strict?: boolean;
  onDropped?: (patch: Patch, reason: string) => void;
}

/**
 * Applies patches without touching `tree`: nodes on the patched paths are copied once per call,
 * everything else is shared with the input (so the result diffs cheaply against the next one).
 */
export function applyPatches(tree: VirtualNode, patches: readonly Patch[], options: ApplyOptions = {}): VirtualNode {
  const owned = new WeakSet<object>(); // nodes copied during this call: safe to mutate in place
  const own = (node: VirtualNode): VirtualNode => {
    if (owned.has(node)) return node;
    // Spread keeps the input's field order, so a patched tree serializes like a fresh one.
    const copy: VirtualNode = { ...node, props: { ...node.props }, children: node.children.slice() };
    owned.add(copy);
    return copy;
  };
  let root = tree;

  const drop = (patch: Patch, reason: string): void => {
    if (options.strict) throw vdomError('E_VDOM_PATCH_TARGET', `Patch ${patch.op} at [${patch.path.join(', ')}] ${reason}`, { path: patch.path, op: patch.op });
    options.onDropped?.(patch, reason);
  };

  /** Copies the chain of nodes down to `path` and returns the (owned) target, or undefined. */
  const reach = (patch: Patch): VirtualNode | undefined => {
    const path = patch.path;
    root = own(root);
    let node = root;
    for (let depth = 0; depth < path.length; depth++) {
      const index = path[depth]!;
      const child = node.children[index];
      if (child === undefined || typeof child === 'string') return undefined;
      const copy = own(child);
      node.children[index] = copy;
      node = copy;
    }
    return node;
  };

  for (const patch of patches) {
    const malformed = malformedReason(patch);
    if (malformed) { drop(patch, malformed); continue; }
    if (patch.op === 'replace' || patch.op === 'text') {
      const next: VChild = patch.op === 'replace' ? patch.node : patch.text;
      if (patch.path.length === 0) {
        if (typeof next === 'string') { drop(patch, 'would make the root a text node'); continue; }
        root = next;
        continue;
      }
      const parent = reach({ ...patch, path: patch.path.slice(0, -1) });
      const index = patch.path[patch.path.length - 1]!;
      if (!parent || index >= parent.children.length) { drop(patch, 'targets a node that does not exist'); continue; }
      if (patch.op === 'text' && typeof parent.children[index] !== 'string') { drop(patch, 'targets an element, not text'); continue; }
      parent.children[index] = next;
      continue;
    }
    const node = reach(patch);
    if (!node) { drop(patch, 'targets a node that does not exist'); continue; }
    switch (patch.op) {
      case 'set': setOwn(node.props, patch.name, patch.value); break;
      case 'unset': delete node.props[patch.name]; break;
      case 'insert':
        if (patch.index > node.children.length) { drop(patch, `inserts past the end (${node.children.length} children)`); break; }
        node.children.splice(patch.index, 0, patch.node);
        break;
      case 'remove':
        if (patch.index >= node.children.length) { drop(patch, `removes a missing child (${node.children.length} children)`); break; }
        node.children.splice(patch.index, 1);
        break;
      case 'move': {
        if (patch.from >= node.children.length || patch.to >= node.children.length) { drop(patch, 'moves a missing child'); break; }
        const [moved] = node.children.splice(patch.from, 1);
        node.children.splice(patch.to, 0, moved!);
        break;
      }
    }
  }
  return root;
}

const isIndex = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/**
 * Why a patch (perhaps decoded from a peer) cannot be applied as data: indices that are not
 * non-negative integers (`children['__proto__']` would reach a prototype), a prop name that is
 * not a string, an unknown op. Undefined when it is well formed.
 */
function malformedReason(patch: Patch): string | undefined {
  if (typeof patch !== 'object' || patch === null || !Array.isArray(patch.path) || !patch.path.every(isIndex)) return 'has a path that is not a list of child indices';
  switch (patch.op) {
    case 'set': case 'unset': return typeof patch.name === 'string' ? undefined : 'has a prop name that is not a string';
    case 'insert': case 'remove': return isIndex(patch.index) ? undefined : 'has an index that is not a child index';
    case 'move': return isIndex(patch.from) && isIndex(patch.to) ? undefined : 'moves from or to something that is not a child index';
    case 'text': return typeof patch.text === 'string' ? undefined : 'has text that is not a string';
    case 'replace': return typeof patch.node === 'string' || (typeof patch.node === 'object' && patch.node !== null) ? undefined : 'replaces with something that is not a node';
    default: return `has an unknown op ${JSON.stringify((patch as { op: unknown }).op)}`;
  }
}
