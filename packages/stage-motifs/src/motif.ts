import { SymphonyError } from '@symphony/types';
import {
  createViewRuntime, UI_UPDATE_EVENT, type ComponentRegistry, type UiEventInput, type UiRenderInput, type UiRenderResult, type ViewDefinition, type ViewRuntime,
} from '@symphony/vdom';

/** A panel: a view with a title, contributed by a motif to the app's panel area. */
export interface PanelDefinition<S = any, P = any> extends ViewDefinition<S, P> {
  title: string;
  description?: string;
}

export interface PanelInfo {
  name: string;
  title: string;
  description?: string;
}

export type MotifMethod = (input: any, ctx?: unknown) => unknown;

export interface MotifDefinition {
  /** The extension id (`publisher.name`). */
  id: string;
  title: string;
  panels: Record<string, PanelDefinition>;
  /** Extra methods (data in: `ingest`, `setArtifacts`, ...). */
  methods?: Record<string, MotifMethod>;
  registry?: ComponentRegistry;
}

export interface Motif {
  id: string;
  title: string;
  panels: PanelInfo[];
  runtime: ViewRuntime;
  /**
   * What the extension serves over the bus (e.g. `defineMotif({ manifest, methods: motif.methods })`):
   * `uiRender` and `uiEvent` (the vdom UI protocol), `motifPanels` (what it contributes) and the
   * motif's own methods.
   */
  methods: Record<string, MotifMethod> & {
    uiRender(input: UiRenderInput): UiRenderResult;
    uiEvent(input: UiEventInput): Promise<UiRenderResult>;
    motifPanels(): PanelInfo[];
  };
  /** Updates a motif makes on its own (new data): send each as the `ui:update` bus event. */
  onUpdate(listener: (result: UiRenderResult) => void): () => void;
}

/** The part of an SDK call context this package needs: a way to send a bus event to the host. */
export interface MotifEmitter {
  emit(name: string, payload?: unknown): void;
}

/**
 * The methods to serve (`defineMotif({ manifest, methods: motifMethods(motif) })`), with pushed
 * updates wired: each call's context becomes the emitter for `ui:update` events, so updates made
 * by data methods (`ingest`, ...) or later by timers reach the host.
 */
export function motifMethods(motif: Motif): Record<string, (input: any, ctx?: MotifEmitter) => unknown> {
  let emitter: MotifEmitter | undefined;
  motif.onUpdate((result) => emitter?.emit(UI_UPDATE_EVENT, result));
  return Object.fromEntries(Object.entries(motif.methods).map(([name, fn]) => [name, (input: unknown, ctx?: MotifEmitter) => {
    if (ctx && typeof ctx.emit === 'function') emitter = ctx;
    return fn(input, ctx);
  }]));
}

/** The Motif base: named panels over a vdom view runtime, plus the motif's data methods. */
export function createMotif(def: MotifDefinition): Motif {
  const reserved = ['uiRender', 'uiEvent', 'motifPanels'];
  for (const name of Object.keys(def.methods ?? {})) {
    if (reserved.includes(name)) {
      throw new SymphonyError('E_INPUT_INVALID', `Motif ${def.id} defines method "${name}", which the Motif base reserves`, { details: { id: def.id, method: name } });
    }
  }
  const runtime = createViewRuntime(def.panels, { registry: def.registry });
  const panels = Object.entries(def.panels).map(([name, p]) => {
    const info: PanelInfo = { name, title: p.title };
    if (p.description) info.description = p.description;
    return info;
  });
  return {
    id: def.id,
    title: def.title,
    panels,
    runtime,
    methods: {
      ...def.methods,
      uiRender: (input: UiRenderInput) => runtime.render(input),
      uiEvent: (input: UiEventInput) => runtime.event(input),
      motifPanels: () => panels,
    },
    onUpdate: (listener) => runtime.onUpdate(listener),
  };
}
