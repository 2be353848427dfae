// The performance envelope of DESIGN.md, picked out of the suites' results of one run. Not a
// suite itself (run.mjs only runs *.bench.mjs): run.mjs calls `envelopeRows` after every suite
// has run, and writes results/envelope.{md,json}.
//
// A layer's rows are the rows any suite tagged `envelope: '<key>'` (lib.mjs `row({ envelope })`);
// when no row carries the tag, the default `picks` below match rows by suite and case name. The
// floor is the row's own floor, or `floor` (another row of the same run) when the design names a
// different raw floor for the layer.
import { cell, formatNs, formatOps, round } from '../lib.mjs';

export const ENVELOPE = [
  {
    key: 'pit-op',
    layer: 'Pit operation, in-process',
    promise: '50-100 ns, 1M+ ops/s',
    aim: '≤ 100 ns for a pair such as acquire + release, ≥ 10M ops/s',
    picks: [
      { suite: 'kernel', case: /^kernel\.service\('pit\.counter'\)\.bump\(\)/, floor: { suite: 'kernel', case: /^direct call/ } },
      { suite: 'kernel', case: /^held service call/, floor: { suite: 'kernel', case: /^direct call/ } },
      { suite: 'pit-pool-arbitration-stale', case: /^pool tryAcquire \+ release/ },
      { suite: 'pit-pool-arbitration-stale', case: /^arbitration tryRequest \+ release/ },
    ],
  },
  {
    key: 'worker-bus',
    layer: 'IPC bus, worker thread round trip',
    promise: '10-50 µs, 100K ops/s',
    aim: '≤ 2× raw MessagePort; a shared-memory fast path ≤ 10 µs',
    picks: [
      { suite: 'ipc', case: /^bus call round trip$/ },
      { suite: 'ipc', case: /^extension call via Supervisor \+ SDK/ },
      { suite: 'ipc', case: /^Ring round trip/ },
      { suite: 'ipc', case: /^RingChannel round trip/ },
    ],
  },
  {
    key: 'worker-bus-pipelined',
    layer: 'IPC bus, pipelined (64 in flight)',
    promise: '100K ops/s',
    aim: '≥ 200K calls/s (≥ 5× plain comlink)',
    picks: [
      { suite: 'ipc', case: /^bus over a worker/ },
      { suite: 'ipc', case: /^bus over a worker/, floor: { suite: 'ipc', layer: /pipelined \(64 in flight\)/, case: /^plain comlink$/ }, label: 'bus over a worker vs plain comlink ×64' },
    ],
  },
  {
    key: 'child-process',
    layer: 'out-of-process extension call',
    promise: '0.1-0.5 ms, 10-100K ops/s',
    aim: '≤ 2× raw fork IPC',
    picks: [
      { suite: 'ipc', case: /^bus call round trip \(fork IPC\)/ },
      { suite: 'ipc', case: /^extension call over unix socket/ },
      { suite: 'sandbox', case: /^process extension call, sandboxed: bubblewrap/ },
    ],
  },
  {
    key: 'child-process-pipelined',
    layer: 'out-of-process, pipelined (64 in flight)',
    promise: '10-100K ops/s',
    aim: '≥ 100K calls/s pipelined',
    picks: [
      { suite: 'ipc', case: /^bus over fork IPC/ },
      { suite: 'ipc', case: /^extension over unix socket/ },
    ],
  },
  {
    key: 'vdom-update',
    layer: 'virtual DOM update',
    promise: '1-5 ms, 5K ops/s',
    aim: '1% of a 1,000-node tree diffed + serialized ≤ 50 µs; 10,000 nodes ≤ 0.5 ms',
    picks: [
      { suite: 'vdom', case: /^diff \+ JSON patches, 1% of 1,000 nodes/ },
      { suite: 'vdom', case: /^diff \+ JSON patches, 1% of 10,000 nodes/ },
      { suite: 'vdom', case: /^UiRoot\.render .*1% of 1,000 nodes/ },
    ],
  },
  {
    key: 'conductor-decision',
    layer: 'Conductor decision',
    promise: '0.5-2 ms, 10K ops/s',
    aim: '≤ 25 µs median per decision end to end; ≥ 200K decisions/s batched',
    picks: [
      { suite: 'conductor', case: /^ONNX policy decision, batch 1/ },
      { suite: 'conductor', case: /^ONNX policy decisions, batch of 64/ },
      { suite: 'conductor', case: /^ONNX policy decisions, 64 decide\(\) calls in one tick/ },
    ],
  },
  {
    key: 'instrument-inference',
    layer: 'instrument inference',
    promise: '— (no figure of its own; an AI decision: 0.5-2 ms)',
    aim: 'near raw onnxruntime per call; batching below one session.run per row',
    picks: [
      { suite: 'instruments', case: /^OnnxModel\.infer, batch 1/, floor: { suite: 'instruments', case: /^TypeScript forward pass/ } },
      { suite: 'instruments', case: /^OnnxModel\.infer, batch 1/ },
      { suite: 'instruments', case: /^per row, 64 batched/ },
    ],
  },
  {
    key: 'artifact-store',
    layer: 'artifact store',
    promise: '—',
    aim: 'get ≤ 2 µs; ≥ 100K puts/s; group commit',
    picks: [
      { suite: 'pit-dag-artifacts', case: /^artifact get\(name, version\)/ },
      { suite: 'pit-dag-artifacts', case: /^putMany/ },
      { suite: 'pit-dag-artifacts', case: /^pit\.dag durable complete\(\)/ },
    ],
  },
];

/**
 * `results`: `{ [suite]: { rows, failed?, error? } }` of this run. Returns one row per pick:
 * `status` is `measured`, `failed` (its suite failed), `not run` (suite absent or not selected)
 * or `no match` (the suite ran but no case matched: a renamed case).
 */
export function envelopeRows(results) {
  const out = [];
  for (const layer of ENVELOPE) {
    const tagged = Object.entries(results).flatMap(([suite, r]) => (r.rows ?? []).filter((x) => x.envelope === layer.key).map((x) => ({ suite, row: x })));
    const picks = tagged.length > 0 ? tagged.map(({ suite, row }) => ({ suite, case: exact(row.case) })) : layer.picks;
    for (const pick of picks) out.push(resolve(layer, pick, results));
  }
  return out;
}

function resolve(layer, pick, results) {
  const base = { key: layer.key, layer: layer.layer, suite: pick.suite, promise: layer.promise, aim: layer.aim };
  const found = find(results, pick);
  if (found.status !== 'measured') return { ...base, case: pick.label ?? String(pick.case), status: found.status, error: found.error };
  const m = found.row;
  let floor = { name: m.floor, medianNs: m.floorMedianNs };
  if (pick.floor) {
    const f = find(results, pick.floor);
    floor = f.status === 'measured' ? { name: f.row.case, medianNs: f.row.medianNs } : { name: `${String(pick.floor.case)} (${f.status})`, medianNs: null };
  }
  const ratio = floor.medianNs ? m.medianNs / floor.medianNs : null;
  return {
    ...base,
    case: pick.label ?? m.case,
    status: 'measured',
    medianNs: m.medianNs,
    p99Ns: m.p99Ns,
    opsPerSec: m.opsPerSec,
    floor: floor.name || '',
    floorMedianNs: floor.medianNs ?? null,
    ratio: ratio === null ? null : round(ratio),
  };
}

function find(results, pick) {
  const suite = results[pick.suite];
  if (!suite) return { status: 'not run' };
  if (suite.failed) return { status: 'failed', error: suite.error };
  const rows = (suite.rows ?? []).filter((r) => !pick.layer || pick.layer.test(r.layer));
  const row = rows.find((r) => pick.case.test(r.case));
  if (row) return { status: 'measured', row };
  // A floor measured only as another row's floor (e.g. the TypeScript forward pass).
  const asFloor = rows.find((r) => r.floor && pick.case.test(r.floor) && r.floorMedianNs);
  return asFloor ? { status: 'measured', row: { case: asFloor.floor, medianNs: asFloor.floorMedianNs } } : { status: 'no match' };
}

const exact = (text) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** The envelope as a markdown table, one line per pick, layer and promise beside each figure. */
export function envelopeMarkdown(rows) {
  const head = '| layer | case (suite) | median | p99 | ops/s | raw floor, same run | ratio | original promise | Symphony aim |';
  const sep = '|---|---|---|---|---|---|---|---|---|';
  const lines = rows.map((r) => {
    const what = `${cell(r.case)} (${r.suite})`;
    if (r.status !== 'measured') {
      const why = r.status === 'failed' ? `**suite failed**: ${cell(String(r.error ?? '').split('\n')[0].slice(0, 160))}` : r.status === 'not run' ? '_not measured: no such suite in this run_' : '_no matching case in the suite_';
      return `| ${cell(r.layer)} | ${what} | ${why} | | | | | ${cell(r.promise)} | ${cell(r.aim)} |`;
    }
    const floor = r.floor ? `${cell(r.floor)} ${formatNs(r.floorMedianNs)}` : '';
    return `| ${cell(r.layer)} | ${what} | ${formatNs(r.medianNs)} | ${formatNs(r.p99Ns)} | ${formatOps(r.opsPerSec)} | ${floor} | ${r.ratio === null ? '' : `${r.ratio}×`} | ${cell(r.promise)} | ${cell(r.aim)} |`;
  });
  return [head, sep, ...lines].join('\n');
}
