import type { ArtifactRef, RunEvents } from '@symphony/types';
import { ui, type SourceNode } from '@symphony/vdom';
import { createMotif, type Motif } from './motif.js';

export type StepStatus = 'pending' | 'ready' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'retrying';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface StepView {
  id: string;
  uses?: string;
  needs: string[];
  status: StepStatus;
  attempt: number;
  progress?: number;
  /** Progress messages and retry/failure notes, newest last, at most `LOG_LIMIT`. */
  log: string[];
  output?: ArtifactRef;
  error?: { code: string; message: string };
  durationMs?: number;
}

export interface RunView {
  runId: string;
  workflow: string;
  status: RunStatus;
  startedAt: number;
  durationMs?: number;
  steps: Record<string, StepView>;
  /** Step ids in first-seen (or declared) order. */
  stepOrder: string[];
}

export interface MonitorData {
  runs: Record<string, RunView>;
  /** Run ids, newest first, at most `RUN_LIMIT`. */
  runOrder: string[];
}

/** One Conductor event as the monitor ingests it: the event name and its payload. */
export type RunEventRecord = { [K in keyof RunEvents]: { name: K; payload: RunEvents[K][0] } }[keyof RunEvents];

export const LOG_LIMIT = 200;
export const RUN_LIMIT = 50;

export const emptyMonitor = (): MonitorData => ({ runs: {}, runOrder: [] });

function step(run: RunView, id: string): StepView {
  return run.steps[id] ?? { id, needs: [], status: 'pending', attempt: 0, log: [] };
}

function withStep(run: RunView, id: string, patch: Partial<StepView>, line?: string): RunView {
  const prev = step(run, id);
  const log = line ? [...prev.log, line].slice(-LOG_LIMIT) : prev.log;
  const next: StepView = { ...prev, ...patch, log };
  return { ...run, steps: { ...run.steps, [id]: next }, stepOrder: run.steps[id] ? run.stepOrder : [...run.stepOrder, id] };
}

/**
 * Folds Conductor run events into the monitor's data, immutably (untouched runs and steps keep
 * their identity, so the rendered tree shares them and the diff skips them).
 */
export function reduceRunEvents(data: MonitorData, events: readonly RunEventRecord[]): MonitorData {
  let runs = data.runs;
  let runOrder = data.runOrder;
  const put = (run: RunView) => { runs = { ...runs, [run.runId]: run }; };
  for (const e of events) {
    if (e.name === 'run:start') {
      const existing = runs[e.payload.runId];
      put({ runId: e.payload.runId, workflow: e.payload.workflow, status: 'running', startedAt: e.payload.at, steps: existing?.steps ?? {}, stepOrder: existing?.stepOrder ?? [] });
      if (!existing) runOrder = [e.payload.runId, ...runOrder];
      continue;
    }
    const run = runs[e.payload.runId];
    if (!run) continue; // events for a run whose start we never saw (or that was trimmed)
    switch (e.name) {
      case 'step:ready': put(withStep(run, e.payload.stepId, { status: 'ready' })); break;
      case 'step:start': put(withStep(run, e.payload.stepId, { status: 'running', attempt: e.payload.attempt, progress: 0 })); break;
      case 'step:progress':
        put(withStep(run, e.payload.stepId, { progress: e.payload.fraction }, e.payload.message)); break;
      case 'step:retry':
        put(withStep(run, e.payload.stepId, { status: 'retrying', attempt: e.payload.attempt },
          `retry ${e.payload.attempt} in ${e.payload.delayMs} ms: ${e.payload.error.code} ${e.payload.error.message}`)); break;
      case 'step:end':
        put(withStep(run, e.payload.stepId, {
          status: e.payload.skipped ? 'skipped' : 'succeeded', progress: 1, durationMs: e.payload.durationMs,
          ...(e.payload.output ? { output: e.payload.output } : {}),
        }, e.payload.reusedFrom ? `carried over from ${e.payload.reusedFrom}` : undefined)); break;
      case 'step:fail':
        put(withStep(run, e.payload.stepId, { status: 'failed', durationMs: e.payload.durationMs, error: { code: e.payload.error.code, message: e.payload.error.message } },
          `failed: ${e.payload.error.code} ${e.payload.error.message}`)); break;
      case 'run:end': put({ ...run, status: e.payload.status, durationMs: e.payload.durationMs }); break;
    }
  }
  if (runOrder.length > RUN_LIMIT) {
    const dropped = runOrder.slice(RUN_LIMIT);
    runOrder = runOrder.slice(0, RUN_LIMIT);
    runs = { ...runs };
    for (const id of dropped) delete runs[id];
  }
  return { runs, runOrder };
}

/** The graph's shape from the workflow (steps and their `needs`), before any step has run. */
export function describeRun(data: MonitorData, input: { runId: string; workflow: string; steps: Array<{ id: string; uses?: string; needs?: string[] }> }): MonitorData {
  const base = data.runs[input.runId] ?? { runId: input.runId, workflow: input.workflow, status: 'running' as const, startedAt: Date.now(), steps: {}, stepOrder: [] };
  let run: RunView = base;
  for (const s of input.steps) run = withStep(run, s.id, { needs: s.needs ?? [], ...(s.uses ? { uses: s.uses } : {}) });
  const runOrder = data.runOrder.includes(input.runId) ? data.runOrder : [input.runId, ...data.runOrder];
  return { runs: { ...data.runs, [input.runId]: run }, runOrder };
}

interface MonitorState { data: MonitorData; run?: string; step?: string }

const runTone = { running: 'warning', succeeded: 'success', failed: 'destructive', cancelled: 'secondary' } as const;

type SetMonitor = (f: (s: MonitorState) => MonitorState) => void;

// Handlers built once per view instance (its setState is stable): a handler id that survives
// re-renders means a click racing a live update still reaches its handler instead of going stale.
const monitorHandlers = new WeakMap<SetMonitor, { selectRun: (e: { value?: unknown }) => void; selectStep: (e: { value?: unknown }) => void }>();
function handlersFor(set: SetMonitor) {
  let h = monitorHandlers.get(set);
  if (!h) {
    h = {
      selectRun: (e) => set((s) => ({ ...s, run: String(e.value), step: undefined })),
      selectStep: (e) => set((s) => ({ ...s, step: String(e.value) })),
    };
    monitorHandlers.set(set, h);
  }
  return h;
}

function renderMonitor(state: MonitorState, set: SetMonitor): SourceNode {
  const { data } = state;
  const selected = state.run ? data.runs[state.run] : undefined;
  const rows = data.runOrder.map((id) => {
    const r = data.runs[id]!;
    const done = Object.values(r.steps).filter((s) => s.status === 'succeeded' || s.status === 'skipped').length;
    return { id, workflow: r.workflow, status: r.status, steps: `${done}/${r.stepOrder.length}`, duration: r.durationMs === undefined ? '' : `${r.durationMs} ms` };
  });
  return ui.stack({ gap: 4 },
    ui.card({ title: 'Runs', description: `${rows.length} run${rows.length === 1 ? '' : 's'}` },
      rows.length === 0 ? ui.text({ tone: 'muted' }, 'No runs yet.') : ui.table({
        columns: [{ key: 'id', label: 'Run' }, { key: 'workflow', label: 'Workflow' }, { key: 'status', label: 'Status' }, { key: 'steps', label: 'Steps' }, { key: 'duration', label: 'Duration' }],
        rows,
        onRowClick: handlersFor(set).selectRun,
      })),
    selected ? renderRun(selected, state.step, set) : null);
}

function renderRun(run: RunView, stepId: string | undefined, set: (f: (s: MonitorState) => MonitorState) => void): SourceNode {
  const steps = run.stepOrder.map((id) => run.steps[id]!);
  const finished = steps.filter((s) => s.status === 'succeeded' || s.status === 'skipped' || s.status === 'failed').length;
  const current = stepId ? run.steps[stepId] : undefined;
  return ui.stack({ gap: 4, key: `run-${run.runId}` },
    ui.card({ title: `Run ${run.runId}`, description: run.workflow },
      ui.stack({ direction: 'row', gap: 2, align: 'center' }, ui.badge({ tone: runTone[run.status] }, run.status),
        ui.text({ tone: 'muted' }, `${finished} of ${steps.length} steps finished`)),
      ui.progress({ value: steps.length ? Math.round((finished / steps.length) * 100) : 0 }),
      ui.graph({
        nodes: steps.map((s) => ({ id: s.id, label: s.id, status: s.status, detail: s.uses ?? `attempt ${s.attempt}` })),
        edges: steps.flatMap((s) => s.needs.map((from) => ({ from, to: s.id }))),
        ...(stepId ? { selected: stepId } : {}),
        onNodeClick: handlersFor(set).selectStep,
      })),
    current ? ui.card({ title: `Step ${current.id}`, description: current.uses ?? '', key: `step-${current.id}` },
      ui.stack({ direction: 'row', gap: 2 }, ui.badge({ tone: current.status === 'failed' ? 'destructive' : 'secondary' }, current.status),
        ui.badge({ tone: 'outline' }, `attempt ${current.attempt}`),
        current.durationMs === undefined ? null : ui.badge({ tone: 'outline' }, `${current.durationMs} ms`)),
      current.error ? ui.alert({ tone: 'destructive', title: current.error.code }, current.error.message) : null,
      ui.heading({ level: 4 }, 'Log'),
      ui.codeBlock({ code: current.log.length ? current.log.join('\n') : '(no output)' }),
      ui.heading({ level: 4 }, 'Output'),
      current.output
        ? ui.codeBlock({ code: `${current.output.name}@${current.output.version}\nsha256 ${current.output.hash}${current.output.size === undefined ? '' : `\n${current.output.size} bytes`}`, language: 'text' })
        : ui.text({ tone: 'muted' }, 'No output yet.')) : null);
}

/** The run monitor motif: a live DAG of each workflow run, built from Conductor events. */
export function createRunMonitor(options: { id?: string } = {}): Motif {
  let shared = emptyMonitor();
  const motif: Motif = createMotif({
    id: options.id ?? 'symphony.run-monitor',
    title: 'Run monitor',
    panels: {
      monitor: {
        title: 'Runs',
        description: 'Live DAG of workflow runs with step states, logs and outputs',
        initialState: (): MonitorState => ({ data: shared }),
        // After a hot reload the kept slice is newer than this fresh worker's (empty) data.
        restore: (state: MonitorState) => {
          if (shared.runOrder.length === 0) shared = state.data;
          return { ...state, data: shared };
        },
        render: ({ state, setState }) => renderMonitor(state as MonitorState, setState as never),
      },
    },
    methods: {
      ingest(input: { events: RunEventRecord[] }) {
        shared = reduceRunEvents(shared, input.events);
        motif.runtime.forEach('monitor', (view) => view.setState({ ...(view.state as MonitorState), data: shared }));
        return { runs: shared.runOrder.length };
      },
      describeRun(input: Parameters<typeof describeRun>[1]) {
        shared = describeRun(shared, input);
        motif.runtime.forEach('monitor', (view) => view.setState({ ...(view.state as MonitorState), data: shared }));
        return { runs: shared.runOrder.length };
      },
    },
  });
  return motif;
}
