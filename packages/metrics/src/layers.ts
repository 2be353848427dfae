/**
 * The standard per-layer histograms, with buckets placed around each layer's performance envelope
 * (DESIGN.md): a Pit op is ~100 ns, a bus call ~10-50 µs, an extension call ~0.1-0.5 ms, a vdom
 * update ≤ 50 µs, a Conductor decision ≤ 25 µs. Values are seconds, as Prometheus expects.
 */
export const STANDARD_HISTOGRAMS = {
  pitOp: {
    name: 'pit_op_duration_seconds',
    help: 'Duration of one in-process Pit operation',
    labelNames: ['service', 'op'],
    buckets: [1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 5e-5, 1e-4, 1e-3, 1e-2],
  },
  busCall: {
    name: 'bus_call_duration_seconds',
    help: 'Round trip of one IPC bus call',
    labelNames: ['transport', 'method'],
    buckets: [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 1e-2, 0.1, 1],
  },
  extensionCall: {
    name: 'extension_call_duration_seconds',
    help: 'Duration of one Stage extension method call, end to end',
    labelNames: ['extension', 'method', 'outcome'],
    buckets: [2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2, 0.1, 1, 10],
  },
  vdomUpdate: {
    name: 'vdom_update_duration_seconds',
    help: 'Diff and serialisation of one virtual DOM update',
    labelNames: ['view'],
    buckets: [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 1e-2, 0.05],
  },
  conductorDecision: {
    name: 'conductor_decision_duration_seconds',
    help: 'Duration of one Conductor decision, end to end',
    labelNames: ['policy'],
    buckets: [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2e-3, 1e-2],
  },
} as const;

export type StandardHistogram = keyof typeof STANDARD_HISTOGRAMS;
type LabelsOf<K extends StandardHistogram> = (typeof STANDARD_HISTOGRAMS)[K]['labelNames'][number];
export type StandardLabels = { [K in StandardHistogram]: LabelsOf<K> };
