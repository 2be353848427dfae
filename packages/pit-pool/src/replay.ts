import { createPool } from './service.js';
import type { Lease } from './internals.js';

/** One step of a recorded workflow run: it asks for `modelId` at `at` and holds it `holdMs`. */
export interface TraceStep {
  at: number;
  workflow: number;
  step: number;
  modelId: string;
  holdMs: number;
  /** What the workflow's critical path says comes next (known when this step starts). */
  next?: { modelId: string; inMs: number };
}

export interface PoolTrace {
  seed: number;
  models: string[];
  durationMs: number;
  steps: TraceStep[];
}

export interface BurstyTraceOptions {
  seed?: number;
  models?: number;
  durationMs?: number;
  /** Workflow starts per second inside a burst, and between bursts. */
  burstRate?: number;
  quietRate?: number;
}

/** mulberry32: a tiny seeded PRNG, so the same seed gives the same trace on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A bursty workload: quiet stretches, then bursts in which one or two workflow shapes dominate
 * (a chain of 2-4 model steps each), with Poisson arrivals. Deterministic for a seed.
 */
export function generateBurstyTrace(options: BurstyTraceOptions = {}): PoolTrace {
  const seed = options.seed ?? 42;
  const rand = prng(seed);
  const modelCount = options.models ?? 12;
  const durationMs = options.durationMs ?? 600_000;
  const models = Array.from({ length: modelCount }, (_, i) => `m${i}`);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const shapes = Array.from({ length: 6 }, () => Array.from({ length: 2 + Math.floor(rand() * 3) }, () => pick(models)));
  const steps: TraceStep[] = [];
  let t = 0;
  let workflow = 0;
  while (t < durationMs) {
    const burst = rand() < 0.5;
    const spanMs = burst ? 15_000 + rand() * 45_000 : 20_000 + rand() * 60_000;
    const rate = burst ? (options.burstRate ?? 0.8) : (options.quietRate ?? 0.03);
    const favourites = [pick(shapes), pick(shapes)];
    const end = Math.min(durationMs, t + spanMs);
    for (let at = t - (Math.log(1 - rand()) / rate) * 1000; at < end; at -= (Math.log(1 - rand()) / rate) * 1000) {
      const shape = rand() < 0.85 ? pick(favourites) : pick(shapes);
      let when = at;
      const planned = shape.map((modelId, step) => {
        const holdMs = 200 + rand() * 1_300;
        const s: TraceStep = { at: when, workflow, step, modelId, holdMs };
        when += holdMs + 50 + rand() * 150;
        return s;
      });
      planned.forEach((s, i) => {
        const n = planned[i + 1];
        if (n) s.next = { modelId: n.modelId, inMs: n.at - s.at };
        steps.push(s);
      });
      workflow++;
    }
    t = end;
  }
  steps.sort((a, b) => a.at - b.at || a.workflow - b.workflow || a.step - b.step);
  return { seed, models, durationMs, steps };
}

export interface ReplayOptions {
  /** Forecast + hints (`true`), forecast only (`'forecast'`), or on-demand loading only (`false`). */
  prewarm: boolean | 'forecast';
  loadMs?: number;
  /** In instances (each costs 1). Default 6. */
  memoryBudget?: number;
  maxInstances?: number;
  /** Leases one instance serves at once. Default 4. */
  maxConcurrency?: number;
  keepAliveMs?: number;
  tickIntervalMs?: number;
}

export interface ReplayResult {
  acquires: number;
  warmHits: number;
  warmHitRate: number;
  loads: number;
  evictions: number;
  meanWaitMs: number;
}

/**
 * Replays a trace against a real pool in virtual time (an event heap; the loader resolves
 * `loadMs` later on the virtual clock), so a 10-minute trace runs in well under a second.
 */
export async function replayTrace(trace: PoolTrace, options: ReplayOptions): Promise<ReplayResult> {
  let now = 0;
  let seq = 0;
  const heap: { at: number; seq: number; run: () => void }[] = [];
  const schedule = (at: number, run: () => void): void => {
    heap.push({ at, seq: seq++, run });
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(heap[p]!, heap[i]!)) break;
      [heap[p], heap[i]] = [heap[i]!, heap[p]!];
      i = p;
    }
  };
  const pop = (): { at: number; seq: number; run: () => void } => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  };
  const pool = createPool({
    now: () => now,
    timers: false,
    memoryBudgetBytes: options.memoryBudget ?? 6,
    prewarm: options.prewarm === false ? false : typeof options.prewarm === 'object' ? options.prewarm : {},
  });
  for (const id of trace.models) {
    pool.register({
      id,
      memoryBytes: 1,
      maxInstances: options.maxInstances ?? 2,
      maxConcurrency: options.maxConcurrency ?? 4,
      keepAliveMs: options.keepAliveMs ?? 30_000,
      load: () => new Promise((resolve) => schedule(now + (options.loadMs ?? 400), () => resolve({ id }))),
    });
  }
  let waited = 0;
  let waitMs = 0;
  for (const step of trace.steps) {
    schedule(step.at, () => {
      if (options.prewarm !== 'forecast' && options.prewarm !== false && step.next) pool.expect(step.next.modelId, { inMs: step.next.inMs });
      const hold = (lease: Lease): void => schedule(now + step.holdMs, () => pool.release(lease));
      const lease = pool.tryAcquire(step.modelId);
      if (lease) return hold(lease);
      void pool.acquire(step.modelId).then((l) => {
        waited++;
        waitMs += now - step.at;
        hold(l);
      });
    });
  }
  const interval = options.tickIntervalMs ?? 1_000;
  for (let t = interval; t <= trace.durationMs + 60_000; t += interval) schedule(t, () => pool.tick());
  while (heap.length > 0) {
    const event = pop();
    now = event.at;
    event.run();
    // Let load and waiter continuations (promise jobs) run at this virtual instant.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const stats = pool.stats();
  await pool.close();
  const acquires = stats.warmHits + stats.waits;
  return {
    acquires,
    warmHits: stats.warmHits,
    warmHitRate: acquires === 0 ? 0 : stats.warmHits / acquires,
    loads: stats.loads,
    evictions: stats.removed.evicted + stats.removed.idle,
    meanWaitMs: waited === 0 ? 0 : waitMs / waited,
  };
}

function before(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
