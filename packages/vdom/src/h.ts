import { setOwn } from './own.js';
import type { HandlerRef, PropValue, UiEvent, VirtualNode } from './types.js';

/**
 * An event handler as an extension writes it. It may return a new tree to show (or nothing, when
 * it changed state and the runtime re-renders). Functions never cross the boundary: a `UiRoot`
 * swaps them for `HandlerRef` ids before diffing.
 */
export type UiHandler = (event: UiEvent) => unknown;

export type SourcePropValue = PropValue | UiHandler | undefined;
export type SourceProps = Record<string, SourcePropValue>;

/** A tree as built in the extension: like `VirtualNode`, but props may hold handler functions. */
export interface SourceNode {
  type: string;
  key?: string | number;
  props: SourceProps;
  children: SourceChild[];
}
export type SourceChild = SourceNode | string;

/** What builders accept as children: nested arrays are flattened, null/false/undefined skipped. */
export type ChildInput = SourceChild | number | null | undefined | false | true | ChildInput[];

/**
 * `h('Button', { variant: 'outline', onClick }, 'Run')`. A `key` prop becomes the node's key.
 * Undefined props are dropped, so optional props can be passed straight through.
 */
export function h(type: string, props?: (SourceProps & { key?: string | number }) | null, ...children: ChildInput[]): SourceNode {
  const node: SourceNode = { type, props: {}, children: [] };
  if (props) {
    for (const name of Object.keys(props)) {
      const value = props[name];
      if (value === undefined) continue;
      if (name === 'key') node.key = value as string | number;
      else setOwn(node.props, name, value);
    }
  }
  flattenInto(children, node.children);
  return node;
}

function flattenInto(input: ChildInput[], out: SourceChild[]): void {
  for (const child of input) {
    if (child === null || child === undefined || child === false || child === true) continue;
    if (Array.isArray(child)) flattenInto(child, out);
    else if (typeof child === 'number') out.push(String(child));
    else out.push(child);
  }
}

/** A handler ref as it appears in a rendered tree (for tests and hand-built trees). */
export function handlerRef(id: string): HandlerRef {
  return { $handler: id };
}

/** Type guard used by code that walks trees holding either data or source nodes. */
export function isSourceNode(child: SourceChild | VirtualNode | undefined): child is SourceNode {
  return typeof child === 'object' && child !== null;
}
