import { GIVE_UP, type DecisionContext } from './features.js';
import { CRITICAL_LATENCY_WEIGHT, GIVE_UP_PENALTY, KIND_QUALITY_WEIGHT, MAX_ATTEMPTS, OVER_BUDGET_WEIGHT, SLACK_LATENCY_WEIGHT, SUCCESS_BONUS, type HiddenView, type QuestCandidate } from './fqg.js';
import { DEFAULT_REWARD } from './history.js';

/**
 * The informed oracle: an upper reference for evaluation, never a policy for real runs. It
 * knows each candidate's true current parameters (latency base and slope, failure probability,
 * quality by step kind, outage state, load, the step's place on the critical path, the budget) and picks the call with the highest expected reward, counting
 * what a failure costs beyond the call: the value of the next attempt, and the lost quest on
 * the last one. It does not know the random draws, so it is not clairvoyant.
 */
export interface InformedPolicy {
  readonly name: string;
  readonly version: string;
  decideInformed(batch: readonly DecisionContext[], hidden: readonly HiddenView[]): number[];
}

export interface OracleOptions {
  /** What a failure costs before the last attempt (time lost, another call). Tuned on validation seeds. */
  retryCost?: number;
}

export const ORACLE_RETRY_COST = 1;

/** Probability the call fails, from the game's own dynamics (outages persist with p = 0.75). */
export function trueFailureProbability(c: QuestCandidate): number {
  const overload = Math.max(0, c.inFlight + 1 - c.capacity);
  const pOut = c.inOutage ? 0.75 : c.outageRate;
  const base = c.failP + 0.12 * overload;
  return pOut * Math.min(0.95, base + 0.6) + (1 - pOut) * Math.min(0.95, base);
}

/** Expected reward of one call to `c` for `view`'s step, before the consequences of a failure. */
export function trueCallValue(view: HiddenView, c: QuestCandidate): { value: number; pFail: number } {
  const overload = Math.max(0, c.inFlight + 1 - c.capacity);
  const lw = view.step.critical ? CRITICAL_LATENCY_WEIGHT : SLACK_LATENCY_WEIGHT;
  const seconds = (lw * ((c.baseMs + c.slopeMs * view.step.size) * (1 + 0.8 * overload))) / 1000;
  const pFail = trueFailureProbability(c);
  const w = DEFAULT_REWARD;
  const qw = KIND_QUALITY_WEIGHT[view.step.kind] as number;
  // Failed calls end early (latency x U(0.3, 1), mean 0.65).
  const quality = c.kindQuality[view.step.kind] ?? c.quality;
  const over = Math.max(0, Math.min(c.cost, view.spent + c.cost - view.budget));
  const value = (1 - pFail) * (w.quality * qw * quality - w.latency * seconds) + pFail * (-w.failure - 0.65 * w.latency * seconds) - w.cost * c.cost - OVER_BUDGET_WEIGHT * w.cost * over;
  return { value, pFail };
}

export function createOracle(options: OracleOptions = {}): InformedPolicy {
  const retryCost = options.retryCost ?? ORACLE_RETRY_COST;
  return {
    name: 'oracle',
    version: `oracle:informed(retry=${retryCost})`,
    decideInformed(batch, hidden) {
      return batch.map((ctx, k) => {
        const view = hidden[k];
        if (!view || view.candidates.length === 0) return GIVE_UP;
        const lastAttempt = ctx.attempt + 1 >= MAX_ATTEMPTS;
        const lose = GIVE_UP_PENALTY + SUCCESS_BONUS;
        let best = GIVE_UP;
        let bestValue = -Infinity;
        view.candidates.forEach((c, i) => {
          const { value, pFail } = trueCallValue(view, c);
          const total = value - pFail * (lastAttempt ? lose : retryCost);
          if (total > bestValue) {
            best = i;
            bestValue = total;
          }
        });
        return best;
      });
    },
  };
}

export function isInformed(p: unknown): p is InformedPolicy {
  return typeof (p as InformedPolicy | undefined)?.decideInformed === 'function';
}
