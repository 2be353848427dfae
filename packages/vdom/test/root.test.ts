import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@symphony/types';
import { applyPatches, createUiRoot, createViewRuntime, ui, type SourceNode, type VirtualNode } from '../src/index.js';

describe('UiRoot', () => {
  it('sends handler ids, never functions, and runs the handler by id', () => {
    const root = createUiRoot({ idPrefix: 'v1:' });
    let clicks = 0;
    const update = root.render(ui.stack(null, ui.button({ onClick: () => { clicks++; } }, 'Run')));
    const tree = update.patches[0]!.op === 'replace' ? (update.patches[0]!.node as VirtualNode) : undefined;
    const button = tree!.children[0] as VirtualNode;
    expect(button.props.onClick).toEqual({ $handler: 'v1:1' });
    expect(JSON.stringify(tree)).not.toMatch(/function|=>/);
    root.dispatch('v1:1', { type: 'click' });
    expect(clicks).toBe(1);
  });

  it('rejects a stale handler id from an older tree with E_VDOM_HANDLER_STALE', () => {
    const root = createUiRoot();
    root.render(ui.stack(null, ui.button({ onClick: () => 'old' }, 'A')));
    root.render(ui.stack(null, ui.button({ onClick: () => 'new' }, 'A')));
    let err: unknown;
    try { root.dispatch('h1', { type: 'click' }); } catch (e) { err = e; }
    expect(hasErrorCode(err, 'E_VDOM_HANDLER_STALE')).toBe(true);
    expect(root.dispatch('h2', { type: 'click' })).toBe('new');
  });

  it('re-renders a structurally shared tree into a patch of only what changed', () => {
    const rows = Array.from({ length: 200 }, (_, i) => ui.text({ key: `r${i}` }, `row ${i}`));
    const root = createUiRoot();
    root.render(ui.stack(null, ...rows));
    const next = rows.slice();
    next[57] = ui.text({ key: 'r57', tone: 'success' }, 'row 57 done');
    const update = root.render(ui.stack(null, ...next));
    expect(update.patches).toEqual([
      { op: 'set', path: [57], name: 'tone', value: 'success' },
      { op: 'text', path: [57, 0], text: 'row 57 done' },
    ]);
  });

  it('a stable handler function keeps its id across renders (no patch churn)', () => {
    const onClick = () => undefined;
    const root = createUiRoot();
    root.render(ui.button({ onClick }, 'a'));
    expect(root.render(ui.button({ onClick }, 'b')).patches).toEqual([{ op: 'text', path: [0], text: 'b' }]);
  });
});

describe('createViewRuntime', () => {
  const counter = {
    initialState: (props: { start: number }) => ({ count: props.start }),
    render: ({ state, setState }: { state: { count: number }; setState: (f: (s: { count: number }) => { count: number }) => void }): SourceNode =>
      ui.stack(null, ui.text(null, `count ${state.count}`), ui.button({ onClick: () => setState((s) => ({ count: s.count + 1 })) }, '+1')),
  };

  it('renders, handles an event with a state change, and returns a diff plus the state slice', async () => {
    const rt = createViewRuntime({ counter });
    const first = rt.render({ view: 'v', name: 'counter', props: { start: 5 } });
    const tree0 = applyPatches({ type: 'Stack', props: {}, children: [] }, first.update!.patches);
    const handler = ((tree0.children[1] as VirtualNode).props.onClick as { $handler: string }).$handler;
    const result = await rt.event({ view: 'v', handler, event: { type: 'click' } });
    expect(result.state).toEqual({ count: 6 });
    expect(result.update!.from).toBe(1);
    expect(result.update!.patches).toContainEqual({ op: 'text', path: [0, 0], text: 'count 6' });
  });

  it('hot reload: hydrated with the kept tree and state, the first render is a diff against it', () => {
    const v1 = createViewRuntime({ counter });
    const first = v1.render({ view: 'v', name: 'counter', props: { start: 1 } });
    const kept = applyPatches({ type: 'Stack', props: {}, children: [] }, first.update!.patches);
    const v2 = createViewRuntime({
      counter: { ...counter, render: ({ state }: { state: { count: number } }) => ui.stack(null, ui.text(null, `count ${state.count}`), ui.badge(null, 'v2')) },
    });
    const again = v2.render({ view: 'v', name: 'counter', base: { rev: 1, tree: kept }, state: { count: 9 } });
    expect(again.update!.from).toBe(1);
    expect(again.update!.patches.some((p) => p.op === 'replace' && p.path.length === 0)).toBe(false);
    expect(applyPatches(kept, again.update!.patches)).toEqual({
      type: 'Stack', props: {}, children: [{ type: 'Text', props: {}, children: ['count 9'] }, { type: 'Badge', props: {}, children: ['v2'] }],
    });
  });

  it('a handler may return a new tree instead of changing state; a handler that changes nothing sends no patch', async () => {
    const rt = createViewRuntime({
      page: {
        initialState: () => null,
        render: () => ui.stack(null, ui.button({ onClick: () => ui.stack(null, ui.text(null, 'replaced')) }, 'go'), ui.button({ onClick: () => undefined }, 'noop')),
      },
    });
    const first = rt.render({ view: 'p', name: 'page' });
    const tree = applyPatches({ type: 'Stack', props: {}, children: [] }, first.update!.patches);
    const noop = await rt.event({ view: 'p', handler: ((tree.children[1] as VirtualNode).props.onClick as { $handler: string }).$handler, event: { type: 'click' } });
    expect(noop.update).toBeNull();
    const go = await rt.event({ view: 'p', handler: ((tree.children[0] as VirtualNode).props.onClick as { $handler: string }).$handler, event: { type: 'click' } });
    expect(applyPatches(tree, go.update!.patches)).toEqual({ type: 'Stack', props: {}, children: [{ type: 'Text', props: {}, children: ['replaced'] }] });
  });

  it('an unknown view name is E_VDOM_VIEW_UNKNOWN', () => {
    let err: unknown;
    try { createViewRuntime({ counter }).render({ view: 'x', name: 'nope' }); } catch (e) { err = e; }
    expect(hasErrorCode(err, 'E_VDOM_VIEW_UNKNOWN')).toBe(true);
  });
});
