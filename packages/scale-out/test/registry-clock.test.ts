import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, WORKER_TTL_MS, workerCatalog } from '../src/index.js';
import { REDIS_SERVER, SKIP_REASON, startRedis, type TestRedis } from './redis-server.js';

// Outsider attack (issue 19): a worker registry entry stamped in the future (forged by anyone who
// can write to Redis, or left by a worker machine whose clock runs ahead, then killed) was live
// forever: the coordinator kept dispatching that extension's steps to a queue nobody consumed and
// the run hung. Liveness is judged on Redis' clock, and a heartbeat from the future is not live.
describe.skipIf(!REDIS_SERVER)(`worker registry liveness on Redis' clock${REDIS_SERVER ? '' : ` (${SKIP_REASON})`}`, () => {
  let redis: TestRedis;
  let client: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.cleanup();
  });

  it('an entry from the future is neither listed nor dispatched to; a fresh one is', async () => {
    const [s] = (await client.time()) as unknown as [string | number, string | number];
    const now = Number(s) * 1000;
    const entry = (id: string, ext: string, seen: number) => JSON.stringify({ id, host: 'x', pid: 1, concurrency: 1, seen, extensions: [{ id: ext, methods: ['m'], capabilities: [] }], providers: {} });
    await client.hset('symphony:workers', 'future', entry('future', 'acme.future', now + 1_000 * WORKER_TTL_MS));
    await client.hset('symphony:workers', 'fresh', entry('fresh', 'acme.fresh', now));
    expect((await workerCatalog({ redis: redis.url })).map((e) => e.id)).toEqual(['acme.fresh']);
    const dispatcher = await createDispatcher({ redis: redis.url, secret: 'test-secret-0123456789', sweepMs: 100_000 });
    try {
      expect([...dispatcher.extensions().keys()]).toEqual(['acme.fresh']);
    } finally {
      await dispatcher.close();
    }
  });
});
