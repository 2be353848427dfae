import { canonicalJson, canonicalMember, canonicalObject, sha256 } from './canonical.js';
import { hamming, simhash } from './simhash.js';
import type { RemovalReason, ScoreBreakdown, ScoringOptions, TraceInput, TraceRecord } from './types.js';

/** What is kept per record in memory and in `stale.meta`. */
export interface Meta {
  id: string;
  questType: string;
  at: number;
  bytes: number;
  reward: number;
  sim: [number, number];
  novelty: number;
  informativeness: number;
  pinned: boolean;
  hasArtifacts: boolean;
  tombstonedAt?: number;
  reason?: RemovalReason;
  archiveId?: string;
}

const BANDS = 4;
const DAY = 86_400_000;

/**
 * Value scoring: novelty (exact duplicate by content hash, near-duplicate by SimHash of the
 * state and action, found through 4 LSH bands of 16 bits), informativeness (how surprising the
 * reward is for its quest type) and recency. Holds the in-memory indexes it needs.
 */
export class Scorer {
  /** Per quest type: band key (band * 65536 + 16 bits) → ids. Numeric keys: no string built per lookup. */
  private readonly bands = new Map<string, Map<number, Set<string>>>();
  private readonly sims = new Map<string, [number, number]>();
  private readonly rewards = new Map<string, { n: number; mean: number; m2: number }>();
  readonly w: { novelty: number; informativeness: number; recency: number };
  readonly halfLifeMs: number;
  readonly nearBits: number;

  constructor(options: ScoringOptions = {}) {
    this.w = { novelty: 0.4, informativeness: 0.4, recency: 0.2, ...options.weights };
    this.halfLifeMs = options.halfLifeMs ?? 7 * DAY;
    this.nearBits = options.nearDuplicateBits ?? 3;
  }

  /**
   * The record as stored (its canonical JSON bytes), its id (content hash) and SimHash. Each
   * field is serialised once and the two objects are assembled from the pieces, keys in order.
   */
  identify(trace: TraceInput, at: number): { record: TraceRecord; sim: [number, number]; text: string } {
    const { questType, state, action, outcome, reward } = trace;
    const a = canonicalMember(action);
    const o = canonicalMember(outcome);
    const q = canonicalMember(questType);
    const r = canonicalMember(reward);
    const st = canonicalMember(state);
    const id = sha256(canonicalObject([['action', a], ['outcome', o], ['questType', q], ['reward', r], ['state', st]]));
    const record: TraceRecord = { id, questType, state, action, outcome, reward, at };
    if (trace.runId !== undefined) record.runId = trace.runId;
    if (trace.stepId !== undefined) record.stepId = trace.stepId;
    if (trace.artifacts !== undefined) record.artifacts = trace.artifacts.map((x) => ({ name: x.name, version: x.version }));
    const text = canonicalObject([
      ['action', a], ['artifacts', canonicalMember(record.artifacts)], ['at', canonicalMember(at)], ['id', JSON.stringify(id)],
      ['outcome', o], ['questType', q], ['reward', r], ['runId', canonicalMember(record.runId)], ['state', st], ['stepId', canonicalMember(record.stepId)],
    ]);
    return { record, sim: simhash(features(trace)), text };
  }

  /** Scores a record against what is stored, without changing anything. */
  score(record: TraceRecord, sim: [number, number], now: number, exists: boolean): ScoreBreakdown {
    if (exists) return { id: record.id, novelty: 0, informativeness: 0, recency: this.recency(record.at, now), value: 0, duplicateOf: record.id };
    const near = this.nearest(record.questType, sim);
    // Within the threshold, novelty rises with distance from 0.1 to 0.5; beyond it, 1.
    const novelty = near === undefined ? 1 : 0.1 + (0.4 * near.distance) / (this.nearBits + 1);
    const informativeness = this.informativeness(record.questType, record.reward);
    const recency = this.recency(record.at, now);
    const s: ScoreBreakdown = { id: record.id, novelty, informativeness, recency, value: this.combine(novelty, informativeness, recency) };
    if (near !== undefined) s.nearDuplicateOf = near.id;
    return s;
  }

  value(meta: Meta, now: number): number {
    return this.combine(meta.novelty, meta.informativeness, this.recency(meta.at, now));
  }

  breakdown(meta: Meta, now: number): ScoreBreakdown {
    const recency = this.recency(meta.at, now);
    return { id: meta.id, novelty: meta.novelty, informativeness: meta.informativeness, recency, value: this.combine(meta.novelty, meta.informativeness, recency) };
  }

  private combine(novelty: number, informativeness: number, recency: number): number {
    return this.w.novelty * novelty + this.w.informativeness * informativeness + this.w.recency * recency;
  }

  recency(at: number, now: number): number {
    return Math.pow(0.5, Math.max(0, now - at) / this.halfLifeMs);
  }

  /** |z-score| of the reward among its quest type's rewards, squashed to 0..1; 0.5 until there are two. */
  informativeness(questType: string, reward: number): number {
    const s = this.rewards.get(questType);
    if (s === undefined || s.n < 2) return 0.5;
    const std = Math.sqrt(s.m2 / (s.n - 1));
    if (std === 0) return reward === s.mean ? 0 : 1;
    return Math.min(1, Math.abs(reward - s.mean) / std / 3);
  }

  nearest(questType: string, sim: [number, number]): { id: string; distance: number } | undefined {
    let best: { id: string; distance: number } | undefined;
    const byBand = this.bands.get(questType);
    if (byBand === undefined) return undefined;
    for (let b = 0; b < BANDS; b++) {
      const ids = byBand.get(bandKey(sim, b));
      if (ids === undefined) continue;
      for (const id of ids) {
        const distance = hamming(sim, this.sims.get(id)!);
        if (distance <= this.nearBits && (best === undefined || distance < best.distance || (distance === best.distance && id < best.id))) best = { id, distance };
      }
    }
    return best;
  }

  add(meta: Meta): void {
    this.sims.set(meta.id, meta.sim);
    let byBand = this.bands.get(meta.questType);
    if (byBand === undefined) this.bands.set(meta.questType, (byBand = new Map()));
    for (let b = 0; b < BANDS; b++) {
      const key = bandKey(meta.sim, b);
      let ids = byBand.get(key);
      if (ids === undefined) byBand.set(key, (ids = new Set()));
      ids.add(meta.id);
    }
    // Welford's running mean and variance of rewards per quest type.
    const s = this.rewards.get(meta.questType) ?? { n: 0, mean: 0, m2: 0 };
    s.n++;
    const delta = meta.reward - s.mean;
    s.mean += delta / s.n;
    s.m2 += delta * (meta.reward - s.mean);
    this.rewards.set(meta.questType, s);
  }

  remove(meta: Meta): void {
    this.sims.delete(meta.id);
    const byBand = this.bands.get(meta.questType);
    for (let b = 0; b < BANDS; b++) byBand?.get(bandKey(meta.sim, b))?.delete(meta.id);
    const s = this.rewards.get(meta.questType);
    if (s === undefined || s.n === 0) return;
    if (s.n === 1) {
      this.rewards.delete(meta.questType);
      return;
    }
    const mean = (s.mean * s.n - meta.reward) / (s.n - 1);
    s.m2 = Math.max(0, s.m2 - (meta.reward - s.mean) * (meta.reward - mean));
    s.mean = mean;
    s.n--;
  }
}

function bandKey(sim: [number, number], band: number): number {
  const half = band < 2 ? sim[0] : sim[1];
  const bits = band % 2 === 0 ? half & 0xffff : half >>> 16;
  return band * 65_536 + bits;
}

/** State features scaled to unit length, plus the action as one feature of weight 1. */
function features(trace: TraceInput): [string, number][] {
  const entries: [string, number][] = Array.isArray(trace.state)
    ? trace.state.map((v, i) => [FEATURE_NAMES[i] ?? `s${i}`, v])
    : Object.entries(trace.state);
  let norm = 0;
  for (const [, v] of entries) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  for (const e of entries) e[1] /= norm;
  entries.push([`action=${typeof trace.action === 'object' ? canonicalJson(trace.action) : String(trace.action)}`, 1]);
  return entries;
}

const FEATURE_NAMES = Array.from({ length: 256 }, (_, i) => `s${i}`);
