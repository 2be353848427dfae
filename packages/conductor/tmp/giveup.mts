import { createOnnxPolicy, readBundledPolicy, HistoryBook } from '../src/index.ts';
const b = await readBundledPolicy('models/');
const p = await createOnnxPolicy(b.bytes, 'x');
for (const lat of [20, 300, 2000]) {
  const book = new HistoryBook();
  book.record('a', { ok: false, latencyMs: lat, quality: 0, cost: 0.5, size: 0.001 }, -0.5);
  const ctx2 = { kind: 'failure', stepKind: 1, inputSize: 0.001, attempt: 1, remainingCriticalPath: 0.5, queueLength: 0, globalLoad: 0.5, canGiveUp: true, previous: 0, candidates: [{ id: 'a', cost: 0.5, stats: book.get('a'), inFlight: 0, capacity: 4 }, { id: 'b', cost: 0.5, stats: book.get('b'), inFlight: 0, capacity: 4 }] } as any;
  book.record('b', { ok: false, latencyMs: lat, quality: 0, cost: 0.5, size: 0.001 }, -0.5);
  const ctx3 = { ...ctx2, attempt: 2, previous: 1, candidates: [{ id: 'a', cost: 0.5, stats: book.get('a'), inFlight: 0, capacity: 4 }, { id: 'b', cost: 0.5, stats: book.get('b'), inFlight: 0, capacity: 4 }] };
  const ctx4 = { ...ctx3, attempt: 3, previous: 0 };
  console.log(lat, Array.from(await p.probabilities([ctx2, ctx3, ctx4])).map((x) => x.toFixed(2)).join(' '));
}
await p.close();
