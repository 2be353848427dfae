import type { RunGraph } from './graph.js';

/** Step states in the ready set, as small integers in a typed array. */
export const StepStatus = {
  pending: 0,
  ready: 1,
  running: 2,
  /** Waiting out a retry backoff. */
  retrying: 3,
  done: 4,
  skipped: 5,
  failed: 6,
} as const;
export type StepStatusCode = (typeof StepStatus)[keyof typeof StepStatus];

/**
 * Incremental Kahn's algorithm with a priority queue: `complete(i)` decrements the remaining
 * in-degree of i's successors (O(out-degree)) and pushes those reaching zero onto a max-heap
 * keyed by upward rank, so `take()` always yields the most critical ready step. Pure memory,
 * no I/O: the DAG service persists around it.
 */
export class ReadySet {
  readonly status: Uint8Array;
  readonly remaining: Int32Array;
  private readonly heap: Int32Array;
  private size = 0;
  /** Steps that are done, skipped or failed (finished for good). */
  finished = 0;
  running = 0;

  constructor(
    readonly graph: RunGraph,
    readonly ranks: Float64Array,
  ) {
    const n = graph.ids.length;
    this.status = new Uint8Array(n);
    this.remaining = graph.inDegree.slice();
    this.heap = new Int32Array(n);
  }

  /**
   * Rebuilds the state after a restart: `finished(i)` gives the recorded final status of each
   * step (or undefined), remaining in-degrees are recounted, and every pending step whose
   * predecessors are all finished becomes ready. Returns how many became ready.
   */
  restore(finished: (i: number) => number | undefined, onReady?: (i: number) => void): number {
    const { predStart, pred } = this.graph;
    for (let i = 0; i < this.status.length; i++) {
      const status = finished(i);
      if (status !== undefined) {
        this.status[i] = status;
        this.finished++;
      }
    }
    for (let i = 0; i < this.status.length; i++) {
      let left = 0;
      for (let e = predStart[i] as number; e < (predStart[i + 1] as number); e++) {
        const p = pred[e] as number;
        if (this.status[p] !== StepStatus.done && this.status[p] !== StepStatus.skipped && this.status[p] !== StepStatus.failed) left++;
        // A failed predecessor without continue-on-error ends the run; the caller clears the queue.
      }
      this.remaining[i] = left;
    }
    return this.seed(onReady);
  }

  /** Pushes every step without predecessors; returns how many became ready. */
  seed(onReady?: (i: number) => void): number {
    let count = 0;
    for (let i = 0; i < this.status.length; i++) {
      if (this.remaining[i] === 0 && this.status[i] === StepStatus.pending) {
        this.makeReady(i);
        onReady?.(i);
        count++;
      }
    }
    return count;
  }

  get readyCount(): number {
    return this.size;
  }

  /** Pops the highest-ranked ready step and marks it running; -1 when none is ready. */
  take(): number {
    if (this.size === 0) return -1;
    const i = this.pop();
    this.status[i] = StepStatus.running;
    this.running++;
    return i;
  }

  /** Starts a specific ready step (the caller picked it), or returns false if it is not ready. */
  startSpecific(i: number): boolean {
    if (this.status[i] !== StepStatus.ready) return false;
    this.removeFromHeap(i);
    this.status[i] = StepStatus.running;
    this.running++;
    return true;
  }

  /**
   * Marks i finished (`done`, `skipped`, or `failed` with continue-on-error) and releases its
   * successors; returns the number of steps that became ready.
   */
  complete(i: number, status: StepStatusCode = StepStatus.done, onReady?: (i: number) => void): number {
    if (this.status[i] === StepStatus.running) this.running--;
    this.status[i] = status;
    this.finished++;
    const { succStart, succ } = this.graph;
    let released = 0;
    for (let e = succStart[i] as number, end = succStart[i + 1] as number; e < end; e++) {
      const s = succ[e] as number;
      const left = (this.remaining[s] as number) - 1;
      this.remaining[s] = left;
      if (left === 0 && this.status[s] === StepStatus.pending) {
        this.makeReady(s);
        onReady?.(s);
        released++;
      }
    }
    return released;
  }

  /** A running step that failed for good (its successors never become ready). */
  fail(i: number): void {
    if (this.status[i] === StepStatus.running) this.running--;
    this.status[i] = StepStatus.failed;
    this.finished++;
  }

  /** A running step waits for a retry; `requeue` puts it back once the backoff is over. */
  park(i: number): void {
    if (this.status[i] === StepStatus.running) this.running--;
    this.status[i] = StepStatus.retrying;
  }

  requeue(i: number): void {
    if (this.status[i] === StepStatus.retrying || this.status[i] === StepStatus.pending) this.makeReady(i);
  }

  /** Empties the queue (cancellation): nothing new starts. */
  clear(): void {
    for (let k = 0; k < this.size; k++) this.status[this.heap[k] as number] = StepStatus.pending;
    this.size = 0;
  }

  /** The ready steps, most critical first (a sorted copy; the heap is untouched). */
  snapshot(): number[] {
    const out = Array.from(this.heap.subarray(0, this.size));
    return out.sort((a, b) => this.before(a, b) ? -1 : 1);
  }

  private makeReady(i: number): void {
    this.status[i] = StepStatus.ready;
    let k = this.size++;
    const heap = this.heap;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      const p = heap[parent] as number;
      if (!this.before(i, p)) break;
      heap[k] = p;
      k = parent;
    }
    heap[k] = i;
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0] as number;
    const last = heap[--this.size] as number;
    if (this.size > 0) this.siftDown(0, last);
    return top;
  }

  private removeFromHeap(i: number): void {
    const k = this.heap.subarray(0, this.size).indexOf(i);
    if (k < 0) return;
    const last = this.heap[--this.size] as number;
    if (k === this.size) return;
    this.siftDown(k, last);
    // `last` may need to move up instead.
    let j = this.heap.indexOf(last);
    while (j > 0) {
      const parent = (j - 1) >> 1;
      const p = this.heap[parent] as number;
      if (!this.before(last, p)) break;
      this.heap[j] = p;
      this.heap[parent] = last;
      j = parent;
    }
  }

  private siftDown(k: number, item: number): void {
    const heap = this.heap;
    const size = this.size;
    for (;;) {
      let child = 2 * k + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && this.before(heap[right] as number, heap[child] as number)) child = right;
      const c = heap[child] as number;
      if (!this.before(c, item)) break;
      heap[k] = c;
      k = child;
    }
    heap[k] = item;
  }

  /** Higher rank first; ties by declaration order, so runs are deterministic. */
  private before(a: number, b: number): boolean {
    const ra = this.ranks[a] as number;
    const rb = this.ranks[b] as number;
    return ra > rb || (ra === rb && a < b);
  }
}
