import { crc32 } from 'node:zlib';
import { SymphonyError, type ArtifactRef, type LedgerService, type SymphonyErrorJSON, type Workflow } from '@symphony/types/core';

/** LMDB's largest key: no record is stored under a longer one. */
const MAX_KEY_BYTES = 1978;

/**
 * The DAG tracker's durable state, in the shared ledger. A checkpoint is one small record per
 * step transition, so its cost does not grow with the size of the run:
 *   dag.run-records   runId -> RunRecord            (checksummed)
 *   dag.step-records  [runId, stepId] -> StepRecord (checksummed)
 *   dag.leases        runId -> Lease                (checksummed): who drives the run
 *   dag.history       [workflowName] -> { ids, ms, n }   (duration estimates for ranks: one
 *                     record per workflow, read once per run and written once at its end;
 *                     older ledgers' [workflowName, stepId] -> { ms, n } records are still read)
 *
 * Run, step and lease records are stored as `crc32 (4 bytes, LE) + UTF-8 JSON`: a damaged
 * record is `E_LEDGER_CORRUPT` naming the ledger and the key, never a wrong answer.
 */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunRecord {
  runId: string;
  workflow: Workflow;
  inputs: Record<string, unknown>;
  status: RunStatus;
  createdAt: number;
  endedAt?: number;
  concurrency?: number;
  /** Times the run was resumed by another driver (after a crash). */
  resumes?: number;
  /** What the caller keeps with the run (the Conductor: source file, policy version). */
  meta?: Record<string, unknown>;
  /** The error that ended a failed run, with the step it came from. */
  error?: SymphonyErrorJSON & { stepId?: string };
  /**
   * Set by the first `cancel` while the run is still `running`: its `if: always()` / `cancelled()`
   * steps run before it ends `cancelled`, and a resume after a crash continues that cleanup.
   * `forced`: a second cancel aborted the cleanup too (nothing more starts).
   */
  cancelled?: { at: number; reason: string; forced?: boolean };
}

export type StepRecordStatus = 'running' | 'retrying' | 'done' | 'skipped' | 'failed';

export interface StepRecord {
  status: StepRecordStatus;
  /** Attempts started so far (attempts cut off by a host crash are not counted). */
  attempts: number;
  /** Times an attempt of this step was cut off by the host dying (bounded by `maxInterruptions`). */
  interruptions?: number;
  output?: ArtifactRef;
  error?: SymphonyErrorJSON;
  /** A failure that `continueOnError` let the run go past. */
  continued?: boolean;
  /** The attempt was cut off by a cancel of the run: its outcome is `cancelled`, not `failure`. */
  cancelled?: boolean;
  /** `extension/method` that produced the output (the chosen candidate for capability steps). */
  servedBy?: string;
  startedAt?: number;
  endedAt?: number;
  /** The run this result was carried over from (`createRun({ reuse })`): the step did not run here. */
  reusedFrom?: string;
}

/** The run's lease: exactly one driver at a time; `epoch` grows with every new holder (fencing). */
export interface Lease {
  owner: string;
  epoch: number;
  pid: number;
  host: string;
  since: number;
  heartbeatAt: number;
}

/** A workflow's duration estimates, as parallel arrays (compact, and no per-step msgpack structure). */
interface HistoryRecord {
  ids: string[];
  ms: number[];
  n: number[];
}

/** The slice of lmdb's Database API the tracker uses (structural: no lmdb import here). */
interface Db<V> {
  get(key: unknown): V | undefined;
  putSync(key: unknown, value: V): unknown;
  removeSync(key: unknown): unknown;
  getRange(options: { start?: unknown; end?: unknown; limit?: number }): Iterable<{ key: unknown; value: V }>;
}

const EWMA = 0.3;
const BINARY = { encoding: 'binary' as const };

export function encodeRecord(value: unknown): Buffer {
  const json = JSON.stringify(value);
  // One allocation: the JSON is written after room for its checksum.
  const out = Buffer.allocUnsafe(Buffer.byteLength(json) + 4);
  out.write(json, 4, 'utf8');
  out.writeUInt32LE(crc32(out.subarray(4)), 0);
  return out;
}

export function decodeRecord<T>(bytes: Uint8Array | undefined, where: () => { path: string; db: string; key: unknown }): T | undefined {
  if (bytes === undefined) return undefined;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = buf.subarray(4);
  let value: T | undefined;
  if (buf.length >= 4 && buf.readUInt32LE(0) === crc32(body)) {
    try {
      value = JSON.parse(body.toString('utf8')) as T;
    } catch {
      value = undefined;
    }
  }
  if (value === undefined) {
    const at = where();
    throw new SymphonyError('E_LEDGER_CORRUPT', `a record in the ledger at ${at.path} is damaged (${at.db} ${JSON.stringify(at.key)}): its checksum does not match`, {
      details: { path: at.path, db: at.db, key: at.key as never },
    });
  }
  return value;
}

export class Checkpoints {
  private readonly runs: Db<Uint8Array>;
  private readonly steps: Db<Uint8Array>;
  private readonly leases: Db<Uint8Array>;
  private readonly history: Db<{ ms: number; n: number } | HistoryRecord>;

  constructor(readonly ledger: LedgerService) {
    this.runs = ledger.db('dag.run-records', BINARY) as Db<Uint8Array>;
    this.steps = ledger.db('dag.step-records', BINARY) as Db<Uint8Array>;
    this.leases = ledger.db('dag.leases', BINARY) as Db<Uint8Array>;
    this.history = ledger.db('dag.history') as Db<{ ms: number; n: number } | HistoryRecord>;
  }

  private where(db: string, key: unknown) {
    return () => ({ path: this.ledger.path, db, key });
  }

  /** Inside a ledger transaction. */
  writeRun(record: RunRecord): void {
    this.runs.putSync(record.runId, encodeRecord(record));
  }

  /** Inside a ledger transaction. */
  writeStep(runId: string, stepId: string, record: StepRecord): void {
    this.steps.putSync([runId, stepId], encodeRecord(record));
  }

  /** Inside a ledger transaction. */
  writeLease(runId: string, lease: Lease): void {
    this.leases.putSync(runId, encodeRecord(lease));
  }

  /** Inside a ledger transaction. */
  removeLease(runId: string): void {
    this.leases.removeSync(runId);
  }

  lease(runId: string): Lease | undefined {
    return decodeRecord<Lease>(this.leases.get(runId), this.where('dag.leases', runId));
  }

  /**
   * Inside a ledger transaction: folds the observed durations of one run (`ms` by step id) into
   * the workflow's estimates, in one record write.
   */
  recordDurations(workflow: string, observed: ReadonlyMap<string, number>): void {
    if (observed.size === 0) return;
    const known = this.historyOf(workflow);
    for (const [stepId, ms] of observed) {
      const previous = known.get(stepId);
      known.set(stepId, previous ? { ms: previous.ms + EWMA * (ms - previous.ms), n: previous.n + 1 } : { ms, n: 1 });
    }
    const record: HistoryRecord = { ids: [], ms: [], n: [] };
    for (const [stepId, e] of known) {
      record.ids.push(stepId);
      record.ms.push(e.ms);
      record.n.push(e.n);
    }
    this.history.putSync([workflow], record);
  }

  /** The workflow's duration estimates by step id (one read). */
  estimates(workflow: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const [stepId, e] of this.historyOf(workflow)) out.set(stepId, e.ms);
    return out;
  }

  /**
   * The workflow's estimates. They only order ready steps, so a record that cannot be read (a
   * damaged byte) counts as no history and is rewritten at the run's end; it never fails a run.
   */
  private historyOf(workflow: string): Map<string, { ms: number; n: number }> {
    const out = new Map<string, { ms: number; n: number }>();
    let record: HistoryRecord | undefined;
    try {
      record = this.history.get([workflow]) as HistoryRecord | undefined;
    } catch {
      return out;
    }
    if (record !== undefined) {
      if (!Array.isArray(record.ids) || !Array.isArray(record.ms) || !Array.isArray(record.n)) return out;
      record.ids.forEach((id, k) => {
        const ms = record.ms[k];
        const n = record.n[k];
        if (typeof id === 'string' && typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) out.set(id, { ms, n: typeof n === 'number' ? n : 1 });
      });
      return out;
    }
    // A ledger from before the per-workflow record: one record per step.
    try {
      for (const { key, value } of this.history.getRange({ start: [workflow, ''], end: [workflow, '\uffff'] })) {
        const stepId = (key as unknown[])[1];
        const e = value as { ms?: unknown; n?: unknown } | undefined;
        if (typeof stepId === 'string' && typeof e?.ms === 'number') out.set(stepId, { ms: e.ms, n: typeof e.n === 'number' ? e.n : 1 });
      }
    } catch {
      // A damaged older record: what was read so far is kept.
    }
    return out;
  }

  run(runId: string): RunRecord | undefined {
    // LMDB keys are at most 1978 bytes: a longer id names no stored run (and would make lmdb throw).
    if (Buffer.byteLength(runId) > MAX_KEY_BYTES) return undefined;
    return decodeRecord<RunRecord>(this.runs.get(runId), this.where('dag.run-records', runId));
  }

  step(runId: string, stepId: string): StepRecord | undefined {
    return decodeRecord<StepRecord>(this.steps.get([runId, stepId]), this.where('dag.step-records', [runId, stepId]));
  }

  stepsOf(runId: string): Map<string, StepRecord> {
    const out = new Map<string, StepRecord>();
    for (const { key, value } of this.steps.getRange({ start: [runId], end: [runId, '\uffff'] })) {
      out.set((key as [string, string])[1], decodeRecord<StepRecord>(value, this.where('dag.step-records', key)) as StepRecord);
    }
    return out;
  }

  listRuns(): RunRecord[] {
    return [...this.runs.getRange({})].map((e) => decodeRecord<RunRecord>(e.value, this.where('dag.run-records', e.key)) as RunRecord);
  }
}
