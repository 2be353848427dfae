/**
 * What the Conductor remembers about each candidate implementation: exponentially weighted
 * latency, failure, quality and reward, plus a decayed least-squares fit of latency against input
 * size, so a decision can ask "how slow is this candidate for an input this big?".
 */
export interface CallOutcome {
  ok: boolean;
  latencyMs: number;
  /** Output quality in [0, 1] (0 when the call failed). */
  quality: number;
  /** Cost units charged for the call. */
  cost: number;
  /** Input size in the decision's size units. */
  size: number;
  /** Step kind (0..3) the call served; quality is also tracked per kind. Default 1. */
  kind?: number;
}

export interface RewardWeights {
  quality: number;
  cost: number;
  /** Per second of latency. */
  latency: number;
  failure: number;
}

export const DEFAULT_REWARD: RewardWeights = { quality: 1, cost: 1, latency: 1, failure: 0.5 };

/** The reward of one call: quality when it worked, a penalty when it did not, minus cost and time. */
export function rewardOf(o: CallOutcome, w: RewardWeights = DEFAULT_REWARD, qualityWeight = 1): number {
  const gain = o.ok ? w.quality * qualityWeight * o.quality : -w.failure;
  return gain - w.cost * o.cost - (w.latency * o.latencyMs) / 1000;
}

export interface CandidateStats {
  n: number;
  ewmaLatencyMs: number;
  ewmaFail: number;
  ewmaQuality: number;
  meanReward: number;
  consecutiveFailures: number;
  /** EWMA quality per step kind, and successful calls per kind (providers differ by input kind). */
  kq?: number[];
  kn?: number[];
  // Decayed sums for latency = a + b * size.
  sw: number;
  sx: number;
  sy: number;
  sxx: number;
  sxy: number;
}

const ALPHA = 0.3;
const DECAY = 0.85;
/** Priors used before a candidate has been observed. */
export const PRIOR = { latencyMs: 200, fail: 0.1, quality: 0.7 } as const;

export function emptyStats(): CandidateStats {
  return {
    n: 0,
    ewmaLatencyMs: PRIOR.latencyMs,
    ewmaFail: PRIOR.fail,
    ewmaQuality: PRIOR.quality,
    meanReward: 0,
    consecutiveFailures: 0,
    kq: [PRIOR.quality, PRIOR.quality, PRIOR.quality, PRIOR.quality],
    kn: [0, 0, 0, 0],
    sw: 0,
    sx: 0,
    sy: 0,
    sxx: 0,
    sxy: 0,
  };
}

export function recordOutcome(s: CandidateStats, o: CallOutcome, reward: number): void {
  const a = s.n === 0 ? 1 : ALPHA;
  s.n += 1;
  s.ewmaLatencyMs += a * (o.latencyMs - s.ewmaLatencyMs);
  s.ewmaFail += a * ((o.ok ? 0 : 1) - s.ewmaFail);
  if (o.ok) {
    s.ewmaQuality += (s.n === 1 ? 1 : ALPHA) * (o.quality - s.ewmaQuality);
    const k = (((o.kind ?? 1) % 4) + 4) % 4;
    const kq = (s.kq ??= [PRIOR.quality, PRIOR.quality, PRIOR.quality, PRIOR.quality]);
    const kn = (s.kn ??= [0, 0, 0, 0]);
    kn[k] = (kn[k] as number) + 1;
    kq[k] = (kq[k] as number) + (kn[k] === 1 ? 1 : ALPHA) * (o.quality - (kq[k] as number));
  }
  s.meanReward += (reward - s.meanReward) / Math.min(s.n, 10);
  s.consecutiveFailures = o.ok ? 0 : s.consecutiveFailures + 1;
  if (o.ok) {
    s.sw = s.sw * DECAY + 1;
    s.sx = s.sx * DECAY + o.size;
    s.sy = s.sy * DECAY + o.latencyMs;
    s.sxx = s.sxx * DECAY + o.size * o.size;
    s.sxy = s.sxy * DECAY + o.size * o.latencyMs;
  }
}

/** Quality expected for a step of `kind`: the per-kind EWMA once seen, else the overall one. */
export function qualityFor(s: CandidateStats, kind: number): number {
  const k = ((kind % 4) + 4) % 4;
  return s.kn && (s.kn[k] as number) > 0 && s.kq ? (s.kq[k] as number) : s.ewmaQuality;
}

/** Latency expected at `size`: the fitted line where two sizes were seen, else the EWMA. */
export function predictLatencyMs(s: CandidateStats, size: number): number {
  if (s.sw < 1e-9) return s.ewmaLatencyMs;
  const mx = s.sx / s.sw;
  const my = s.sy / s.sw;
  const vx = s.sxx / s.sw - mx * mx;
  if (s.sw < 1.5 || vx < 1e-3 * (1 + mx * mx)) return my;
  const slope = Math.max(0, (s.sxy / s.sw - mx * my) / vx);
  return Math.max(0, my + slope * (size - mx));
}

/** Candidate stats by candidate id; one book per run (or per quest in the game). */
export class HistoryBook {
  private readonly byId = new Map<string, CandidateStats>();

  get(id: string): CandidateStats {
    let s = this.byId.get(id);
    if (!s) {
      s = emptyStats();
      this.byId.set(id, s);
    }
    return s;
  }

  record(id: string, outcome: CallOutcome, reward: number): void {
    recordOutcome(this.get(id), outcome, reward);
  }

  entries(): IterableIterator<[string, CandidateStats]> {
    return this.byId.entries();
  }
}
