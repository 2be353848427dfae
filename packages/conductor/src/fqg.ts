import { GIVE_UP, MAX_CANDIDATES, STEP_KINDS, type CandidateView, type DecisionContext } from './features.js';
import { DEFAULT_REWARD, HistoryBook, rewardOf, type RewardWeights } from './history.js';
import { createRng, type Rng } from './rng.js';

/**
 * The Function Quest Game: each quest is a workflow of capability steps whose candidate
 * functions have hidden latency (a base plus a per-size slope), failure probability, quality
 * and capacity. The hidden values drift, candidates fall into outages and recover, one of them
 * degrades sharply mid-quest, and concurrent steps contend for each candidate's capacity. The
 * best candidate therefore depends on the input size, the current load and recent failures:
 * a context-free bandit is the baseline to beat.
 */
export interface QuestCandidate {
  id: string;
  cost: number;
  baseMs: number;
  slopeMs: number;
  failP: number;
  quality: number;
  capacity: number;
  outageRate: number;
  inOutage: boolean;
  inFlight: number;
}

export interface QuestStep {
  id: string;
  capability: number;
  kind: number;
  size: number;
  needs: number[];
  /** Upward rank: expected work on the longest path from this step to the end. */
  rank: number;
}

export interface Quest {
  seed: number;
  concurrency: number;
  capabilities: QuestCandidate[][];
  steps: QuestStep[];
  /** Dispatch count after which one candidate per capability degrades. */
  shiftAfter: number;
}

export const MAX_ATTEMPTS = 4;
/** A finished quest is worth a lot, and a failed one costs a lot: users rerun failed workflows. */
export const SUCCESS_BONUS = 3;
export const GIVE_UP_PENALTY = 4;
/** How much each step kind values quality (kind 0 is quality-critical, kind 2 is bulk work). */
export const KIND_QUALITY_WEIGHT = [2, 1, 0.5, 1] as const;

export function generateQuest(seed: number): Quest {
  const rng = createRng(seed);
  const capabilities: QuestCandidate[][] = [];
  const nCaps = rng.int(1, 3);
  for (let c = 0; c < nCaps; c++) {
    const list: QuestCandidate[] = [];
    const n = rng.int(2, MAX_CANDIDATES);
    for (let j = 0; j < n; j++) {
      list.push({
        id: `c${c}.f${j}`,
        cost: round3(rng.uniform(0.05, 0.8)),
        baseMs: rng.uniform(10, 300),
        slopeMs: Math.exp(rng.uniform(Math.log(5), Math.log(200))),
        failP: rng.uniform(0.01, 0.25),
        quality: rng.uniform(0.4, 1),
        capacity: rng.int(1, 3),
        outageRate: rng.uniform(0, 0.08),
        inOutage: false,
        inFlight: 0,
      });
    }
    capabilities.push(list);
  }
  const nSteps = rng.int(8, 20);
  const steps: QuestStep[] = [];
  for (let i = 0; i < nSteps; i++) {
    const needs: number[] = [];
    for (let j = Math.max(0, i - 6); j < i; j++) if (needs.length < 2 && rng.chance(0.2)) needs.push(j);
    steps.push({ id: `s${i}`, capability: rng.int(0, nCaps - 1), kind: rng.int(0, STEP_KINDS - 1), size: Math.exp(rng.normal() * 1.1), needs, rank: 0 });
  }
  for (let i = nSteps - 1; i >= 0; i--) {
    const step = steps[i]!;
    let after = 0;
    for (const other of steps) if (other.needs.includes(i)) after = Math.max(after, other.rank);
    step.rank = 1 + step.size * 0.2 + after;
  }
  return { seed, concurrency: rng.int(2, 6), capabilities, steps, shiftAfter: rng.int(4, nSteps) };
}

export interface QuestResult {
  seed: number;
  reward: number;
  success: boolean;
  cost: number;
  makespanMs: number;
  calls: number;
  /** Reward of each decision, in the order the decisions were asked for. */
  decisionRewards: number[];
}

/**
 * What an informed oracle may see beside each decision: the true, current parameters of the
 * step's candidates (a copy), and where the step stands. Policies never get this.
 */
export interface HiddenView {
  step: QuestStep;
  candidates: readonly QuestCandidate[];
}

export type DecideFn = (batch: readonly DecisionContext[], hidden: readonly HiddenView[]) => number[] | Promise<number[]>;

export interface PlayOptions {
  weights?: RewardWeights;
  /** Seed of the game's noise (outcomes, drift); default derived from the quest seed. */
  noiseSeed?: number;
}

interface Running {
  step: number;
  slot: number;
  attempt: number;
  decision: number;
  endsAt: number;
  ok: boolean;
  latencyMs: number;
  quality: number;
  cost: number;
}

/** Plays one quest with `decide`; same quest + same decisions = same result, bit for bit. */
export async function playQuest(quest: Quest, decide: DecideFn, options: PlayOptions = {}): Promise<QuestResult> {
  const weights = options.weights ?? DEFAULT_REWARD;
  const rng = createRng(options.noiseSeed ?? quest.seed ^ 0x0a11ce);
  const caps = quest.capabilities.map((list) => list.map((c) => ({ ...c })));
  const book = new HistoryBook();
  const steps = quest.steps;
  const state: ('pending' | 'running' | 'done')[] = steps.map(() => 'pending');
  const attempts: number[] = steps.map(() => 0);
  const maxRank = Math.max(...steps.map((s) => s.rank));
  const running: Running[] = [];
  const rewards: number[] = [];
  let now = 0;
  let busy = 0;
  let dispatches = 0;
  let cost = 0;
  let calls = 0;
  let reward = 0;
  let failed = false;
  let failures: { step: number; slot: number }[] = [];

  const contextFor = (stepIndex: number, previous: number | undefined, queueLength: number): DecisionContext => {
    const step = steps[stepIndex]!;
    const candidates: CandidateView[] = caps[step.capability]!.map((c) => ({ id: c.id, cost: c.cost, stats: book.get(c.id), inFlight: c.inFlight, capacity: c.capacity }));
    return {
      kind: previous === undefined ? 'select' : 'failure',
      stepKind: step.kind,
      inputSize: step.size,
      attempt: attempts[stepIndex]!,
      remainingCriticalPath: step.rank / maxRank,
      queueLength,
      globalLoad: busy / quest.concurrency,
      canGiveUp: previous !== undefined,
      candidates,
      ...(previous === undefined ? {} : { previous }),
    };
  };

  const dispatch = (stepIndex: number, slot: number, decision: number): void => {
    const step = steps[stepIndex]!;
    const list = caps[step.capability]!;
    dispatches += 1;
    if (dispatches === quest.shiftAfter) {
      for (const l of caps) {
        const victim = l[rng.int(0, l.length - 1)]!;
        if (rng.chance(0.5)) victim.failP = Math.min(0.9, victim.failP + 0.35);
        else victim.slopeMs *= 4;
      }
    }
    for (const c of list) {
      c.baseMs *= Math.exp(0.03 * rng.normal());
      c.slopeMs *= Math.exp(0.03 * rng.normal());
      c.quality = clamp(c.quality + 0.01 * rng.normal(), 0.05, 1);
    }
    const cand = list[slot]!;
    cand.inOutage = cand.inOutage ? !rng.chance(0.25) : rng.chance(cand.outageRate);
    const overload = Math.max(0, cand.inFlight + 1 - cand.capacity);
    const pFail = clamp(cand.failP + (cand.inOutage ? 0.6 : 0) + 0.12 * overload, 0, 0.95);
    const ok = !rng.chance(pFail);
    let latencyMs = (cand.baseMs + cand.slopeMs * step.size) * (1 + 0.8 * overload) * Math.exp(0.15 * rng.normal());
    if (!ok) latencyMs *= rng.uniform(0.3, 1);
    const quality = ok ? clamp(cand.quality + 0.05 * rng.normal(), 0, 1) : 0;
    cand.inFlight += 1;
    attempts[stepIndex]! += 1;
    calls += 1;
    cost += cand.cost;
    running.push({ step: stepIndex, slot, attempt: attempts[stepIndex]!, decision, endsAt: now + latencyMs, ok, latencyMs, quality, cost: cand.cost });
  };

  while (!failed) {
    // Every decision pending at this instant goes to the policy as one batch.
    const asks: { step: number; previous?: number }[] = failures.map((f) => ({ step: f.step, previous: f.slot }));
    failures = [];
    const ready = steps
      .map((s, i) => i)
      .filter((i) => state[i] === 'pending' && steps[i]!.needs.every((n) => state[n] === 'done'))
      .sort((a, b) => steps[b]!.rank - steps[a]!.rank || a - b);
    while (busy < quest.concurrency && ready.length > 0) {
      const i = ready.shift()!;
      state[i] = 'running';
      busy += 1;
      asks.push({ step: i });
    }
    if (asks.length > 0) {
      const contexts = asks.map((a) => contextFor(a.step, a.previous, ready.length));
      const hidden = asks.map((a) => ({ step: steps[a.step]!, candidates: caps[steps[a.step]!.capability]!.map((c) => ({ ...c })) }));
      const out = decide(contexts, hidden);
      const actions = Array.isArray(out) ? out : await out;
      asks.forEach((ask, k) => {
        const decision = rewards.length;
        rewards.push(0);
        const action = actions[k] ?? GIVE_UP;
        const nCand = contexts[k]!.candidates.length;
        if (action === GIVE_UP || action < 0 || action >= nCand) {
          // Giving up loses the quest: its penalty and the success bonus it forgoes.
          rewards[decision] = -GIVE_UP_PENALTY - SUCCESS_BONUS;
          reward -= GIVE_UP_PENALTY;
          failed = true;
          return;
        }
        dispatch(ask.step, action, decision);
      });
      if (failed) break;
    }
    if (running.length === 0) break;
    // Advance to the next completion(s).
    let next = Infinity;
    for (const r of running) next = Math.min(next, r.endsAt);
    now = next;
    for (let k = running.length - 1; k >= 0; k--) {
      const r = running[k]!;
      if (r.endsAt !== now) continue;
      running.splice(k, 1);
      const step = steps[r.step]!;
      const cand = caps[step.capability]![r.slot]!;
      cand.inFlight -= 1;
      const outcome = { ok: r.ok, latencyMs: r.latencyMs, quality: r.quality, cost: r.cost, size: step.size };
      const rr = rewardOf(outcome, weights, KIND_QUALITY_WEIGHT[step.kind]);
      book.record(cand.id, outcome, rr);
      rewards[r.decision] = rr;
      reward += rr;
      if (r.ok) {
        state[r.step] = 'done';
        busy -= 1;
      } else if (r.attempt >= MAX_ATTEMPTS) {
        // The decision that spent the last attempt also lost the quest.
        rewards[r.decision] = rr - GIVE_UP_PENALTY - SUCCESS_BONUS;
        reward -= GIVE_UP_PENALTY;
        failed = true;
      } else {
        failures.push({ step: r.step, slot: r.slot });
      }
    }
    failures.sort((a, b) => a.step - b.step);
  }
  const success = !failed && state.every((s) => s === 'done');
  if (success) reward += SUCCESS_BONUS;
  return { seed: quest.seed, reward, success, cost, makespanMs: now, calls, decisionRewards: rewards };
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export type { Rng };
