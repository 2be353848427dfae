import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKernel } from '@symphony/kernel';
import { pitStorePlugins } from '@symphony/pit-artifacts';
import { stalePlugin } from '../src/index.js';
import { tempDir, trace } from './helpers.js';

describe('as a kernel plugin', () => {
  it('keeps its data in pit.ledger and protects what pit.artifacts aliases', async () => {
    const home = tempDir();
    const kernel = createKernel({
      plugins: [stalePlugin, ...pitStorePlugins({ ledger: { path: join(home, 'ledger'), noSync: true } })],
      config: { home, pluginOptions: { 'pit.stale': { retention: { maxRemoveFraction: 0.5 } } } },
    });
    await kernel.start();
    expect(kernel.plugins.indexOf('pit.ledger')).toBeLessThan(kernel.plugins.indexOf('pit.stale'));
    const stale = kernel.service('pit.stale');
    const artifacts = kernel.service('pit.artifacts');
    const ref = await artifacts.put('policy', { w: [1] }, { aliases: ['champion'] });
    const kept = await stale.record(trace(1, { artifacts: [ref], reward: -5 }));
    await stale.recordMany([trace(2), trace(3), trace(4)]);
    const report = await stale.cleanup({ maxBytes: 0, dryRun: true });
    expect(report.protected).toEqual([{ id: kept.id, why: expect.stringContaining('alias policy@') }]);
    expect(await kernel.health()).toMatchObject({ plugins: { 'pit.stale': { status: 'ok', live: 4 } } });
    await kernel.stop();
  });
});
