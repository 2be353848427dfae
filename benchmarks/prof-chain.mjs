import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateWorkflow } from '@symphony/types';
import { ArtifactStore, closeLedger, openLedger } from '@symphony/pit-artifacts';
import { createDagService } from '@symphony/pit-dag';
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const ledger = openLedger({ path: join(dir, 'ledger') });
const artifacts = new ArtifactStore(ledger);
const dag = createDagService({ ledger, artifacts });
const n = 1000;
const mode = process.argv[2] ?? 'chain';
const wf = validateWorkflow({ name: 'c', steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, uses: 'b.n/run', ...(i && mode==='chain' ? { needs: [`s${i - 1}`] } : {}) })) });
async function drive(runId) {
  const done = dag.whenDone(runId);
  const acks = [];
  for (let ready = dag.next(runId); ready.length > 0; ready = dag.next(runId)) for (const s of ready) acks.push(dag.completeWithOutput(runId, s.stepId, null));
  await Promise.all(acks);
  return done;
}
let k = 0;
for (let r = 0; r < 3; r++) { const run = await dag.createRun(wf, { runId: `w${k++}` }); await drive(run.runId); }
const t = performance.now();
const R = 10;
for (let r = 0; r < R; r++) { const run = await dag.createRun(wf, { runId: `x${k++}` }); await drive(run.runId); }
console.log(mode, ((performance.now() - t) * 1000 / R / n).toFixed(1), 'µs/step');
dag.close(); await closeLedger(ledger);
