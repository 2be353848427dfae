// The pool managing Stage instruments (issue 21): a workflow of six steps over three instruments
// (each a worker thread holding 24 MiB of heap "weights") under a memory budget that fits two,
// measured from the instances themselves. Per run mode: each step's first-call latency (call
// time minus the step's own work), the pool's warm-hit rate, and the run's makespan.
//   floor            host.call with all three kept running (no budget: the lower bound)
//   no pool          within the budget without a pool: a fresh instance per step, stopped after
//   pool, LRU        pit.pool leases, LRU eviction on demand, no pre-warming
//   pool, prewarm    the same plus prewarmPath(criticalPathOrder(...)) as each step starts: plan
//                    loads one at a time in plan order (prewarm.planLoads 1), instances started
//                    from the host's booted spare (ExtensionHost prewarm: 1, as the runtime does)
//   pool, prewarm, one pool across runs   the same pool for every round, as createSymphony keeps
//                    it: when a run's plan ends, the successor forecast warms what followed the last
//                    model leased (here: a, the next run's first step)
//   pool, prewarm (before)  the policy as it was: every plan load at once, no spare, no successor forecast
// Every pooled mode but the last, and "no pool", share one host with one spare (so "no pool" starts
// from spares too); the last and the floor use a plain host. Modes run interleaved, 4 rounds.
// With a budget of two and the chain a b c a b c, step i+1's instance can only start while step i
// runs (the third slot is taken by step i's own instance): its lead is one step's work. The run's
// first step has no lead at all (nothing asks for it before it is ready), so one fresh run of six
// steps peaks at 5/6 warm hits; `warmHitRateAfterFirst` is the rate over the steps that had a lead.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionHost, callPooled, criticalPathOrder, stageInstrumentSpec } from '@symphony/extension-loader';
import { buildRunGraph, upwardRanks } from '@symphony/pit-dag';
import { createPool } from '@symphony/pit-pool';
import { validateWorkflow } from '@symphony/types';
import { row } from '../lib.mjs';

const SDK = import.meta.resolve('@symphony/sdk/runtime');
const IDS = ['a', 'b', 'c'];
const model = (id) => `import { defineInstrument } from '${SDK}';
const weights = [];
for (let i = 0; i < 24; i++) weights.push(new Array(128 * 1024).fill(i + 0.5));
export default defineInstrument({ manifest: { id: 'bench.${id}', version: '1.0.0' }, methods: {
  predict: async ({ ms }) => { await new Promise((r) => setTimeout(r, ms)); return weights.length; },
} });`;

const summarize = (name, samplesMs) => {
  const s = [...samplesMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { name, medianNs: s[Math.floor(s.length / 2)] * 1e6, p99Ns: s[s.length - 1] * 1e6, opsPerSec: 1e3 / mean };
};

export default async function run({ quick }) {
  const dir = mkdtempSync(join(tmpdir(), 'sym-pool-bench-'));
  const host = new ExtensionHost({ pingIntervalMs: 0, prewarm: 1 });
  const plain = new ExtensionHost({ pingIntervalMs: 0 });
  try {
    for (const id of IDS) {
      writeFileSync(join(dir, `${id}.mjs`), model(id));
      for (const h of [host, plain]) {
        await h.register({ manifest: { id: `bench.${id}`, version: '1.0.0', kind: 'instrument', contributes: { methods: { predict: {} } } }, main: join(dir, `${id}.mjs`) }, 'worker');
      }
    }
    // One instance's real size, as it reports it: the budget fits two.
    const probe = await host.startInstance('bench.a');
    const one = (await probe.memory()).heapUsedBytes;
    await probe.stop();
    const declared = Math.round(1.2 * one);
    const budget = Math.round(2.5 * declared);

    const workMs = quick ? 150 : 300;
    const reps = quick ? 1 : 4;
    const uses = ['a', 'b', 'c', 'a', 'b', 'c'].map((x) => `bench.${x}`);
    const workflow = validateWorkflow({ name: 'pool-bench', steps: uses.map((u, i) => ({ id: `s${i}`, uses: `${u}/predict`, ...(i ? { needs: [`s${i - 1}`] } : {}) })) });
    const graph = buildRunGraph(workflow);
    const ranks = upwardRanks(graph, graph.ids.map(() => workMs));
    const instrumentOf = (stepId) => workflow.steps.find((s) => s.id === stepId).uses.split('/')[0];

    /** One run of the chain; `call(uses, i)` runs step i. Returns per-step overhead and the makespan. */
    const runChain = async (call, beforeStep = () => {}) => {
      const overhead = [];
      const t0 = performance.now();
      for (let i = 0; i < uses.length; i++) {
        beforeStep(i);
        const s0 = performance.now();
        await call(uses[i], i);
        overhead.push(performance.now() - s0 - workMs);
      }
      return { overhead, makespan: performance.now() - t0 };
    };

    /** One run of each mode per round, rounds interleaved (order rotated), so a load swing on the shared machine hits every mode alike. */
    const plans = [];
    plans.push(['no pool (fresh instance per step)', () =>
      runChain(async (u) => {
        const inst = await host.startInstance(u);
        try {
          await inst.call('predict', { ms: workMs });
        } finally {
          void inst.stop();
        }
      }),
    ]);
    const pooled = [
      ['pool, LRU on demand', { host, prewarm: false }],
      ['pool, critical-path prewarm', { host, prewarm: true }],
      ['pool, critical-path prewarm, one pool across runs', { host, prewarm: true, persist: true }],
      ['pool, critical-path prewarm (before: all plan loads at once, no spare)', { host: plain, prewarm: true, planLoads: IDS.length, successors: false }],
    ];
    const kept = [];
    for (const [name, mode] of pooled) {
      let persistent;
      const newPool = () => {
        const pool = createPool({ memoryBudgetBytes: budget, timers: false, prewarm: mode.prewarm ? { planLoads: mode.planLoads ?? 1, successors: mode.successors ?? true } : false });
        for (const id of IDS) pool.register(stageInstrumentSpec(mode.host, `bench.${id}`, { memoryBytes: declared }));
        return pool;
      };
      plans.push([name, async () => {
        // A fresh pool per run, or one kept across runs as createSymphony keeps its pool.
        const pool = mode.persist ? (persistent ??= newPool()) : newPool();
        if (mode.persist && !kept.includes(pool)) kept.push(pool);
        const done = new Set();
        const hits = [];
        const out = await runChain(
          async (u, i) => {
            const before = pool.stats().warmHits;
            await callPooled(pool, u, 'predict', { ms: workMs });
            hits.push(pool.stats().warmHits > before);
            done.add(`s${i}`);
          },
          (i) => {
            // As step i starts: warm what the rest of the critical path needs, most urgent first.
            if (mode.prewarm) pool.prewarmPath(criticalPathOrder(graph.ids, ranks, instrumentOf, done));
          },
        );
        // The run ends, and so does its plan (what the runtime does at run:end); a fresh pool just closes.
        if (mode.persist) pool.prewarmPath([]);
        else await pool.close();
        return { ...out, hits };
      }]);
    }
    // The floor's instances are the plain host's own, kept up until it stops.
    plans.push(['floor (host.call, all running, no budget)', async () => {
      for (const id of IDS) await plain.activate(`bench.${id}`);
      return runChain((u) => plain.call(`${u}/predict`, { ms: workMs }));
    }]);

    const outs = Object.fromEntries(plans.map(([name]) => [name, []]));
    for (let r = 0; r < reps; r++) {
      for (let k = 0; k < plans.length; k++) {
        const [name, once] = plans[(k + r) % plans.length];
        outs[name].push(await once());
      }
    }
    for (const pool of kept) await pool.close();
    const rate = (flags) => (flags.length ? flags.filter(Boolean).length / flags.length : null);
    const modes = {};
    for (const [name] of plans) {
      const overhead = outs[name].flatMap((o) => o.overhead);
      const hits = outs[name].flatMap((o) => o.hits ?? []);
      modes[name] = {
        overhead,
        makespans: outs[name].map((o) => o.makespan),
        warmHitRate: rate(hits),
        warmHitRateAfterFirst: rate(hits.filter((_, i) => i % uses.length !== 0)),
        firstCallMs: overhead.map((x) => Math.round(x)),
      };
    }

    const layer = 'pool: Stage instruments (3 worker instruments, budget fits 2)';
    const floor = summarize('floor: host.call, all three running (no budget)', modes['floor (host.call, all running, no budget)'].makespans);
    const rows = [];
    for (const [name, m] of Object.entries(modes)) {
      const makespan = summarize(`makespan, ${name}`, m.makespans);
      rows.push({ ...row({ layer, name: makespan.name, m: makespan, floor }), stepFirstCallMs: m.firstCallMs, warmHitRate: m.warmHitRate, warmHitRateAfterFirst: m.warmHitRateAfterFirst });
      rows.push(row({ layer, name: `first-call latency per step, ${name}`, m: summarize(name, m.overhead) }));
    }
    rows.push({ layer, case: 'budget', budgetBytes: budget, perInstanceMeasuredBytes: one, workMs, reps, medianNs: null, p99Ns: null, opsPerSec: null, floor: '', floorMedianNs: null, ratio: null, promise: '', aim: 'warm hits >= 90% (a fresh run of 6 steps peaks at 5/6: its first step has no lead)' });
    return rows;
  } finally {
    await Promise.all([host.stop(), plain.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
