import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@symphony/types';
import { applyPatches, createUiRoot, decodePatches, decodeTree, diff, encodePatches, encodeTree, h, type Patch, type VirtualNode } from '../src/index.js';

const NAMES = ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf', '__proto_', 'isPrototypeOf'];
/** A Text node with one prop `name` (JSON.parse makes `__proto__` an own key, as data would). */
const withProp = (name: string, value: unknown): VirtualNode => JSON.parse(JSON.stringify({ type: 'Text', props: {}, children: [] }).replace('"props":{}', `"props":${JSON.stringify({ [name]: value })}`)) as VirtualNode;
const plain = (): VirtualNode => ({ type: 'Text', props: {}, children: [] });

describe('prop names from data are ordinary keys', () => {
  it.each(NAMES)('%s: diff sees it, apply sets and unsets it as an own key, no prototype changes', (name) => {
    const a = withProp(name, 1);
    expect(Object.keys(a.props)).toEqual([name]);
    expect(diff(a, plain())).toEqual([{ op: 'unset', path: [], name }]);
    expect(diff(plain(), a)).toEqual([{ op: 'set', path: [], name, value: 1 }]);
    for (const [x, y] of [[a, plain()], [plain(), a], [a, withProp(name, { polluted: true })], [withProp(name, [1]), withProp(name, [2])]] as const) {
      for (const patches of [diff(x, y), decodePatches(encodePatches(diff(x, y), 'json')), decodePatches(encodePatches(diff(x, y), 'binary'))]) {
        const out = applyPatches(x, patches, { strict: true });
        expect(JSON.stringify(out)).toBe(JSON.stringify(y));
        expect(Object.getPrototypeOf(out.props)).toBe(Object.prototype);
        expect((out.props as { polluted?: unknown }).polluted).toBeUndefined();
      }
    }
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  it.each(NAMES)('%s survives both codecs of a whole tree', (name) => {
    const tree: VirtualNode = { type: 'Stack', props: {}, children: [withProp(name, { x: [1, 'two'] }), 'text'] };
    for (const encoded of [encodeTree(tree, 'json'), encodeTree(tree, 'binary')]) {
      const back = decodeTree(encoded);
      expect(JSON.stringify(back)).toBe(JSON.stringify(tree));
      expect(Object.keys((back.children[0] as VirtualNode).props)).toEqual([name]);
    }
  });

  it('the binary codec keeps __proto__ beside __proto_ and refuses non-string map keys', () => {
    const patch = JSON.parse('{"op":"set","path":[0],"name":"__proto__","value":{"__proto__":1,"__proto_":2}}') as Patch;
    const [back] = decodePatches(encodePatches([patch], 'binary'));
    expect(JSON.stringify(back)).toBe(JSON.stringify(patch));
    // [opcode set, path, name, a map with an integer key] in msgpack, mentioning __proto__ in a string.
    const bytes = Uint8Array.from([0x94, 0x04, 0x90, 0xa9, ...Buffer.from('__proto__'), 0x81, 0x01, 0x02]);
    let e: unknown;
    try { decodePatches(bytes); } catch (x) { e = x; }
    expect(hasErrorCode(e, 'E_VDOM_DECODE')).toBe(true);
  });

  it('h() and UiRoot never change a prototype; the registry refuses unknown names with a code', () => {
    const props = JSON.parse('{"__proto__":{"tone":"muted"}}') as Record<string, never>;
    const node = h('Text', props, 'x');
    expect(Object.getPrototypeOf(node.props)).toBe(Object.prototype);
    expect(Object.keys(node.props)).toEqual(['__proto__']);
    for (const name of NAMES) {
      let e: unknown;
      try { createUiRoot().render(h('Text', JSON.parse(`{${JSON.stringify(name)}:"muted"}`) as Record<string, never>, 'x')); } catch (x) { e = x; }
      expect(hasErrorCode(e, 'E_VDOM_PROPS_INVALID'), name).toBe(true);
    }
  });
});

describe('patches from a peer are data, never property paths', () => {
  it('refuses indices, names and ops that are not what a patch holds, without touching a prototype', () => {
    const tree: VirtualNode = { type: 'Stack', props: {}, children: [{ type: 'Text', props: {}, children: ['a'] }] };
    const hostile = [
      { op: 'set', path: ['__proto__'], name: 'polluted', value: true },
      { op: 'replace', path: ['__proto__'], node: { polluted: true } },
      { op: 'insert', path: [], index: '__proto__', node: 'x' },
      { op: 'move', path: [], from: 0, to: -1 },
      { op: 'set', path: [0], name: { toString: () => '__proto__' }, value: 1 },
      { op: 'text', path: [0, 0], text: 42 },
      { op: 'frobnicate', path: [] },
      { op: 'remove', path: [0.5], index: 0 },
    ] as unknown as Patch[];
    const dropped: string[] = [];
    const out = applyPatches(tree, hostile, { onDropped: (_p, reason) => dropped.push(reason) });
    expect(dropped).toHaveLength(hostile.length);
    expect(JSON.stringify(out)).toBe(JSON.stringify(tree));
    expect(Object.getPrototypeOf(out.children)).toBe(Array.prototype);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(([] as unknown as { polluted?: unknown }).polluted).toBeUndefined();
    for (const patch of hostile) {
      let e: unknown;
      try { applyPatches(tree, [patch], { strict: true }); } catch (x) { e = x; }
      expect(hasErrorCode(e, 'E_VDOM_PATCH_TARGET'), JSON.stringify(patch)).toBe(true);
    }
  });
});
