import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '@symphony/types';
import { closeLedger, openLedger } from '@symphony/pit-artifacts';
import { openLmdbPersistence, openStateStore, type Json } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const tempDir = () => { const d = mkdtempSync(join(tmpdir(), 'state-sync-')); dirs.push(d); return d; };

function runWriter(path: string, count: number): Promise<{ revision: number; state: Json }> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./fixtures/writer.mjs', import.meta.url), [path, String(count)], { stdio: 'inherit' });
    let reply: { revision: number; state: Json } | undefined;
    child.on('message', (m) => { reply = m as typeof reply; });
    child.on('exit', (code) => (code === 0 && reply ? resolve(reply) : reject(new Error(`writer exited ${code}`))));
  });
}

describe('LMDB persistence (real files)', () => {
  it('state survives a restart: a process writes and exits without closing; the next one loads it', async () => {
    const path = tempDir();
    const written = await runWriter(path, 173);
    const store = await openStateStore({ persistence: openLmdbPersistence({ path }) });
    expect(store.revision).toBe(written.revision);
    expect(store.state).toEqual(written.state);
    store.set('/after', true);
    await store.close();
    const again = await openStateStore({ persistence: openLmdbPersistence({ path }) });
    expect(again.revision).toBe(174);
    expect((again.state as { after: boolean }).after).toBe(true);
    await again.close();
  });

  it('compaction keeps the log bounded: a snapshot replaces the changes it covers', async () => {
    const path = tempDir();
    const store = await openStateStore({ initial: { n: 0 }, snapshotEvery: 100, persistence: openLmdbPersistence({ path, name: 'counter' }) });
    for (let i = 1; i <= 1050; i++) store.set('/n', i);
    await store.flush();
    await store.close();
    const env = open({ path, encoding: 'msgpack' });
    const db = env.openDB({ name: 'state-sync.counter', encoding: 'msgpack' });
    const logKeys = [...db.getKeys({ start: ['log', 0], end: ['log', Number.MAX_SAFE_INTEGER] })];
    expect(logKeys.length).toBe(0); // close() wrote a final snapshot
    expect(db.get('snapshot')).toEqual({ revision: 1050, json: '{"n":1050}' });
    await env.close();
  });

  it('shares the Pit ledger (pit.ledger) environment when given one', async () => {
    const ledger = openLedger({ path: tempDir() });
    const store = await openStateStore({ initial: { a: 1 }, persistence: openLmdbPersistence({ ledger, name: 'ui' }) });
    store.set('/b', 2);
    await store.close(); // does not close the shared environment
    const again = await openStateStore({ persistence: openLmdbPersistence({ ledger, name: 'ui' }) });
    expect(again.state).toEqual({ a: 1, b: 2 });
    await again.close();
    await closeLedger(ledger);
  });

  it('a path that cannot be opened is E_STATE_PERSISTENCE with the path', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    let e: unknown;
    try { openLmdbPersistence({ path: join(file, 'db') }); } catch (x) { e = x; }
    expect(hasErrorCode(e, 'E_STATE_PERSISTENCE')).toBe(true);
    expect((e as Error).message).toContain(join(file, 'db'));
  });

  it('a __proto__ member survives a restart as an ordinary key (snapshot and log)', async () => {
    const path = tempDir();
    const store = await openStateStore({ initial: {}, snapshotEvery: 2, persistence: openLmdbPersistence({ path }) });
    store.set('/__proto__', { polluted: true });     // folded into a snapshot (snapshotEvery: 2)
    store.set('/a', JSON.parse('{"__proto__":{"x":1},"__proto_":2}') as Json);
    store.set('/b', JSON.parse('{"__proto__":3}') as Json); // only in the log
    const expected = JSON.stringify(store.state);
    await store.flush();
    const again = await openStateStore({ persistence: openLmdbPersistence({ path }) });
    expect(JSON.stringify(again.state)).toBe(expected);
    expect(Object.getPrototypeOf(again.state)).toBe(Object.prototype);
    expect((again.state as { polluted?: unknown }).polluted).toBeUndefined();
    await again.close();
    await store.close();
  });

  it('still loads records written before documents were stored as JSON text', async () => {
    const path = tempDir();
    const env = open({ path, encoding: 'msgpack' });
    const db = env.openDB({ name: 'state-sync.state', encoding: 'msgpack' });
    await db.put('snapshot', { revision: 3, state: { a: 1 } });
    await db.put(['log', 4], { revision: 4, ops: [{ op: 'add', path: '/b', value: 2 }] });
    await env.close();
    const store = await openStateStore({ persistence: openLmdbPersistence({ path }) });
    expect(store.revision).toBe(4);
    expect(store.state).toEqual({ a: 1, b: 2 });
    await store.close();
  });
});
