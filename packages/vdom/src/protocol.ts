import type { UiEvent, UiUpdate, VirtualNode } from './types.js';

/**
 * The two methods a UI extension serves over the bus, and what flows through them. The host calls
 * `uiRender` when a view opens (and after a hot reload, with the tree it kept) and `uiEvent` when
 * the user acts; the extension may also push `ui:update` events on its own (timers, new data).
 */
export const UI_METHODS = { render: 'uiRender', event: 'uiEvent' } as const;
/** Name of the bus event an extension emits to push an update it made on its own. */
export const UI_UPDATE_EVENT = 'ui:update';

export interface UiRenderInput {
  /** The host's id for this view instance. */
  view: string;
  /** Which of the extension's views to show. */
  name: string;
  props?: unknown;
  /** On re-attach (hot reload, resync): the tree the host shows now; the reply is a diff against it. */
  base?: { rev: number; tree: VirtualNode };
  /** On hot reload: the view's state slice as last reported. */
  state?: unknown;
}

export interface UiEventInput {
  view: string;
  handler: string;
  event: UiEvent;
}

/** What `uiRender`, `uiEvent` and `ui:update` carry back: the patches and the state slice. */
export interface UiRenderResult {
  view: string;
  update: UiUpdate | null;
  state?: unknown;
}
