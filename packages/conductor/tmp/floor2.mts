import { startKernel } from '../test/helpers.ts';
const k = await startKernel();
const ledger = k.kernel.service<any>('pit.ledger');
const artifacts = k.kernel.service<any>('pit.artifacts');
const db = ledger.db('conductor.steps');
for (let round = 0; round < 3; round++) {
  let t0 = performance.now();
  let ps = [];
  for (let i = 0; i < 1000; i++) ps.push(ledger.transaction(() => { db.put(['x' + round, 's' + i], { state: 'done', attempts: 1 }); }));
  await Promise.all(ps);
  console.log('1000 tx put only', ((performance.now() - t0)).toFixed(1), 'µs/step');
  t0 = performance.now();
  await ledger.transaction(() => { for (let i = 0; i < 1000; i++) db.put(['z' + round, 's' + i], { state: 'done', attempts: 1 }); });
  console.log('1 tx 1000 puts', ((performance.now() - t0)).toFixed(1), 'µs/step');
  t0 = performance.now();
  await ledger.transaction(() => { for (let i = 0; i < 1000; i++) artifacts.writeInTransaction(`runs/w${round}/s${i}`, null, { kind: 'step-output', producer: { runId: 'x', stepId: 's' + i } }); });
  console.log('1 tx 1000 artifacts', ((performance.now() - t0)).toFixed(1), 'µs/step');
}
await k.close();
