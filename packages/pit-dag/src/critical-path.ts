import type { RunGraph } from './graph.js';

/**
 * Upward rank (HEFT): rank(v) = duration(v) + max over successors rank(s). The step with the
 * highest rank starts the longest remaining chain, so a scheduler that starts ready steps in
 * rank order works the critical path first.
 */
export function upwardRanks(graph: RunGraph, durations: ArrayLike<number>): Float64Array {
  const n = graph.ids.length;
  const rank = new Float64Array(n);
  for (let k = n - 1; k >= 0; k--) {
    const v = graph.order[k] as number;
    let best = 0;
    for (let e = graph.succStart[v] as number; e < (graph.succStart[v + 1] as number); e++) {
      const r = rank[graph.succ[e] as number] as number;
      if (r > best) best = r;
    }
    rank[v] = (durations[v] ?? 0) + best;
  }
  return rank;
}

export interface CriticalPath {
  /** Step ids along the longest path, first to last. */
  path: string[];
  /** Sum of the durations along it. */
  length: number;
}

/** The longest (duration-weighted) path through the graph, following the highest ranks. */
export function criticalPath(graph: RunGraph, durations: ArrayLike<number>, ranks = upwardRanks(graph, durations)): CriticalPath {
  const n = graph.ids.length;
  if (n === 0) return { path: [], length: 0 };
  let v = -1;
  for (let i = 0; i < n; i++) if (graph.inDegree[i] === 0 && (v < 0 || (ranks[i] as number) > (ranks[v] as number))) v = i;
  const length = ranks[v] as number;
  const path: string[] = [];
  while (v >= 0) {
    path.push(graph.ids[v] as string);
    let next = -1;
    for (let e = graph.succStart[v] as number; e < (graph.succStart[v + 1] as number); e++) {
      const s = graph.succ[e] as number;
      if (next < 0 || (ranks[s] as number) > (ranks[next] as number)) next = s;
    }
    v = next;
  }
  return { path, length };
}

/**
 * Each step's slack: how much longer it could take without lengthening the run, i.e. the
 * critical path's length minus the longest path through the step (0 on the critical path).
 * The longest path through v is its top level (the longest chain of predecessors' durations
 * before it) plus its upward rank.
 */
export function stepSlack(graph: RunGraph, durations: ArrayLike<number>, ranks: ArrayLike<number> = upwardRanks(graph, durations)): Float64Array {
  const n = graph.ids.length;
  const top = new Float64Array(n);
  let length = 0;
  for (let k = 0; k < n; k++) {
    const v = graph.order[k] as number;
    const end = (top[v] as number) + (durations[v] ?? 0);
    for (let e = graph.succStart[v] as number; e < (graph.succStart[v + 1] as number); e++) {
      const s = graph.succ[e] as number;
      if (end > (top[s] as number)) top[s] = end;
    }
    if ((ranks[v] as number) > length) length = ranks[v] as number;
  }
  const slack = new Float64Array(n);
  for (let v = 0; v < n; v++) slack[v] = Math.max(0, length - (top[v] as number) - (ranks[v] as number));
  return slack;
}
