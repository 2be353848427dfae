// The Conductor: one decision (features + inference) with the ONNX policy at batch 1, batched
// decisions per second, beside the raw onnxruntime call on the same model, the TypeScript forward
// pass and a heuristic; then orchestration overhead per step on 1,000-step workflows of no-op
// in-process steps (own tracker and pit.dag), beside the storage floor of the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createKernel } from '@symphony/kernel';
import { pitStorePlugins } from '@symphony/pit-artifacts';
import { dagPlugin } from '@symphony/pit-dag';
import { arbitrationPlugin } from '@symphony/pit-arbitration';
import {
  ACTIONS,
  FEATURES,
  createConductorPlugin,
  createHeuristic,
  createMlpPolicy,
  createOnnxPolicy,
  encodeBatch,
  importPolicyOnnx,
  generateQuest,
  playQuest,
  readBundledPolicy,
  PolicyManager,
} from '@symphony/conductor';
import { measure, row } from '../lib.mjs';

const LAYER = 'Conductor';
const DECISION_PROMISE = '0.5-2 ms, 10K ops/s';
const DECISION_AIM = '≤ 25 µs median per decision end to end; ≥ 200K decisions/s batched';
const STEP_AIM = '≤ 20 µs orchestration overhead per step';

/** Decision contexts from real quests, with their stats frozen at decision time. */
async function contexts(n) {
  const out = [];
  const policy = createHeuristic('round-robin');
  for (let seed = 1; out.length < n; seed++) {
    await playQuest(generateQuest(seed), (batch) => {
      out.push(...batch.map((c) => ({ ...c, candidates: c.candidates.map((k) => ({ ...k, stats: { ...k.stats } })) })));
      return policy.decide(batch);
    });
  }
  return out.slice(0, n);
}

function perDecision(m, n) {
  return { ...m, medianNs: m.medianNs / n, p99Ns: m.p99Ns / n, meanNs: m.meanNs / n, opsPerSec: m.opsPerSec * n };
}

async function decisions(quick) {
  const rows = [];
  const { bytes, metadata } = await readBundledPolicy();
  const ctxs = await contexts(64);
  const one = [ctxs[0]];
  const onnx = await createOnnxPolicy(bytes, metadata.version);
  const ts = createMlpPolicy(importPolicyOnnx(bytes));
  const raw = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const enc1 = encodeBatch(one);
  const enc64 = encodeBatch(ctxs);
  const feeds = (e, n) => ({ features: new ort.Tensor('float32', e.features, [n, ACTIONS, FEATURES]), mask: new ort.Tensor('float32', e.mask, [n, ACTIONS]) });
  const opts = { quick, time: 500 };

  const raw1 = await measure('onnxruntime session.run, batch 1 (tensor prebuilt, no features)', () => raw.run(feeds(enc1, 1)), opts);
  const raw64 = perDecision(await measure('onnxruntime session.run, batch 64, per row', () => raw.run(feeds(enc64, 64)), opts), 64);
  raw64.name = 'onnxruntime session.run, batch 64, per row';
  const d1 = await measure('ONNX policy decision, batch 1 (features + inference + argmax)', () => onnx.decide(one), opts);
  rows.push(row({ layer: LAYER, name: d1.name, m: d1, floor: raw1, promise: DECISION_PROMISE, aim: DECISION_AIM }));
  const d64 = perDecision(await measure('batch 64', () => onnx.decide(ctxs), opts), 64);
  rows.push(row({ layer: LAYER, name: 'ONNX policy decisions, batch of 64 (per decision)', m: d64, floor: raw64, promise: DECISION_PROMISE, aim: DECISION_AIM }));
  const tick = perDecision(await measure('same tick', () => Promise.all(ctxs.map((c) => onnx.decide([c]))), opts), 64);
  rows.push(row({ layer: LAYER, name: 'ONNX policy decisions, 64 decide() calls in one tick coalesced (per decision)', m: tick, floor: raw64, promise: DECISION_PROMISE, aim: DECISION_AIM }));
  // What a run pays: the policy in force behind the manager, plus each decision's reason and bounded exploration.
  const manager = new PolicyManager(createHeuristic('ucb1'));
  await manager.load(bytes, metadata.version);
  const m1 = await measure('Conductor decision with reason + exploration (PolicyManager), batch 1', () => manager.decideDetailed(one), opts);
  rows.push(row({ layer: LAYER, name: m1.name, m: m1, floor: raw1, promise: DECISION_PROMISE, aim: DECISION_AIM }));
  const m64 = perDecision(await measure('manager batch 64', () => manager.decideDetailed(ctxs), opts), 64);
  rows.push(row({ layer: LAYER, name: 'Conductor decisions with reasons + exploration, batch of 64 (per decision)', m: m64, floor: raw64, promise: DECISION_PROMISE, aim: DECISION_AIM }));
  await manager.close();
  const tsm = await measure('TypeScript forward pass decision, batch 1 (same weights)', () => ts.decide(one), opts);
  rows.push(row({ layer: LAYER, name: tsm.name, m: tsm, floor: raw1 }));
  const ucb = createHeuristic('ucb1');
  const h = await measure('heuristic decision (ucb1), batch 1', () => ucb.decide(one), { ...opts, batch: 100 });
  rows.push(row({ layer: LAYER, name: h.name, m: h, floor: raw1 }));
  const swap = await measure('policy model load + probe + release (a model swap)', async () => (await createOnnxPolicy(bytes, 'swap')).close(), { quick, time: quick ? 300 : 1500 });
  rows.push(row({ layer: LAYER, name: swap.name, m: swap }));
  await onnx.close();
  await raw.release();
  return rows;
}

async function overhead(quick) {
  const rows = [];
  const n = 1000;
  const repeats = quick ? 2 : 5;
  const wide = { name: 'noop-wide', concurrency: 64, steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, uses: 'bench.noop/run' })) };
  const chain = { name: 'noop-chain', steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, uses: 'bench.noop/run', ...(i ? { needs: [`s${i - 1}`] } : {}) })) };
  // pit.dag is the one engine; the second pass skips fsync: what orchestration costs when the disk is not the bottleneck.
  for (const [dag, noSync] of [[true, false], [true, true]]) {
    const floor = noSync ? storageFloorNoSync : storageFloor;
    const dir = mkdtempSync(join(tmpdir(), 'bench-conductor-'));
    const kernel = createKernel({
      plugins: [...pitStorePlugins({ ledger: { path: join(dir, 'ledger'), noSync } }), arbitrationPlugin, ...(dag ? [dagPlugin] : []), createConductorPlugin({ policy: 'heuristic', slots: 1024 })],
      config: { home: dir, pluginOptions: { 'pit.arbitration': { sampleIntervalMs: 0 } } },
    });
    await kernel.start();
    const conductor = kernel.service('conductor');
    conductor.registerStep('bench.noop/run', () => null);
    for (const [shape, wf] of [['independent, 64 at once', wide], ['a chain', chain]]) {
      for (let w = 0; w < 2; w++) await conductor.run(wf); // warm-up: JIT and the ledger's first pages
      const times = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        const result = await conductor.run(wf);
        times.push(performance.now() - t0);
        if (result.status !== 'succeeded') throw new Error(`${wf.name} ${result.status}`);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)];
      const m = { medianNs: (median * 1e6) / n, p99Ns: (times[times.length - 1] * 1e6) / n, meanNs: (median * 1e6) / n, opsPerSec: (n * 1000) / median };
      rows.push(row({ layer: LAYER, name: `run of 1,000 no-op steps, ${shape}, ${dag ? 'pit.dag' : 'own tracker'}: per step (${noSync ? 'ledger without fsync' : 'durable ledger'})`, m, floor, aim: STEP_AIM }));
    }
    await kernel.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** What storing one step costs with nothing else: its output artifact + a record, 1,000 in one turn. */
let storageFloor;
let storageFloorNoSync;
async function measureStorageFloor(quick, noSync = false) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-floor-'));
  const kernel = createKernel({ plugins: [...pitStorePlugins({ ledger: { path: join(dir, 'ledger'), noSync } })], config: { home: dir } });
  await kernel.start();
  const ledger = kernel.service('pit.ledger');
  const artifacts = kernel.service('pit.artifacts');
  const db = ledger.db('bench.steps');
  const times = [];
  for (let r = -1; r < (quick ? 2 : 5); r++) {
    const t0 = performance.now();
    const all = [];
    for (let i = 0; i < 1000; i++) all.push(ledger.transaction(() => { artifacts.writeInTransaction(`floor/s${i}`, null, { kind: 'step-output' }); db.put([r, i], { state: 'done' }); }));
    await Promise.all(all);
    if (r >= 0) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const floor = { name: `artifact + step record per step, 1,000 same-turn transactions${noSync ? ', no fsync' : ''}`, medianNs: (median * 1e6) / 1000, p99Ns: (times.at(-1) * 1e6) / 1000, meanNs: (median * 1e6) / 1000, opsPerSec: 1e6 / median };
  if (noSync) storageFloorNoSync = floor;
  else storageFloor = floor;
  await kernel.stop();
  rmSync(dir, { recursive: true, force: true });
}

export default async function conductorSuite({ quick }) {
  const rows = await decisions(quick);
  await measureStorageFloor(quick);
  await measureStorageFloor(quick, true);
  rows.push(...(await overhead(quick)));
  return rows;
}
