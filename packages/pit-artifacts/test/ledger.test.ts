import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from 'lmdb';
import { closeLedger, openLedger, type LmdbLedger } from '../src/ledger.js';
import { expectCode, tempDir } from './helpers.js';

let open: Array<{ ledger: LmdbLedger; cleanup(): void }> = [];
function ledgerFor(mapSize?: number): LmdbLedger {
  const { dir, cleanup } = tempDir('ledger-');
  const ledger = openLedger({ path: dir, ...(mapSize ? { mapSize } : {}) });
  open.push({ ledger, cleanup });
  return ledger;
}
afterEach(async () => {
  for (const { ledger, cleanup } of open) {
    await closeLedger(ledger);
    cleanup();
  }
  open = [];
});

describe('ledger', () => {
  it('opens each sub-database once and refuses conflicting options', async () => {
    const ledger = ledgerFor();
    const a = ledger.db('stale.items');
    expect(ledger.db('stale.items')).toBe(a);
    await expectCode(() => ledger.db('stale.items', { encoding: 'binary' }), 'E_CONFLICT');
    await expectCode(() => ledger.db('../escape'), 'E_INPUT_INVALID');
    expect(ledger.stats().databases).toContain('stale.items');
  });

  it('commits every write of one callback together, across sub-databases', async () => {
    const ledger = ledgerFor();
    const runs = ledger.db('dag.runs') as Database;
    const items = ledger.db('stale.items') as Database;
    await ledger.transaction(() => {
      runs.putSync('r1', { status: 'done' });
      items.putSync('i1', { keep: true });
    });
    expect(runs.get('r1')).toEqual({ status: 'done' });
    expect(items.get('i1')).toEqual({ keep: true });
  });

  it('rolls back only the callback that threw; the rest of the batch commits', async () => {
    const ledger = ledgerFor();
    const db = ledger.db('t.x') as Database;
    const bad = ledger.transaction(() => {
      db.putSync('a', 1);
      db.putSync('b', 2);
      throw new Error('half way');
    });
    const good = ledger.transaction(() => db.putSync('c', 3));
    await expect(bad).rejects.toThrow('half way');
    await good;
    expect(db.get('a')).toBeUndefined();
    expect(db.get('b')).toBeUndefined();
    expect(db.get('c')).toBe(3);
  });

  it('refuses an async callback, which would hold the single writer across awaits', async () => {
    const ledger = ledgerFor();
    const db = ledger.db('t.async') as Database;
    await expectCode(
      ledger.transaction(async () => {
        db.putSync('a', 1);
      }),
      'E_LEDGER_ASYNC_CALLBACK',
    );
    expect(db.get('a')).toBeUndefined();
  });

  it('joins an outer transaction when nested, and knows when it is inside one', async () => {
    const ledger = ledgerFor();
    const db = ledger.db('t.nested') as Database;
    expect(ledger.inTransaction()).toBe(false);
    await ledger.transaction(() => {
      expect(ledger.inTransaction()).toBe(true);
      void ledger.transaction(() => db.putSync('inner', 1));
      db.putSync('outer', 2);
    });
    expect(db.get('inner')).toBe(1);
    expect(db.get('outer')).toBe(2);
    expect(ledger.transactionSync(() => db.get('outer'))).toBe(2);
  });

  it('reports a write to a closed ledger as E_LEDGER_CLOSED', async () => {
    const { dir, cleanup } = tempDir('ledger-');
    const ledger = openLedger({ path: dir });
    const db = ledger.db('t.closed') as Database;
    await closeLedger(ledger);
    await expectCode(ledger.transaction(() => db.putSync('a', 1)), 'E_LEDGER_CLOSED');
    cleanup();
  });

  it('grows the map instead of failing with MDB_MAP_FULL', async () => {
    const ledger = ledgerFor(64 * 1024);
    const db = ledger.db('t.big', { encoding: 'binary' }) as Database;
    const before = ledger.stats().mapSize;
    const block = new Uint8Array(512 * 1024).fill(7);
    // One transaction far larger than the map, then many more.
    await ledger.transaction(() => {
      for (let i = 0; i < 8; i++) db.putSync(`one-${i}`, block);
    });
    for (let i = 0; i < 8; i++) await ledger.transaction(() => db.putSync(`many-${i}`, block));
    expect(ledger.stats().mapSize).toBeGreaterThan(before);
    expect((db.getBinary('many-7') as Uint8Array).length).toBe(block.length);
    await ledger.flushed();
  });
});
