import { randomUUID } from 'node:crypto';
import { SymphonyError, silentLogger, toSymphonyError, type LedgerService } from '@symphony/types';
import { readArchive, writeArchive } from './archive.js';
import { sha256 } from './canonical.js';
import { acquireLock } from './lock.js';
import { planByAge, planBySize, resolvePolicy, type Plan } from './retention.js';
import { Scorer, type Meta } from './scorer.js';
import type {
  ArchiveManifest, CleanupReport, Removal, RemovalCounts, RemovalReason, ScoreBreakdown, ScoredRecord, StaleOptions,
  TraceInput, TraceRecord, TrainingSetOptions,
} from './types.js';
import { validateTrace } from './validate.js';

/** The lmdb calls this package uses, typed structurally (no runtime dependency on lmdb). */
interface Db<V> {
  get(key: string): V | undefined;
  putSync(key: string, value: V): unknown;
  removeSync(key: string): unknown;
  getRange(options?: { start?: string; end?: string; limit?: number }): Iterable<{ key: unknown; value: V }>;
}

export interface RecordResult {
  id: string;
  /** `false` for an exact duplicate (dropped, counted). */
  stored: boolean;
  /** True when queued for the instance that holds the ledger (`queueTraces`): stored when it takes it in. */
  queued?: boolean;
  score: ScoreBreakdown;
}

/** The `pit.stale` service. */
export interface StaleService {
  /** Scores, deduplicates and stores one decision trace. */
  record(trace: TraceInput): Promise<RecordResult>;
  /** Many traces in one write transaction. */
  recordMany(traces: TraceInput[]): Promise<RecordResult[]>;
  /** Value of a trace against what is stored, without storing it. */
  score(trace: TraceInput): ScoreBreakdown;
  get(id: string): TraceRecord | undefined;
  /** The stored bytes (canonical JSON): what archives hold and restores give back, byte for byte. */
  getBytes(id: string): Uint8Array | undefined;
  /** Curated training data: highest value first, deduplicated, capped per quest type. */
  trainingSet(options?: TrainingSetOptions): ScoredRecord[];
  pin(id: string): Promise<void>;
  unpin(id: string): Promise<void>;
  /** Retention by age: archive (if a target is set) then tombstone. `dryRun` reports only. */
  applyRetention(options?: { dryRun?: boolean }): Promise<CleanupReport>;
  /** Storage-aware cleanup above `maxBytes` live bytes: lowest value first, tombstoned. */
  cleanup(options?: { dryRun?: boolean; maxBytes?: number }): Promise<CleanupReport>;
  /** Deletes records tombstoned longer than the grace period (the second step). */
  purge(options?: { dryRun?: boolean }): Promise<Removal[]>;
  /** Brings tombstoned records back (all, by id, or by reason). Returns how many. */
  undo(filter?: { ids?: string[]; reason?: RemovalReason }): Promise<number>;
  archive(ids: string[]): Promise<ArchiveManifest>;
  /** Puts an archive's records back, verified against its checksums, byte-identical. */
  restore(archiveId: string): Promise<TraceRecord[]>;
  archives(): ArchiveManifest[];
  removals(): RemovalCounts;
  stats(): { live: number; tombstoned: number; liveBytes: number; questTypes: Record<string, number> };
  /** Waits for queued operations, then gives the ledger's lock up; later mutations fail with `E_STALE_CLOSED`. */
  close(): Promise<void>;
}

const COUNTERS_KEY = 'removals';
const INBOX = 'stale.inbox';

/**
 * Queues traces in the ledger for the instance that holds it (another process), which takes them
 * in before its next operation: what the plugin does with `record*` while it stands by. Each is
 * validated here (`E_INPUT_INVALID`); its score is provisional (against nothing stored).
 */
export async function queueTraces(ledger: LedgerService, traces: TraceInput[], options: Pick<StaleOptions, 'scoring' | 'now'> = {}): Promise<RecordResult[]> {
  const now = options.now ?? Date.now;
  const scorer = new Scorer(options.scoring);
  const inbox = ledger.db(INBOX, { encoding: 'string' }) as Db<string>;
  const queued = traces.map((trace) => {
    validateTrace(trace);
    const at = trace.at ?? now();
    const { record, sim } = scorer.identify(trace, at);
    return { result: { id: record.id, stored: true, queued: true, score: scorer.score(record, sim, now(), false) } as RecordResult, text: JSON.stringify({ ...trace, at }) };
  });
  const stamp = `${now().toString(36).padStart(10, '0')}-${process.pid}-${randomUUID()}`;
  await ledger.transaction(() => queued.forEach((q, i) => inbox.putSync(`${stamp}-${String(i).padStart(6, '0')}`, q.text)));
  return queued.map((q) => q.result);
}

/**
 * Opens the stale store on `ledger`. One instance per ledger: a second one, in this process or
 * another, fails with `E_STALE_LOCKED` while the first is open (a dead holder's lock is taken
 * over). Every mutating call runs alone, in call order, against the store's own view, which is
 * then exactly the ledger's.
 */
export function createStale(ledger: LedgerService, options: StaleOptions = {}): StaleService {
  const lock = acquireLock(ledger, ledger.db('stale.lock') as Parameters<typeof acquireLock>[1]);
  const records = ledger.db('stale.records', { encoding: 'binary' }) as Db<Uint8Array>;
  const metaDb = ledger.db('stale.meta') as Db<Meta>;
  const archiveDb = ledger.db('stale.archives') as Db<ArchiveManifest>;
  const counterDb = ledger.db('stale.counters') as Db<RemovalCounts>;
  // Absent when a read-only environment predates the inbox: then nothing is queued.
  const inbox = ledger.db(INBOX, { encoding: 'string' }) as Db<string> | undefined;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const policy = resolvePolicy(options.retention);
  const scorer = new Scorer(options.scoring);
  const metas = new Map<string, Meta>();
  const reasons = (): Record<RemovalReason, number> => ({ age: 0, size: 0, duplicate: 0, manual: 0 });
  const counts: RemovalCounts = counterDb.get(COUNTERS_KEY) ?? { tombstoned: reasons(), purged: reasons(), duplicates: 0, undone: 0 };
  let liveBytes = 0;
  let archiveSeq = 0;
  for (const { value } of metaDb.getRange()) {
    metas.set(value.id, value);
    if (value.tombstonedAt === undefined) {
      scorer.add(value);
      liveBytes += value.bytes;
    }
  }

  const live = (): Meta[] => [...metas.values()].filter((m) => m.tombstonedAt === undefined);
  const hasQueued = (): boolean => {
    for (const _ of inbox?.getRange({ limit: 1 }) ?? []) return true;
    return false;
  };

  // Mutations run one at a time, in call order: each plans and commits against a view no other
  // call changes meanwhile (a pin during a retention pass waits for it, and is not lost).
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(async () => {
      if (closed) throw new SymphonyError('E_STALE_CLOSED', `the stale store on ${ledger.path} is closed`, { details: { path: ledger.path } });
      await ingestInbox();
      return fn();
    });
    queue = run.then(() => undefined, () => undefined);
    return run;
  }
  /** A ledger write transaction that first checks this instance still holds the lock. */
  const write = <T>(fn: () => T): Promise<T> => ledger.transaction(() => {
    lock.fence();
    return fn();
  });

  // Removal passes called while another is queued or running share one cap: Promise.all of a
  // retention pass and a cleanup never takes more than `maxRemoveFraction` of the live records
  // counted when the first of them started.
  let passesInFlight = 0;
  let passWindow: { base: number; used: number } | undefined;
  async function removalPass(dryRun: boolean, fn: (cap: number, window: { base: number; used: number }) => Promise<CleanupReport>): Promise<CleanupReport> {
    if (!dryRun) passesInFlight++;
    try {
      return await exclusive(() => {
        const window = passWindow ?? { base: live().length, used: 0 };
        if (!dryRun) passWindow = window;
        return fn(Math.max(0, Math.floor(window.base * policy.maxRemoveFraction) - window.used), window);
      });
    } finally {
      if (!dryRun && --passesInFlight === 0) passWindow = undefined;
    }
  }
  const read = (id: string): TraceRecord | undefined => {
    const bytes = records.get(id);
    return bytes === undefined ? undefined : (JSON.parse(Buffer.from(bytes).toString('utf8')) as TraceRecord);
  };

  /** Why a record must stay: pinned, the `protect` callback, or an aliased / lineage-linked artifact. */
  function protection(meta: Meta): string | undefined {
    if (meta.pinned) return 'pinned';
    if (!options.protect && !meta.hasArtifacts) return undefined;
    const record = read(meta.id);
    if (record === undefined) return undefined;
    const why = options.protect?.(record);
    if (why) return why;
    if (!record.artifacts?.length) return undefined;
    let artifacts;
    try {
      artifacts = options.artifacts?.();
    } catch (err) {
      return `artifact lookups failed (kept to be safe): ${(err as Error).message}`;
    }
    if (artifacts === undefined) return 'references artifacts but pit.artifacts is unavailable (kept to be safe)';
    for (const ref of record.artifacts) {
      try {
        const aliased = Object.entries(artifacts.aliases(ref.name)).filter(([, v]) => v === ref.version).map(([a]) => a);
        if (aliased.length > 0) return `alias ${ref.name}@${aliased.join(',')} -> v${ref.version}`;
        if (artifacts.consumersOf(ref).length > 0 || artifacts.inputsOf(ref).length > 0) return `lineage of ${ref.name} v${ref.version}`;
      } catch (err) {
        return `artifact lookups failed for ${ref.name} (kept to be safe): ${(err as Error).message}`;
      }
    }
    return undefined;
  }

  function prepare(trace: TraceInput, pending: Map<string, Meta>): { result: RecordResult; meta?: Meta; bytes?: Uint8Array } {
    validateTrace(trace);
    const at = trace.at ?? now();
    const { record, sim, text } = scorer.identify(trace, at);
    const existing = metas.get(record.id) ?? pending.get(record.id);
    if (existing !== undefined && existing.tombstonedAt === undefined) {
      return { result: { id: record.id, stored: false, score: scorer.score(record, sim, now(), true) } };
    }
    const score = scorer.score(record, sim, now(), false);
    const bytes = Buffer.from(text, 'utf8');
    const meta: Meta = {
      id: record.id, questType: record.questType, at, bytes: bytes.length, reward: record.reward, sim,
      novelty: score.novelty, informativeness: score.informativeness, pinned: trace.pinned === true,
      hasArtifacts: (record.artifacts?.length ?? 0) > 0,
    };
    return { result: { id: record.id, stored: true, score }, meta, bytes };
  }

  /**
   * Takes in traces other processes queued while this instance held the ledger (`queueTraces`),
   * oldest first, removing them from the inbox in the transaction that stores them.
   */
  async function ingestInbox(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      let batch: { key: string; value: string }[];
      try {
        batch = [...(inbox?.getRange({ limit: 500 }) ?? [])] as { key: string; value: string }[];
      } catch (err) {
        // lmdb's own error for a read on a closed environment: give it the ledger's code.
        if (/closed/i.test((err as Error).message)) throw new SymphonyError('E_LEDGER_CLOSED', `the ledger at ${ledger.path} is closed`, { details: { path: ledger.path }, cause: err });
        throw toSymphonyError(err);
      }
      if (batch.length === 0) return;
      const traces: TraceInput[] = [];
      const keys: string[] = [];
      const bad: string[] = [];
      for (const { key, value } of batch) {
        try {
          const trace = JSON.parse(value) as TraceInput;
          validateTrace(trace);
          traces.push(trace);
          keys.push(key);
        } catch (err) {
          logger.warn({ key, err }, 'stale: dropped an invalid queued trace');
          bad.push(key);
        }
      }
      await store(traces, [...keys, ...bad]);
    }
  }

  /** Stores traces in one transaction; `inboxKeys` (queued traces being taken in) go in the same one. */
  async function store(traces: TraceInput[], inboxKeys: string[] = []): Promise<RecordResult[]> {
    const pending = new Map<string, Meta>();
    const writes: { meta: Meta; bytes: Uint8Array }[] = [];
    let results: RecordResult[];
    try {
      results = traces.map((trace) => {
        const prepared = prepare(trace, pending);
        if (prepared.meta && prepared.bytes) {
          pending.set(prepared.meta.id, prepared.meta);
          writes.push({ meta: prepared.meta, bytes: prepared.bytes });
          // Indexed at once, so a near-duplicate later in the same batch is scored as one.
          scorer.add(prepared.meta);
        }
        return prepared.result;
      });
    } catch (err) {
      for (const { meta } of writes) scorer.remove(meta); // an invalid trace: nothing of the batch stays
      throw err;
    }
    const duplicates = results.filter((r) => !r.stored).length;
    try {
      await write(() => {
        for (const { meta, bytes } of writes) {
          records.putSync(meta.id, bytes);
          metaDb.putSync(meta.id, meta);
        }
        if (duplicates > 0) counterDb.putSync(COUNTERS_KEY, { ...counts, duplicates: counts.duplicates + duplicates });
        for (const key of inboxKeys) inbox?.removeSync(key);
      });
    } catch (err) {
      for (const { meta } of writes) scorer.remove(meta);
      throw err;
    }
    counts.duplicates += duplicates;
    for (const { meta } of writes) {
      metas.set(meta.id, meta);
      liveBytes += meta.bytes;
    }
    return results;
  }

  async function tombstone(chosen: Meta[], reason: RemovalReason, archiveId?: string): Promise<void> {
    const at = now();
    // From the current metadata (not the plan's copies): nothing is written over a newer state.
    const updated = chosen
      .map((m) => metas.get(m.id))
      .filter((m): m is Meta => m !== undefined && m.tombstonedAt === undefined && !m.pinned)
      .map((m) => ({ ...m, tombstonedAt: at, reason, ...(archiveId ? { archiveId } : {}) }));
    if (updated.length === 0) return;
    const next = { ...counts, tombstoned: { ...counts.tombstoned, [reason]: counts.tombstoned[reason] + updated.length } };
    await write(() => {
      for (const m of updated) metaDb.putSync(m.id, m);
      counterDb.putSync(COUNTERS_KEY, next);
    });
    counts.tombstoned = next.tombstoned;
    for (const m of updated) {
      metas.set(m.id, m);
      scorer.remove(m);
      liveBytes -= m.bytes;
    }
  }

  function report(plan: Plan, reason: RemovalReason, dryRun: boolean, archiveId?: string): CleanupReport {
    const t = now();
    const removals = plan.chosen.map((m): Removal => ({
      id: m.id, questType: m.questType, reason, value: scorer.value(m, t), bytes: m.bytes, at: m.at, ...(archiveId ? { archiveId } : {}),
    }));
    const removed = removals.reduce((n, r) => n + r.bytes, 0);
    const out: CleanupReport = { dryRun, removals, protected: plan.protected, deferred: plan.deferred, liveBytesBefore: liveBytes, liveBytesAfter: liveBytes - removed };
    if (archiveId) out.archiveId = archiveId;
    return out;
  }

  async function archiveRecords(ids: string[]): Promise<ArchiveManifest> {
    if (!options.archive) throw new SymphonyError('E_STALE_NO_ARCHIVE', 'no archive target is configured: pass `archive: createDirectoryTarget(dir)`', { details: {} });
    const entries = ids.map((id) => {
      const bytes = records.get(id);
      const meta = metas.get(id);
      if (bytes === undefined || meta === undefined) throw new SymphonyError('E_NOT_FOUND', `no stored trace ${id} to archive`, { details: { id } });
      return { id, questType: meta.questType, at: meta.at, bytes };
    });
    const createdAt = now();
    const stamp = new Date(createdAt).toISOString().replace(/[-:.]/g, '');
    const id = `stale-${stamp}-${++archiveSeq}-${sha256(ids.join('\n')).slice(0, 8)}`;
    const manifest = await writeArchive(options.archive, id, entries, createdAt);
    await write(() => archiveDb.putSync(id, manifest));
    logger.info({ archiveId: id, count: entries.length, target: options.archive.name }, 'stale: archived');
    return manifest;
  }

  const service: StaleService = {
    async record(trace) {
      return (await exclusive(() => store([trace])))[0]!;
    },
    recordMany: (traces) => exclusive(() => store(traces)),
    score(trace) {
      validateTrace(trace);
      const { record, sim } = scorer.identify(trace, trace.at ?? now());
      const existing = metas.get(record.id);
      return scorer.score(record, sim, now(), existing !== undefined && existing.tombstonedAt === undefined);
    },
    get: (id) => (metas.get(id)?.tombstonedAt === undefined ? read(id) : undefined),
    getBytes: (id) => records.get(id),
    trainingSet(opts = {}) {
      const t = now();
      const limit = opts.limit ?? 1_000;
      const wanted = opts.questTypes ? new Set(opts.questTypes) : undefined;
      const candidates = live()
        .filter((m) => !wanted || wanted.has(m.questType))
        .map((m) => ({ m, value: scorer.value(m, t) }))
        .filter((c) => c.value >= (opts.minValue ?? 0))
        .sort((a, b) => b.value - a.value || b.m.at - a.m.at || (a.m.id < b.m.id ? -1 : 1));
      const types = new Set(candidates.map((c) => c.m.questType)).size;
      const shareCap = types > 1 ? Math.max(1, Math.floor(limit * (opts.maxQuestTypeShare ?? 0.5))) : Infinity;
      const cap = Math.min(opts.capPerQuestType ?? Infinity, shareCap);
      const perType = new Map<string, number>();
      const out: ScoredRecord[] = [];
      for (const { m } of candidates) {
        if (out.length >= limit) break;
        const n = perType.get(m.questType) ?? 0;
        if (n >= cap) continue;
        const record = read(m.id);
        if (record === undefined) continue;
        perType.set(m.questType, n + 1);
        out.push({ record, score: scorer.breakdown(m, t) });
      }
      return out;
    },
    pin: (id) => exclusive(() => setPinned(id, true)),
    unpin: (id) => exclusive(() => setPinned(id, false)),
    applyRetention(opts = {}) {
      const dryRun = opts.dryRun === true;
      return removalPass(dryRun, async (cap, window) => {
        const plan = planByAge(live(), policy, now(), (m) => scorer.value(m, now()), protection, cap);
        if (dryRun || plan.chosen.length === 0) return report(plan, 'age', dryRun);
        const manifest = options.archive ? await archiveRecords(plan.chosen.map((m) => m.id)) : undefined;
        const out = report(plan, 'age', false, manifest?.id);
        await tombstone(plan.chosen, 'age', manifest?.id);
        window.used += plan.chosen.length;
        return out;
      });
    },
    cleanup(opts = {}) {
      const maxBytes = opts.maxBytes ?? policy.maxBytes;
      const dryRun = opts.dryRun === true;
      return removalPass(dryRun, async (cap, window) => {
        if (maxBytes === undefined) return report({ chosen: [], protected: [], deferred: 0 }, 'size', dryRun);
        const plan = planBySize(live(), maxBytes, liveBytes, policy, (m) => scorer.value(m, now()), protection, cap);
        const out = report(plan, 'size', dryRun);
        if (!dryRun && plan.chosen.length > 0) {
          await tombstone(plan.chosen, 'size');
          window.used += plan.chosen.length;
        }
        return out;
      });
    },
    purge: (opts = {}) => exclusive(async () => {
      const t = now();
      // Every protection is checked again now: a record pinned, aliased or linked in lineage
      // since it was tombstoned stays (tombstoned, so `undo` can bring it back).
      const due = [...metas.values()].filter((m) => {
        if (m.tombstonedAt === undefined || t - m.tombstonedAt < policy.graceMs) return false;
        const why = protection(m);
        if (why !== undefined) logger.info({ id: m.id, why }, 'stale: kept at purge time');
        return why === undefined;
      });
      const removals = due.map((m): Removal => ({ id: m.id, questType: m.questType, reason: m.reason ?? 'manual', value: scorer.value(m, t), bytes: m.bytes, at: m.at, ...(m.archiveId ? { archiveId: m.archiveId } : {}) }));
      if (opts.dryRun || due.length === 0) return removals;
      const purged = { ...counts.purged };
      for (const r of removals) purged[r.reason]++;
      await write(() => {
        for (const m of due) {
          records.removeSync(m.id);
          metaDb.removeSync(m.id);
        }
        counterDb.putSync(COUNTERS_KEY, { ...counts, purged });
      });
      counts.purged = purged;
      for (const m of due) metas.delete(m.id);
      return removals;
    }),
    undo: (filter = {}) => exclusive(async () => {
      const ids = filter.ids ? new Set(filter.ids) : undefined;
      const back = [...metas.values()].filter((m) => m.tombstonedAt !== undefined && (!ids || ids.has(m.id)) && (!filter.reason || m.reason === filter.reason));
      if (back.length === 0) return 0;
      await revive(back.map(({ tombstonedAt: _t, reason: _r, archiveId: _a, ...m }) => m as Meta));
      return back.length;
    }),
    archive: (ids) => exclusive(() => archiveRecords(ids)),
    restore: (archiveId) => exclusive(async () => {
      if (!options.archive) throw new SymphonyError('E_STALE_NO_ARCHIVE', 'no archive target is configured to restore from', { details: { archiveId } });
      const { records: lines } = await readArchive(options.archive, archiveId, archiveDb.get(archiveId));
      const parsed = lines.map((bytes) => ({ bytes, record: JSON.parse(Buffer.from(bytes).toString('utf8')) as TraceRecord }));
      const t = now();
      const metasBack: Meta[] = [];
      for (const { bytes, record } of parsed) {
        const old = metas.get(record.id);
        if (old !== undefined && old.tombstonedAt === undefined) continue; // already live
        const { tombstonedAt: _t, reason: _r, archiveId: _a, ...kept } = old ?? ({} as Meta);
        const meta: Meta = old
          ? (kept as Meta)
          : (() => {
              const { sim } = scorer.identify(record, record.at);
              const s = scorer.score(record, sim, t, false);
              return { id: record.id, questType: record.questType, at: record.at, bytes: bytes.length, reward: record.reward, sim, novelty: s.novelty, informativeness: s.informativeness, pinned: false, hasArtifacts: (record.artifacts?.length ?? 0) > 0 };
            })();
        metasBack.push(meta);
      }
      const back = new Set(metasBack.map((m) => m.id));
      // A tombstoned record brought back counts as undone, so the counters still add up.
      const untombstoned = metasBack.filter((m) => metas.get(m.id)?.tombstonedAt !== undefined).length;
      await write(() => {
        for (const { bytes, record } of parsed) if (back.has(record.id)) records.putSync(record.id, bytes);
        for (const m of metasBack) metaDb.putSync(m.id, m);
        if (untombstoned > 0) counterDb.putSync(COUNTERS_KEY, { ...counts, undone: counts.undone + untombstoned });
      });
      counts.undone += untombstoned;
      for (const m of metasBack) {
        metas.set(m.id, m);
        scorer.add(m);
        liveBytes += m.bytes;
      }
      return parsed.map((p) => p.record);
    }),
    archives: () => [...archiveDb.getRange()].map((e) => e.value),
    removals: () => structuredClone(counts),
    stats() {
      const questTypes: Record<string, number> = {};
      let liveCount = 0;
      for (const m of metas.values()) {
        if (m.tombstonedAt !== undefined) continue;
        liveCount++;
        questTypes[m.questType] = (questTypes[m.questType] ?? 0) + 1;
      }
      return { live: liveCount, tombstoned: metas.size - liveCount, liveBytes, questTypes };
    },
    close: () => {
      if (closed) return queue.then(() => undefined);
      return exclusive(async () => {
        closed = true;
        lock.release();
      });
    },
  };

  /** Brings tombstoned records back live (as `metas`, without their tombstone), counted as undone. */
  async function revive(restored: Meta[]): Promise<void> {
    await write(() => {
      for (const m of restored) metaDb.putSync(m.id, m);
      counterDb.putSync(COUNTERS_KEY, { ...counts, undone: counts.undone + restored.length });
    });
    counts.undone += restored.length;
    for (const m of restored) {
      metas.set(m.id, m);
      scorer.add(m);
      liveBytes += m.bytes;
    }
  }

  async function setPinned(id: string, pinned: boolean): Promise<void> {
    const meta = metas.get(id);
    if (meta === undefined) throw new SymphonyError('E_NOT_FOUND', `no stored trace ${id}`, { details: { id } });
    if (pinned && meta.tombstonedAt !== undefined) {
      // Pinning a tombstoned record brings it back: a pinned record is never out of the data.
      const { tombstonedAt: _t, reason: _r, archiveId: _a, ...kept } = meta;
      await revive([{ ...kept, pinned: true } as Meta]);
      return;
    }
    const next = { ...meta, pinned };
    await write(() => metaDb.putSync(id, next));
    metas.set(id, next);
  }

  // Traces other processes queued while they stood by: taken in now, not at the first call.
  if (hasQueued()) exclusive(async () => undefined).catch((err: unknown) => logger.warn({ err }, 'stale: could not take in queued traces'));
  return service;
}
