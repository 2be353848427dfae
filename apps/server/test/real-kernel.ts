import { join } from 'node:path';
import { createKernel, type AnyPlugin } from '@symphony/kernel';
import { createConductorPlugin, type Conductor } from '@symphony/conductor';
import { arbitrationPlugin } from '@symphony/pit-arbitration';
import { pitStorePlugins } from '@symphony/pit-artifacts';
import { poolPlugin } from '@symphony/pit-pool';
import { stalePlugin } from '@symphony/pit-stale';
import { metricsPlugin } from '@symphony/metrics';
import { dagPlugin } from '@symphony/pit-dag';

/**
 * The Pit and the Conductor over a real LMDB store under `home`, with in-process test steps:
 * `test.steps/echo` returns its input, `test.steps/wait` sleeps `ms` then returns `{ waited }`.
 */
export async function realKernel(home: string) {
  const plugins: AnyPlugin[] = [...pitStorePlugins({ ledger: { path: join(home, 'ledger') } }), dagPlugin, arbitrationPlugin, poolPlugin, stalePlugin, metricsPlugin, createConductorPlugin({ policy: 'heuristic' })];
  const kernel = createKernel({ plugins, config: { home, pluginOptions: { 'pit.arbitration': { sampleIntervalMs: 0 }, 'pit.pool': { timers: false } } } });
  await kernel.start();
  const conductor = kernel.service<Conductor>('conductor');
  conductor.registerStep('test.steps/echo', (input) => input);
  conductor.registerStep('test.steps/wait', async (input, ctx) => {
    const ms = Number((input as { ms?: number }).ms ?? 10);
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => (clearTimeout(t), reject(ctx.signal.reason)), { once: true });
    });
    return { waited: ms, step: ctx.stepId };
  });
  return { kernel, conductor };
}

export const threeSteps = {
  name: 'three',
  steps: [
    { id: 'a', uses: 'test.steps/echo', with: { text: 'hello' } },
    { id: 'b', uses: 'test.steps/wait', needs: ['a'], with: { ms: 20 } },
    { id: 'c', uses: 'test.steps/echo', needs: ['b'], with: { from: '${{ steps.a.output.text }}' } },
  ],
};
