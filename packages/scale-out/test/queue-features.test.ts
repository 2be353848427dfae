import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSymphony, type Symphony } from '@symphony/runtime';
import { attachScaleOut, createDispatcher, startScaleWorker, type ScaleOut, type ScaleWorker, type WorkerStage } from '../src/index.js';
import { REDIS_SERVER, SKIP_REASON, startRedis, type TestRedis } from './redis-server.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/extensions', import.meta.url));
const SECRET = 'test-secret-0123456789';

type QueueFn = (extensionId: string) => { depth: number; waitMs: number; runMs: number; costMs: number } | undefined;

// Issue 19: the Conductor's decisions see each queue's depth, wait and observed latency.
describe.skipIf(!REDIS_SERVER)(`queue figures for the Conductor over a real redis-server${REDIS_SERVER ? '' : ` (${SKIP_REASON})`}`, () => {
  let redis: TestRedis;
  let dir: string;
  let coordinator: Symphony;
  let workerHost: Symphony;
  let worker: ScaleWorker;
  let scale: ScaleOut;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'sym-queuefeat-'));
    const ws = join(dir, 'ws');
    mkdirSync(ws);
    coordinator = await createSymphony({ home: join(dir, 'coord'), workspace: ws, builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent' });
    workerHost = await createSymphony({ home: join(dir, 'worker'), workspace: ws, builtins: false, extensions: [FIXTURES], policy: 'heuristic', noSync: true, logLevel: 'silent' });
    // One slot: jobs queue up behind each other.
    worker = await startScaleWorker({ redis: redis.url, secret: SECRET, stage: workerHost.kernel.service<WorkerStage>('stage'), concurrency: 1 });
    scale = await attachScaleOut(coordinator, { redis: redis.url, secret: SECRET }, { sweepMs: 100 });
  });

  afterAll(async () => {
    await scale?.detach();
    await worker?.close();
    await coordinator?.close();
    await workerHost?.close();
    await redis?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const slow = (runId: string, n: number, ms: number) =>
    Array.from({ length: n }, (_, i) => scale.dispatcher.dispatch({ runId, stepId: `s${i}`, attempt: 1, uses: 'acme.work/slow', input: { ms, marker: join(dir, 'marker.log'), tag: `${runId}-${i}` } }));

  it('keeps depth, smoothed wait and run latency per queue in memory; the Stage shows them for dispatched extensions only', async () => {
    const stage = coordinator.kernel.service<{ queue?: QueueFn }>('stage');
    expect(typeof stage.queue).toBe('function');
    const before = scale.dispatcher.queueStats('acme.work');
    expect(before).toMatchObject({ queue: 'ext.acme.work', depth: 0, waitMs: 0, runMs: 0, costMs: 0, samples: 0, slots: 1 });
    expect(stage.queue!('not.dispatched')).toBeUndefined();

    const first = slow('q1', 4, 120);
    // Before any result: the depth is this coordinator's pending jobs (read synchronously).
    await vi.waitFor(() => expect(scale.dispatcher.queueStats('acme.work').depth).toBe(4), { timeout: 5000, interval: 10 });
    await Promise.all(first);
    const after = scale.dispatcher.queueStats('acme.work');
    expect(after.samples).toBe(4);
    // One slot, 120 ms each: the later jobs waited behind the earlier ones.
    expect(after.runMs).toBeGreaterThanOrEqual(100);
    expect(after.waitMs).toBeGreaterThan(50);
    expect(after.costMs).toBeGreaterThanOrEqual(after.waitMs);
    // The sweep brings Redis's count back to 0 once they are done.
    await vi.waitFor(() => expect(scale.dispatcher.queueStats('acme.work').depth).toBe(0), { timeout: 5000, interval: 20 });

    // A deep queue now: its drain time (depth × run latency / slots) exceeds the smoothed wait.
    const second = slow('q2', 6, 120);
    await vi.waitFor(() => expect(scale.dispatcher.queueStats('acme.work').depth).toBeGreaterThanOrEqual(5), { timeout: 5000, interval: 10 });
    const deep = scale.dispatcher.queueStats('acme.work');
    expect(deep.costMs).toBeGreaterThanOrEqual(((deep.depth + 1 - deep.slots) * deep.runMs) / deep.slots - 1e-6);
    expect(stage.queue!('acme.work')).toEqual({ depth: deep.depth, waitMs: deep.waitMs, runMs: deep.runMs, costMs: deep.costMs });
    await Promise.all(second);
  });

  it("a coordinator that has not used a queue yet still sees the depth other coordinators' jobs give it", async () => {
    const fresh = await createDispatcher({ redis: redis.url, secret: SECRET, sweepMs: 100 });
    try {
      expect(fresh.queueStats('acme.work').depth).toBe(0);
      const jobs = slow('q3', 4, 150);
      await vi.waitFor(() => expect(fresh.queueStats('acme.work').depth).toBeGreaterThanOrEqual(3), { timeout: 5000, interval: 20 });
      await Promise.all(jobs);
    } finally {
      await fresh.close();
    }
  });

  it('a forged worker entry (concurrency not a number) does not poison the figures', async () => {
    const raw = new Redis(redis.url);
    try {
      const entry = { id: 'forged', host: 'x', pid: 1, concurrency: 'lots', seen: Date.now(), extensions: [{ id: 'acme.work', methods: ['echo'], capabilities: [] }], providers: {} };
      await raw.hset('symphony:workers', 'forged', JSON.stringify(entry));
      await scale.dispatcher.refresh();
      const q = scale.dispatcher.queueStats('acme.work');
      expect(q.slots).toBe(2);
      expect(Number.isFinite(q.costMs)).toBe(true);
    } finally {
      await raw.hdel('symphony:workers', 'forged');
      await scale.dispatcher.refresh();
      raw.disconnect();
    }
  });

  it("records each dispatched candidate's queue depth, wait and expected cost in the decision, for runs explain", async () => {
    const result = await coordinator.run({ name: 'queued-cap', steps: [{ id: 'c', uses: 'capability:echo.any', with: { hello: 'q' } }] } as never);
    expect(result.status).toBe('succeeded');
    const [decision] = coordinator.conductor.explain(result.runId);
    const cand = decision!.candidates.find((c) => c.id === 'acme.work/echo');
    expect(cand).toBeDefined();
    expect(cand!.queueDepth).toBeTypeOf('number');
    expect(cand!.queueWaitMs).toBeGreaterThan(0);
    expect(cand!.queueCostMs).toBeGreaterThanOrEqual(cand!.queueWaitMs!);
  });

  it('detach takes the queue figures off the Stage (they were not there before attach)', async () => {
    const stage = coordinator.kernel.service<{ queue?: QueueFn }>('stage');
    expect(stage.queue!('acme.work')).toMatchObject({ depth: expect.any(Number) }); // a job of an earlier test may still count
    await scale.detach();
    expect(stage.queue).toBeUndefined();
  });
});
