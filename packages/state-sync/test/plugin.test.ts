import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKernel } from '@symphony/kernel';
import { createLedgerPlugin } from '@symphony/pit-artifacts';
import { createStateSyncPlugin } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('state-sync kernel plugin', () => {
  it('offers the `state-sync` service; stores persist in the shared pit.ledger across a kernel restart', async () => {
    const path = mkdtempSync(join(tmpdir(), 'state-sync-kernel-'));
    dirs.push(path);
    const boot = async () => {
      const kernel = createKernel({ plugins: [createLedgerPlugin({ path }), createStateSyncPlugin({ ledger: true })] });
      await kernel.start();
      return kernel;
    };
    const first = await boot();
    const service = first.service('state-sync');
    const store = await service.open('ui', { initial: { theme: 'light' } });
    expect(await service.open('ui')).toBe(store);
    store.set('/theme', 'dark');
    await first.stop();

    const second = await boot();
    const again = await second.service('state-sync').open('ui');
    expect(again.state).toEqual({ theme: 'dark' });
    expect(again.revision).toBe(1);
    await second.stop();
  });
});
