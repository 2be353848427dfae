import { GIVE_UP, KIND_QUALITY_WEIGHT, MAX_CANDIDATES, STEP_KINDS, type CandidateView, type DecisionContext } from './features.js';
import { DEFAULT_REWARD, HistoryBook, rewardOf, type RewardWeights } from './history.js';
import { createRng, type Rng } from './rng.js';

/**
 * The Function Quest Game (v2): each quest is a workflow of capability steps whose candidate
 * functions have hidden latency (a base plus a per-size slope), failure probability, quality
 * and capacity. The hidden values drift, candidates fall into outages and recover, one of them
 * degrades sharply mid-quest, and concurrent steps contend for each candidate's capacity. The
 * best candidate therefore depends on the input size, the current load and recent failures:
 * a context-free bandit is the baseline to beat.
 *
 * Structure matters too, as in real workflows: a candidate's quality differs by step kind
 * (input kind); each step has a slack on the quest's critical path (computed from nominal
 * durations), and a second spent on a critical step costs three times one spent on a step with
 * slack; each quest has a cost budget (calls beyond it cost three times their price) and a
 * deadline (finishing late loses part of the bonus).
 */
export interface QuestCandidate {
  id: string;
  cost: number;
  baseMs: number;
  slopeMs: number;
  failP: number;
  quality: number;
  /** Quality by step kind (what this implementation is good at). */
  kindQuality: number[];
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
  /** Float on the critical path of nominal durations, as a share of its length (0: critical). */
  slack: number;
  critical: boolean;
}

export interface Quest {
  seed: number;
  concurrency: number;
  capabilities: QuestCandidate[][];
  steps: QuestStep[];
  /** Dispatch count after which one candidate per capability degrades. */
  shiftAfter: number;
  /** Cost units the quest may spend before calls cost triple. */
  budget: number;
  /** Finishing after this loses DEADLINE_PENALTY. */
  deadlineMs: number;
}

export const MAX_ATTEMPTS = 4;
/** A finished quest is worth a lot, and a failed one costs a lot: users rerun failed workflows. */
export const SUCCESS_BONUS = 3;
export const GIVE_UP_PENALTY = 4;
export { KIND_QUALITY_WEIGHT };
/** Latency weight of a call on a critical step, and on a step with slack. */
export const CRITICAL_LATENCY_WEIGHT = 1.5;
export const SLACK_LATENCY_WEIGHT = 0.5;
/** Price multiplier of the part of a call beyond the budget (on top of the price). */
export const OVER_BUDGET_WEIGHT = 2;
export const DEADLINE_PENALTY = 2;

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
        kindQuality: [],
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
    steps.push({ id: `s${i}`, capability: rng.int(0, nCaps - 1), kind: rng.int(0, STEP_KINDS - 1), size: Math.exp(rng.normal() * 1.1), needs, rank: 0, slack: 0, critical: false });
  }
  for (let i = nSteps - 1; i >= 0; i--) {
    const step = steps[i]!;
    let after = 0;
    for (const other of steps) if (other.needs.includes(i)) after = Math.max(after, other.rank);
    step.rank = 1 + step.size * 0.2 + after;
  }
  const concurrency = rng.int(2, 6);
  const shiftAfter = rng.int(4, nSteps);
  // Drawn last, from their own stream, so the v1 draws above stay as they were.
  const kq = rng.fork(0x6b71);
  for (const list of capabilities) for (const c of list) c.kindQuality = Array.from({ length: STEP_KINDS }, () => clamp(c.quality + 0.25 * kq.normal(), 0.05, 1));
  // Nominal duration of a step: the mean of its candidates' latencies at its size.
  const nominal = steps.map((st) => {
    const list = capabilities[st.capability]!;
    return list.reduce((a, c) => a + c.baseMs + c.slopeMs * st.size, 0) / list.length;
  });
  const down = steps.map(() => 0); // longest path ending with the step
  const up = steps.map(() => 0); // longest path starting with the step
  for (let i = 0; i < nSteps; i++) down[i] = nominal[i]! + Math.max(0, ...steps[i]!.needs.map((n) => down[n]!));
  for (let i = nSteps - 1; i >= 0; i--) {
    let after = 0;
    for (let j = i + 1; j < nSteps; j++) if (steps[j]!.needs.includes(i)) after = Math.max(after, up[j]!);
    up[i] = nominal[i]! + after;
  }
  const cp = Math.max(...steps.map((_, i) => down[i]! + up[i]! - nominal[i]!));
  steps.forEach((st, i) => {
    const through = down[i]! + up[i]! - nominal[i]!;
    st.slack = Math.max(0, cp - through) / cp;
    st.critical = st.slack < 0.05;
  });
  const work = nominal.reduce((a, b) => a + b, 0);
  const meanCost = steps.reduce((a, st) => a + capabilities[st.capability]!.reduce((x, c) => x + c.cost, 0) / capabilities[st.capability]!.length, 0);
  return { seed, concurrency, capabilities, steps, shiftAfter, budget: round3(meanCost * 1.1), deadlineMs: Math.round(1.3 * Math.max(cp, work / concurrency)) };
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
  /** Cost spent so far and the quest's budget. */
  spent: number;
  budget: number;
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
  /** Cost of this call beyond the budget. */
  over: number;
}

/** Reward of one finished call in the game: the shared reward, with structure-aware latency and budget terms. */
export function gameCallReward(step: QuestStep, outcome: { ok: boolean; latencyMs: number; quality: number; cost: number; size: number }, over: number, weights: RewardWeights = DEFAULT_REWARD): number {
  const lw = step.critical ? CRITICAL_LATENCY_WEIGHT : SLACK_LATENCY_WEIGHT;
  return rewardOf({ ...outcome, latencyMs: outcome.latencyMs * lw }, weights, KIND_QUALITY_WEIGHT[step.kind]) - OVER_BUDGET_WEIGHT * weights.cost * over;
}

/** Plays one quest with `decide`; same quest + same decisions = same result, bit for bit. */
export async function playQuest(quest: Quest, decide: DecideFn, options: PlayOptions = {}): Promise<QuestResult> {
  const weights = options.weights ?? DEFAULT_REWARD;
  const rng = createRng(options.noiseSeed ?? quest.seed ^ 0x0a11ce);
  const caps = quest.capabilities.map((list) => list.map((c) => ({ ...c, kindQuality: c.kindQuality.slice() })));
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
  let lastDecision = -1;

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
      slack: step.slack,
      remainingBudget: Math.max(0, quest.budget - cost) / quest.budget,
      timeUsed: now / quest.deadlineMs,
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
      const k = c.kindQuality;
      k[step.kind] = clamp((k[step.kind] as number) + 0.01 * rng.normal(), 0.05, 1);
    }
    const cand = list[slot]!;
    cand.inOutage = cand.inOutage ? !rng.chance(0.25) : rng.chance(cand.outageRate);
    const overload = Math.max(0, cand.inFlight + 1 - cand.capacity);
    const pFail = clamp(cand.failP + (cand.inOutage ? 0.6 : 0) + 0.12 * overload, 0, 0.95);
    const ok = !rng.chance(pFail);
    let latencyMs = (cand.baseMs + cand.slopeMs * step.size) * (1 + 0.8 * overload) * Math.exp(0.15 * rng.normal());
    if (!ok) latencyMs *= rng.uniform(0.3, 1);
    const quality = ok ? clamp((cand.kindQuality[step.kind] as number) + 0.05 * rng.normal(), 0, 1) : 0;
    const over = Math.max(0, Math.min(cand.cost, cost + cand.cost - quest.budget));
    cand.inFlight += 1;
    attempts[stepIndex]! += 1;
    calls += 1;
    cost += cand.cost;
    running.push({ step: stepIndex, slot, attempt: attempts[stepIndex]!, decision, endsAt: now + latencyMs, ok, latencyMs, quality, cost: cand.cost, over });
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
      const hidden = asks.map((a) => ({ step: steps[a.step]!, candidates: caps[steps[a.step]!.capability]!.map((c) => ({ ...c, kindQuality: c.kindQuality.slice() })), spent: cost, budget: quest.budget }));
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
      const outcome = { ok: r.ok, latencyMs: r.latencyMs, quality: r.quality, cost: r.cost, size: step.size, kind: step.kind };
      const rr = gameCallReward(step, outcome, r.over, weights);
      lastDecision = r.decision;
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
  if (success && now > quest.deadlineMs) {
    // Late: the decision whose call finished last carries it (it is the one that ended late).
    reward -= DEADLINE_PENALTY;
    if (lastDecision >= 0) rewards[lastDecision] = (rewards[lastDecision] as number) - DEADLINE_PENALTY;
  }
  return { seed: quest.seed, reward, success, cost, makespanMs: now, calls, decisionRewards: rewards };
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export type { Rng };
