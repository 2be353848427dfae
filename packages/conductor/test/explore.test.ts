import { describe, expect, it } from 'vitest';
import { EXPLORE_DEFAULTS, describeReason, HistoryBook, PolicyManager, createHeuristic, rewardOf, type DecisionContext, type Policy } from '../src/index.js';

/** Two candidates: `cheap` is what "cheapest" always picks; `good` costs more and works better. */
function contextFor(book: HistoryBook, explore?: boolean): DecisionContext {
  return {
    kind: 'select',
    stepKind: 1,
    inputSize: 0.1,
    attempt: 0,
    remainingCriticalPath: 1,
    queueLength: 0,
    globalLoad: 0,
    canGiveUp: false,
    candidates: [
      { id: 'x.cheap/rank', cost: 0.1, stats: book.get('x.cheap/rank'), inFlight: 0, capacity: 4 },
      { id: 'x.good/rank', cost: 0.3, stats: book.get('x.good/rank'), inFlight: 0, capacity: 4 },
    ],
    ...(explore === undefined ? {} : { explore }),
  };
}

async function play(manager: PolicyManager, rounds: number, explore?: boolean): Promise<{ picks: string[]; explored: number; book: HistoryBook }> {
  const book = new HistoryBook();
  const picks: string[] = [];
  let explored = 0;
  for (let i = 0; i < rounds; i++) {
    const ctx = contextFor(book, explore);
    const [d] = await manager.decideDetailed([ctx]);
    const id = ctx.candidates[d!.action]!.id;
    picks.push(id);
    if (d!.reason?.explored) explored++;
    const quality = id === 'x.good/rank' ? 0.95 : 0.5;
    const outcome = { ok: true, latencyMs: 20, quality, cost: ctx.candidates[d!.action]!.cost, size: 0.1 };
    book.record(id, outcome, rewardOf(outcome));
  }
  return { picks, explored, book };
}

describe('bounded exploration', () => {
  it('tries a candidate the policy never picks, at most maxObservations times, and says so in the reason', async () => {
    const manager = new PolicyManager(createHeuristic('cheapest'));
    const { picks, explored } = await play(manager, 40);
    const good = picks.filter((p) => p === 'x.good/rank').length;
    expect(good).toBeGreaterThanOrEqual(1);
    expect(explored).toBe(good);
    expect(explored).toBeLessThanOrEqual(EXPLORE_DEFAULTS.maxObservations);
    const [d] = await manager.decideDetailed([contextFor(new HistoryBook())]);
    expect(d!.reason).toMatchObject({ explored: true, policyChoice: 0, candidates: [{ id: 'x.cheap/rank', observations: 0 }, { id: 'x.good/rank', observations: 0 }] });
    expect(describeReason(d!.reason!, d!.action)).toMatch(/^explored x\.good\/rank/);
    expect(d!.reason!.candidates[1]!.uncertainty).toBeCloseTo(EXPLORE_DEFAULTS.scale, 9);
  });

  it('a step with explore: false, and a manager with exploration off, keep the policy choice', async () => {
    const manager = new PolicyManager(createHeuristic('cheapest'));
    expect((await play(manager, 20, false)).picks.every((p) => p === 'x.cheap/rank')).toBe(true);
    const off = new PolicyManager(createHeuristic('cheapest'), undefined, false);
    const { picks, explored } = await play(off, 20);
    expect(explored).toBe(0);
    expect(picks.every((p) => p === 'x.cheap/rank')).toBe(true);
    const [d] = await off.decideDetailed([contextFor(new HistoryBook())]);
    expect(describeReason(d!.reason!, d!.action)).toContain('exploration is off');
  });

  it('after a failure nothing is explored (the policy decides retry, fallback or give up)', async () => {
    const manager = new PolicyManager(createHeuristic('cheapest'));
    const ctx: DecisionContext = { ...contextFor(new HistoryBook()), kind: 'failure', attempt: 1, previous: 0, canGiveUp: true };
    const [d] = await manager.decideDetailed([ctx]);
    expect(d).toMatchObject({ action: 0, reason: { explored: false } });
  });

  it('an exact tie in the policy is broken by the higher estimate, not by list order', async () => {
    const tied: Policy = { name: 'tied', version: 'tied-1', decide: (b) => b.map(() => 0), decideDetailed: async (b) => b.map(() => ({ action: 0, probabilities: [0.5, 0.5, 0, 0, 0] })) };
    const manager = new PolicyManager(tied, undefined, false);
    const book = new HistoryBook();
    for (let i = 0; i < 5; i++) {
      book.record('x.cheap/rank', { ok: true, latencyMs: 20, quality: 0.3, cost: 0.1, size: 0.1 }, 0);
      book.record('x.good/rank', { ok: true, latencyMs: 20, quality: 0.95, cost: 0.3, size: 0.1 }, 0);
    }
    const [d] = await manager.decideDetailed([contextFor(book)]);
    expect(d).toMatchObject({ action: 1, reason: { tie: true, explored: false, policyChoice: 0 } });
    expect(d!.reason!.candidates[1]!.value).toBeGreaterThan(d!.reason!.candidates[0]!.value);
    expect(describeReason(d!.reason!, d!.action)).toBe('the policy scored x.cheap/rank and x.good/rank equally; x.good/rank has the higher estimate (' + d!.reason!.candidates[1]!.value.toFixed(3) + ')');
  });
});
