import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKernel } from '@symphony/kernel';
import { ArtifactStore, openLedger, pitStorePlugins, type LmdbLedger } from '@symphony/pit-artifacts';
import { createDirectoryTarget, createStale, stalePlugin, type ArchiveTarget, type StaleService } from '../src/index.js';
import { queueTraces } from '../src/store.js';
import { DAY, close, expectCode, ledgerAt, tempDir, trace } from './helpers.js';

const T0 = Date.UTC(2026, 0, 1);

interface StoredMeta { id: string; bytes: number; pinned: boolean; tombstonedAt?: number }

/** What the ledger itself holds (not the store's view of it). */
function ledgerTruth(ledger: LmdbLedger): { metas: StoredMeta[]; live: StoredMeta[]; tombstoned: StoredMeta[] } {
  const metas = [...(ledger.db('stale.meta') as { getRange(): Iterable<{ value: StoredMeta }> }).getRange()].map((e) => e.value);
  return { metas, live: metas.filter((m) => m.tombstonedAt === undefined), tombstoned: metas.filter((m) => m.tombstonedAt !== undefined) };
}

/** The invariants every sequence of operations keeps, checked against the ledger. */
function expectConsistent(ledger: LmdbLedger, stale: StaleService, pins: Set<string> = new Set()): void {
  const truth = ledgerTruth(ledger);
  const stats = stale.stats();
  expect(stats.live).toBe(truth.live.length);
  expect(stats.tombstoned).toBe(truth.tombstoned.length);
  expect(stats.liveBytes).toBe(truth.live.reduce((n, m) => n + m.bytes, 0));
  const counts = stale.removals();
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  expect(truth.tombstoned.length).toBe(sum(counts.tombstoned) - sum(counts.purged) - counts.undone);
  for (const id of pins) {
    const meta = truth.metas.find((m) => m.id === id);
    expect(meta?.pinned, `pin of ${id}`).toBe(true);
    expect(meta?.tombstonedAt, `pinned ${id} is live`).toBeUndefined();
    expect(stale.getBytes(id)).toBeDefined();
  }
}

describe('overlapping calls (real LMDB)', () => {
  it('applyRetention and cleanup at once: exact counters, no record twice, one cap for both', async () => {
    const ledger = ledgerAt();
    const stale = createStale(ledger, { now: () => T0 + 5 * DAY, retention: { keepDays: 1, keepBestPerType: 0, maxBytes: 1, maxRemoveFraction: 0.5 } });
    await stale.recordMany(Array.from({ length: 200 }, (_, i) => trace(i, { at: T0 + i })));
    const [age, size] = await Promise.all([stale.applyRetention(), stale.cleanup()]);
    const removed = [...age.removals, ...size.removals].map((r) => r.id);
    expect(new Set(removed).size).toBe(removed.length);
    expect(removed.length).toBe(100); // 50% of 200, across both overlapping passes
    expectConsistent(ledger, stale);
    // A later pass (not overlapping) has its own cap.
    expect((await stale.cleanup()).removals).toHaveLength(50);
    expectConsistent(ledger, stale);
  });

  it('a pin made during a retention pass is kept, and the pinned record is never purged', async () => {
    let now = T0 + 5 * DAY;
    const ledger = ledgerAt();
    const stale = createStale(ledger, { now: () => now, archive: createDirectoryTarget(tempDir()), retention: { keepDays: 1, keepBestPerType: 0, maxRemoveFraction: 0.5, graceMs: DAY } });
    const results = await stale.recordMany(Array.from({ length: 20 }, (_, i) => trace(i, { at: T0 + i })));
    const plan = await stale.applyRetention({ dryRun: true });
    const victim = plan.removals[0]!.id;
    // The pin is issued while the pass is archiving (an await before its tombstones are written).
    const pass = stale.applyRetention();
    await Promise.resolve();
    await stale.pin(victim);
    await pass;
    expect(stale.get(victim)).toBeDefined();
    now += 10 * DAY;
    await stale.purge();
    expect(stale.getBytes(victim)).toBeDefined();
    expectConsistent(ledger, stale, new Set([victim]));
    expect(results.some((r) => r.id === victim)).toBe(true);
  });

  it('purge checks every protection again: a trace aliased after it was tombstoned stays', async () => {
    let now = T0;
    const ledger = ledgerAt();
    const artifacts = new ArtifactStore(ledger);
    const v1 = await artifacts.put('scratch', 'a');
    await artifacts.put('scratch', 'b'); // v1 is neither `latest` nor in lineage now
    const stale = createStale(ledger, { now: () => now, artifacts: () => artifacts, retention: { maxBytes: 0, maxRemoveFraction: 0.5, graceMs: DAY } });
    const kept = await stale.record(trace(1, { artifacts: [v1], reward: -9 }));
    await stale.recordMany([trace(2), trace(3), trace(4)]);
    for (let pass = 0; pass < 6 && stale.get(kept.id) !== undefined; pass++) await stale.cleanup();
    expect(stale.get(kept.id)).toBeUndefined(); // tombstoned
    await artifacts.setAlias('scratch', 'keep', v1.version);
    now += 2 * DAY;
    const purged = await stale.purge();
    expect(purged.map((r) => r.id)).not.toContain(kept.id);
    expect(stale.getBytes(kept.id)).toBeDefined();
    expect(await stale.undo({ ids: [kept.id] })).toBe(1);
    expectConsistent(ledger, stale);
  });
});

describe('archive manifests', () => {
  async function archived() {
    const dir = tempDir();
    const stale = createStale(ledgerAt(), { archive: createDirectoryTarget(dir) });
    const results = await stale.recordMany([trace(1), trace(2), trace(3)]);
    const manifest = await stale.archive(results.map((r) => r.id));
    return { stale, manifest, path: join(dir, `${manifest.id}.manifest.json`) };
  }

  it('carry a checksum of their own content', async () => {
    const { manifest } = await archived();
    expect(manifest.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['truncated', (text: string) => text.slice(0, text.length / 2)],
    ['garbage', () => '\u0000\u0001garbage'],
    ['an array', () => '[]'],
    ['a count edited', (text: string) => text.replace(/"count": 3/, '"count": 2')],
    ['a record checksum edited, manifest checksum dropped', (text: string) => {
      const m = JSON.parse(text) as { manifestSha256?: string; records: { sha256: string }[] };
      delete m.manifestSha256;
      m.records[0]!.sha256 = '0'.repeat(64);
      return JSON.stringify(m);
    }],
    ['another archive\'s file named', (text: string) => text.replace(/"file": "[^"]+"/, '"file": "../../etc/passwd"')],
  ])('refuse a manifest that is %s with E_ARCHIVE_CORRUPT', async (_what, damage) => {
    const { stale, manifest, path } = await archived();
    writeFileSync(path, damage(readFileSync(path, 'utf8')));
    expect(await expectCode(stale.restore(manifest.id), 'E_ARCHIVE_CORRUPT')).toMatchObject({ archiveId: manifest.id });
  });
});

describe('one instance per ledger', () => {
  it('a second instance in this process is refused until the first is closed', async () => {
    const ledger = ledgerAt();
    const first = createStale(ledger);
    await first.record(trace(1));
    expect(await expectCode(() => createStale(ledger), 'E_STALE_LOCKED')).toMatchObject({ path: ledger.path });
    await first.close();
    await expectCode(first.record(trace(2)), 'E_STALE_CLOSED');
    const second = createStale(ledger);
    expect(second.stats().live).toBe(1);
    await second.record(trace(2));
    await second.close();
  });

  it('the holder takes in traces queued by a process standing by, before its next call, exactly once', async () => {
    const ledger = ledgerAt();
    const stale = createStale(ledger);
    await stale.record(trace(1));
    const queued = await queueTraces(ledger, [trace(2), trace(3), trace(2)]);
    expect(queued.every((r) => r.queued)).toBe(true);
    await expectCode(queueTraces(ledger, [{ ...trace(4), reward: Number.NaN }]), 'E_INPUT_INVALID');
    expect(stale.stats().live).toBe(1);
    await stale.record(trace(5));
    expect(stale.stats().live).toBe(4); // 1, 2, 3 (2 once: a duplicate), 5
    expect(stale.removals().duplicates).toBe(1);
    await stale.record(trace(6));
    expect(stale.stats().live).toBe(5);
    expectConsistent(ledger, stale);
    await stale.close();
  });

  it('a second environment on the same path in this process is refused too, until the first closes', async () => {
    const path = join(tempDir(), 'ledger');
    const a = ledgerAt(path);
    const b = ledgerAt(path);
    const first = createStale(a);
    await expectCode(() => createStale(b), 'E_STALE_LOCKED');
    await close(a); // without first.close(): a closed environment's instance holds nothing
    const second = createStale(b);
    await second.record(trace(3));
    await expectCode(first.record(trace(4)), 'E_LEDGER_CLOSED');
    await second.close();
  });

  it('another process holding the ledger is refused; once it is killed, its lock is taken over', async () => {
    const path = join(tempDir(), 'ledger');
    const child = fork(new URL('./fixtures/hold-lock.mjs', import.meta.url), [path], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
      });
      const ledger = ledgerAt(path);
      expect(await expectCode(() => createStale(ledger), 'E_STALE_LOCKED')).toMatchObject({ holder: { pid: child.pid } });
      child.kill('SIGKILL');
      await exited;
      const stale = createStale(ledger);
      expect(stale.stats().live).toBe(1);
      await stale.record(trace(5));
      await stale.close();
      await close(ledger);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/** Starts the hold-lock fixture on `path`; resolves once it holds the store. */
async function holder(path: string) {
  const child = fork(new URL('./fixtures/hold-lock.mjs', import.meta.url), [path], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  return { child, kill: async () => { child.kill('SIGKILL'); await exited; } };
}

describe('the plugin beside another process', () => {
  it('starts in standby while another process holds the store, refuses with E_STALE_LOCKED, then takes over', async () => {
    const home = tempDir();
    const held = await holder(join(home, 'ledger'));
    try {
      const kernel = createKernel({ plugins: [stalePlugin, ...pitStorePlugins({ ledger: { path: join(home, 'ledger'), noSync: true } })], config: { home } });
      await kernel.start();
      const stale = kernel.service('pit.stale');
      expect(await stale.record(trace(1))).toMatchObject({ stored: true, queued: true }); // for the holder
      await expectCode(stale.cleanup(), 'E_STALE_LOCKED');
      expect(await kernel.health()).toMatchObject({ plugins: { 'pit.stale': { status: 'degraded' } } });
      await held.kill();
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // the stand-in tries the lock once a second
      await stale.purge(); // opens the store, which takes the queued trace in first
      expect(stale.stats().live).toBe(2); // the holder's record and the queued one
      expect((await stale.record(trace(1))).stored).toBe(false); // it is stored: now a duplicate
      await kernel.stop();
    } finally {
      await held.kill();
    }
  });

  it('opens a read-only ledger for reading; its writes fail with the ledger\'s code', async () => {
    const path = join(tempDir(), 'ledger');
    const writable = ledgerAt(path);
    const first = createStale(writable);
    await first.record(trace(1));
    await first.close();
    await close(writable);
    const readOnly = openLedger({ path, readOnly: true });
    try {
      const stale = createStale(readOnly);
      expect(stale.stats().live).toBe(1);
      await expectCode(stale.record(trace(2)), 'E_LEDGER_WRITE');
    } finally {
      await readOnly.root.close();
    }
  });
});

describe('killed at random moments', () => {
  it('a process killed mid-pass leaves a ledger whose counters add up, and its lock is taken over', async () => {
    for (const delay of [40, 150, 400]) {
      const path = join(tempDir(), 'ledger');
      const child = fork(new URL('./fixtures/churn.mjs', import.meta.url), [path, tempDir()], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`churn exited early (${code})`)));
      });
      await new Promise((resolve) => setTimeout(resolve, delay));
      expect(child.exitCode).toBeNull(); // still churning when it is killed
      child.kill('SIGKILL');
      await exited;
      const ledger = ledgerAt(path);
      const stale = createStale(ledger);
      expectConsistent(ledger, stale);
      await stale.close();
      await close(ledger);
    }
  }, 60_000);
});

describe('random interleavings (fast-check scheduler, real LMDB)', () => {
  it('keep counters exact, the cap across overlapping passes, every pin, and every protection', async () => {
    const ops = ['record', 'retention', 'cleanup', 'purge', 'undo', 'pin', 'unpin', 'restore', 'advance'] as const;
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(fc.tuple(fc.constantFrom(...ops), fc.nat(29)), { minLength: 2, maxLength: 8 }), async (s, plan) => {
        let now = T0 + 10 * DAY;
        const ledger = ledgerAt();
        const dir = createDirectoryTarget(tempDir());
        // The real directory target, each call held until the scheduler lets it through.
        const target: ArchiveTarget = {
          name: dir.name,
          put: (file, data) => s.schedule(Promise.resolve(), `put ${file}`).then(() => dir.put(file, data)),
          get: (file) => s.schedule(Promise.resolve(), `get ${file}`).then(() => dir.get(file)),
          list: () => dir.list(),
        };
        const stale = createStale(ledger, { now: () => now, archive: target, retention: { keepDays: 1, keepBestPerType: 1, maxBytes: 600, maxRemoveFraction: 0.5, graceMs: DAY } });
        const results = await stale.recordMany(Array.from({ length: 30 }, (_, i) => trace(i, { at: T0 + i * 1000 })));
        const ids = results.map((r) => r.id);
        const pins = new Set<string>();
        const archives: string[] = [];
        const liveAtStart = stale.stats().live;
        let passRemovals = 0;
        const running = plan.map(([op, n]) => s.schedule(Promise.resolve(), op).then(async () => {
          switch (op) {
            case 'record': return stale.record(trace(100 + n, { at: now }));
            case 'retention': { const r = await stale.applyRetention(); passRemovals += r.removals.length; if (r.archiveId) archives.push(r.archiveId); return r; }
            case 'cleanup': { const r = await stale.cleanup(); passRemovals += r.removals.length; return r; }
            case 'purge': return stale.purge();
            case 'undo': return stale.undo({ ids: [ids[n]!] });
            case 'pin': pins.add(ids[n]!); return stale.pin(ids[n]!);
            case 'unpin': return pins.has(ids[n]!) ? undefined : stale.unpin(ids[n]!);
            case 'restore': return archives[0] ? stale.restore(archives[0]) : undefined;
            case 'advance': now += 2 * DAY; return undefined;
          }
        }));
        await s.waitFor(Promise.all(running));
        // All of them overlapped: together they never took more than one pass's cap.
        expect(passRemovals).toBeLessThanOrEqual(Math.floor(liveAtStart * 0.5) + plan.filter(([op]) => op === 'record').length);
        expectConsistent(ledger, stale, pins);
        await stale.close();
        await close(ledger);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
