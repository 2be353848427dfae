import { SymphonyError, validationError, type Issue, type Step, type Workflow } from '@symphony/types/core';
import { conditionReferences, templateReferences } from './expressions.js';

/**
 * A workflow as an indexed graph: steps are numbered in declaration order and edges are stored
 * as compressed adjacency (CSR) arrays, so the ready-set loop touches only typed arrays.
 */
export interface RunGraph {
  readonly steps: readonly Step[];
  readonly ids: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** Successors of i: succ[succStart[i] .. succStart[i + 1]). */
  readonly succStart: Int32Array;
  readonly succ: Int32Array;
  /** Predecessors of i: pred[predStart[i] .. predStart[i + 1]). */
  readonly predStart: Int32Array;
  readonly pred: Int32Array;
  /** Number of predecessors per step. */
  readonly inDegree: Int32Array;
  /** One topological order. */
  readonly order: Int32Array;
}

/**
 * Builds the graph from a validated workflow. Edges come from `needs` and from
 * `${{ steps.x.output }}` references in `with:` and `if:`: a reference to an earlier-declared
 * step adds the edge implicitly; a reference to a later step that is not among the step's
 * (transitive) needs is an error, as is a cycle (`E_CYCLE`, naming the steps).
 */
export function buildRunGraph(workflow: Workflow): RunGraph {
  const steps = workflow.steps;
  const n = steps.length;
  const ids = steps.map((s) => s.id);
  const index = new Map(ids.map((id, i) => [id, i] as const));
  const preds: Array<Set<number>> = steps.map((step) => new Set((step.needs ?? []).map((id) => index.get(id) as number)));
  // Expressions read contexts case-insensitively, as GitHub does: `steps.Build` is `build`.
  const folded = new Map(ids.map((id, i) => [id.toLowerCase(), i] as const));
  const lookup = (ref: string): number | undefined => index.get(ref) ?? folded.get(ref.toLowerCase());
  const issues: Issue[] = [];
  steps.forEach((step, i) => {
    const refs = templateReferences(step.with);
    if (step.if) conditionReferences(step.if, refs);
    // A computed reference (`steps.*`, `steps[expr]`) adds no edge: it reads what has finished.
    refs.delete('*');
    for (const ref of refs) {
      const j = lookup(ref);
      if (j === undefined) {
        issues.push({ path: `steps[${i}]`, message: `references unknown step "${ref}"` });
      } else if (j === i) {
        issues.push({ path: `steps[${i}]`, message: 'references its own output' });
      } else if (!preds[i]?.has(j) && j > i && !isAncestor(preds, j, i)) {
        issues.push({ path: `steps[${i}]`, message: `references step "${ref}", which is declared later and not among its needs: add it to needs` });
      }
    }
    // Earlier steps referenced without `needs` become implicit dependencies.
    for (const ref of refs) {
      const j = lookup(ref);
      if (j !== undefined && j !== i && j < i) preds[i]?.add(j);
    }
  });
  if (issues.length > 0) throw validationError('E_WORKFLOW_INVALID', `workflow "${workflow.name}"`, issues);

  const inDegree = new Int32Array(n);
  const predStart = new Int32Array(n + 1);
  const outDegree = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const ps = preds[i] as Set<number>;
    inDegree[i] = ps.size;
    predStart[i + 1] = (predStart[i] as number) + ps.size;
    for (const p of ps) outDegree[p] = (outDegree[p] as number) + 1;
  }
  const pred = new Int32Array(predStart[n] as number);
  const succStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) succStart[i + 1] = (succStart[i] as number) + (outDegree[i] as number);
  const succ = new Int32Array(succStart[n] as number);
  const fill = succStart.slice(0, n);
  for (let i = 0; i < n; i++) {
    let k = predStart[i] as number;
    for (const p of preds[i] as Set<number>) {
      pred[k++] = p;
      succ[fill[p] as number] = i;
      fill[p] = (fill[p] as number) + 1;
    }
  }
  const graph = { steps, ids, index, succStart, succ, predStart, pred, inDegree, order: new Int32Array(0) };
  return { ...graph, order: topologicalOrder(graph) };
}

/** Kahn's algorithm; on a cycle, throws `E_CYCLE` naming one cycle's steps in order. */
function topologicalOrder(g: Omit<RunGraph, 'order'>): Int32Array {
  const n = g.ids.length;
  const remaining = g.inDegree.slice();
  const order = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (remaining[i] === 0) order[tail++] = i;
  while (head < tail) {
    const v = order[head++] as number;
    for (let k = g.succStart[v] as number; k < (g.succStart[v + 1] as number); k++) {
      const w = g.succ[k] as number;
      remaining[w] = (remaining[w] as number) - 1;
      if (remaining[w] === 0) order[tail++] = w;
    }
  }
  if (tail === n) return order;
  // Walk predecessors inside the unfinished part until a step repeats: that loop is a cycle.
  let v = remaining.findIndex((d) => d > 0);
  const seen = new Map<number, number>();
  const walk: number[] = [];
  while (!seen.has(v)) {
    seen.set(v, walk.length);
    walk.push(v);
    for (let k = g.predStart[v] as number; k < (g.predStart[v + 1] as number); k++) {
      const p = g.pred[k] as number;
      if ((remaining[p] as number) > 0) {
        v = p;
        break;
      }
    }
  }
  const cycle = walk.slice(seen.get(v)).reverse().map((i) => g.ids[i] as string);
  throw new SymphonyError('E_CYCLE', `steps ${[...cycle, cycle[0]].join(' -> ')} depend on each other in a cycle`, {
    details: { steps: cycle },
  });
}

/** Is `a` a transitive `needs` ancestor of `b`? (Only used for forward references.) */
function isAncestor(preds: ReadonlyArray<Set<number>>, a: number, b: number): boolean {
  const stack = [b];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const v = stack.pop() as number;
    for (const p of preds[v] ?? []) {
      if (p === a) return true;
      if (!seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  return false;
}
