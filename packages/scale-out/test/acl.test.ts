import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSymphony, type Symphony } from '@symphony/runtime';
import { attachScaleOut, checkSecret, createDispatcher, redisOptions, scaleOutFromEnv, startScaleWorker, type WorkerStage } from '../src/index.js';
import { REDIS_SERVER, SKIP_REASON, startRedis, type TestRedis } from './redis-server.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/extensions', import.meta.url));
// The ACL the README and deploy/docker-compose.yml give: no default user; one user limited to
// the `symphony:*` keys, without @dangerous commands except INFO (BullMQ reads the server version).
const ACL = ['--user', 'default', 'off', '--user', 'symphony', 'on', '>s3cret-pw', '~symphony:*', '&*', '+@all', '-@dangerous', '+info'];

describe('scale-out settings', () => {
  it('reads the environment: URL, secret, ACL user and password, TLS; refuses a URL without a secret', () => {
    expect(scaleOutFromEnv({})).toBeUndefined();
    expect(() => scaleOutFromEnv({ SYMPHONY_REDIS_URL: 'redis://h:1' })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    const c = scaleOutFromEnv({ SYMPHONY_REDIS_URL: 'redis://h:1', SYMPHONY_SCALE_OUT_SECRET: 's', SYMPHONY_REDIS_USERNAME: 'u', SYMPHONY_REDIS_PASSWORD: 'p', SYMPHONY_REDIS_TLS: '1', SYMPHONY_SCALE_OUT_LOCAL: 'a.b, c.d' })!;
    expect(c).toMatchObject({ secret: 's', local: ['a.b', 'c.d'], redis: { url: 'redis://h:1', username: 'u', password: 'p', tls: true } });
    expect(redisOptions(c.redis)).toMatchObject({ host: 'h', port: 1, username: 'u', password: 'p', tls: {} });
    expect(redisOptions({ url: 'rediss://x:y@h/2', tls: { rejectUnauthorized: true, servername: 'h' } })).toMatchObject({ db: 2, username: 'x', password: 'y', tls: { rejectUnauthorized: true, servername: 'h' } });
    expect(scaleOutFromEnv({ SYMPHONY_REDIS_URL: 'redis://h:1', SYMPHONY_SCALE_OUT_SECRET: 's', SYMPHONY_SCALE_OUT_LOCAL: 'none' })!.local).toEqual([]);
    // symphony.config's scaleOut: user and TLS beside the URL; the secret from the environment.
    expect(scaleOutFromEnv({ SYMPHONY_SCALE_OUT_SECRET: 's' }, { redis: 'redis://h:2', username: 'u', tls: true, local: ['x.y'] })).toEqual({ redis: { url: 'redis://h:2', username: 'u', tls: true }, secret: 's', local: ['x.y'] });
    expect(() => checkSecret('short')).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID' }));
    expect(() => redisOptions('http://h')).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => redisOptions('redis://u:pw@h/x')).toThrow(expect.not.stringContaining('pw'));
  });
});

describe.skipIf(!REDIS_SERVER)(`scale-out with a Redis ACL user${REDIS_SERVER ? '' : ` (${SKIP_REASON})`}`, () => {
  let redis: TestRedis;
  let dir: string;
  const open: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    redis = await startRedis(ACL);
    dir = mkdtempSync(join(tmpdir(), 'sym-acl-'));
    mkdirSync(join(dir, 'ws'));
  });
  afterAll(async () => {
    for (const c of open.reverse()) await c();
    await redis?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a step with both sides authenticated as the restricted ACL user', async () => {
    const url = `redis://symphony:s3cret-pw@127.0.0.1:${redis.port}`;
    const host: Symphony = await createSymphony({ home: join(dir, 'w'), workspace: join(dir, 'ws'), builtins: false, extensions: [FIXTURES], policy: 'heuristic', noSync: true, logLevel: 'silent' });
    open.push(() => host.close());
    const worker = await startScaleWorker({ redis: url, secret: 'acl-test-secret-0123456789', stage: host.kernel.service<WorkerStage>('stage') });
    open.push(() => worker.close());
    const coordinator = await createSymphony({ home: join(dir, 'c'), workspace: join(dir, 'ws'), builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent' });
    open.push(() => coordinator.close());
    const scale = await attachScaleOut(coordinator, { redis: { url: `redis://127.0.0.1:${redis.port}`, username: 'symphony', password: 's3cret-pw' }, secret: 'acl-test-secret-0123456789' });
    open.push(() => scale.detach());
    const result = await coordinator.run({ name: 'acl', steps: [{ id: 'a', uses: 'acme.work/echo', with: { ok: 1 } }] } as never);
    expect(result.status).toBe('succeeded');
    expect(coordinator.artifacts.value('acl/a')).toMatchObject({ echoed: { ok: 1 } });
  });

  it('a wrong password or an unknown user is E_REDIS_UNAVAILABLE naming the login, on both sides', async () => {
    const host: Symphony = await createSymphony({ home: join(dir, 'w2'), workspace: join(dir, 'ws'), builtins: false, extensions: [FIXTURES], policy: 'heuristic', noSync: true, logLevel: 'silent' });
    open.push(() => host.close());
    const bad = `redis://symphony:wrong@127.0.0.1:${redis.port}`;
    await expect(startScaleWorker({ redis: bad, secret: 'acl-test-secret-0123456789', stage: host.kernel.service<WorkerStage>('stage') })).rejects.toMatchObject({ code: 'E_REDIS_UNAVAILABLE', message: expect.stringContaining('refused the login') });
    await expect(createDispatcher({ redis: `redis://127.0.0.1:${redis.port}`, secret: 'acl-test-secret-0123456789' })).rejects.toMatchObject({ code: 'E_REDIS_UNAVAILABLE' });
  });
});

describe.skipIf(!REDIS_SERVER)(`scale-out keeps the built-in operators local by default${REDIS_SERVER ? '' : ` (${SKIP_REASON})`}`, () => {
  it('a symphony.files step writes the coordinator workspace even when a worker serves symphony.files; local: [] dispatches it', async () => {
    const redis = await startRedis();
    const dir = mkdtempSync(join(tmpdir(), 'sym-local-'));
    const closers: Array<() => Promise<void> | void> = [];
    const before = process.env.SYMPHONY_WORKSPACE;
    try {
      for (const d of ['cws', 'wws']) mkdirSync(join(dir, d));
      const secret = 'local-test-secret-0123456789';
      // The worker: another process whose workspace is wws (the operators resolve paths against it).
      const env: NodeJS.ProcessEnv = { ...process.env, SYMPHONY_SCALE_OUT_SECRET: secret, WORKER_BUILTINS: '1', SYMPHONY_LOG: 'silent' };
      delete env.SYMPHONY_WORKSPACE;
      const worker = spawn(process.execPath, [fileURLToPath(new URL('./worker-proc.mjs', import.meta.url)), redis.url, join(dir, 'w')], { cwd: join(dir, 'wws'), env, stdio: ['ignore', 'pipe', 'inherit'] });
      closers.push(() => void worker.kill('SIGKILL'));
      await new Promise<void>((resolve, reject) => {
        worker.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
        worker.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
      });
      process.env.SYMPHONY_WORKSPACE = join(dir, 'cws');
      for (const [name, local, where] of [['default', undefined, 'cws'], ['dispatched', [] as string[], 'wws']] as const) {
        const coordinator = await createSymphony({ home: join(dir, `c-${name}`), workspace: join(dir, 'cws'), policy: 'heuristic', noSync: true, logLevel: 'silent' });
        closers.push(() => coordinator.close());
        const scale = await attachScaleOut(coordinator, { redis: redis.url, secret, ...(local ? { local } : {}) });
        closers.push(() => scale.detach());
        expect(scale.dispatcher.extensions().has('symphony.files')).toBe(true);
        const result = await coordinator.run({ name: `w-${name}`, steps: [{ id: 'w', uses: 'symphony.files/write', with: { path: `${name}.txt`, content: name } }] } as never);
        expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
        expect(existsSync(join(dir, where, `${name}.txt`)), `${name}.txt in ${where}`).toBe(true);
      }
    } finally {
      if (before === undefined) delete process.env.SYMPHONY_WORKSPACE;
      else process.env.SYMPHONY_WORKSPACE = before;
      for (const c of closers.reverse()) await c();
      await redis.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
