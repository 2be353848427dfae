import { startKernel } from '../test/helpers.ts';
const k = await startKernel();
const ledger = k.kernel.service<any>('pit.ledger');
const artifacts = k.kernel.service<any>('pit.artifacts');
const db = ledger.db('conductor.steps');
for (let round = 0; round < 3; round++) {
  let t0 = performance.now();
  const ps = [];
  for (let i = 0; i < 1000; i++) ps.push(ledger.transaction(() => { artifacts.writeInTransaction(`runs/x${round}/s${i}`, null, { kind: 'step-output', producer: { runId: 'x', stepId: 's' + i } }); db.put(['x' + round, 's' + i], { state: 'done', attempts: 1 }); }));
  await Promise.all(ps);
  console.log('1000 tx same turn', ((performance.now() - t0)).toFixed(1), 'µs/step');
  t0 = performance.now();
  for (let i = 0; i < 200; i++) await ledger.transaction(() => { db.put(['y' + round, 's' + i], { state: 'done', attempts: 1 }); });
  console.log('200 awaited tx', ((performance.now() - t0) * 1000 / 200).toFixed(1), 'µs/tx');
}
await k.close();
