import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@symphony/types';
import { applyPatches, type UiRenderResult, type VirtualNode, type VChild } from '@symphony/vdom';
import {
  createArtifactBrowser, createMotif, createRunMonitor, emptyMonitor, LOG_LIMIT, reduceRunEvents, RUN_LIMIT, themes, themeStylesheet,
  type RunEventRecord,
} from '../src/index.js';

const hash = (c: string) => c.repeat(64).slice(0, 64);
const at = 1_700_000_000_000;

/** Finds the first node of a type (depth first). */
function find(node: VChild, type: string): VirtualNode | undefined {
  if (typeof node === 'string') return undefined;
  if (node.type === type) return node;
  for (const c of node.children) { const f = find(c, type); if (f) return f; }
  return undefined;
}
function findAll(node: VChild, type: string, out: VirtualNode[] = []): VirtualNode[] {
  if (typeof node === 'string') return out;
  if (node.type === type) out.push(node);
  for (const c of node.children) findAll(c, type, out);
  return out;
}
const handler = (node: VirtualNode | undefined, prop: string) => (node!.props[prop] as { $handler: string }).$handler;

const runEvents: RunEventRecord[] = [
  { name: 'run:start', payload: { runId: 'r1', workflow: 'review', at, resumed: false } },
  { name: 'step:ready', payload: { runId: 'r1', stepId: 'files', at } },
  { name: 'step:start', payload: { runId: 'r1', stepId: 'files', attempt: 1, at } },
  { name: 'step:progress', payload: { runId: 'r1', stepId: 'files', fraction: 0.5, message: 'listed 10 files', at } },
  { name: 'step:end', payload: { runId: 'r1', stepId: 'files', attempt: 1, durationMs: 12, at, output: { name: 'files', version: 1, hash: hash('a') } } },
  { name: 'step:start', payload: { runId: 'r1', stepId: 'score', attempt: 1, at } },
  { name: 'step:retry', payload: { runId: 'r1', stepId: 'score', attempt: 2, delayMs: 100, at, error: { name: 'SymphonyError', code: 'E_TIMEOUT', message: 'slow' } } },
];

describe('themes', () => {
  it('light and dark define the same tokens, emitted as CSS variables', () => {
    expect(Object.keys(themes.dark).sort()).toEqual(Object.keys(themes.light).sort());
    const css = themeStylesheet();
    expect(css).toContain(`--background: ${themes.light.background};`);
    expect(css).toMatch(/\.dark \{[^}]*--muted-foreground: /);
  });
});

describe('run monitor', () => {
  it('folds Conductor events into step states, logs and outputs, keeping untouched runs by identity', () => {
    const d1 = reduceRunEvents(emptyMonitor(), runEvents);
    const r1 = d1.runs.r1!;
    expect(r1.stepOrder).toEqual(['files', 'score']);
    expect(r1.steps.files).toMatchObject({ status: 'succeeded', durationMs: 12, log: ['listed 10 files'], output: { name: 'files', version: 1 } });
    expect(r1.steps.score).toMatchObject({ status: 'retrying', attempt: 2 });
    const d2 = reduceRunEvents(d1, [{ name: 'run:start', payload: { runId: 'r2', workflow: 'other', at, resumed: false } }]);
    expect(d2.runs.r1).toBe(r1);
    expect(d2.runOrder).toEqual(['r2', 'r1']);
  });

  it('stays bounded for any event sequence: at most RUN_LIMIT runs and LOG_LIMIT lines per step (property)', () => {
    const event = fc.tuple(fc.integer({ min: 0, max: 80 }), fc.constantFrom('run:start', 'step:start', 'step:progress', 'step:end', 'step:fail', 'run:end'), fc.constantFrom('a', 'b'))
      .map(([run, name, stepId]): RunEventRecord => {
        const runId = `r${run}`;
        switch (name) {
          case 'run:start': return { name, payload: { runId, workflow: 'w', at, resumed: false } };
          case 'step:start': return { name, payload: { runId, stepId, attempt: 1, at } };
          case 'step:progress': return { name, payload: { runId, stepId, fraction: 0.1, message: 'x', at } };
          case 'step:end': return { name, payload: { runId, stepId, attempt: 1, durationMs: 1, at } };
          case 'step:fail': return { name, payload: { runId, stepId, attempt: 1, durationMs: 1, at, error: { name: 'SymphonyError', code: 'E_X', message: 'no' } } };
          default: return { name: 'run:end', payload: { runId, status: 'failed', durationMs: 1, at } };
        }
      });
    fc.assert(fc.property(fc.array(event, { maxLength: 400 }), (events) => {
      const data = reduceRunEvents(emptyMonitor(), events);
      expect(data.runOrder.length).toBeLessThanOrEqual(RUN_LIMIT);
      expect(Object.keys(data.runs).sort()).toEqual([...data.runOrder].sort());
      for (const r of Object.values(data.runs)) for (const s of Object.values(r.steps)) expect(s.log.length).toBeLessThanOrEqual(LOG_LIMIT);
    }), { numRuns: 1000 });
  });

  it('renders a live DAG: ingested events arrive as pushed updates; row and node clicks drill into a step', async () => {
    const motif = createRunMonitor();
    const pushed: UiRenderResult[] = [];
    motif.onUpdate((r) => pushed.push(r));
    const first = motif.methods.uiRender({ view: 'v', name: 'monitor' });
    let tree = applyPatches({ type: 'Stack', props: {}, children: [] }, first.update!.patches);
    expect(find(tree, 'Text')!.children).toEqual(['No runs yet.']);

    motif.methods.describeRun!({ runId: 'r1', workflow: 'review', steps: [{ id: 'files', uses: 'acme.files/list' }, { id: 'score', needs: ['files'] }] });
    motif.methods.ingest!({ events: runEvents });
    for (const p of pushed) tree = applyPatches(tree, p.update!.patches);
    const table = find(tree, 'Table')!;
    expect(table.props.rows).toEqual([{ id: 'r1', workflow: 'review', status: 'running', steps: '1/2', duration: '' }]);

    let result = await motif.methods.uiEvent({ view: 'v', handler: handler(table, 'onRowClick'), event: { type: 'click', value: 'r1' } });
    tree = applyPatches(tree, result.update!.patches);
    const graph = find(tree, 'Graph')!;
    expect(graph.props.nodes).toEqual([
      { id: 'files', label: 'files', status: 'succeeded', detail: 'acme.files/list' },
      { id: 'score', label: 'score', status: 'retrying', detail: 'attempt 2' },
    ]);
    expect(graph.props.edges).toEqual([{ from: 'files', to: 'score' }]);

    result = await motif.methods.uiEvent({ view: 'v', handler: handler(graph, 'onNodeClick'), event: { type: 'click', value: 'files' } });
    tree = applyPatches(tree, result.update!.patches);
    const blocks = findAll(tree, 'CodeBlock').map((c) => c.props.code);
    expect(blocks[0]).toBe('listed 10 files');
    expect(blocks[1]).toContain('files@1');
  });
  it('keeps handler ids across live updates, so a click racing an update still lands', async () => {
    const motif = createRunMonitor();
    const pushed: UiRenderResult[] = [];
    motif.onUpdate((r) => pushed.push(r));
    let tree = applyPatches({ type: 'Stack', props: {}, children: [] }, motif.methods.uiRender({ view: 'v', name: 'monitor' }).update!.patches);
    motif.methods.ingest!({ events: runEvents.slice(0, 2) });
    for (const p of pushed.splice(0)) tree = applyPatches(tree, p.update!.patches);
    const clicked = handler(find(tree, 'Table'), 'onRowClick');
    // The click is in flight while more events re-render the view.
    motif.methods.ingest!({ events: runEvents.slice(2) });
    for (const p of pushed.splice(0)) tree = applyPatches(tree, p.update!.patches);
    expect(handler(find(tree, 'Table'), 'onRowClick')).toBe(clicked);
    const result = await motif.methods.uiEvent({ view: 'v', handler: clicked, event: { type: 'click', value: 'r1' } });
    tree = applyPatches(tree, result.update!.patches);
    expect(find(tree, 'Graph')).toBeDefined();
  });
});

describe('artifact browser', () => {
  it('lists artifacts, then versions and lineage of the selected one', async () => {
    const motif = createArtifactBrowser();
    motif.methods.setArtifacts!({ artifacts: [
      { name: 'report', versions: [{ version: 2, hash: hash('c'), parents: [{ name: 'files', version: 1, hash: hash('a') }], producer: { runId: 'r1', stepId: 'score' } }, { version: 1, hash: hash('b') }] },
    ] });
    const first = motif.methods.uiRender({ view: 'v', name: 'browser' });
    let tree = applyPatches({ type: 'Stack', props: {}, children: [] }, first.update!.patches);
    const table = find(tree, 'Table')!;
    expect(table.props.rows).toEqual([{ id: 'report', latest: 'v2', versions: 2, hash: 'cccccccccccc' }]);
    const result = await motif.methods.uiEvent({ view: 'v', handler: handler(table, 'onRowClick'), event: { type: 'click', value: 'report' } });
    tree = applyPatches(tree, result.update!.patches);
    const graph = find(tree, 'Graph')!;
    expect(graph.props.edges).toEqual(expect.arrayContaining([{ from: 'files@1', to: 'report@2' }, { from: 'report@1', to: 'report@2' }]));
    expect(findAll(tree, 'Table')[1]!.props.rows).toHaveLength(2);
  });
});

describe('Motif base', () => {
  it('lists its panels and refuses a method name the base reserves', () => {
    expect(createRunMonitor().methods.motifPanels()).toEqual([{ name: 'monitor', title: 'Runs', description: expect.any(String) }]);
    let e: unknown;
    try { createMotif({ id: 'a.b', title: 'x', panels: {}, methods: { uiRender: () => null } }); } catch (x) { e = x; }
    expect(hasErrorCode(e, 'E_INPUT_INVALID')).toBe(true);
  });
});
