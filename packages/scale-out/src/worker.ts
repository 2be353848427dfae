import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { SymphonyError, toSymphonyError, type Logger } from '@symphony/types';
import { probe, redisNow, redisOptions, redact, type RedisTarget } from './connection.js';
import { DEFAULT_INLINE_LIMIT, DEFAULT_MAX_BLOB_BYTES, getValue, putValue } from './blobs.js';
import { checkJob, DEFAULT_PREFIX, queueName, reasonOf, type ResultEnvelope } from './protocol.js';
import { checkSecret, seal, verify, type Signed } from './sign.js';

/** The part of the Stage (`kernel.service('stage')`) a worker drives. */
export interface WorkerStage {
  call(uses: string, input: unknown, options?: { signal?: AbortSignal; timeoutMs?: number; onProgress?: (progress: unknown, message?: string) => void }): Promise<unknown>;
  list(): ReadonlyArray<{ id: string; methods: readonly string[]; capabilities?: ReadonlyArray<string | { name: string }> }>;
  providers?(capability: string): unknown;
}

export interface ScaleWorkerOptions {
  redis: string | RedisTarget;
  /** The shared secret the coordinator signs jobs with (and this worker signs results with). */
  secret: string;
  /** The Stage that runs steps (a `createSymphony` kernel's `stage` service). */
  stage: WorkerStage;
  /** Jobs this worker runs at once, per queue (default 1). */
  concurrency?: number;
  /** Only these extension ids (default: every extension the Stage has). */
  extensions?: string[];
  prefix?: string;
  /** BullMQ lock: a worker silent this long loses its job to stalled-job recovery (default 30 s). */
  lockDuration?: number;
  /** How often BullMQ looks for stalled jobs (default 30 s). */
  stalledInterval?: number;
  /** Re-deliveries of a stalled job before it fails (default 1). */
  maxStalledCount?: number;
  /** Per-queue rate limit shared by every worker of the queue (BullMQ's limiter). */
  limiter?: { max: number; duration: number };
  /** Values above this many bytes of JSON go back by content address (default 64 KiB). */
  inlineLimit?: number;
  maxBlobBytes?: number;
  /** Seconds a large output stays in Redis for the coordinator (default 1 day). */
  blobTtlSeconds?: number;
  logger?: Logger;
  /** Shown in the registry and results (default `<hostname>:<pid>:<random>`). */
  id?: string;
}

export interface ScaleWorker {
  readonly id: string;
  /** The queues consumed (`ext.<extension-id>`). */
  readonly queues: readonly string[];
  /** Stops taking jobs, waits for running ones, leaves the registry. */
  close(): Promise<void>;
}

/** How often a worker refreshes its entry in the registry of workers, and how old an entry may get. */
export const HEARTBEAT_MS = 2_000;
export const WORKER_TTL_MS = 10_000;

/**
 * Consumes the queues of the extensions the Stage has and runs each job's step through the Stage,
 * as a local run would (same isolation, limits and logs). Refuses unsigned or forged jobs and
 * bad payloads with a coded failure (the job fails; the worker stays up).
 */
export async function startScaleWorker(options: ScaleWorkerOptions): Promise<ScaleWorker> {
  checkSecret(options.secret);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const connection = redisOptions(options.redis);
  const id = options.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const inlineLimit = options.inlineLimit ?? DEFAULT_INLINE_LIMIT;
  const maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const ttl = options.blobTtlSeconds ?? 86_400;
  const logger = options.logger;
  const all = options.stage.list();
  const wanted = options.extensions?.length ? new Set(options.extensions) : undefined;
  const mine = all.filter((e) => !wanted || wanted.has(e.id));
  if (wanted) {
    const missing = [...wanted].filter((w) => !all.some((e) => e.id === w));
    if (missing.length) throw new SymphonyError('E_NOT_FOUND', `scale-out: this worker has no extension ${missing.join(', ')} (installed: ${all.map((e) => e.id).join(', ') || 'none'})`, { details: { missing } });
  }
  const ids = new Set(mine.map((e) => e.id));
  const redis = new Redis({ ...connection, lazyConnect: false });
  redis.on('error', () => {});
  const url = redact(typeof options.redis === 'string' ? options.redis : options.redis.url);
  try {
    if (!(await probe(redis, url))) logger?.warn({ redis: url }, `scale-out worker: Redis at ${url} does not answer yet: waiting for it`);
  } catch (err) {
    redis.disconnect();
    throw err;
  }

  const processor = async (job: Job): Promise<Signed> => {
    const started = Date.now();
    const jobId = job.id ?? '';
    const data = job.data as Partial<Signed> | undefined;
    const refuse = (err: SymphonyError): never => {
      logger?.warn({ jobId, queue: job.queueName, code: err.code }, `scale-out worker refused job: ${err.message}`);
      throw new UnrecoverableError(reasonOf(err));
    };
    if (!data || typeof data.body !== 'string' || typeof data.sig !== 'string') {
      return refuse(new SymphonyError('E_JOB_SIGNATURE', `scale-out: job ${jobId} carries no signed body (not dispatched by a Symphony coordinator)`, { details: { jobId } }));
    }
    if (!verify(options.secret, data.body, data.sig)) {
      return refuse(new SymphonyError('E_JOB_SIGNATURE', `scale-out: job ${jobId} has a signature that does not verify under this worker's secret: refused`, { details: { jobId } }));
    }
    let envelope;
    try {
      envelope = checkJob(JSON.parse(data.body), jobId);
    } catch (err) {
      return refuse(toSymphonyError(err).code === 'E_JOB_INVALID' ? toSymphonyError(err) : new SymphonyError('E_JOB_INVALID', `scale-out: job ${jobId} body is not JSON`, { details: { jobId } }));
    }
    const extensionId = envelope.uses.slice(0, envelope.uses.indexOf('/'));
    if (!ids.has(extensionId)) {
      return refuse(new SymphonyError('E_JOB_INVALID', `scale-out: job ${jobId} names extension ${extensionId}, which worker ${id} does not have`, { details: { jobId, extensionId } }));
    }
    const result = (r: Omit<ResultEnvelope, 'v' | 'jobId' | 'worker' | 'waitMs' | 'runMs'>): Signed =>
      seal(options.secret, { v: 1, jobId, worker: id, waitMs: Math.max(0, (job.processedOn ?? started) - job.timestamp), runMs: Date.now() - started, ...r } satisfies ResultEnvelope);
    let input: unknown;
    try {
      input = envelope.inputRef ? await getValue(redis, prefix, envelope.inputRef, { maxBytes: maxBlobBytes }) : envelope.input;
    } catch (err) {
      return result({ ok: false, error: toSymphonyError(err).toJSON() });
    }
    try {
      const output = await options.stage.call(envelope.uses, input, {
        ...(envelope.timeoutMs ? { timeoutMs: envelope.timeoutMs } : {}),
        onProgress: (progress) => {
          void job.updateProgress(progress as object).catch(() => {});
        },
      });
      const json = JSON.stringify(output ?? null);
      if (Buffer.byteLength(json) > inlineLimit) {
        const outputRef = await putValue(redis, prefix, json, { ttlSeconds: ttl, maxBytes: maxBlobBytes });
        return result({ ok: true, outputRef });
      }
      return result({ ok: true, output: output ?? null });
    } catch (err) {
      return result({ ok: false, error: toSymphonyError(err).toJSON() });
    }
  };

  const workers: Worker[] = [];
  for (const ext of mine) {
    const w = new Worker(queueName(ext.id), processor, {
      connection,
      prefix,
      concurrency: Math.max(1, options.concurrency ?? 1),
      ...(options.lockDuration ? { lockDuration: options.lockDuration } : {}),
      ...(options.stalledInterval ? { stalledInterval: options.stalledInterval } : {}),
      maxStalledCount: options.maxStalledCount ?? 1,
      ...(options.limiter ? { limiter: options.limiter } : {}),
    });
    // While Redis is away every reconnect attempt errors: one line per queue per 10 s is enough.
    let lastLog = 0;
    w.on('error', (err) => {
      if (Date.now() - lastLog < 10_000) return;
      lastLog = Date.now();
      logger?.warn({ err: String(err), queue: queueName(ext.id) }, `scale-out worker: ${err.message} (jobs resume when Redis answers)`);
    });
    workers.push(w);
  }

  // The registry: which extensions (and capability providers) this worker serves, refreshed by a heartbeat.
  const caps = new Map<string, unknown>();
  for (const ext of mine) {
    for (const c of ext.capabilities ?? []) {
      const name = typeof c === 'string' ? c : c.name;
      if (!caps.has(name)) caps.set(name, (options.stage.providers?.(name) as unknown[] | undefined)?.filter((p) => ids.has(String((p as { id?: string }).id ?? ''))) ?? []);
    }
  }
  // `seen` is Redis time (the clock every machine shares), not this machine's.
  const entry = (seen: number) =>
    JSON.stringify({ id, host: hostname(), pid: process.pid, concurrency: options.concurrency ?? 1, seen, extensions: mine.map((e) => ({ id: e.id, methods: e.methods, capabilities: e.capabilities ?? [] })), providers: Object.fromEntries(caps) });
  const beat = async () => redis.hset(`${prefix}:workers`, id, entry(await redisNow(redis))).catch(() => 0);
  await beat();
  const timer = setInterval(beat, HEARTBEAT_MS);
  timer.unref();
  logger?.info({ id, queues: workers.map((w) => w.name), redis: url }, 'scale-out worker started');

  let closing: Promise<void> | undefined;
  return {
    id,
    queues: workers.map((w) => w.name),
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await Promise.all(workers.map((w) => w.close()));
        await redis.hdel(`${prefix}:workers`, id).catch(() => 0);
        redis.disconnect();
      })();
      return closing;
    },
  };
}
