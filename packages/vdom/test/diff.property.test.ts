import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatches, decodePatches, diff, encodePatches, type Patch, type VChild, type VirtualNode } from '../src/index.js';
import { jsonLength, nodeLowerBound } from '../src/json-size.js';

// Random trees over a few types, props and keys; siblings are keyed by unique keys or unkeyed,
// so reorders, inserts and removals of keyed children all occur.
const types = ['Stack', 'Card', 'Text', 'Button'] as const;
const propValue = fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.constant(null),
  fc.record({ $handler: fc.constantFrom('h1', 'h2') }), fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }));
const props = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'onClick'), propValue, { maxKeys: 3 });

const { tree } = fc.letrec<{ tree: VirtualNode; child: VChild; children: VChild[] }>((tie) => ({
  tree: fc.record({ type: fc.constantFrom(...types), props, children: tie('children') }),
  child: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.string({ maxLength: 3 }), tie('tree')),
  children: fc.oneof(
    // unkeyed mix of text and elements
    fc.array(tie('child'), { maxLength: 4 }),
    // keyed elements drawn from a small key pool, so two trees share keys in different orders
    fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 7 }), tie('tree')), { maxLength: 6, selector: ([k]) => k })
      .map((pairs) => pairs.map(([k, node]) => ({ ...(node as VirtualNode), key: `k${k}` }))),
  ),
}));

/** A second tree made from the first by random edits, so the two share structure and keys. */
function mutate(node: VirtualNode, rnd: () => number, other: VirtualNode): VirtualNode {
  const r = rnd();
  if (r < 0.05) return other;
  let children = node.children;
  if (r < 0.5 && children.length > 1) {
    children = children.slice();
    const i = Math.floor(rnd() * children.length);
    const j = Math.floor(rnd() * children.length);
    [children[i], children[j]] = [children[j]!, children[i]!]; // a keyed move
  }
  if (rnd() < 0.2) children = children.filter(() => rnd() > 0.3);
  if (rnd() < 0.2) children = [...children, 'new text'];
  children = children.map((c) => (typeof c === 'string' || rnd() < 0.5 ? c : mutate(c, rnd, other)));
  const nextProps = rnd() < 0.3 ? { ...node.props, b: rnd() < 0.5 ? 'changed' : 7 } : node.props;
  return { ...node, props: nextProps, children };
}

function deepClone<T>(value: T): T { return JSON.parse(JSON.stringify(value)) as T; }

describe('diff/apply round trip (property)', () => {
  it('apply(a, diff(a, b)) deep-equals b for independent random trees', () => {
    fc.assert(fc.property(tree, tree, (a, b) => {
      const before = deepClone(a);
      const patches = diff(a, b);
      expect(applyPatches(a, patches, { strict: true })).toEqual(b);
      expect(a).toEqual(before); // inputs are never mutated
    }), { numRuns: 1000 });
  });

  it('holds for related trees (shared subtrees, keyed moves), through JSON and binary encodings', () => {
    fc.assert(fc.property(tree, tree, fc.integer(), (a, other, seed) => {
      let s = seed >>> 0;
      const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
      const b = mutate(a, rnd, other);
      const patches = diff(a, b);
      expect(applyPatches(a, patches, { strict: true })).toEqual(b);
      expect(applyPatches(a, decodePatches(encodePatches(patches, 'json')), { strict: true })).toEqual(b);
      expect(applyPatches(a, decodePatches(encodePatches(patches, 'binary')), { strict: true })).toEqual(b);
    }), { numRuns: 1000 });
  });

  it('a pure reorder of keyed children is only moves, at most n - LIS of them', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 20 }), fc.integer(), (keys, seed) => {
      const kids = keys.map((k) => ({ type: 'Text', key: k, props: {}, children: [String(k)] }));
      const shuffled = kids.slice().sort((x, y) => ((x.key * 7919 + seed) % 101) - ((y.key * 7919 + seed) % 101));
      const a: VirtualNode = { type: 'Stack', props: {}, children: kids };
      const b: VirtualNode = { type: 'Stack', props: {}, children: shuffled };
      const patches: Patch[] = diff(a, b);
      expect(patches.every((p) => p.op === 'move')).toBe(true);
      expect(patches.length).toBeLessThan(keys.length);
      expect(applyPatches(a, patches, { strict: true })).toEqual(b);
    }), { numRuns: 300 });
  });

  it('the patch list is never larger than replacing the whole tree, and still rebuilds b (property)', () => {
    const replaceSize = (b: VirtualNode) => JSON.stringify([{ op: 'replace', path: [], node: b }]).length;
    fc.assert(fc.property(tree, tree, fc.integer(), fc.boolean(), (a, other, seed, related) => {
      let s = seed >>> 0;
      const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
      const b = related ? mutate(a, rnd, other) : { ...other, type: a.type };
      const patches = diff(a, b);
      expect(JSON.stringify(patches).length).toBeLessThanOrEqual(replaceSize(b));
      expect(applyPatches(a, patches, { strict: true })).toEqual(b);
    }), { numRuns: 1000 });
  }, 60_000);

  it('a subtree whose patches outweigh it is replaced, a light change stays a patch', () => {
    const cell = (v: number): VirtualNode => ({ type: 'Text', props: { a: v, b: v, c: v, d: v, e: v }, children: [] });
    const a: VirtualNode = { type: 'Stack', props: {}, children: [cell(1), cell(1)] };
    const b: VirtualNode = { type: 'Stack', props: {}, children: [cell(2), cell(1)] };
    expect(diff(a, b)).toEqual([{ op: 'replace', path: [0], node: b.children[0] }]);
    const c: VirtualNode = { type: 'Stack', props: {}, children: [{ ...cell(1), props: { ...cell(1).props, e: 2 } }, cell(1)] };
    expect(diff(a, c)).toEqual([{ op: 'set', path: [0], name: 'e', value: 2 }]);
  });

  it('jsonLength is the length of JSON.stringify, and stops at a limit (property)', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 4 }), tree, fc.string({ unit: 'binary' }), fc.double());
    fc.assert(fc.property(value, fc.nat({ max: 300 }), (v, limit) => {
      const exact = JSON.stringify(v).length;
      expect(jsonLength(v)).toBe(exact);
      const capped = jsonLength(v, limit);
      if (exact < limit) expect(capped).toBe(exact);
      else expect(capped).toBeGreaterThanOrEqual(limit);
      if (typeof v === 'object' && v !== null && 'children' in v) {
        expect(nodeLowerBound(v, limit)).toBeLessThanOrEqual(exact);
      }
    }), { numRuns: 1000 });
  }, 60_000);
});
