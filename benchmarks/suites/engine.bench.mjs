// The run engine (pit.dag over the durable LMDB ledger) beside its peers in the same run:
// - a 1,000-step chain and 1,000 independent steps of no-op steps, every completion durable
//   (fsync on), with pipelined release and group commit; a no-op step returns nothing, so its
//   durable step record is its completion (no artifact). The same two shapes again with a small
//   JSON output artifact per step (with lineage along the chain);
// - the same chain through LangGraph.js with its SQLite checkpointer and through p-graph (no
//   persistence), as a user could pick instead;
// - `symphony run` of a YAML chain (a real process, extension steps in a worker thread) beside
//   the API path per step: an embedder's whole process (engine-embedder.mjs: createSymphony().run
//   of the same file, same extension, the CLI's composition: default built-ins and policy), so
//   both sides pay one process start and the ratio is what the CLI itself adds.
// The pit.dag rows also carry `cpuNsPerStep`: process CPU time (process.cpuUsage, all threads)
// per step over every timed run, since wall time on a shared machine is mostly waiting for a CPU.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateWorkflow } from '@symphony/types';
import { ArtifactStore, closeLedger, openLedger } from '@symphony/pit-artifacts';
import { createDagService } from '@symphony/pit-dag';
import { coldStart, measure, row } from '../lib.mjs';

const STEPS = 1_000;
const CLI = fileURLToPath(new URL('../../apps/cli/dist/cli.js', import.meta.url));
const EMBEDDER = fileURLToPath(new URL('./engine-embedder.mjs', import.meta.url));
const SDK = fileURLToPath(new URL('../../packages/sdk', import.meta.url));

/** Wraps an async run so its CPU time (process.cpuUsage) is summed over every call. */
function cpuMeter(fn) {
  const total = { us: 0, calls: 0 };
  const wrapped = async () => {
    const c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    total.us += c.user + c.system;
    total.calls++;
  };
  return { wrapped, perCallNs: () => (total.calls ? (total.us * 1000) / total.calls : null) };
}

const perStep = (m, steps) => ({ ...m, medianNs: m.medianNs / steps, p99Ns: m.p99Ns / steps, meanNs: m.meanNs / steps, opsPerSec: m.opsPerSec * steps });

const chain = (n, name = `chain-${n}`) => validateWorkflow({ name, steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, uses: 'bench.noop/run', ...(i ? { needs: [`s${i - 1}`] } : {}) })) });
const wide = (n) => validateWorkflow({ name: `wide-${n}`, steps: Array.from({ length: n }, (_, i) => ({ id: `w${i}`, uses: 'bench.noop/run' })) });

/**
 * Drives a run as a scheduler (the Conductor) does: start what is ready, hand each step's return
 * value to `completeWithOutput`, repeat. Pipelined: no await between steps. `output(i)` is what a
 * step returns: `undefined` for a no-op step (its durable step record is its completion, no
 * artifact), or a small JSON value (an output artifact per step, with lineage).
 */
async function drive(dag, runId, output = () => undefined) {
  const done = dag.whenDone(runId);
  const acks = [];
  let i = 0;
  for (let ready = dag.next(runId); ready.length > 0; ready = dag.next(runId)) {
    for (const s of ready) acks.push(dag.completeWithOutput(runId, s.stepId, output(i++)));
  }
  await Promise.all(acks);
  return done;
}

async function langGraphChain(n, dir) {
  let mods;
  try {
    const { StateGraph, Annotation, START, END } = await import('@langchain/langgraph');
    const { SqliteSaver } = await import('@langchain/langgraph-checkpoint-sqlite');
    mods = { StateGraph, Annotation, START, END, SqliteSaver };
  } catch (err) {
    return { skipped: `LangGraph.js + SQLite checkpointer not installed: ${err.message}` };
  }
  const { StateGraph, Annotation, START, END, SqliteSaver } = mods;
  const State = Annotation.Root({ n: Annotation({ reducer: (_a, b) => b, default: () => 0 }) });
  let graph = new StateGraph(State);
  for (let i = 0; i < n; i++) graph = graph.addNode(`s${i}`, (s) => ({ n: s.n + 1 }));
  graph = graph.addEdge(START, 's0');
  for (let i = 1; i < n; i++) graph = graph.addEdge(`s${i - 1}`, `s${i}`);
  graph = graph.addEdge(`s${n - 1}`, END);
  let t = 0;
  try {
    const saver = SqliteSaver.fromConnString(join(dir, 'langgraph.sqlite'));
    const app = graph.compile({ checkpointer: saver });
    const run = () => app.invoke({ n: 0 }, { configurable: { thread_id: `t${t++}` }, recursionLimit: n + 10 });
    const out = await run();
    if (out.n !== n) throw new Error(`LangGraph chain computed ${out.n}, not ${n}`);
    return { run };
  } catch (err) {
    return { skipped: `LangGraph.js + SQLite checkpointer could not run here: ${err.message.split('\n')[0]}` };
  }
}

async function pGraphChain(n) {
  let pGraph;
  try {
    const mod = await import('p-graph');
    const PGraph = mod.PGraph ?? mod.default.PGraph;
    pGraph = (nodes, deps) => new PGraph(nodes, deps);
  } catch (err) {
    return { skipped: `p-graph not installed: ${err.message}` };
  }
  return {
    run: () => {
      const nodes = new Map(Array.from({ length: n }, (_, i) => [`s${i}`, { run: () => Promise.resolve() }]));
      const deps = Array.from({ length: n - 1 }, (_, i) => [`s${i}`, `s${i + 1}`]);
      return pGraph(nodes, deps).run();
    },
  };
}

function noopExtension(dir) {
  const ext = join(dir, 'extensions', 'noop');
  mkdirSync(join(ext, 'node_modules', '@symphony'), { recursive: true });
  execFileSync('ln', ['-s', SDK, join(ext, 'node_modules', '@symphony', 'sdk')]);
  writeFileSync(join(ext, 'symphony.extension.json'), JSON.stringify({ id: 'bench.noop', version: '0.1.0', kind: 'operator', main: 'index.mjs', engines: { symphony: '>=0.1.0' }, contributes: { methods: { run: {} } } }));
  writeFileSync(join(ext, 'index.mjs'), `import { defineOperator } from '@symphony/sdk';\nexport default defineOperator({ manifest: { id: 'bench.noop', version: '0.1.0' }, methods: { run: () => null } });\n`);
}

export default async function engineSuite({ quick }) {
  const dir = mkdtempSync(join(tmpdir(), 'symphony-engine-bench-'));
  const rows = [];
  const layer = 'engine: durable steps';
  try {
    // pit.dag with the durable ledger (fsync on): the engine's own cost per step.
    const ledger = openLedger({ path: join(dir, 'ledger') });
    const artifacts = new ArtifactStore(ledger);
    const dag = createDagService({ ledger, artifacts });
    const steps = quick ? 200 : STEPS;
    const chainWf = chain(steps);
    const wideWf = wide(steps);
    let k = 0;
    const opts = { quick, time: quick ? 300 : 3000 };
    const meter = (wf, output) =>
      cpuMeter(async () => {
        const run = await dag.createRun(wf, { runId: `r${k++}` });
        const end = await drive(dag, run.runId, output);
        if (end.status !== 'succeeded') throw new Error(`run ${run.runId} ${end.status}`);
      });
    const small = (i) => ({ i });
    const chainCpu = meter(chainWf);
    const chainM = perStep(await measure(`pit.dag: ${steps}-step chain of no-op steps, durable, pipelined (per step)`, chainCpu.wrapped, opts), steps);
    const wideCpu = meter(wideWf);
    const wideM = perStep(await measure(`pit.dag: ${steps} independent no-op steps, durable (per step)`, wideCpu.wrapped, opts), steps);
    const chainOutCpu = meter(chainWf, small);
    const chainOutM = perStep(await measure(`pit.dag: ${steps}-step chain, durable, pipelined, a JSON output artifact per step with lineage (per step)`, chainOutCpu.wrapped, opts), steps);
    const wideOutCpu = meter(wideWf, small);
    const wideOutM = perStep(await measure(`pit.dag: ${steps} independent steps, durable, a JSON output artifact per step (per step)`, wideOutCpu.wrapped, opts), steps);
    const cpuOf = (meter) => ({ cpuNsPerStep: Math.round(meter.perCallNs() / steps) });
    dag.close();
    await closeLedger(ledger);

    const lg = await langGraphChain(steps, dir);
    // Whole runs of seconds each: a few timed runs (tinybench's 64-sample minimum would take minutes).
    const runs = quick ? 2 : 5;
    const timed = (name, fn) => coldStart(name, runs, async () => {
      await fn();
      return () => {};
    });
    const lgCpu = lg.run ? cpuMeter(lg.run) : undefined;
    const lgM = lg.run ? perStep(await timed(`LangGraph.js + SqliteSaver: ${steps}-step chain (per step)`, lgCpu.wrapped), steps) : undefined;
    const pg = await pGraphChain(steps);
    const pgCpu = pg.run ? cpuMeter(pg.run) : undefined;
    const pgM = pg.run ? perStep(await measure(`p-graph: ${steps}-step chain, no persistence (per step)`, pgCpu.wrapped, opts), steps) : undefined;

    if (lgM) rows.push({ ...row({ layer, name: `${lgM.name} (peer floor)`, m: lgM }), ...cpuOf(lgCpu) });
    else rows.push({ layer, name: lg.skipped, skipped: true });
    rows.push({ ...row({ layer, name: chainM.name, m: chainM, ...(lgM ? { floor: lgM } : {}), aim: '≤ 20 µs per step, ≥ 100× faster than LangGraph.js + SQLite' }), ...cpuOf(chainCpu) });
    rows.push({ ...row({ layer, name: wideM.name, m: wideM, ...(lgM ? { floor: lgM } : {}), aim: '≤ 10 µs per step, ≥ 100× faster than LangGraph.js + SQLite' }), ...cpuOf(wideCpu) });
    rows.push({ ...row({ layer, name: chainOutM.name, m: chainOutM, ...(lgM ? { floor: lgM } : {}), aim: '≥ 100× faster than LangGraph.js + SQLite (which checkpoints its state every step)' }), ...cpuOf(chainOutCpu) });
    rows.push({ ...row({ layer, name: wideOutM.name, m: wideOutM, ...(lgM ? { floor: lgM } : {}), aim: '≥ 100× faster than LangGraph.js + SQLite' }), ...cpuOf(wideOutCpu) });
    if (pgM) rows.push({ ...row({ layer, name: pgM.name, m: pgM, floor: chainM }), ...cpuOf(pgCpu) });
    else rows.push({ layer, name: pg.skipped, skipped: true });

    // `symphony run` of a YAML chain vs the API path, same extension in a worker thread.
    const cliSteps = quick ? 100 : STEPS;
    noopExtension(dir);
    const file = join(dir, 'chain.yaml');
    writeFileSync(file, ['name: yaml-chain', 'steps:', ...Array.from({ length: cliSteps }, (_, i) => `  - { id: s${i}, uses: bench.noop/run${i ? `, needs: [s${i - 1}]` : ''} }`)].join('\n') + '\n');
    let h = 0;
    const api = perStep(await timed(`API: an embedder process, createSymphony().run(chain.yaml), ${cliSteps} extension steps (per step)`, () => {
      execFileSync(process.execPath, [EMBEDDER, file, join(dir, `api-${h++}`), join(dir, 'extensions')], { stdio: 'ignore' });
    }), cliSteps);
    const cli = perStep(await timed(`symphony run chain.yaml, ${cliSteps} extension steps, whole process (per step)`, () => {
      execFileSync(process.execPath, [CLI, 'run', file, '--json', '--home', join(dir, `cli-${h++}`)], { stdio: 'ignore' });
    }), cliSteps);
    rows.push(row({ layer: 'engine: symphony run vs API', name: `${api.name} (floor)`, m: api }));
    rows.push(row({ layer: 'engine: symphony run vs API', name: cli.name, m: cli, floor: api, aim: '≤ 2× the API path per step' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
