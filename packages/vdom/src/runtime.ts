import { SymphonyError } from '@symphony/types';
import type { SourceNode } from './h.js';
import type { UiEventInput, UiRenderInput, UiRenderResult } from './protocol.js';
import type { ComponentRegistry } from './registry.js';
import { createUiRoot, type UiRoot } from './root.js';

export interface ViewContext<S, P> {
  state: S;
  props: P;
  /** Replaces the state (or maps it) and re-renders; outside a handler the update is pushed. */
  setState(next: S | ((prev: S) => S)): void;
}

export interface ViewDefinition<S = unknown, P = unknown> {
  initialState(props: P): S;
  /** Called instead of `initialState` when the host hands back a kept state slice (hot reload). */
  restore?(state: S, props: P): S;
  render(ctx: ViewContext<S, P>): SourceNode;
}

export interface ViewRuntime {
  /** The `uiRender` method. */
  render(input: UiRenderInput): UiRenderResult;
  /** The `uiEvent` method: runs the handler, re-renders if state changed or a tree came back. */
  event(input: UiEventInput): Promise<UiRenderResult>;
  /** Updates made outside a handler (data arriving, timers): send each as a `ui:update` event. */
  onUpdate(listener: (result: UiRenderResult) => void): () => void;
  /** Runs `fn` on every open instance of a view (e.g. to feed it data). */
  forEach(name: string, fn: (instance: { setState: ViewContext<unknown, unknown>['setState']; state: unknown }) => void): void;
}

interface Instance {
  name: string;
  def: ViewDefinition<unknown, unknown>;
  root: UiRoot;
  state: unknown;
  props: unknown;
  dirty: boolean;
  inHandler: boolean;
  /** One setState per instance, so views can build their handlers once and keep their ids. */
  setState?: ViewContext<unknown, unknown>['setState'];
}

/** The extension's side of the UI protocol for a set of named views, each with a state slice. */
export function createViewRuntime(views: Record<string, ViewDefinition<any, any>>, options: { registry?: ComponentRegistry } = {}): ViewRuntime {
  const instances = new Map<string, Instance>();
  // Handler ids carry a tag of this runtime, so after a hot reload no id of the old code can
  // reach a handler of the new code: the old ids are stale, and the first render replaces them.
  const tag = Math.random().toString(36).slice(2, 8);
  const listeners = new Set<(result: UiRenderResult) => void>();

  const renderInstance = (view: string, inst: Instance, tree?: SourceNode): UiRenderResult => {
    inst.dirty = false;
    const source = tree ?? inst.def.render(context(view, inst));
    return { view, update: inst.root.render(source), state: inst.state };
  };

  const context = (view: string, inst: Instance): ViewContext<unknown, unknown> => ({
    state: inst.state,
    props: inst.props,
    setState: (inst.setState ??= (next) => {
      inst.state = typeof next === 'function' ? (next as (s: unknown) => unknown)(inst.state) : next;
      inst.dirty = true;
      if (!inst.inHandler) {
        const result = renderInstance(view, inst);
        for (const l of listeners) l(result);
      }
    }),
  });

  const instanceOf = (view: string): Instance => {
    const inst = instances.get(view);
    if (!inst) throw new SymphonyError('E_VDOM_VIEW_UNKNOWN', `View ${view} was never rendered by this extension; call uiRender first`, { details: { view } });
    return inst;
  };

  return {
    render(input) {
      const def = views[input.name];
      if (!def) {
        throw new SymphonyError('E_VDOM_VIEW_UNKNOWN', `This extension has no view "${input.name}" (it has: ${Object.keys(views).join(', ')})`, {
          details: { view: input.view, name: input.name },
        });
      }
      const root = createUiRoot({ registry: options.registry, idPrefix: `${input.view}:${tag}:` });
      if (input.base) root.hydrate(input.base);
      const state = input.state !== undefined ? (def.restore ? def.restore(input.state, input.props) : input.state) : def.initialState(input.props);
      const inst: Instance = { name: input.name, def, root, state, props: input.props, dirty: false, inHandler: false };
      instances.set(input.view, inst);
      return renderInstance(input.view, inst);
    },
    async event(input) {
      const inst = instanceOf(input.view);
      inst.inHandler = true;
      let returned: unknown;
      try {
        returned = await inst.root.dispatch(input.handler, input.event);
      } finally {
        inst.inHandler = false;
      }
      const tree = typeof returned === 'object' && returned !== null && 'type' in returned ? (returned as SourceNode) : undefined;
      if (!tree && !inst.dirty) return { view: input.view, update: null, state: inst.state };
      return renderInstance(input.view, inst, tree);
    },
    onUpdate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    forEach(name, fn) {
      for (const [view, inst] of instances) {
        if (inst.name !== name) continue;
        const ctx = context(view, inst);
        fn({ setState: ctx.setState, state: inst.state });
      }
    },
  };
}
