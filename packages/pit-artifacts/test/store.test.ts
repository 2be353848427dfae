import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database, Key } from 'lmdb';
import type { BlobRecord } from '../src/blobs.js';
import { sha256 } from '../src/blobs.js';
import { ArtifactStore } from '../src/store.js';
import { expectCode, openTempStore } from './helpers.js';

let stores: Array<{ close(): Promise<void> }> = [];
function temp(...args: Parameters<typeof openTempStore>) {
  const s = openTempStore(...args);
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

describe('artifact store: versions, aliases, content addressing', () => {
  it('put creates version n+1 and never overwrites', async () => {
    const { store } = temp();
    const r1 = await store.put('report', { ok: 1 });
    const r2 = await store.put('report', { ok: 2 });
    expect([r1.version, r2.version]).toEqual([1, 2]);
    expect(store.value('report', 1)).toEqual({ ok: 1 });
    expect(store.value('report')).toEqual({ ok: 2 });
    expect(store.versions('report').map((v) => v.version)).toEqual([1, 2]);
    expect(r1.hash).toBe(sha256(new TextEncoder().encode('{"ok":1}')));
    expect(store.get('report', 3)).toBeUndefined();
    expect(store.get('missing')).toBeUndefined();
  });

  it('stores identical content once, however many versions point at it (blob layout)', async () => {
    const { store } = temp({ inlineBytes: 0 });
    const a = await store.put('a', 'same bytes');
    const b = await store.put('b', 'same bytes');
    expect(a.hash).toBe(b.hash);
    expect(store.blobs.blobs.get(a.hash)?.refs).toBe(2);
    expect([...store.blobs.blobs.getKeys()]).toHaveLength(1);
  });

  it('keeps bytes, text and JSON apart by content type', async () => {
    const { store } = temp();
    await store.put('bin', new Uint8Array([1, 2, 3]));
    await store.put('txt', 'hello');
    expect(store.value('bin')).toEqual(new Uint8Array([1, 2, 3]));
    expect(store.value('txt')).toBe('hello');
    await expectCode(store.put('fn', () => 1), 'E_INPUT_INVALID');
  });

  it('moves aliases atomically with a put, and by hand', async () => {
    const { store } = temp();
    await store.put('model', 'v1', { aliases: ['production'] });
    await store.put('model', 'v2');
    expect(store.aliases('model')).toEqual({ latest: 2, production: 1 });
    expect(store.value('model', 'production')).toBe('v1');
    await store.setAlias('model', 'production', 2);
    expect(store.value('model', 'production')).toBe('v2');
    await store.removeAlias('model', 'production');
    expect(store.get('model', 'production')).toBeUndefined();
    await expectCode(store.setAlias('model', 'latest', 1), 'E_INPUT_INVALID');
    await expectCode(store.setAlias('model', 'staging', 9), 'E_NOT_FOUND');
  });

  it('answers lineage both ways', async () => {
    const { store } = temp();
    const raw = await store.put('raw', [1, 2, 3]);
    const clean = await store.put('clean', [1, 2], { inputs: [raw], producer: { runId: 'r1', stepId: 'clean' } });
    const model = await store.put('model', 'w', { inputs: [clean, raw] });
    expect(store.inputsOf(model).map((r) => r.name).sort()).toEqual(['clean', 'raw']);
    expect(store.consumersOf(raw).map((r) => r.name).sort()).toEqual(['clean', 'model']);
    expect(store.consumersOf(model)).toEqual([]);
    await expectCode(store.put('x', 1, { inputs: [{ name: 'nope', version: 1, hash: raw.hash }] }), 'E_NOT_FOUND');
  });

  it('lists names by prefix', async () => {
    const { store } = temp();
    for (const name of ['runs/a/x', 'runs/a/y', 'runs/b/x', 'models/m']) await store.put(name, name);
    expect(store.names('runs/a/')).toEqual(['runs/a/x', 'runs/a/y']);
    expect(store.names('runs/', 2)).toEqual(['runs/a/x', 'runs/a/y']);
    expect(store.names()).toHaveLength(4);
  });

  it('treats names as keys, never as paths', async () => {
    const { store, ledger } = temp();
    const parent = dirname(ledger.path);
    const before = readdirSync(parent).sort();
    await store.put('../../../../tmp/escape', 'x');
    await store.put('/etc/passwd', 'y');
    expect(readdirSync(parent).sort()).toEqual(before);
    expect(store.value('../../../../tmp/escape')).toBe('x');
    await expectCode(store.put('bad\u0000name', 'z'), 'E_INPUT_INVALID');
    await expectCode(store.put('', 'z'), 'E_INPUT_INVALID');
  });

  it('refuses a synchronous put outside a ledger transaction', async () => {
    const { store, ledger } = temp();
    await expectCode(() => store.writeInTransaction('a', 1), 'E_NOT_IN_TRANSACTION');
    const ref = await ledger.transaction(() => store.writeInTransaction('a', 1));
    expect(store.value('a', ref.version)).toBe(1);
  });
});

describe('artifact store: integrity and large blobs', () => {
  it('detects a corrupted blob on read', async () => {
    const { store, ledger } = temp({ inlineBytes: 0 });
    const ref = await store.put('doc', 'the real content');
    const blobs = ledger.db('artifacts.blobs') as Database<BlobRecord, string>;
    await ledger.transaction(() => {
      const record = blobs.get(ref.hash) as BlobRecord;
      blobs.putSync(ref.hash, { ...record, data: new TextEncoder().encode('the fake content') });
    });
    const details = await expectCode(() => store.get('doc'), 'E_ARTIFACT_CORRUPT');
    expect(details).toMatchObject({ name: 'doc', version: 1, hash: ref.hash });
  });

  it('records lineage only to inputs that exist: not to a removed one, nor to one whose transaction rolled back', async () => {
    const { store, ledger } = temp();
    const gone = await store.put('gone', 1);
    await store.remove('gone', 1);
    await expectCode(store.put('child', 2, { inputs: [gone] }), 'E_NOT_FOUND');
    let rolledBack!: { name: string; version: number; hash: string };
    await expect(
      ledger.transaction(() => {
        rolledBack = store.writeInTransaction('ghost', 3);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(store.info('ghost', 1)).toBeUndefined();
    await expectCode(store.put('child', 4, { inputs: [rolledBack] }), 'E_NOT_FOUND');
    // Another writer (another process) then takes that same key: lineage records ITS hash.
    const other = await new ArtifactStore(ledger).put('ghost', 'the other content');
    expect(other.version).toBe(rolledBack.version);
    const linked = await store.put('child', 7, { inputs: [rolledBack] });
    expect(store.inputsOf(linked)).toEqual([other]);
    const kept = await store.put('kept', 5);
    const child = await store.put('child', 6, { inputs: [{ ...kept, hash: 'f'.repeat(64) }] });
    expect(store.inputsOf(child)).toEqual([kept]); // the stored hash, not the one the caller gave
  });

  it('keeps small payloads inline in their version record, verified by hash, with no blob record', async () => {
    const { store, ledger } = temp({ inlineBytes: 16 });
    const small = await store.put('s', 'tiny');
    const big = await store.put('b', 'x'.repeat(17));
    expect(store.value('s')).toBe('tiny');
    expect(small.hash).toBe(sha256(new TextEncoder().encode('tiny')));
    expect(store.blobs.blobs.get(small.hash)).toBeUndefined();
    expect(store.blobs.blobs.get(big.hash)?.refs).toBe(1);
    expect(store.info('s')).not.toHaveProperty('inline');
    expect(store.versions('s')[0]).not.toHaveProperty('inline');
    const chunks: Uint8Array[] = [];
    for await (const c of store.stream('s')) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('tiny');
    // Reads return copies: changing one does not change the store.
    (store.get('s')?.data as Uint8Array).fill(0);
    expect(store.value('s')).toBe('tiny');
    // Flipped inline bytes are found by a fresh store (nothing cached), never returned.
    const versions = ledger.db('artifacts.versions', { useRecords: false }) as Database<Record<string, unknown>, Key>;
    await ledger.transaction(() => {
      const record = versions.get([1, 's']) as Record<string, unknown>;
      versions.putSync([1, 's'], { ...record, inline: new TextEncoder().encode('tinx') });
    });
    const fresh = new ArtifactStore(ledger, { inlineBytes: 16 });
    const details = await expectCode(() => fresh.get('s'), 'E_ARTIFACT_CORRUPT');
    expect(details).toMatchObject({ name: 's', version: 1, hash: small.hash });
    // Removing an inline version touches no blob; gc has nothing of it to collect.
    await store.remove('s', 1);
    expect(await store.gc({ graceMs: 0 })).toEqual({ blobsRemoved: 0, chunksRemoved: 0, bytesFreed: 0 });
  });

  it('reads a store written with the blob layout after switching to inline, and the reverse', async () => {
    const { store, ledger } = temp({ inlineBytes: 0 });
    await store.put('old', { v: 1 });
    const inline = new ArtifactStore(ledger, { inlineBytes: 1024 });
    await inline.put('new', { v: 2 });
    expect(inline.value('old')).toEqual({ v: 1 });
    expect(new ArtifactStore(ledger, { inlineBytes: 0 }).value('new')).toEqual({ v: 2 });
  });

  it('chunks large blobs, streams them back verified, and reports a missing chunk', async () => {
    const { store, ledger } = temp({ chunkSize: 1024 });
    const big = new Uint8Array(10_000).map((_, i) => (i * 31) % 251);
    const ref = await store.put('big', big);
    expect(store.blobs.blobs.get(ref.hash)?.chunks).toHaveLength(10);
    expect(store.get('big')?.data).toEqual(big);
    const parts: Uint8Array[] = [];
    for await (const part of store.stream('big')) parts.push(part);
    expect(Buffer.concat(parts)).toEqual(Buffer.from(big));
    const chunk = (store.blobs.blobs.get(ref.hash)?.chunks ?? [])[3] as string;
    await ledger.transaction(() => store.blobs.chunks.removeSync(chunk));
    const fresh = temp({ chunkSize: 1024 }, { path: ledger.path });
    await expectCode(async () => {
      for await (const _ of fresh.store.stream('big')) void _;
    }, 'E_ARTIFACT_CORRUPT');
  });

  it('writes a stream in chunks and stores the same hash as a whole put', async () => {
    const { store } = temp({ chunkSize: 1000 });
    const data = new Uint8Array(4321).map((_, i) => i % 256);
    async function* pieces() {
      for (let i = 0; i < data.length; i += 333) yield data.subarray(i, i + 333);
    }
    const streamed = await store.putStream('s', pieces(), { kind: 'dataset' });
    const whole = await store.put('w', data);
    expect(streamed.hash).toBe(whole.hash);
    expect(streamed.size).toBe(4321);
    expect(store.get('s')?.data).toEqual(data);
    expect(store.info('s')?.kind).toBe('dataset');
  });

  it('refuses get() of a blob above maxGetBytes and points at stream()', async () => {
    const { store } = temp({ chunkSize: 100, maxGetBytes: 500 });
    await store.put('huge', new Uint8Array(1000));
    await expectCode(() => store.get('huge'), 'E_PAYLOAD_TOO_LARGE');
  });
});

describe('artifact store: removal and garbage collection', () => {
  it('removes versions, keeps numbers monotonic, and collects unreferenced blobs and chunks', async () => {
    let clock = 1_000_000;
    const { store } = temp({ chunkSize: 64, now: () => clock });
    const v1 = await store.put('a', new Uint8Array(200).fill(1));
    await store.put('a', 'small', { aliases: ['keep'] });
    await expectCode(store.remove('a', 2), 'E_CONFLICT');
    await store.remove('a', 1);
    expect(store.info('a', 1)).toBeUndefined();
    expect(store.aliases('a')).toEqual({ latest: 2, keep: 2 });
    // Within the grace period nothing goes.
    expect(await store.gc({ graceMs: 10_000 })).toEqual({ blobsRemoved: 0, chunksRemoved: 0, bytesFreed: 0 });
    clock += 60_000;
    const report = await store.gc({ graceMs: 10_000 });
    expect(report.blobsRemoved).toBe(1);
    expect(report.chunksRemoved).toBe(2); // 200 bytes of 1s = 3 chunks of 64 + 1 of 8, two distinct
    expect(store.blobs.blobs.get(v1.hash)).toBeUndefined();
    await store.remove('a', 2, { force: true });
    expect(store.names('a')).toEqual([]);
    const v3 = await store.put('a', 'again');
    expect(v3.version).toBe(3);
  });

  it('a put that re-references a blob while gc runs keeps it alive', async () => {
    let clock = 0;
    const { store } = temp({ now: () => clock, inlineBytes: 0 });
    const first = await store.put('x', 'shared');
    await store.remove('x', 1);
    clock = 1_000_000;
    const [report, again] = await Promise.all([store.gc({ graceMs: 0 }), store.put('y', 'shared')]);
    expect(again.hash).toBe(first.hash);
    expect(store.value('y')).toBe('shared');
    // Whichever transaction ran first, the blob exists exactly once, referenced once, and verifies.
    expect(report.blobsRemoved).toBeLessThanOrEqual(1);
    expect(store.blobs.blobs.get(first.hash)?.refs).toBe(1);
  });

  it('spares a stream\'s chunks while it is being written, and collects those of an abandoned one', async () => {
    let clock = 0;
    const { store } = temp({ chunkSize: 100, now: () => clock });
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield new Uint8Array(250).fill(1);
      await paused; // gc runs while this writer is between chunks
      yield new Uint8Array(250).fill(2);
    }
    const writing = store.putStream('streamed', slow());
    await new Promise((r) => setTimeout(r, 20));
    clock = 30_000;
    expect((await store.gc({ graceMs: 60_000 })).chunksRemoved).toBe(0);
    release();
    const ref = await writing;
    expect(store.get('streamed')?.data.length).toBe(500);
    expect(ref.size).toBe(500);

    async function* abandoned() {
      yield new Uint8Array(300).fill(3);
      throw new Error('producer died');
    }
    await expect(store.putStream('never', abandoned())).rejects.toThrow('producer died');
    expect((await store.gc({ graceMs: 60_000 })).chunksRemoved).toBe(0); // still young
    clock = 200_000;
    const report = await store.gc({ graceMs: 60_000 });
    expect(report.chunksRemoved).toBeGreaterThan(0);
    expect(store.get('streamed')?.data.length).toBe(500); // referenced chunks stay
  });
});

describe('artifact store: key layout', () => {
  it('writes version records and heads as plain msgpack maps (no inline record definitions); records written with them still read', async () => {
    const { store, ledger } = temp();
    // A version written the older way (msgpackr record with its definition inline) by another writer.
    const older = ledger.root.openDB({ name: 'artifacts.versions' }) as Database<Record<string, unknown>, Key>;
    const ref = await store.put('a', { x: 1 });
    const record = ledger.db('artifacts.versions', { useRecords: false }).get([1, 'a']) as Record<string, unknown>;
    const raw = ledger.root.openDB({ name: 'artifacts.versions', encoding: 'binary' });
    const heads = ledger.root.openDB({ name: 'artifacts.heads', encoding: 'binary' });
    const isMap = (b: Uint8Array | undefined) => b !== undefined && ((b[0]! >= 0x80 && b[0]! <= 0x8f) || b[0] === 0xde || b[0] === 0xdf);
    expect(isMap(raw.getBinary([1, 'a']))).toBe(true);
    expect(isMap(heads.getBinary('a'))).toBe(true);
    await ledger.transaction(() => older.putSync([1, 'a'], { ...record, tags: ['old'] }));
    expect(isMap(raw.getBinary([1, 'a']))).toBe(false);
    const fresh = new ArtifactStore(ledger);
    expect(fresh.info('a', 1)).toMatchObject({ name: 'a', version: 1, tags: ['old'], hash: record.hash });
    expect(await fresh.value('a')).toEqual({ x: 1 });
    const next = await fresh.put('a', { x: 2 }, { inputs: [ref] });
    expect(fresh.inputsOf(next)).toEqual([{ name: 'a', version: 1, hash: record.hash, size: record.size }]);
  });

  it('writes the versions of one batch side by side: [version, name], consumers as [o, version, name, ...]', async () => {
    const { store, ledger } = temp();
    const refs = await store.putMany(['b', 'a', 'c'].map((name) => ({ name, data: name })));
    await store.put('child', 'x', { inputs: [refs[0] as never] });
    const versions = ledger.db('artifacts.versions', { useRecords: false }) as Database<unknown, Key>;
    expect([...versions.getKeys({})]).toEqual([[1, 'a'], [1, 'b'], [1, 'c'], [1, 'child']]);
    const lineage = ledger.db('artifacts.lineage', { encoding: 'binary' }) as Database<Uint8Array, Key>;
    expect([...lineage.getKeys({})]).toEqual([['o', 1, 'b', 1, 'child']]);
  });

  it('a version record whose bytes no longer decode is E_ARTIFACT_CORRUPT, never a raw decoder error', async () => {
    const { store, ledger } = temp();
    const ref = await store.put('a', { x: 1 });
    const raw = ledger.root.openDB({ name: 'artifacts.versions', encoding: 'binary' });
    await ledger.transaction(() => raw.putSync([1, 'a'], Buffer.from([0xc1, 0xff, 0x00])));
    const fresh = new ArtifactStore(ledger);
    expect(await expectCode(() => fresh.get('a'), 'E_ARTIFACT_CORRUPT')).toMatchObject({ name: 'a', version: 1 });
    await expectCode(() => fresh.versions('a'), 'E_ARTIFACT_CORRUPT');
    await expectCode(() => fresh.find({ namePrefix: 'a' }), 'E_ARTIFACT_CORRUPT');
    await expectCode(fresh.put('b', 1, { inputs: [ref] }), 'E_ARTIFACT_CORRUPT');
    // A record of the wrong shape (msgpack that decodes, but not to a version) is damaged too.
    await ledger.transaction(() => ledger.root.openDB({ name: 'artifacts.versions' }).putSync([1, 'a'], { hash: 7 }));
    await expectCode(() => new ArtifactStore(ledger).get('a'), 'E_ARTIFACT_CORRUPT');
  });

  it('reads, finds, scores and removes versions and lineage written in the older [name, version] layout', async () => {
    const { store, ledger } = temp();
    const versions = ledger.db('artifacts.versions', { useRecords: false }) as Database<Record<string, unknown>, Key>;
    const lineage = ledger.db('artifacts.lineage', { encoding: 'binary' }) as Database<Uint8Array, Key>;
    const raw = await store.put('raw', [1, 2, 3]);
    const clean = await store.put('clean', [1, 2], { inputs: [raw] });
    // Rewrite both as an older version of the store wrote them.
    await ledger.transaction(() => {
      for (const ref of [raw, clean]) {
        const record = versions.get([ref.version, ref.name]) as Record<string, unknown>;
        versions.removeSync([ref.version, ref.name]);
        versions.putSync([ref.name, ref.version], record);
      }
      lineage.removeSync(['o', 1, 'raw', 1, 'clean']);
      lineage.putSync(['o', 'raw', 1, 'clean', 1], new Uint8Array(0));
      lineage.putSync(['i', 'clean', 1, 'raw', 1], new Uint8Array(0));
    });
    const fresh = new ArtifactStore(ledger);
    expect(fresh.value('raw')).toEqual([1, 2, 3]);
    // New versions next to the old ones, in order, and lineage across both layouts.
    const raw2 = await fresh.put('raw', [4]);
    const model = await fresh.put('model', 'm', { inputs: [raw, clean] });
    expect(fresh.versions('raw').map((v) => v.version)).toEqual([1, 2]);
    expect(fresh.find({ namePrefix: 'r' }).map((v) => `${v.name}@${v.version}`)).toEqual(['raw@1', 'raw@2']);
    expect(fresh.find({ namePrefix: '', reverse: true, limit: 3 }).map((v) => `${v.name}@${v.version}`)).toEqual(['raw@2', 'raw@1', 'model@1']);
    expect(fresh.consumersOf(raw).map((r) => r.name)).toEqual(['clean', 'model']);
    expect(fresh.inputsOf(clean)).toEqual([raw]);
    expect(fresh.inputsOf(model).map((r) => r.name)).toEqual(['clean', 'raw']);
    expect(await fresh.feedback(clean, 1)).toBe(1);
    expect(new ArtifactStore(ledger).info('clean')?.scores.feedback).toBe(1);
    await fresh.setAlias('raw', 'first', 1);
    // Removing the old version removes its old-layout record and lineage keys; the head moves back.
    await fresh.remove('clean', 1);
    expect(fresh.get('clean')).toBeUndefined();
    expect(fresh.consumersOf(raw).map((r) => r.name)).toEqual(['model']);
    expect([...lineage.getKeys({})].filter((k) => (k as Key[])[0] === 'i')).toEqual([]);
    await fresh.remove('raw', 2);
    expect(fresh.info('raw')?.version).toBe(1);
    expect(raw2.version).toBe(2);
    expect((await fresh.put('raw', [5])).version).toBe(3); // numbers are never reused
  });
});
