import { join } from 'node:path';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { ArtifactsService, LedgerService } from '@symphony/types';
import type { ArtifactStore } from '../src/store.js';
import type { Database } from 'lmdb';
import { createKernel, definePlugin, type Kernel } from '@symphony/kernel';
import { artifactsPlugin, ledgerPlugin, pitStorePlugins, plugins } from '../src/plugin.js';
import { tempDir } from './helpers.js';

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function kernelWith(k: Kernel, dir: { cleanup(): void }): Kernel {
  cleanups.push(dir.cleanup, () => k.stop());
  return k;
}

/** Another Pit plugin that keeps its own sub-database in the shared ledger. */
const notesPlugin = definePlugin({
  name: 'test.notes',
  version: '1.0.0',
  dependsOn: ['pit.ledger', 'pit.artifacts'],
  setup(ctx) {
    const ledger = ctx.service('pit.ledger');
    const artifacts = ctx.service('pit.artifacts');
    const notes = ledger.db('notes.items') as Database<{ ref: unknown }, string>;
    return {
      notes,
      /** Records a note and its artifact in ONE transaction; `fail` throws after both writes. */
      save: (id: string, text: string, fail = false) =>
        ledger.transaction(() => {
          const ref = artifacts.writeInTransaction(`notes/${id}`, text);
          notes.putSync(id, { ref });
          if (fail) throw new Error('crash after both writes');
          return ref;
        }),
    };
  },
});

describe('kernel plugins', () => {
  it('offers pit.ledger and pit.artifacts, with options from kernel config', async () => {
    const dir = tempDir();
    const kernel = kernelWith(
      createKernel({ plugins: [ledgerPlugin, artifactsPlugin], config: { home: dir.dir } }),
      dir,
    );
    await kernel.start();
    expect(kernel.service('pit.ledger').path).toBe(join(dir.dir, 'ledger'));
    expectTypeOf(kernel.service('pit.artifacts')).toEqualTypeOf<ArtifactStore>();
    expectTypeOf(kernel.service('pit.artifacts')).toMatchTypeOf<ArtifactsService>();
    expectTypeOf(kernel.service('pit.ledger')).toMatchTypeOf<LedgerService>();
    const ref = await kernel.service('pit.artifacts').put('hello', 'world');
    expect(kernel.service('pit.artifacts').value('hello', ref.version)).toBe('world');
    const health = await kernel.health();
    expect(health.plugins['pit.ledger']?.status).toBe('ok');
  });

  it('loads from config by package name through the `plugins` export', async () => {
    const dir = tempDir();
    const kernel = kernelWith(
      createKernel({
        config: { plugins: ['@symphony/pit-artifacts'], pluginOptions: { 'pit.ledger': { path: join(dir.dir, 'custom') } } },
        importer: async () => ({ plugins }),
      }),
      dir,
    );
    await kernel.start();
    expect(kernel.plugins).toEqual(['pit.ledger', 'pit.artifacts']);
    expect(kernel.service('pit.ledger').path).toBe(join(dir.dir, 'custom'));
  });

  it('commits another plugin\'s writes and an artifact in one transaction, or neither', async () => {
    const dir = tempDir();
    const kernel = kernelWith(
      createKernel({ plugins: [...pitStorePlugins({ ledger: { path: join(dir.dir, 'l') } }), notesPlugin] }),
      dir,
    );
    await kernel.start();
    const notes = kernel.service<{ save(id: string, text: string, fail?: boolean): Promise<unknown>; notes: Database }>('test.notes');
    const artifacts = kernel.service('pit.artifacts');
    await notes.save('a', 'kept');
    await expect(notes.save('b', 'lost', true)).rejects.toThrow('crash after both writes');
    expect(notes.notes.get('a')).toBeDefined();
    expect(artifacts.value('notes/a')).toBe('kept');
    expect(notes.notes.get('b')).toBeUndefined();
    expect(artifacts.info('notes/b')).toBeUndefined();
    expect(artifacts.names('notes/')).toEqual(['notes/a']);
  });
});
