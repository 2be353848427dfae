import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateWorkflow } from '@symphony/types';
import { ArtifactStore, closeLedger, openLedger } from '@symphony/pit-artifacts';
import { createDagService } from '@symphony/pit-dag';
const N = 1000;
const chain = validateWorkflow({ name: 'chain', steps: Array.from({ length: N }, (_, i) => ({ id: `s${i}`, uses: 'bench.noop/run', ...(i ? { needs: [`s${i - 1}`] } : {}) })) });
const wide = validateWorkflow({ name: 'wide', steps: Array.from({ length: N }, (_, i) => ({ id: `w${i}`, uses: 'bench.noop/run' })) });
async function drive(dag, runId) {
  const done = dag.whenDone(runId);
  const acks = [];
  for (let ready = dag.next(runId); ready.length > 0; ready = dag.next(runId)) for (const s of ready) acks.push(process.env.NOOUT ? dag.complete(runId, s.stepId) : dag.completeWithOutput(runId, s.stepId, process.env.OUT ? { i: 1 } : null));
  await Promise.all(acks);
  return done;
}
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const ledger = openLedger({ path: join(dir, 'ledger') });
const artifacts = new ArtifactStore(ledger);
const dag = createDagService({ ledger, artifacts });
let k = 0;
const which = process.argv[2] ?? 'both';
const iters = Number(process.argv[3] ?? 40);
for (const [name, wf] of [['chain', chain], ['wide', wide]]) {
  if (which !== 'both' && which !== name) continue;
  const times = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    const run = await dag.createRun(wf, { runId: `${name}${k++}` });
    const st = await drive(dag, run.runId);
    if (st.status !== 'succeeded') throw new Error(st.status);
    times.push(Number(process.hrtime.bigint() - t0) / 1e3 / N);
  }
  const c = process.cpuUsage(c0);
  times.sort((a, b) => a - b);
  console.log(name, 'median µs/step', times[times.length >> 1].toFixed(2), 'min', times[0].toFixed(2), 'cpu µs/step', ((c.user + c.system) / iters / N).toFixed(2));
}
dag.close();
await closeLedger(ledger);
rmSync(dir, { recursive: true, force: true });
