import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '@symphony/kernel';
import { stagePlugin } from '../src/index.js';

// A method spinning on the CPU ignores its abort: after a timeout or cancel, the host terminates
// its worker (or process) once it misses a ping within the grace, and the next call, such as an
// `if: always()` cleanup step on the same extension, gets a fresh instance, not E_EXTENSION_CRASHED.
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
let kernel: Kernel | undefined;
afterEach(async () => {
  await kernel?.stop();
  kernel = undefined;
});

async function boot(trusted: string[]) {
  // No periodic health pings: only the grace after a cut-off call can free the instance.
  kernel = createKernel({
    plugins: [stagePlugin],
    config: { pluginOptions: { stage: { dirs: [`${fixtures}spinning`], trusted, symphonyVersion: '0.1.0', pingIntervalMs: 0 } } },
  });
  await kernel.start();
  return kernel.service('stage');
}

describe.each([
  ['worker', ['acme.spin']],
  ['process', []],
] as const)('a spinning method in %s mode', (mode, trusted) => {
  it('times out, its instance is terminated, and the next call succeeds on a fresh one (no crash charged)', async () => {
    const stage = await boot([...trusted]);
    expect(stage.list().find((e) => e.id === 'acme.spin')?.mode).toBe(mode);
    const crashes: unknown[] = [];
    stage.events.on('crash', (e) => crashes.push(e));
    const before = (await stage.call('acme.spin/echo', 1)) as { pid: number };
    await expect(stage.call('acme.spin/spin', {}, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    // Right after, as the next step of a run would call it.
    expect(await stage.call('acme.spin/echo', 2)).toMatchObject({ input: 2 });
    const controller = new AbortController();
    const spinning = stage.call('acme.spin/spin', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(spinning).rejects.toMatchObject({ code: 'E_ABORTED' });
    const after = (await stage.call('acme.spin/echo', 3)) as { input: number; pid: number };
    expect(after.input).toBe(3);
    if (mode === 'process') expect(after.pid).not.toBe(before.pid);
    expect(crashes).toEqual([]);
  });
});
