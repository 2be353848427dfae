import { Packr } from 'msgpackr';
import { toSymphonyError } from '@symphony/types';
import { vdomError } from './errors.js';
import { setOwn } from './own.js';
import type { Patch, VirtualNode } from './types.js';

export type Encoding = 'json' | 'binary';

/** Numeric opcodes of the compact form, one per patch kind (stable: part of the wire format). */
export const OPCODES = { insert: 0, remove: 1, move: 2, replace: 3, set: 4, unset: 5, text: 6 } as const;

type Tuple = [number, number[], ...unknown[]];

function toTuple(p: Patch): Tuple {
  switch (p.op) {
    case 'insert': return [OPCODES.insert, p.path, p.index, p.node];
    case 'remove': return [OPCODES.remove, p.path, p.index];
    case 'move': return [OPCODES.move, p.path, p.from, p.to];
    case 'replace': return [OPCODES.replace, p.path, p.node];
    case 'set': return [OPCODES.set, p.path, p.name, p.value];
    case 'unset': return [OPCODES.unset, p.path, p.name];
    case 'text': return [OPCODES.text, p.path, p.text];
  }
}

function fromTuple(t: unknown, at: number): Patch {
  if (!Array.isArray(t) || typeof t[0] !== 'number' || !Array.isArray(t[1])) {
    throw vdomError('E_VDOM_DECODE', `Patch #${at} is not an [opcode, path, ...] tuple`, { index: at });
  }
  const [code, path] = t as Tuple;
  switch (code) {
    case OPCODES.insert: return { op: 'insert', path, index: t[2], node: t[3] };
    case OPCODES.remove: return { op: 'remove', path, index: t[2] };
    case OPCODES.move: return { op: 'move', path, from: t[2], to: t[3] };
    case OPCODES.replace: return { op: 'replace', path, node: t[2] };
    case OPCODES.set: return { op: 'set', path, name: t[2], value: t[3] };
    case OPCODES.unset: return { op: 'unset', path, name: t[2] };
    case OPCODES.text: return { op: 'text', path, text: t[2] };
    default: throw vdomError('E_VDOM_DECODE', `Patch #${at} has unknown opcode ${code}`, { index: at, opcode: code });
  }
}

// Plain maps, no shared record structures: both ends decode without agreeing on state first.
const packr = new Packr({ useRecords: false, moreTypes: false });
// msgpackr reads a map key `__proto__` as `__proto_` (to avoid a prototype change). Data that
// holds those bytes is decoded into Maps instead and rebuilt with own properties, so a prop named
// `__proto__` survives the binary form as it does JSON.
const mapsPackr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: false });
const PROTO_KEY = [...'__proto__'].map((c) => c.charCodeAt(0));

/** True when `bytes` contain the UTF-8 of `__proto__` (no Buffer: this module runs in browsers). */
function mentionsProto(bytes: Uint8Array): boolean {
  const first = PROTO_KEY[0]!;
  for (let at = bytes.indexOf(first); at >= 0 && at <= bytes.length - PROTO_KEY.length; at = bytes.indexOf(first, at + 1)) {
    let i = 1;
    while (i < PROTO_KEY.length && bytes[at + i] === PROTO_KEY[i]) i++;
    if (i === PROTO_KEY.length) return true;
  }
  return false;
}

function unpack(data: Uint8Array): unknown {
  if (!mentionsProto(data)) return packr.unpack(data);
  return fromMaps(mapsPackr.unpack(data), 0);
}

function fromMaps(value: unknown, depth: number): unknown {
  if (depth > 10_000) throw vdomError('E_VDOM_DECODE', 'Encoded data is nested too deeply', {});
  if (Array.isArray(value)) return value.map((item) => fromMaps(item, depth + 1));
  if (!(value instanceof Map)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of value) {
    if (typeof key !== 'string') throw vdomError('E_VDOM_DECODE', `Encoded data has a map key that is not a string (${typeof key})`, {});
    setOwn(out, key, fromMaps(item, depth + 1));
  }
  return out;
}

/**
 * JSON (a string, readable, what the WebSocket carries) or binary (msgpack of opcode tuples:
 * smaller, for the worker/process bus).
 */
export function encodePatches(patches: readonly Patch[], encoding: 'json'): string;
export function encodePatches(patches: readonly Patch[], encoding: 'binary'): Uint8Array;
export function encodePatches(patches: readonly Patch[], encoding: Encoding): string | Uint8Array {
  if (encoding === 'json') return JSON.stringify(patches);
  return packr.pack(patches.map(toTuple));
}

export function decodePatches(data: string | Uint8Array): Patch[] {
  let parsed: unknown;
  try {
    parsed = typeof data === 'string' ? JSON.parse(data) : unpack(data);
  } catch (err) {
    throw vdomError('E_VDOM_DECODE', `Could not decode patches: ${toSymphonyError(err).message}`, { encoding: typeof data === 'string' ? 'json' : 'binary' });
  }
  if (!Array.isArray(parsed)) throw vdomError('E_VDOM_DECODE', 'Encoded patches must be an array', {});
  if (typeof data === 'string') return parsed as Patch[];
  return parsed.map(fromTuple);
}

export function encodeTree(tree: VirtualNode, encoding: 'json'): string;
export function encodeTree(tree: VirtualNode, encoding: 'binary'): Uint8Array;
export function encodeTree(tree: VirtualNode, encoding: Encoding): string | Uint8Array {
  return encoding === 'json' ? JSON.stringify(tree) : packr.pack(tree);
}

export function decodeTree(data: string | Uint8Array): VirtualNode {
  let parsed: unknown;
  try {
    parsed = typeof data === 'string' ? JSON.parse(data) : unpack(data);
  } catch (err) {
    throw vdomError('E_VDOM_DECODE', `Could not decode tree: ${toSymphonyError(err).message}`, {});
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as VirtualNode).type !== 'string') {
    throw vdomError('E_VDOM_DECODE', 'Encoded tree has no root element', {});
  }
  return parsed as VirtualNode;
}
