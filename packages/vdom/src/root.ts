import { diff } from './diff.js';
import { vdomError } from './errors.js';
import { setOwn } from './own.js';
import type { SourceChild, SourceNode, UiHandler } from './h.js';
import { defaultRegistry, type ComponentRegistry } from './registry.js';
import type { Path, PropValue, Props, UiEvent, UiUpdate, VChild, VirtualNode } from './types.js';

export interface UiRootOptions {
  registry?: ComponentRegistry;
  /** Prefix for handler ids, so ids from two roots never collide in logs. */
  idPrefix?: string;
}

/**
 * The extension's side of one view: turns source trees (with handler functions) into data trees
 * (with handler ids), validates the nodes that changed against the registry, diffs against the
 * previous render, and dispatches events to the handlers of the current tree only.
 */
export interface UiRoot {
  readonly revision: number;
  readonly tree: VirtualNode | undefined;
  /** Renders and returns the update from the previous revision (a root `replace` the first time). */
  render(source: SourceNode): UiUpdate;
  /** Adopts a tree the host kept (hot reload): the next render is a diff against it. */
  hydrate(base: { rev: number; tree: VirtualNode }): void;
  /** True when `handlerId` is in the current tree. */
  hasHandler(handlerId: string): boolean;
  /** Runs the handler; throws `E_VDOM_HANDLER_STALE` for an id not in the current tree. */
  dispatch(handlerId: string, event: UiEvent): unknown;
}

export function createUiRoot(options: UiRootOptions = {}): UiRoot {
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.idPrefix ?? 'h';
  // Source node -> its data node. Re-rendering a shared subtree is a map hit, which keeps the
  // data tree structurally shared too, so the diff skips it by identity.
  let lowered = new WeakMap<SourceNode, VirtualNode>();
  // Data node -> the handlers its own props reference; the live table is rebuilt from these.
  const nodeHandlers = new WeakMap<VirtualNode, Array<[string, UiHandler]>>();
  const ids = new WeakMap<UiHandler, string>();
  let nextId = 1;
  let tree: VirtualNode | undefined;
  let revision = 0;
  let live: Map<string, UiHandler> | undefined;

  const idFor = (fn: UiHandler): string => {
    let id = ids.get(fn);
    if (id === undefined) { id = `${prefix}${nextId++}`; ids.set(fn, id); }
    return id;
  };

  const lower = (source: SourceNode, path: Path, types: string[]): VirtualNode => {
    const cached = lowered.get(source);
    if (cached) return cached;
    const here = [...types, source.type];
    const props: Props = {};
    let handlers: Array<[string, UiHandler]> | undefined;
    for (const name of Object.keys(source.props)) {
      const value = source.props[name];
      if (value === undefined) continue;
      if (typeof value === 'function') {
        const id = idFor(value);
        (handlers ??= []).push([id, value]);
        setOwn(props, name, { $handler: id });
      } else {
        setOwn(props, name, value);
      }
    }
    const children: VChild[] = source.children.map((child: SourceChild, i) =>
      typeof child === 'string' ? child : lower(child, [...path, i], here));
    const node: VirtualNode = { type: source.type, props, children };
    if (source.key !== undefined) node.key = source.key;
    registry.validateNode(node, path, here);
    if (handlers) nodeHandlers.set(node, handlers);
    lowered.set(source, node);
    return node;
  };

  const liveHandlers = (): Map<string, UiHandler> => {
    if (live) return live;
    const table = new Map<string, UiHandler>();
    const walk = (node: VChild): void => {
      if (typeof node === 'string') return;
      for (const [id, fn] of nodeHandlers.get(node) ?? []) table.set(id, fn);
      for (const child of node.children) walk(child);
    };
    if (tree) walk(tree);
    live = table;
    return table;
  };

  return {
    get revision() { return revision; },
    get tree() { return tree; },
    render(source) {
      const next = lower(source, [], []);
      const patches = tree ? diff(tree, next) : [{ op: 'replace' as const, path: [], node: next }];
      const update: UiUpdate = { from: revision, to: revision + 1, patches };
      tree = next;
      revision += 1;
      live = undefined;
      return update;
    },
    hydrate(base) {
      tree = base.tree;
      revision = base.rev;
      live = undefined;
      lowered = new WeakMap();
    },
    hasHandler: (handlerId) => liveHandlers().has(handlerId),
    dispatch(handlerId, event) {
      const fn = liveHandlers().get(handlerId);
      if (!fn) {
        throw vdomError('E_VDOM_HANDLER_STALE', `Handler ${handlerId} is not in the current tree (revision ${revision}); the UI was updated since the event was sent`, {
          handlerId, revision,
        });
      }
      return fn(event);
    },
  };
}
