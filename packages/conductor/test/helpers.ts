import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKernel, type Kernel } from '@symphony/kernel';
import { pitStorePlugins } from '@symphony/pit-artifacts';
import { arbitrationPlugin } from '@symphony/pit-arbitration';
import { dagPlugin } from '@symphony/pit-dag';
import { createConductorPlugin, type Conductor, type ConductorPluginOptions } from '../src/index.js';

export interface TestKernel {
  kernel: Kernel;
  conductor: Conductor;
  dir: string;
  close(): Promise<void>;
}

/** A real kernel with the real LMDB ledger, artifact store, arbitration, pit.dag (the one engine) and the Conductor. */
export async function startKernel(options: ConductorPluginOptions = {}, dir = mkdtempSync(join(tmpdir(), 'conductor-'))): Promise<TestKernel> {
  const conductorOptions = options;
  const kernel = createKernel({
    plugins: [...pitStorePlugins({ ledger: { path: join(dir, 'ledger'), noSync: true } }), arbitrationPlugin, dagPlugin, createConductorPlugin({ policy: 'heuristic', ...conductorOptions })],
    config: { home: dir, pluginOptions: { 'pit.arbitration': { sampleIntervalMs: 0 } } },
  });
  await kernel.start();
  return {
    kernel,
    conductor: kernel.service<Conductor>('conductor'),
    dir,
    async close() {
      await kernel.stop();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
