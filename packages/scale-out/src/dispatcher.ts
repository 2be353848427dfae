import { Redis } from 'ioredis';
import { Job, Queue, QueueEvents } from 'bullmq';
import { SymphonyError, toSymphonyError, type Logger } from '@symphony/types';
import { isLive, probe, redisNow, redisOptions, redact, type RedisTarget } from './connection.js';
import { DEFAULT_INLINE_LIMIT, DEFAULT_MAX_BLOB_BYTES, getValue, putValue } from './blobs.js';
import { checkResult, DEFAULT_PREFIX, errorFromReason, jobIdFor, queueName, type JobEnvelope } from './protocol.js';
import { checkSecret, seal, verify, type Signed } from './sign.js';
import { WORKER_TTL_MS } from './worker.js';

export interface DispatcherOptions {
  redis: string | RedisTarget;
  /** The shared secret jobs are signed with (and results verified with). */
  secret: string;
  prefix?: string;
  /** Inputs above this many bytes of JSON travel by content address (default 64 KiB). */
  inlineLimit?: number;
  maxBlobBytes?: number;
  blobTtlSeconds?: number;
  /** Finished jobs kept in Redis this long, so a restarted coordinator collects them (default 1 day). */
  keepSeconds?: number;
  /** How often pending jobs are checked by id besides the event stream (default 1 s). */
  sweepMs?: number;
  logger?: Logger;
  /** A prom-client style registry (the kernel's `metrics` service) for queue depth, wait and workers. */
  metrics?: MetricsLike;
}

export interface MetricsLike {
  gauge(name: string, help: string, options?: { labelNames?: readonly string[] }): { set(labels: Record<string, string>, value: number): void };
  histogram(name: string, help: string, options?: { labelNames?: readonly string[]; buckets?: readonly number[] }): { observe(labels: Record<string, string>, value: number): void };
  counter(name: string, help: string, options?: { labelNames?: readonly string[] }): { inc(labels?: Record<string, string>, value?: number): void };
}

export interface DispatchRequest {
  runId: string;
  stepId: string;
  attempt: number;
  uses: string;
  input: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: unknown) => void;
  /** 0 (highest, the default) .. 2,097,152: BullMQ priority. */
  priority?: number;
}

export interface RemoteExtension {
  id: string;
  methods: string[];
  capabilities: Array<string | { name: string }>;
  workers: number;
}

export interface WorkerEntry {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  seen: number;
  extensions: Array<{ id: string; methods: string[]; capabilities: Array<string | { name: string }> }>;
  providers: Record<string, unknown[]>;
}

export interface DispatchStatus {
  /** `up`, or `down` while Redis is unreachable (dispatch pauses; jobs wait in the client). */
  redis: 'up' | 'down';
  since: number;
  /** Steps dispatched and not yet finished. */
  pending: number;
  workers: number;
}

/** One queue's figures for the Conductor, kept in memory (see `Dispatcher.queueStats`). */
export interface QueueStats {
  queue: string;
  /** Waiting + active (+ prioritized) jobs: Redis's count at the last sweep, or this coordinator's own pending jobs when more. */
  depth: number;
  /** Smoothed time from dispatch to a worker picking the job up (0 before the first result). */
  waitMs: number;
  /** Smoothed time a job ran on its worker (0 before the first result). */
  runMs: number;
  /** Slots (worker concurrency) of the live workers serving the queue. */
  slots: number;
  /** Expected time one more job waits: the larger of the smoothed wait and the backlog's drain time (`(depth + 1 - slots) × runMs / slots`). */
  costMs: number;
  /** Results the smoothed figures are drawn from. */
  samples: number;
}

/** Weight of a new result in the smoothed wait and run latency of a queue. */
export const QUEUE_EWMA_ALPHA = 0.3;

export interface Dispatcher {
  dispatch(request: DispatchRequest): Promise<unknown>;
  /** Live workers (from the last registry refresh). */
  workers(): readonly WorkerEntry[];
  /** Extensions some live worker serves. */
  extensions(): ReadonlyMap<string, RemoteExtension>;
  /** Reads the worker registry now. */
  refresh(): Promise<void>;
  status(): DispatchStatus;
  /** Waiting/active/delayed jobs of each queue this dispatcher used. */
  queueDepths(): Promise<Record<string, { waiting: number; active: number; delayed: number; prioritized: number }>>;
  /**
   * The queue of an extension's figures, synchronously and without a Redis round trip: depth from
   * the last sweep (and this coordinator's pending jobs), wait and run latency smoothed over results.
   */
  queueStats(extensionId: string): QueueStats;
  close(): Promise<void>;
}

interface Waiter {
  queue: string;
  data: Signed;
  opts: Record<string, unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onProgress?: ((p: unknown) => void) | undefined;
  settled: boolean;
}

/** Dispatches steps as signed BullMQ jobs and collects their results (by event, and by id on a sweep). */
export async function createDispatcher(options: DispatcherOptions): Promise<Dispatcher> {
  checkSecret(options.secret);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const connection = redisOptions(options.redis);
  const url = redact(typeof options.redis === 'string' ? options.redis : options.redis.url);
  const inlineLimit = options.inlineLimit ?? DEFAULT_INLINE_LIMIT;
  const maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const ttl = options.blobTtlSeconds ?? 86_400;
  const keep = options.keepSeconds ?? 86_400;
  const logger = options.logger;
  const redis = new Redis({ ...connection });
  const state: { redis: 'up' | 'down'; since: number } = { redis: 'up', since: Date.now() };
  redis.on('error', () => {});
  redis.on('ready', () => {
    if (state.redis === 'down') logger?.warn({ redis: url, pending: waiters.size }, 'scale-out: Redis is back: dispatch resumes');
    state.redis = 'up';
    state.since = Date.now();
  });
  redis.on('close', () => {
    if (state.redis === 'up' && !closed) logger?.warn({ redis: url, pending: waiters.size }, `scale-out: Redis at ${url} is unreachable (E_REDIS_UNAVAILABLE): dispatch paused until it returns`);
    state.redis = 'down';
    state.since = Date.now();
  });
  const queues = new Map<string, { queue: Queue; events: QueueEvents; ready: Promise<void> }>();
  const waiters = new Map<string, Waiter>();
  /** Per queue: Redis's depth at the last sweep and the smoothed wait/run of results. */
  const figures = new Map<string, { counted: number; waitMs: number; runMs: number; samples: number }>();
  const figuresOf = (name: string) => {
    let f = figures.get(name);
    if (!f) figures.set(name, (f = { counted: 0, waitMs: 0, runMs: 0, samples: 0 }));
    return f;
  };
  let registry: WorkerEntry[] = [];
  let remote = new Map<string, RemoteExtension>();
  let closed = false;

  const m = options.metrics;
  const gDepth = m?.gauge('scaleout_queue_depth', 'Jobs waiting in each scale-out queue', { labelNames: ['queue', 'state'] });
  const gWorkers = m?.gauge('scaleout_workers', 'Live scale-out workers serving each queue', { labelNames: ['queue'] });
  const hWait = m?.histogram('scaleout_wait_seconds', 'Time a dispatched step waited in its queue', { labelNames: ['queue'], buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60] });
  const hRun = m?.histogram('scaleout_run_seconds', 'Time a dispatched step ran on its worker', { labelNames: ['queue'], buckets: [0.001, 0.01, 0.1, 1, 10, 60, 600] });
  const cDone = m?.counter('scaleout_jobs_total', 'Dispatched steps by queue and outcome', { labelNames: ['queue', 'outcome'] });

  const settle = async (jobId: string, how: { returnvalue?: unknown; failedReason?: string }) => {
    const w = waiters.get(jobId);
    if (!w || w.settled) return;
    w.settled = true;
    waiters.delete(jobId);
    try {
      if (how.failedReason !== undefined) {
        cDone?.inc({ queue: w.queue, outcome: 'refused' });
        throw errorFromReason(how.failedReason, jobId);
      }
      const rv = (typeof how.returnvalue === 'string' ? JSON.parse(how.returnvalue) : how.returnvalue) as Partial<Signed> | null;
      // Only the worker that held the job's lock can complete it (BullMQ's lock token fences a
      // worker paused past its lock); the HMAC proves that worker had the secret.
      if (!rv || typeof rv.body !== 'string' || !verify(options.secret, rv.body, rv.sig)) {
        throw new SymphonyError('E_JOB_SIGNATURE', `scale-out: the result of job ${jobId} is unsigned or forged: discarded`, { details: { jobId } });
      }
      const r = checkResult(JSON.parse(rv.body), jobId);
      const f = figuresOf(w.queue);
      const smooth = (prev: number, next: number) => (f.samples === 0 ? next : prev + QUEUE_EWMA_ALPHA * (next - prev));
      if (Number.isFinite(r.waitMs) && Number.isFinite(r.runMs)) {
        f.waitMs = smooth(f.waitMs, Math.max(0, r.waitMs));
        f.runMs = smooth(f.runMs, Math.max(0, r.runMs));
        f.samples++;
      }
      hWait?.observe({ queue: w.queue }, r.waitMs / 1000);
      hRun?.observe({ queue: w.queue }, r.runMs / 1000);
      cDone?.inc({ queue: w.queue, outcome: r.ok ? 'ok' : 'error' });
      if (!r.ok) throw SymphonyError.fromJSON(r.error ?? { name: 'SymphonyError', code: 'E_INTERNAL', message: `job ${jobId} failed without an error` });
      w.resolve(r.outputRef ? await getValue(redis, prefix, r.outputRef, { maxBytes: maxBlobBytes }) : r.output);
    } catch (err) {
      w.reject(err);
    }
  };

  const check = async (jobId: string) => {
    const w = waiters.get(jobId);
    if (!w) return;
    const q = queues.get(w.queue)!.queue;
    const job = await Job.fromId(q, jobId);
    if (!job) {
      // Gone (evicted, or a Redis that lost data): dispatch it again under the same id.
      if (!w.settled) await q.add(jobNameOf(w), w.data, { ...w.opts, jobId });
      return;
    }
    if (job.finishedOn) {
      if (job.failedReason && !job.returnvalue) await settle(jobId, { failedReason: job.failedReason });
      else await settle(jobId, { returnvalue: job.returnvalue });
    }
  };
  const jobNameOf = (w: Waiter) => (JSON.parse(w.data.body) as JobEnvelope).uses;

  const queueFor = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      const queue = new Queue(name, { connection, prefix });
      const events = new QueueEvents(name, { connection, prefix });
      queue.on('error', () => {});
      events.on('error', () => {});
      events.on('completed', ({ jobId, returnvalue }) => void settle(jobId, { returnvalue }));
      events.on('failed', ({ jobId, failedReason }) => void settle(jobId, { failedReason }));
      events.on('duplicated', ({ jobId }) => void check(jobId).catch(() => {}));
      events.on('progress', ({ jobId, data }) => waiters.get(jobId)?.onProgress?.(data));
      q = { queue, events, ready: events.waitUntilReady().then(() => queue.waitUntilReady()) };
      queues.set(name, q);
    }
    return q;
  };

  const refresh = async () => {
    const all = await redis.hgetall(`${prefix}:workers`);
    const now = await redisNow(redis);
    const live: WorkerEntry[] = [];
    for (const [id, json] of Object.entries(all)) {
      try {
        const e = JSON.parse(json) as WorkerEntry;
        if (isLive(e.seen, now, WORKER_TTL_MS)) live.push(e);
        else await redis.hdel(`${prefix}:workers`, id);
      } catch {
        await redis.hdel(`${prefix}:workers`, id);
      }
    }
    registry = live;
    const next = new Map<string, RemoteExtension>();
    for (const w of live) {
      for (const e of w.extensions) {
        const r = next.get(e.id) ?? { id: e.id, methods: [...e.methods], capabilities: [...e.capabilities], workers: 0 };
        r.workers++;
        next.set(e.id, r);
      }
    }
    // A queue whose last worker left shows 0, not its last count.
    for (const id of remote.keys()) if (!next.has(id)) gWorkers?.set({ queue: queueName(id) }, 0);
    remote = next;
    for (const [id, r] of remote) gWorkers?.set({ queue: queueName(id) }, r.workers);
  };

  const sweep = setInterval(() => {
    if (state.redis === 'down') return;
    for (const jobId of [...waiters.keys()]) void check(jobId).catch(() => {});
    void refresh().catch(() => {});
    void depths().catch(() => {});
    void countUnused().catch(() => {});
  }, options.sweepMs ?? 1000);
  sweep.unref();

  const depths = async () => {
    const out: Record<string, { waiting: number; active: number; delayed: number; prioritized: number }> = {};
    for (const [name, { queue }] of queues) {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      out[name] = { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, prioritized: c.prioritized ?? 0 };
      for (const [s, v] of Object.entries(out[name]!)) gDepth?.set({ queue: name, state: s }, v);
      figuresOf(name).counted = out[name]!.waiting + out[name]!.active + out[name]!.prioritized;
    }
    return out;
  };

  // Queues of remote extensions this coordinator has not dispatched to yet (other coordinators'
  // jobs may fill them): counted on the sweep over the shared connection, no event stream.
  const counters = new Map<string, Queue>();
  const countUnused = async () => {
    for (const id of remote.keys()) {
      const name = queueName(id);
      if (queues.has(name) || closed) continue;
      let q = counters.get(name);
      if (!q) {
        q = new Queue(name, { connection: redis, prefix });
        q.on('error', () => {});
        counters.set(name, q);
      }
      const c = await q.getJobCounts('waiting', 'active', 'prioritized');
      figuresOf(name).counted = (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0);
    }
  };

  try {
    if (!(await probe(redis, url))) logger?.warn({ redis: url }, `scale-out: Redis at ${url} does not answer yet: steps wait until it does`);
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  await refresh().catch(() => undefined);

  return {
    async dispatch(req) {
      if (closed) throw new SymphonyError('E_KERNEL_STATE', 'scale-out: the dispatcher is closed', {});
      req.signal?.throwIfAborted();
      const jobId = jobIdFor(req.runId, req.stepId, req.attempt);
      const extensionId = req.uses.slice(0, req.uses.indexOf('/'));
      const name = queueName(extensionId);
      const q = queueFor(name);
      const json = JSON.stringify(req.input ?? null);
      const envelope: JobEnvelope = { v: 1, jobId, runId: req.runId, stepId: req.stepId, attempt: req.attempt, uses: req.uses, issuedAt: Date.now(), ...(req.timeoutMs ? { timeoutMs: req.timeoutMs } : {}) };
      if (Buffer.byteLength(json) > inlineLimit) envelope.inputRef = await putValue(redis, prefix, json, { ttlSeconds: ttl, maxBytes: maxBlobBytes });
      else envelope.input = req.input ?? null;
      const data = seal(options.secret, envelope);
      const opts = {
        attempts: 1,
        ...(req.priority ? { priority: Math.max(0, Math.min(2_097_152, Math.trunc(req.priority))) } : {}),
        removeOnComplete: { age: keep },
        removeOnFail: { age: keep },
      };
      await q.ready;
      const done = new Promise<unknown>((resolve, reject) => {
        const prev = waiters.get(jobId);
        if (prev && !prev.settled) prev.reject(new SymphonyError('E_CONFLICT', `scale-out: job ${jobId} was dispatched again by this coordinator`, { details: { jobId } }));
        waiters.set(jobId, { queue: name, data, opts, resolve, reject, onProgress: req.onProgress, settled: false });
      });
      done.catch(() => {});
      const onAbort = () => {
        const w = waiters.get(jobId);
        if (!w || w.settled) return;
        w.settled = true;
        waiters.delete(jobId);
        // A job nobody took yet is withdrawn; a running one finishes on its worker, its result unread.
        void Job.fromId(q.queue, jobId).then((j) => j?.remove()).catch(() => {});
        w.reject(new SymphonyError('E_ABORTED', `scale-out: step ${req.stepId} of run ${req.runId} was cancelled`, { details: { jobId } }));
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await q.queue.add(req.uses, data, { ...opts, jobId });
        return await done;
      } catch (err) {
        waiters.delete(jobId);
        throw toSymphonyError(err);
      } finally {
        req.signal?.removeEventListener('abort', onAbort);
      }
    },
    workers: () => registry,
    extensions: () => remote,
    refresh,
    status: () => ({ redis: state.redis, since: state.since, pending: waiters.size, workers: registry.length }),
    queueDepths: depths,
    queueStats(extensionId) {
      const name = queueName(extensionId);
      const f = figures.get(name) ?? { counted: 0, waitMs: 0, runMs: 0, samples: 0 };
      let own = 0;
      for (const w of waiters.values()) if (w.queue === name) own++;
      const depth = Math.max(f.counted, own);
      let slots = 0;
      // A registry entry is anyone-with-Redis-write input: a concurrency that is not a positive number counts as 1.
      for (const w of registry) if (w.extensions?.some?.((e) => e.id === extensionId)) slots += Number.isFinite(w.concurrency) && w.concurrency >= 1 ? Math.min(10_000, Math.floor(w.concurrency)) : 1;
      slots = Math.max(1, slots);
      const drain = (Math.max(0, depth + 1 - slots) * f.runMs) / slots;
      return { queue: name, depth, waitMs: f.waitMs, runMs: f.runMs, slots, costMs: Math.max(f.waitMs, drain), samples: f.samples };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      for (const w of waiters.values()) w.reject(new SymphonyError('E_ABORTED', 'scale-out: the dispatcher closed', {}));
      waiters.clear();
      await Promise.all([...queues.values()].flatMap(({ queue, events }) => [queue.close(), events.close()]));
      await Promise.all([...counters.values()].map((q) => q.close().catch(() => {})));
      redis.disconnect();
    },
  };
}
