import { SymphonyError } from '@symphony/types';

/**
 * The collaborators the Conductor finds through kernel services, typed structurally so this
 * package imports none of them (DESIGN.md: the Conductor sees every Pit service and the Stage
 * by name). Each is optional except the ledger and the artifact store.
 */
export interface StageCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  onProgress?: (progress: unknown, message?: string) => void;
  /** Which run, step and attempt the call serves (a dispatching Stage derives idempotent job ids from it). */
  step?: { runId: string; stepId: string; attempt: number };
  /** Receives the lines the extension writes during the call: `ctx.log`, stdout, stderr. */
  onLog?: (entry: { stream: 'log' | 'stdout' | 'stderr'; level?: string; line: string; ambiguous?: boolean }) => void;
}

/** `stage` (extension-loader): calls `ext.id/method` through the IPC bus. */
export interface StagePort {
  call(target: string, input: unknown, options?: StageCallOptions): Promise<unknown>;
  providers?(capability: string): unknown;
  /** True when the Stage leases this extension's instances from `pit.pool` itself (the Conductor then does not). */
  pooled?(extensionId: string): boolean;
  /** The installed extensions (the Stage's `list()`), for validating `uses:` before a run. */
  list?(): ReadonlyArray<{ id: string; methods: readonly string[]; capabilities?: ReadonlyArray<string | { name: string }>; inputs?: Readonly<Record<string, unknown>> }>;
  /**
   * For an extension whose calls go to a scale-out queue (`@symphony/scale-out`): the queue's depth
   * (waiting + active), its smoothed wait (dispatch to pick-up) and run latency, and the expected
   * queue cost of one more call. Read synchronously once per decision; unset or undefined: not queued.
   */
  queue?(extensionId: string): QueueFigures | undefined;
}

/** What a scale-out queue costs a call now (see `StagePort.queue`). */
export interface QueueFigures {
  depth: number;
  waitMs: number;
  runMs: number;
  costMs: number;
}

/** `pit.arbitration`: slots shared by every run in the process. */
export interface ArbiterPort {
  addResource(spec: { id: string; capacity: number; class?: string }): void;
  tryRequest(request: { tenant: string; run?: string; amounts: Record<string, number>; id?: string }): unknown;
  request(request: { tenant: string; run?: string; amounts: Record<string, number>; id?: string }, options?: { signal?: AbortSignal }): Promise<unknown>;
  release(grant: unknown): boolean;
  metrics?(): { tenants: Record<string, unknown> };
}

/** `pit.pool`: instances of instrument models, leased around a call. */
export interface PoolPort {
  acquire(modelId: string, options?: { signal?: AbortSignal; holder?: string }): Promise<unknown>;
  release(lease: unknown): boolean;
  /** Each model with its warmth: instances free for a lease now, and the smoothed cold-start cost once one load happened. */
  models(): { id: string; maxInstances?: number; maxConcurrency?: number; warm?: number; loadMs?: number }[];
  expect?(modelId: string, hint?: { count?: number; inMs?: number }): void;
}

/** `pit.stale`: curated decision traces for offline fine-tuning. */
export interface StalePort {
  [method: string]: unknown;
}

/** `metrics`: prom-client style registry. */
export interface MetricsPort {
  histogram(name: string, help: string, options?: { labelNames?: readonly string[]; buckets?: readonly number[] }): { observe(labels: Record<string, string>, value: number): void };
  counter(name: string, help: string, options?: { labelNames?: readonly string[] }): { inc(labels?: Record<string, string>, value?: number): void };
}

/** One implementation that can serve a step. */
export interface Candidate {
  /** `ext.id/method`. */
  uses: string;
  extensionId: string;
  /** Declared cost per call, 0..1 (0.5 when undeclared). */
  cost: number;
  /** Calls it serves at once (for the load feature). */
  capacity: number;
  /**
   * Warmth, for an extension whose instances `pit.pool` keeps: whether an instance can take the
   * call now, and what starting one is expected to cost (0 when warm). Unset: not pooled.
   */
  warm?: boolean;
  startCostMs?: number;
  /**
   * For an extension dispatched to a scale-out queue: the queue's depth (waiting + active), its
   * smoothed wait, and the expected queue cost (ms) counted as latency. Unset: runs here.
   */
  queueDepth?: number;
  queueWaitMs?: number;
  queueCostMs?: number;
}

/** Accepts what `stage.providers()` returns: strings, or objects naming an extension and method. */
export function normalizeProviders(raw: unknown, capability: string): Candidate[] {
  if (!Array.isArray(raw)) return [];
  const out: Candidate[] = [];
  for (const item of raw) {
    if (typeof item === 'string') {
      out.push(candidateFrom(item, undefined, undefined, capability));
      continue;
    }
    if (!item || typeof item !== 'object') continue;
    const o = item as Record<string, unknown>;
    const manifest = (o.manifest ?? {}) as Record<string, unknown>;
    const id = str(o.extensionId) ?? str(o.id) ?? str(manifest.id);
    const method = str(o.method) ?? methodFor(o, capability) ?? methodFor(manifest, capability);
    const uses = str(o.uses) ?? (id && method ? `${id}/${method}` : undefined);
    if (!uses) continue;
    const cost = num(o.cost) ?? num((o.metadata as Record<string, unknown> | undefined)?.cost) ?? num(manifest.cost);
    const capacity = num(o.capacity) ?? num(o.maxConcurrency);
    out.push(candidateFrom(uses, cost, capacity, capability));
  }
  return out;
}

function methodFor(o: Record<string, unknown>, capability: string): string | undefined {
  const caps = o.capabilities ?? o.provides;
  if (caps && typeof caps === 'object' && !Array.isArray(caps)) {
    const entry = (caps as Record<string, unknown>)[capability];
    if (typeof entry === 'string') return entry;
    if (entry && typeof entry === 'object') return str((entry as Record<string, unknown>).method);
  }
  return undefined;
}

function candidateFrom(uses: string, cost: number | undefined, capacity: number | undefined, capability: string): Candidate {
  const slash = uses.indexOf('/');
  if (slash < 0) throw new SymphonyError('E_INPUT_INVALID', `provider "${uses}" of capability "${capability}" is not "<extension-id>/<method>"`, { details: { capability, uses } });
  return { uses, extensionId: uses.slice(0, slash), cost: clamp01(cost ?? 0.5), capacity: Math.max(1, Math.floor(capacity ?? 4)) };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
