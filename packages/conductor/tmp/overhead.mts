import { startKernel } from '../test/helpers.ts';
const k = await startKernel({ concurrency: 64, slots: 1024 });
k.conductor.registerStep('bench.noop/run', () => null);
const wide = { name: 'wide', concurrency: 64, steps: Array.from({ length: 1000 }, (_, i) => ({ id: `s${i}`, uses: 'bench.noop/run' })) };
const chain = { name: 'chain', steps: Array.from({ length: 1000 }, (_, i) => ({ id: `s${i}`, uses: 'bench.noop/run', ...(i ? { needs: [`s${i - 1}`] } : {}) })) };
for (const [name, wf] of [['wide', wide], ['chain', chain], ['wide', wide], ['chain', chain]] as const) {
  const t0 = performance.now();
  const r = await k.conductor.run(wf);
  const ms = performance.now() - t0;
  console.log(name, r.status, (ms * 1000 / 1000).toFixed(1), 'µs/step');
}
await k.close();
