import { SymphonyError, silentLogger, type Logger } from '@symphony/types';
import { applyPatches } from './apply.js';
import { UI_METHODS, type UiEventInput, type UiRenderInput, type UiRenderResult } from './protocol.js';
import type { Patch, UiEvent, VirtualNode } from './types.js';

/** How the host reaches an extension: the `stage` service's `call`, or any equivalent. */
export type UiCall = (extensionId: string, method: string, input: unknown) => Promise<unknown>;

export interface ViewSnapshot {
  view: string;
  extensionId: string;
  name: string;
  rev: number;
  tree: VirtualNode;
  state?: unknown;
}

/** What the host tells front ends: a full tree (on open, reload fallback) or a patch batch. */
export type HostMessage =
  | { t: 'snapshot'; view: string; rev: number; tree: VirtualNode }
  | { t: 'patch'; view: string; from: number; to: number; patches: Patch[] };

export interface UiHost {
  open(view: string, target: { extensionId: string; name: string; props?: unknown }): Promise<ViewSnapshot>;
  close(view: string): void;
  snapshot(view: string): ViewSnapshot;
  views(): ViewSnapshot[];
  /** Routes a front-end event to the owning extension; `E_VDOM_HANDLER_STALE` if the handler is gone. */
  event(view: string, handler: string, event: UiEvent): Promise<void>;
  /** An update the extension pushed on its own (`ui:update`). */
  push(result: UiRenderResult): void;
  /**
   * Hot reload: the view keeps showing its last tree while the extension restarts; the new code
   * gets that tree and the state slice, and its first render arrives as a diff against them.
   */
  reattach(view: string): Promise<void>;
  subscribe(listener: (message: HostMessage) => void): () => void;
  /** Patches dropped because they targeted nodes already gone (the count, not an error per patch). */
  readonly droppedPatches: number;
}

interface View extends ViewSnapshot { props?: unknown; queue: Promise<unknown> }

export function createUiHost(options: { call: UiCall; logger?: Logger }): UiHost {
  const logger = options.logger ?? silentLogger;
  const views = new Map<string, View>();
  const listeners = new Set<(message: HostMessage) => void>();
  let dropped = 0;

  const emit = (message: HostMessage): void => { for (const l of listeners) l(message); };
  const get = (view: string): View => {
    const v = views.get(view);
    if (!v) throw new SymphonyError('E_VDOM_VIEW_UNKNOWN', `No view "${view}" is open; open it first`, { details: { view } });
    return v;
  };
  // One operation at a time per view, so updates apply in the order the extension made them.
  const serial = <T>(v: View, fn: () => Promise<T>): Promise<T> => {
    const run = v.queue.then(fn, fn);
    v.queue = run.catch(() => undefined);
    return run;
  };

  const accept = async (v: View, result: UiRenderResult | null | undefined, mayResync = true): Promise<void> => {
    if (!result) return;
    if (result.state !== undefined) v.state = result.state;
    const update = result.update;
    if (!update || update.patches.length === 0) { if (update) v.rev = update.to; return; }
    if (update.from !== v.rev) {
      if (!mayResync) {
        throw new SymphonyError('E_VDOM_REVISION', `Extension ${v.extensionId} answered a resync of "${v.view}" from revision ${update.from}, expected ${v.rev}`, {
          details: { view: v.view, extensionId: v.extensionId, have: v.rev, from: update.from },
        });
      }
      // The extension rendered against a tree we do not have (it restarted, or an update was
      // lost): hand it ours and let it diff again rather than guessing.
      logger.warn({ view: v.view, have: v.rev, from: update.from }, 'vdom: update base mismatch, resyncing');
      await resync(v);
      return;
    }
    let droppedHere = 0;
    const from = v.rev;
    v.tree = applyPatches(v.tree, update.patches, { onDropped: () => { droppedHere++; } });
    v.rev = update.to;
    if (droppedHere > 0) {
      dropped += droppedHere;
      logger.warn({ view: v.view, count: droppedHere }, 'vdom: dropped patches for nodes already removed');
    }
    emit({ t: 'patch', view: v.view, from, to: v.rev, patches: update.patches });
  };

  const resync = async (v: View): Promise<void> => {
    const input: UiRenderInput = { view: v.view, name: v.name, props: v.props, base: { rev: v.rev, tree: v.tree }, state: v.state };
    const result = (await options.call(v.extensionId, UI_METHODS.render, input)) as UiRenderResult;
    await accept(v, result, false);
  };

  return {
    async open(view, target) {
      const result = (await options.call(target.extensionId, UI_METHODS.render, {
        view, name: target.name, props: target.props,
      } satisfies UiRenderInput)) as UiRenderResult;
      const first = result.update?.patches[0];
      if (!first || first.op !== 'replace' || typeof first.node === 'string') {
        throw new SymphonyError('E_VDOM_REVISION', `Extension ${target.extensionId} answered the first render of "${view}" without a root tree`, {
          details: { view, extensionId: target.extensionId },
        });
      }
      const tree = applyPatches(first.node, result.update!.patches.slice(1));
      const v: View = { view, extensionId: target.extensionId, name: target.name, props: target.props, rev: result.update!.to, tree, state: result.state, queue: Promise.resolve() };
      views.set(view, v);
      emit({ t: 'snapshot', view, rev: v.rev, tree });
      return snapshotOf(v);
    },
    close(view) { views.delete(view); },
    snapshot: (view) => snapshotOf(get(view)),
    views: () => [...views.values()].map(snapshotOf),
    event(view, handler, event) {
      const v = get(view);
      return serial(v, async () => {
        const input: UiEventInput = { view, handler, event };
        await accept(v, (await options.call(v.extensionId, UI_METHODS.event, input)) as UiRenderResult);
      });
    },
    push(result) {
      const v = views.get(result.view);
      if (!v) return; // a view closed while the extension was still updating it: nothing to show
      void serial(v, () => accept(v, result)).catch((err) => logger.error({ view: v.view, err }, 'vdom: pushed update failed'));
    },
    reattach(view) {
      const v = get(view);
      return serial(v, () => resync(v));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get droppedPatches() { return dropped; },
  };
}

function snapshotOf(v: View): ViewSnapshot {
  const s: ViewSnapshot = { view: v.view, extensionId: v.extensionId, name: v.name, rev: v.rev, tree: v.tree };
  if (v.state !== undefined) s.state = v.state;
  return s;
}
