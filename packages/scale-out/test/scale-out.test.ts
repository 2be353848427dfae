import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSymphony, type Symphony } from '@symphony/runtime';
import { attachScaleOut, createDispatcher, jobIdFor, putBlob, seal, startScaleWorker, streamBlob, type ScaleOut, type ScaleWorker, type WorkerStage } from '../src/index.js';
import { REDIS_SERVER, SKIP_REASON, startRedis, type TestRedis } from './redis-server.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/extensions', import.meta.url));
const SECRET = 'test-secret-0123456789';

describe.skipIf(!REDIS_SERVER)(`scale-out over a real redis-server${REDIS_SERVER ? '' : ` (${SKIP_REASON})`}`, () => {
  let redis: TestRedis;
  let dir: string;
  let coordinator: Symphony;
  let workerHost: Symphony;
  let worker: ScaleWorker;
  let scale: ScaleOut;
  let raw: Redis;
  let ws: string;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'sym-scale-'));
    ws = join(dir, 'ws');
    mkdirSync(ws);
    // The coordinator has no acme.work: every step of it must run on the worker.
    coordinator = await createSymphony({ home: join(dir, 'coord'), workspace: ws, builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent' });
    workerHost = await createSymphony({ home: join(dir, 'worker'), workspace: ws, builtins: false, extensions: [FIXTURES], policy: 'heuristic', noSync: true, logLevel: 'silent' });
    worker = await startScaleWorker({ redis: redis.url, secret: SECRET, stage: workerHost.kernel.service<WorkerStage>('stage'), concurrency: 2, inlineLimit: 1024 });
    scale = await attachScaleOut(coordinator, { redis: redis.url, secret: SECRET }, { inlineLimit: 1024, sweepMs: 200 });
    raw = new Redis(redis.url);
  });

  afterAll(async () => {
    raw?.disconnect();
    await scale?.detach();
    await worker?.close();
    await coordinator?.close();
    await workerHost?.close();
    await redis?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a step the coordinator lacks on the worker, as the job <runId>:<stepId>:<attempt>, and validates uses: against the workers', async () => {
    expect(coordinator.kernel.service<WorkerStage>('stage').list().map((e) => e.id)).toContain('acme.work');
    const result = await coordinator.run({ name: 'remote', steps: [{ id: 'a', uses: 'acme.work/echo', with: { n: 1 } }, { id: 'b', uses: 'acme.work/echo', with: { prev: '${{ steps.a.output.echoed.n }}' } }] } as never);
    expect(result.status).toBe('succeeded');
    expect(coordinator.artifacts.value('remote/b')).toMatchObject({ echoed: { prev: 1 } });
    const queue = new Queue('ext.acme.work', { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'symphony' });
    try {
      const job = await Job.fromId(queue, jobIdFor(result.runId, 'a', 1));
      expect(job).toBeDefined();
      expect(await job!.getState()).toBe('completed');
    } finally {
      await queue.close();
    }
  });

  it('shows queue depth, wait, run time, jobs and workers on the kernel metrics (/metrics)', async () => {
    await coordinator.run({ name: 'metered', steps: [{ id: 'a', uses: 'acme.work/echo', with: {} }] } as never);
    await new Promise((r) => setTimeout(r, 500)); // one sweep: depths and workers
    const text = await coordinator.kernel.service<{ expose(): Promise<string> }>('metrics').expose();
    expect(text).toMatch(/symphony_scaleout_jobs_total\{queue="ext\.acme\.work",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/symphony_scaleout_workers\{queue="ext\.acme\.work"\} 1/);
    expect(text).toContain('symphony_scaleout_queue_depth{queue="ext.acme.work",state="waiting"}');
    expect(text).toContain('symphony_scaleout_wait_seconds_bucket');
  });

  it('two coordinators dispatching the same step attempt at once share one job, run once; ids with ":" are escaped', async () => {
    const marker = join(dir, 'twice.log');
    const other = await createDispatcher({ redis: redis.url, secret: SECRET, sweepMs: 200 });
    try {
      const req = { runId: 'run:with:colons', stepId: 'step%1', attempt: 1, uses: 'acme.work/slow', input: { ms: 200, marker, tag: 'twice' } };
      const [a, b] = await Promise.all([scale.dispatcher.dispatch(req), other.dispatch(req)]);
      expect(a).toEqual(b);
      expect(readFileSync(marker, 'utf8').split('\n').filter((l) => l.startsWith('start twice'))).toHaveLength(1);
      expect(jobIdFor(req.runId, req.stepId, 1)).toBe('run%3Awith%3Acolons:step%251:1');
    } finally {
      await other.close();
    }
  });

  it('a cancelled dispatch withdraws its job from the queue (E_ABORTED)', async () => {
    const ac = new AbortController();
    const pending = scale.dispatcher.dispatch({ runId: 'cancel', stepId: 's', attempt: 1, uses: 'nobody.serves/this', input: {}, signal: ac.signal });
    const queue = new Queue('ext.nobody.serves', { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'symphony' });
    try {
      for (let i = 0; i < 200 && !(await Job.fromId(queue, jobIdFor('cancel', 's', 1))); i++) await new Promise((r) => setTimeout(r, 10));
      expect(await Job.fromId(queue, jobIdFor('cancel', 's', 1))).toBeDefined();
      ac.abort();
      await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED' });
      for (let i = 0; i < 200 && (await Job.fromId(queue, jobIdFor('cancel', 's', 1))); i++) await new Promise((r) => setTimeout(r, 10));
      expect(await Job.fromId(queue, jobIdFor('cancel', 's', 1))).toBeUndefined();
    } finally {
      await queue.close();
    }
  });

  it('routes capability: steps to what the workers provide', async () => {
    const result = await coordinator.run({ name: 'cap', steps: [{ id: 'c', uses: 'capability:echo.any', with: { hello: 'x' } }] } as never);
    expect(result.status).toBe('succeeded');
    expect(coordinator.artifacts.value('cap/c')).toMatchObject({ echoed: { hello: 'x' } });
  });

  it('moves large inputs and outputs by content address and gets them back intact', async () => {
    const text = 'y'.repeat(50_000);
    const result = await coordinator.run({ name: 'large', steps: [{ id: 'in', uses: 'acme.work/echo', with: { text } }, { id: 'out', uses: 'acme.work/big', with: { bytes: 600_000 } }] } as never);
    expect(result.status).toBe('succeeded');
    expect((coordinator.artifacts.value('large/in') as { echoed: { text: string } }).echoed.text).toBe(text);
    expect((coordinator.artifacts.value('large/out') as { text: string }).text.length).toBe(600_000);
    expect((await raw.keys('symphony:blob:*')).length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a corrupted blob with E_ARTIFACT_CORRUPT, streaming chunk by chunk', async () => {
    const bytes = Buffer.alloc(600_000, 7);
    const ref = await putBlob(raw, 'symphony', [bytes], { ttlSeconds: 60 });
    const back: Buffer[] = [];
    for await (const c of streamBlob(raw, 'symphony', ref)) back.push(c);
    expect(Buffer.concat(back).equals(bytes)).toBe(true);
    await raw.lset(`symphony:blob:${ref.sha256}`, 1, Buffer.alloc(256 * 1024, 8));
    const err = await (async () => {
      for await (const _ of streamBlob(raw, 'symphony', ref)) void _;
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_ARTIFACT_CORRUPT' });
  });

  it('a failing step is a coded error on the run, carried back from the worker', async () => {
    const result = await coordinator.run({ name: 'fails', steps: [{ id: 'f', uses: 'acme.work/fail', with: { message: 'boom on the worker' } }] } as never);
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('boom on the worker');
  });

  it('refuses unsigned, forged and malformed jobs with coded failures, and keeps serving', async () => {
    const queue = new Queue('ext.acme.work', { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'symphony' });
    try {
      const body = { v: 1, jobId: 'r:s:1', runId: 'r', stepId: 's', attempt: 1, uses: 'acme.work/echo', input: { n: 1 }, issuedAt: Date.now() };
      const cases: Array<[string, unknown, string]> = [
        ['u:nsigned:1', { body: JSON.stringify({ ...body, jobId: 'u:nsigned:1' }) }, 'E_JOB_SIGNATURE'],
        ['f:orged:1', seal('another-secret', { ...body, jobId: 'f:orged:1' }), 'E_JOB_SIGNATURE'],
        ['s:hape:1', seal(SECRET, { ...body, jobId: 's:hape:1', attempt: 'one' }), 'E_JOB_INVALID'],
        ['o:ther:1', seal(SECRET, { ...body, jobId: 'o:ther:1', uses: 'acme.other/x' }), 'E_JOB_INVALID'],
        ['r:eplay:1', seal(SECRET, body), 'E_JOB_INVALID'],
        ['n:ull:1', null, 'E_JOB_SIGNATURE'],
      ];
      for (const [id, data, code] of cases) {
        const job = await queue.add('x', data, { jobId: id });
        const state = await waitFinished(queue, job.id!);
        expect(state.state, id).toBe('failed');
        expect(JSON.parse(state.reason!).code, id).toBe(code);
      }
      const result = await coordinator.run({ name: 'after', steps: [{ id: 'a', uses: 'acme.work/echo', with: { still: 'alive' } }] } as never);
      expect(result.status).toBe('succeeded');
    } finally {
      await queue.close();
    }
  });

  it('an oversized input is a coded error on the run (E_JOB_INVALID), not a crash', async () => {
    const small = await attachScaleOutOnFresh();
    try {
      const result = await small.symphony.run({ name: 'huge', steps: [{ id: 'h', uses: 'acme.work/echo', with: { text: 'z'.repeat(20_000) } }] } as never);
      expect(result.status).toBe('failed');
      expect(result.error?.code).toBe('E_JOB_INVALID');
    } finally {
      await small.close();
    }
  });

  async function attachScaleOutOnFresh() {
    const symphony = await createSymphony({ home: join(dir, `c-${Math.random()}`), workspace: ws, builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent' });
    const s = await attachScaleOut(symphony, { redis: redis.url, secret: SECRET }, { inlineLimit: 1024, maxBlobBytes: 10_000 });
    return {
      symphony,
      close: async () => {
        await s.detach();
        await symphony.close();
      },
    };
  }
});

async function waitFinished(queue: Queue, id: string): Promise<{ state: string; reason?: string }> {
  for (let i = 0; i < 400; i++) {
    const job = await Job.fromId(queue, id);
    if (job?.finishedOn) return { state: await job.getState(), reason: job.failedReason };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${id} did not finish`);
}
