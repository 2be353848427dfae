// The Pit's DAG tracker and artifact store, each beside its raw floor in the same run:
// - ready-set complete() per step on a 10,000-step random DAG vs a bare Kahn loop (no priorities);
// - durable step completion through pit.dag (group-committed) vs one lmdb commit per step;
// - artifact get of a small cached artifact vs a raw lmdb get;
// - batched put throughput (one transaction) vs raw lmdb puts in one transaction;
// - indexed find vs a full scan over 100K artifacts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { validateWorkflow } from '@symphony/types';
import { ArtifactStore, closeLedger, openLedger } from '@symphony/pit-artifacts';
import { ReadySet, buildRunGraph, createDagService, upwardRanks } from '@symphony/pit-dag';
import { measure, row } from '../lib.mjs';

/** A random DAG as a validated workflow: each step needs up to 3 earlier steps. */
function randomWorkflow(size, seed = 7) {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const steps = [];
  for (let i = 0; i < size; i++) {
    const needs = new Set();
    for (let k = 0; k < 3 && i > 0; k++) if (random() < 0.7) needs.add(`s${Math.floor(random() * i)}`);
    steps.push({ id: `s${i}`, uses: 'bench.dag/step', needs: [...needs] });
  }
  return validateWorkflow({ name: `random-${size}`, steps });
}

/** Per-step figures from a measurement of whole runs of `steps` steps. */
function perStep(m, steps, name) {
  return { ...m, name, medianNs: m.medianNs / steps, p99Ns: m.p99Ns / steps, meanNs: m.meanNs / steps, opsPerSec: m.opsPerSec * steps };
}

async function dagRows(quick, dir) {
  const size = 10_000;
  const graph = buildRunGraph(randomWorkflow(size));
  const ranks = upwardRanks(graph, new Float64Array(size).fill(1));
  let sink = 0;
  const ready = await measure(`ready set: take + complete() per step (${size}-step random DAG)`, () => {
    const set = new ReadySet(graph, ranks);
    set.seed();
    for (let i = set.take(); i >= 0; i = set.take()) sink += set.complete(i);
  }, { quick, time: quick ? 300 : 1500 });
  // Raw floor: Kahn's algorithm over the same CSR arrays with a plain FIFO, no priorities, no states.
  const kahn = await measure('raw floor: bare Kahn loop (FIFO, no ranks)', () => {
    const remaining = graph.inDegree.slice();
    const queue = new Int32Array(size);
    let head = 0;
    let tail = 0;
    for (let i = 0; i < size; i++) if (remaining[i] === 0) queue[tail++] = i;
    while (head < tail) {
      const v = queue[head++];
      for (let e = graph.succStart[v]; e < graph.succStart[v + 1]; e++) if (--remaining[graph.succ[e]] === 0) queue[tail++] = graph.succ[e];
    }
    sink += tail;
  }, { quick, time: quick ? 300 : 1500 });

  // Durable completions through the service: next() + complete() for a 1,000-step run, all of a
  // wave's completions issued together so lmdb group-commits them.
  const ledger = openLedger({ path: join(dir, 'dag-ledger') });
  const artifacts = new ArtifactStore(ledger);
  const dag = createDagService({ ledger, artifacts });
  const durableSteps = 1_000;
  const workflow = randomWorkflow(durableSteps, 11);
  let n = 0;
  const durable = await measure(`pit.dag durable complete() per step, incl. createRun + next() (${durableSteps}-step random DAG, 29 levels)`, async () => {
    const run = await dag.createRun(workflow, { runId: `bench-${n++}` });
    const done = dag.whenDone(run.runId);
    for (;;) {
      const wave = dag.next(run.runId);
      if (wave.length === 0) break;
      await Promise.all(wave.map((s) => dag.complete(run.runId, s.stepId)));
    }
    await done;
  }, { quick, time: quick ? 300 : 2000 });
  // The same with no dependencies: one wave of 1,000 completions shares a handful of commits.
  const wide = validateWorkflow({ name: 'wide-1000', steps: Array.from({ length: durableSteps }, (_, i) => ({ id: `w${i}`, uses: 'bench.dag/step' })) });
  const durableWide = await measure(`pit.dag durable complete() per step, incl. createRun + next() (${durableSteps} independent steps)`, async () => {
    const run = await dag.createRun(wide, { runId: `wide-${n++}` });
    const done = dag.whenDone(run.runId);
    await Promise.all(dag.next(run.runId).map((s) => dag.complete(run.runId, s.stepId)));
    await done;
  }, { quick, time: quick ? 300 : 2000 });
  // Raw floor: what durability costs without group commit, one awaited lmdb put (one commit) per step.
  const raw = open({ path: join(dir, 'raw-dag') });
  let k = 0;
  const rawPuts = await measure('raw floor: one awaited lmdb put per step (a commit each)', async () => {
    await raw.put(['run', k++], { status: 'done', attempts: 1 });
  }, { quick, time: quick ? 300 : 2000 });
  dag.close();
  await closeLedger(ledger);
  await raw.close();
  if (sink < 0) console.log(sink);

  const layer = 'pit-dag';
  return [
    row({ layer, name: ready.name, m: perStep(ready, size, ready.name), floor: perStep(kahn, size, kahn.name), aim: '≤ 1 µs per step' }),
    row({ layer, name: durable.name, m: perStep(durable, durableSteps, durable.name), floor: rawPuts, aim: 'well under one commit per step' }),
    row({ layer, name: durableWide.name, m: perStep(durableWide, durableSteps, durableWide.name), floor: rawPuts, aim: 'well under one commit per step' }),
  ];
}

async function artifactRows(quick, dir) {
  const ledger = openLedger({ path: join(dir, 'art-ledger') });
  const store = new ArtifactStore(ledger);
  const raw = open({ path: join(dir, 'raw-art') });
  const layer = 'pit-artifacts';
  const rows = [];

  // get of a small cached artifact vs a raw lmdb get of a similar record.
  const ref = await store.put('bench/small', { ok: true, n: 42, label: 'small artifact' });
  await raw.put('small', { ok: true, n: 42, label: 'small artifact' });
  let sink = 0;
  store.get('bench/small', ref.version); // warm the caches
  const get = await measure('artifact get(name, version), small, cached (verified once)', () => {
    sink += store.get('bench/small', ref.version).data.length;
  }, { batch: 1000, quick });
  const getLatest = await measure('artifact get(name) → latest, small, cached', () => {
    sink += store.get('bench/small').data.length;
  }, { batch: 1000, quick });
  const rawGet = await measure('raw floor: lmdb get (msgpack decode)', () => {
    sink += raw.get('small').n;
  }, { batch: 1000, quick });
  rows.push(row({ layer, name: get.name, m: get, floor: rawGet, aim: '≤ 2 µs' }));
  rows.push(row({ layer, name: getLatest.name, m: getLatest, floor: rawGet, aim: '≤ 2 µs' }));

  // Batched put throughput: 1,000 small artifacts in one transaction.
  const batch = 1000;
  let round = 0;
  // CPU time (process.cpuUsage, all threads) is summed over every call too: on a shared machine
  // the wall time is mostly waiting for a core.
  const putCpu = { us: 0, calls: 0 };
  const put = await measure(`putMany: ${batch} small artifacts in one transaction (per artifact)`, async () => {
    const c0 = process.cpuUsage();
    const r = round++;
    const items = [];
    for (let i = 0; i < batch; i++) items.push({ name: `put/${r % 50}/${i}`, data: { r, i, v: 'x' } });
    await store.putMany(items);
    const c = process.cpuUsage(c0);
    putCpu.us += c.user + c.system;
    putCpu.calls++;
  }, { quick, time: quick ? 300 : 2000 });
  let rawRound = 0;
  const rawPut = await measure(`raw floor: ${batch} lmdb putSync in one transaction`, async () => {
    const r = rawRound++;
    await raw.transaction(() => {
      for (let i = 0; i < batch; i++) raw.putSync(['put', r, i], { r, i, v: 'x' });
    });
  }, { quick, time: quick ? 300 : 2000 });
  rows.push({ ...row({ layer, name: put.name, m: perStep(put, batch, put.name), floor: perStep(rawPut, batch, rawPut.name), aim: '≥ 100K puts/s' }), cpuNsPerArtifact: Math.round((putCpu.us * 1000) / putCpu.calls / batch) });

  // Indexed find vs full scan, 100K artifacts (20K in quick mode), 1% of them of a rare kind.
  const total = quick ? 20_000 : 100_000;
  for (let start = 0; start < total; start += 5000) {
    const items = [];
    for (let i = start; i < start + 5000; i++) {
      items.push({ name: `corpus/${i}`, data: i, meta: { kind: i % 100 === 0 ? 'rare' : 'common', tags: [i % 7 === 0 ? 'seven' : 'other'] } });
    }
    await store.putMany(items);
  }
  const versions = ledger.db('artifacts.versions', { useRecords: false });
  const find = await measure(`find({ kind: 'rare' }) over ${total} artifacts (${total / 100} hits, index range scan)`, () => {
    sink += store.find({ kind: 'rare' }).length;
  }, { quick });
  const scan = await measure(`full scan of ${total} version records, filtering kind`, () => {
    let hits = 0;
    // Version records are keyed [version, name]: every corpus artifact is version 1 of its name.
    for (const { value } of versions.getRange({ start: [1, 'corpus/'], end: [1, 'corpus/\uffff'] })) if (value.kind === 'rare') hits++;
    sink += hits;
  }, { quick, time: quick ? 300 : 1000 });
  const speedup = Math.round(scan.medianNs / find.medianNs);
  rows.push(row({ layer, name: `${find.name}: ${speedup}× faster than the scan`, m: find, floor: scan, aim: 'range scan, not full scan' }));
  await closeLedger(ledger);
  await raw.close();
  if (sink < 0) console.log(sink);
  return rows;
}

export default async function pitDagArtifactsSuite({ quick }) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pit-dag-'));
  try {
    return [...(await dagRows(quick, dir)), ...(await artifactRows(quick, dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
