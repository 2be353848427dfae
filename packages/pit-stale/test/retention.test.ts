import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArtifactStore } from '@symphony/pit-artifacts';
import { createDirectoryTarget, createStale } from '../src/index.js';
import { DAY, close, expectCode, ledgerAt, tempDir, trace } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);

describe('retention and archival (real LMDB, real files)', () => {
  it('archives old records, tombstones them, purges after grace, and restores them byte-identical', async () => {
    const path = join(tempDir(), 'ledger');
    const dir = tempDir();
    let now = T0 + 100 * DAY;
    const options = { now: () => now, archive: createDirectoryTarget(dir), retention: { keepDays: 30, keepBestPerType: 2, maxRemoveFraction: 0.25, graceMs: 7 * DAY } };
    let ledger = ledgerAt(path);
    let stale = createStale(ledger, options);
    // 40 old traces (60-99 days) and 20 recent ones.
    await stale.recordMany(Array.from({ length: 60 }, (_, i) => trace(i, { at: i < 40 ? T0 + i * DAY : T0 + 90 * DAY + i * 1000 })));
    const before = new Map(Array.from({ length: 60 }, (_, i) => {
      const id = stale.trainingSet({ limit: 1_000, maxQuestTypeShare: 1 }).find((s) => s.record.runId === `run-${i}`)?.record.id;
      return [id!, Buffer.from(stale.getBytes(id!)!)];
    }));

    const dry = await stale.applyRetention({ dryRun: true });
    expect(dry.removals).toHaveLength(15); // 25% of 60 live: never most of the history in one pass
    const best = new Set(['quest-0', 'quest-1', 'quest-2'].flatMap((q) => stale.trainingSet({ questTypes: [q], limit: 2 }).map((s) => s.record.id)));
    const oldKept = [...before.keys()].filter((id) => best.has(id) && stale.get(id)!.at < T0 + 70 * DAY).length;
    expect(dry.deferred).toBe(40 - oldKept - 15); // old, minus the best 2 of each type, minus this pass
    expect(stale.stats().live).toBe(60);

    const report = await stale.applyRetention();
    expect(report.removals.map((r) => r.id)).toEqual(dry.removals.map((r) => r.id));
    expect(report.removals.every((r) => r.reason === 'age' && r.archiveId === report.archiveId)).toBe(true);
    expect(stale.stats()).toMatchObject({ live: 45, tombstoned: 15 });
    const files = readdirSync(dir);
    expect(files).toEqual([`${report.archiveId}.manifest.json`, `${report.archiveId}.ndjson.gz`]);
    const lines = gunzipSync(readFileSync(join(dir, `${report.archiveId}.ndjson.gz`))).toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(15);
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: report.removals[0]!.id });

    // Grace: nothing purged before 7 days; a mistaken policy could still be undone.
    expect(await stale.purge()).toHaveLength(0);
    now += 7 * DAY;
    const purged = await stale.purge();
    expect(purged).toHaveLength(15);
    for (const r of purged) expect(stale.getBytes(r.id)).toBeUndefined();
    expect(stale.removals()).toMatchObject({ tombstoned: { age: 15 }, purged: { age: 15 } });

    // Reopen the environment: the state is on disk, not in memory.
    await close(ledger);
    ledger = ledgerAt(path);
    stale = createStale(ledger, options);
    expect(stale.stats()).toMatchObject({ live: 45, tombstoned: 0 });
    expect(stale.removals().purged.age).toBe(15);

    const restored = await stale.restore(report.archiveId!);
    expect(restored).toHaveLength(15);
    for (const r of restored) expect(Buffer.from(stale.getBytes(r.id)!).equals(before.get(r.id)!)).toBe(true);
    expect(stale.stats().live).toBe(60);
    expect(stale.archives().map((a) => a.id)).toEqual([report.archiveId]);
  });

  it('refuses a corrupted archive with E_ARCHIVE_CORRUPT', async () => {
    const dir = tempDir();
    const stale = createStale(ledgerAt(), { archive: createDirectoryTarget(dir) });
    const [a, b] = await stale.recordMany([trace(1), trace(2)]);
    const manifest = await stale.archive([a!.id, b!.id]);
    const file = join(dir, manifest.file);
    const bytes = readFileSync(file);
    bytes[bytes.length - 5]! ^= 0xff;
    writeFileSync(file, bytes);
    expect(await expectCode(stale.restore(manifest.id), 'E_ARCHIVE_CORRUPT')).toMatchObject({ archiveId: manifest.id });
  });

  it('undoes a mistaken pass', async () => {
    let now = T0 + 100 * DAY;
    const stale = createStale(ledgerAt(), { now: () => now, retention: { maxBytes: 0 } });
    await stale.recordMany(Array.from({ length: 12 }, (_, i) => trace(i, { at: T0 + i })));
    const report = await stale.cleanup();
    expect(report.removals).toHaveLength(3);
    expect(await stale.undo({ reason: 'size' })).toBe(3);
    expect(stale.stats()).toMatchObject({ live: 12, tombstoned: 0 });
    expect(stale.removals().undone).toBe(3);
    now += 30 * DAY;
    expect(await stale.purge()).toHaveLength(0);
  });
});

describe('storage-aware cleanup', () => {
  it('deletes lowest value first, reports a dry run, and never touches pinned, aliased or lineage data', async () => {
    const ledger = ledgerAt();
    const artifacts = new ArtifactStore(ledger);
    const data1 = await artifacts.put('dataset', { rows: 1 });
    const data2 = await artifacts.put('dataset', { rows: 2 }); // now `latest`
    const champion = await artifacts.put('policy', { w: [1] });
    await artifacts.put('policy', { w: [2] });
    await artifacts.setAlias('policy', 'champion', champion.version);
    const scratch1 = await artifacts.put('scratch', 'a');
    await artifacts.put('scratch', 'b');
    await artifacts.put('features', 'f', { inputs: [data1] }); // data1 is now in lineage
    const stale = createStale(ledger, { artifacts: () => artifacts, retention: { maxRemoveFraction: 0.5 } });
    const results = await stale.recordMany(Array.from({ length: 20 }, (_, i) => trace(i)));
    const ids = results.map((r) => r.id);
    await stale.pin(ids[0]!);
    await stale.record(trace(100, { artifacts: [champion], reward: -9 }));
    await stale.record(trace(101, { artifacts: [data2], reward: -9 }));
    await stale.record(trace(102, { artifacts: [data1], reward: -9 }));
    const free = await stale.record(trace(103, { artifacts: [scratch1], reward: -9 }));

    const dry = await stale.cleanup({ maxBytes: 0, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.removals).toHaveLength(12); // 50% of 24 live
    const values = dry.removals.map((r) => r.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    const why = Object.fromEntries(dry.protected.map((p) => [p.id, p.why]));
    expect(Object.values(why).sort()).toEqual([expect.stringContaining('alias dataset@latest'), expect.stringContaining('alias policy@champion'), expect.stringContaining('lineage of dataset v1'), 'pinned'].sort());
    expect(stale.stats().tombstoned).toBe(0);

    for (let pass = 0; pass < 10; pass++) await stale.cleanup({ maxBytes: 0 });
    const left = stale.stats();
    expect(left.live).toBe(4); // exactly the protected ones
    expect(stale.get(ids[0]!)).toBeDefined();
    expect(stale.get(free.id)).toBeUndefined();
    expect(stale.removals().tombstoned.size).toBe(20);
  });

  it('never tombstones a pinned record, whatever the values and thresholds (property)', async () => {
    const ledger = ledgerAt();
    const stale = createStale(ledger, { retention: { maxRemoveFraction: 0.5 } });
    const results = await stale.recordMany(Array.from({ length: 40 }, (_, i) => trace(i, { reward: Math.sin(i * 7) })));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.nat(39), { maxLength: 20 }), fc.nat(6_000), async (pinned, maxBytes) => {
        await stale.undo();
        for (const r of results) await stale.unpin(r.id);
        for (const i of pinned) await stale.pin(results[i]!.id);
        const liveBefore = stale.stats().live;
        const report = await stale.cleanup({ maxBytes });
        const removed = new Set(report.removals.map((r) => r.id));
        for (const i of pinned) expect(removed.has(results[i]!.id)).toBe(false);
        expect(report.removals.length).toBeLessThanOrEqual(Math.floor(liveBefore * 0.5));
        if (report.removals.length > 0) expect(report.liveBytesBefore).toBeGreaterThan(maxBytes);
      }),
      { numRuns: 25 },
    );
  });
});
