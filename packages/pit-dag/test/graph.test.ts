import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSymphonyError, validateWorkflow, type Workflow } from '@symphony/types';
import { criticalPath, stepSlack, upwardRanks } from '../src/critical-path.js';
import { buildRunGraph } from '../src/graph.js';
import { MAX_BACKOFF_MS, retryDecision } from '../src/run.js';
import { ReadySet, StepStatus } from '../src/ready-set.js';

function wf(steps: Array<Record<string, unknown>>): Workflow {
  return validateWorkflow({ name: 'g', steps: steps.map((s) => ({ uses: 'acme.x/run', ...s })) });
}

function codeOf(fn: () => unknown): { code?: string; details?: Record<string, unknown>; message?: string } {
  try {
    fn();
  } catch (err) {
    return isSymphonyError(err) ? { code: err.code, details: err.details, message: err.message } : { message: String(err) };
  }
  return {};
}

describe('run graph', () => {
  it('takes edges from needs and from references to earlier steps', () => {
    const g = buildRunGraph(wf([
      { id: 'a' },
      { id: 'b', with: { x: '${{ steps.a.output }}' } },
      { id: 'c', needs: ['a'], if: "${{ steps.b.output == 'y' }}" },
    ]));
    const preds = (i: number) => Array.from(g.pred.subarray(g.predStart[i], g.predStart[i + 1])).sort();
    expect(preds(1)).toEqual([0]);
    expect(preds(2)).toEqual([0, 1]);
    expect(Array.from(g.inDegree)).toEqual([0, 1, 2]);
  });

  it('refuses a reference to a later step that is not among its needs', () => {
    const e = codeOf(() => buildRunGraph(wf([{ id: 'a', with: { x: '${{ steps.b.output }}' } }, { id: 'b' }])));
    expect(e.code).toBe('E_WORKFLOW_INVALID');
    expect(e.message).toMatch(/declared later/);
    // ...but a later step that the step (transitively) needs is fine.
    expect(() => buildRunGraph(wf([{ id: 'a', needs: ['c'], with: { x: '${{ steps.b.output }}' } }, { id: 'b' }, { id: 'c', needs: ['b'] }]))).not.toThrow();
  });

  it('names the steps of a cycle', () => {
    const e = codeOf(() => buildRunGraph(wf([{ id: 'a', needs: ['c'] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['b'] }, { id: 'd' }])));
    expect(e.code).toBe('E_CYCLE');
    expect([...(e.details?.steps as string[])].sort()).toEqual(['a', 'b', 'c']);
    expect(e.message).toMatch(/a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c/);
  });
});

/** Random DAGs: edges only from lower to higher index, so acyclic by construction. */
const dagArb = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.tuple(
    fc.constant(n),
    fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 }),
    fc.array(fc.integer({ min: 1, max: 50 }), { minLength: n, maxLength: n }),
    fc.array(fc.nat(n - 1), { minLength: n, maxLength: n }), // a shuffle key for declaration order
  ),
);

function toWorkflow(n: number, pairs: Array<[number, number]>, perm: number[]): { workflow: Workflow; edges: Array<[string, string]> } {
  const edges = new Set<string>();
  for (const [x, y] of pairs) if (x !== y) edges.add(x < y ? `${x}>${y}` : `${y}>${x}`);
  const list = [...edges].map((e) => e.split('>').map(Number) as [number, number]);
  // Declare steps in a scrambled order so `needs` point forwards and backwards.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (perm[a] as number) - (perm[b] as number) || a - b);
  const steps = order.map((i) => ({ id: `s${i}`, needs: list.filter(([, y]) => y === i).map(([x]) => `s${x}`) }));
  return { workflow: wf(steps), edges: list.map(([x, y]) => [`s${x}`, `s${y}`]) };
}

describe('ready set and critical path (fast-check)', () => {
  it('executes every step exactly once and never before its predecessors', () => {
    fc.assert(
      fc.property(dagArb, ([n, pairs, durations, perm]) => {
        const { workflow, edges } = toWorkflow(n, pairs, perm);
        const g = buildRunGraph(workflow);
        const ready = new ReadySet(g, upwardRanks(g, Float64Array.from(g.ids, (id) => durations[Number(id.slice(1))] as number)));
        ready.seed();
        const order: string[] = [];
        // Interleave: take up to 3 at a time, complete them in reverse.
        for (;;) {
          const batch: number[] = [];
          for (let k = 0; k < 3; k++) {
            const i = ready.take();
            if (i >= 0) batch.push(i);
          }
          if (batch.length === 0) break;
          for (const i of batch.reverse()) {
            order.push(g.ids[i] as string);
            ready.complete(i);
          }
        }
        expect(order.slice().sort()).toEqual([...g.ids].sort());
        const at = new Map(order.map((id, k) => [id, k]));
        for (const [from, to] of edges) expect(at.get(from) as number).toBeLessThan(at.get(to) as number);
        expect(ready.finished).toBe(n);
        expect(Array.from(ready.status).every((s) => s === StepStatus.done)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('finds the longest path (equal to a brute-force search) and ranks the ready set by it', () => {
    fc.assert(
      fc.property(dagArb, ([n, pairs, durations, perm]) => {
        const { workflow, edges } = toWorkflow(n, pairs, perm);
        const g = buildRunGraph(workflow);
        const d = (id: string) => durations[Number(id.slice(1))] as number;
        const weights = Float64Array.from(g.ids, d);
        // Brute force: every path from every step, depth first.
        const next = new Map<string, string[]>();
        for (const [a, b] of edges) next.set(a, [...(next.get(a) ?? []), b]);
        const longestFrom = (id: string): number => d(id) + Math.max(0, ...(next.get(id) ?? []).map(longestFrom));
        const best = Math.max(...g.ids.map(longestFrom));
        const cp = criticalPath(g, weights);
        expect(cp.length).toBe(best);
        // The path is a real chain of edges whose durations add up to its length.
        for (let k = 1; k < cp.path.length; k++) expect(next.get(cp.path[k - 1] as string)).toContain(cp.path[k]);
        expect(cp.path.reduce((sum, id) => sum + d(id), 0)).toBe(best);
        // Slack: the critical length minus the longest path through the step (0 on the path).
        const prev = new Map<string, string[]>();
        for (const [a, b] of edges) prev.set(b, [...(prev.get(b) ?? []), a]);
        const longestTo = (id: string): number => d(id) + Math.max(0, ...(prev.get(id) ?? []).map(longestTo));
        const slack = stepSlack(g, weights);
        g.ids.forEach((id, i) => expect(slack[i]).toBeCloseTo(best - (longestTo(id) + longestFrom(id) - d(id)), 9));
        for (const id of cp.path) expect(slack[g.index.get(id) as number]).toBeCloseTo(0, 9);
        // The ready set offers the highest rank first.
        const ranks = upwardRanks(g, weights);
        const ready = new ReadySet(g, ranks);
        ready.seed();
        const offered = ready.snapshot().map((i) => ranks[i] as number);
        expect(offered).toEqual([...offered].sort((a, b) => b - a));
        if (offered.length > 0) expect(ranks[ready.take()]).toBe(Math.max(...offered));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the ready queue in rank order when steps are started out of order', () => {
    fc.assert(
      fc.property(dagArb, fc.array(fc.nat(), { maxLength: 40 }), ([n, pairs, durations, perm], picks) => {
        const { workflow } = toWorkflow(n, pairs, perm);
        const g = buildRunGraph(workflow);
        const ranks = upwardRanks(g, Float64Array.from(g.ids, (id) => durations[Number(id.slice(1))] as number));
        const ready = new ReadySet(g, ranks);
        ready.seed();
        let k = 0;
        for (;;) {
          const offered = ready.snapshot();
          if (offered.length === 0) break;
          const r = offered.map((i) => ranks[i] as number);
          expect(r).toEqual([...r].sort((a, b) => b - a));
          const pick = picks[k++];
          // Either the scheduler's own pick (any ready step) or the queue's top.
          const i = pick !== undefined && pick % 2 === 1 ? (offered[pick % offered.length] as number) : ready.take();
          if (pick !== undefined && pick % 2 === 1) expect(ready.startSpecific(i)).toBe(true);
          else expect(i).toBe(offered[0]);
          expect(ready.startSpecific(i)).toBe(false); // already running
          ready.complete(i);
        }
        expect(ready.finished).toBe(n);
      }),
      { numRuns: 200 },
    );
  });
});

describe('retry backoff', () => {
  it('grows by factor and stops at one hour: a delay past 2^31 - 1 ms made the timer fire at once', () => {
    const policy = { count: 30, backoffMs: 1_000, factor: 10 };
    expect(retryDecision(policy, 1, 'E_X', false)).toEqual({ action: 'retry', attempt: 2, delayMs: 1_000 });
    expect(retryDecision(policy, 3, 'E_X', false)).toMatchObject({ delayMs: 100_000 });
    for (const attempts of [5, 8, 12, 30]) expect(retryDecision(policy, attempts, 'E_X', false)).toMatchObject({ action: 'retry', delayMs: MAX_BACKOFF_MS });
    expect(MAX_BACKOFF_MS).toBe(3_600_000);
    expect(retryDecision({ count: 100, backoffMs: 3_600_000, factor: 10 }, 100, 'E_X', false)).toMatchObject({ delayMs: 3_600_000 });
    expect(retryDecision(policy, 31, 'E_X', true)).toEqual({ action: 'continue' });
  });
});
