import { SymphonyError } from '@symphony/types';

/** A vdom element as the host holds it (see @symphony/vdom `VirtualNode`). */
export interface VNode {
  type: string;
  key?: string | number;
  props: Record<string, unknown>;
  children: Array<VNode | string>;
}

export interface UiHostLike {
  open(view: string, target: { extensionId: string; name: string; props?: unknown }): Promise<{ tree: VNode }>;
  snapshot(view: string): { tree: VNode; rev: number; state?: unknown };
  event(view: string, handler: string, event: { type: string; value?: unknown; values?: Record<string, unknown> }): Promise<void>;
  push(result: never): void;
}

export interface TestView {
  readonly id: string;
  /** The current tree (after every patch so far). */
  readonly tree: VNode;
  /** The visible text of the whole view, children joined by spaces. */
  text(): string;
  /** Every element matching the predicate, depth first. */
  findAll(predicate: (node: VNode) => boolean): VNode[];
  /** The first element whose type is `type` and whose text contains `text` (when given); throws if none. */
  get(type: string, text?: string): VNode;
  /** Fires `on<Event>` of the element: `fire(view.get('Button', 'Add'), 'click')`. */
  fire(node: VNode, type: string, event?: { value?: unknown; values?: Record<string, unknown> }): Promise<void>;
  /** Shorthand: the first element with an `onClick` whose text contains `text`. */
  click(text: string): Promise<void>;
}

export function textOf(node: VNode | string): string {
  if (typeof node === 'string') return node;
  return node.children.map(textOf).filter(Boolean).join(' ');
}

function walk(node: VNode, out: VNode[], predicate: (n: VNode) => boolean): void {
  if (predicate(node)) out.push(node);
  for (const child of node.children) if (typeof child !== 'string') walk(child, out, predicate);
}

const handlerOf = (node: VNode, type: string): string | undefined => {
  const prop = node.props[`on${type.charAt(0).toUpperCase()}${type.slice(1).replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())}`];
  return typeof prop === 'object' && prop !== null && typeof (prop as { $handler?: unknown }).$handler === 'string' ? (prop as { $handler: string }).$handler : undefined;
};

export function createTestView(host: UiHostLike, id: string): TestView {
  const view: TestView = {
    id,
    get tree() {
      return host.snapshot(id).tree;
    },
    text: () => textOf(view.tree),
    findAll(predicate) {
      const out: VNode[] = [];
      walk(view.tree, out, predicate);
      return out;
    },
    get(type, text) {
      const found = view.findAll((n) => n.type === type && (text === undefined || textOf(n).includes(text)))[0];
      if (!found) {
        throw new SymphonyError('E_ASSERTION', `no <${type}>${text ? ` containing "${text}"` : ''} in view ${id}; it shows: ${view.text().slice(0, 300)}`, { details: { view: id, type, text } });
      }
      return found;
    },
    async fire(node, type, event = {}) {
      const handler = handlerOf(node, type);
      if (!handler) {
        throw new SymphonyError('E_ASSERTION', `<${node.type}> has no on${type} handler`, { details: { view: id, type, props: Object.keys(node.props) } });
      }
      await host.event(id, handler, { type, ...event });
    },
    async click(text) {
      const node = view.findAll((n) => handlerOf(n, 'click') !== undefined && textOf(n).includes(text))[0];
      if (!node) throw new SymphonyError('E_ASSERTION', `nothing clickable containing "${text}" in view ${id}`, { details: { view: id, text } });
      await view.fire(node, 'click');
    },
  };
  return view;
}
