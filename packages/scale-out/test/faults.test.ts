import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSymphony, type Symphony } from '@symphony/runtime';
import { Job, Queue } from 'bullmq';
import { attachScaleOut, createDispatcher, jobIdFor, type ScaleOut } from '../src/index.js';
import { REDIS_SERVER, SKIP_REASON, startRedis, type TestRedis } from './redis-server.js';

const SECRET = 'fault-secret-0123456789';
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

const children: ChildProcess[] = [];
function child(script: string, args: string[]): { proc: ChildProcess; line: (prefix: string) => Promise<string> } {
  const proc = spawn(process.execPath, [here(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SYMPHONY_SCALE_OUT_SECRET: SECRET, SYMPHONY_LOG: 'silent' } });
  children.push(proc);
  let out = '';
  const waiters: Array<() => void> = [];
  proc.stdout!.on('data', (d) => {
    out += String(d);
    for (const w of waiters.splice(0)) w();
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err += String(d)));
  const line = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const found = out.split('\n').find((l) => l.startsWith(prefix));
        if (found) return resolve(found.slice(prefix.length).trim());
        if (proc.exitCode !== null) return reject(new Error(`${script} exited ${proc.exitCode}: ${err}`));
        waiters.push(look);
      };
      proc.once('exit', look);
      look();
    });
  return { proc, line };
}
const kill = (p: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') =>
  new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill(signal);
  });
async function until(what: string, fn: () => boolean | Promise<boolean>, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

describe.skipIf(!REDIS_SERVER)(`scale-out faults, with real processes${REDIS_SERVER ? '' : ` (${SKIP_REASON})`}`, () => {
  let redis: TestRedis;
  let dir: string;
  let ws: string;
  const open: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'sym-faults-'));
    ws = join(dir, 'ws');
    mkdirSync(ws);
  });
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
    await Promise.all(children.splice(0).map((p) => kill(p)));
  });
  afterAll(async () => {
    await redis?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function coordinator(home: string): Promise<{ symphony: Symphony; scale: ScaleOut }> {
    const symphony = await createSymphony({ home, workspace: ws, builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent' });
    const scale = await attachScaleOut(symphony, { redis: redis.url, secret: SECRET }, { sweepMs: 200 });
    open.push({ close: () => symphony.close() }, { close: () => scale.detach() });
    return { symphony, scale };
  }

  it('a worker SIGKILLed mid-step: the stalled job is re-delivered to another worker and the run succeeds', async () => {
    const marker = join(dir, 'kill-worker.log');
    const a = child('worker-proc.mjs', [redis.url, join(dir, 'wa'), '1000', '1']);
    await a.line('ready');
    const { symphony, scale } = await coordinator(join(dir, 'c1'));
    await until('the worker in the registry', async () => (await scale.dispatcher.refresh(), scale.dispatcher.extensions().has('acme.work')));
    const run = symphony.run({ name: 'kill-worker', steps: [{ id: 's', uses: 'acme.work/slow', with: { ms: 1500, marker, tag: 's' } }] } as never);
    await until('the step started on worker A', () => lines(marker).some((l) => l.startsWith('start s')));
    await kill(a.proc);
    const b = child('worker-proc.mjs', [redis.url, join(dir, 'wb'), '1000', '1']);
    await b.line('ready');
    const result = await run;
    expect(result.status).toBe('succeeded');
    const log = lines(marker);
    // Started on A (killed, never ended there), then run to its end on B, whose output the run kept.
    expect(log).toContain(`start s ${a.proc.pid}`);
    expect(log).not.toContain(`end s ${a.proc.pid}`);
    expect(log).toContain(`end s ${b.proc.pid}`);
    expect(symphony.artifacts.value('kill-worker/s')).toMatchObject({ pid: b.proc.pid });
  });

  it('a worker paused (SIGSTOP) past its lock: the job is re-delivered and its late result is fenced off by the lock token', async () => {
    const marker = join(dir, 'stop-worker.log');
    const a = child('worker-proc.mjs', [redis.url, join(dir, 'wsa'), '1000', '1']);
    await a.line('ready');
    const { symphony, scale } = await coordinator(join(dir, 'c5'));
    await until('the worker in the registry', async () => (await scale.dispatcher.refresh(), scale.dispatcher.extensions().has('acme.work')));
    const run = symphony.run({ name: 'stop-worker', steps: [{ id: 's', uses: 'acme.work/slow', with: { ms: 1200, marker, tag: 's' } }] } as never);
    await until('the step started on worker A', () => lines(marker).some((l) => l.startsWith('start s')));
    a.proc.kill('SIGSTOP');
    const b = child('worker-proc.mjs', [redis.url, join(dir, 'wsb'), '1000', '1']);
    await b.line('ready');
    const result = await run;
    expect(result.status).toBe('succeeded');
    expect(symphony.artifacts.value('stop-worker/s')).toMatchObject({ pid: b.proc.pid });
    // A wakes up, finishes its copy, and cannot complete the job any more (its lock is gone).
    a.proc.kill('SIGCONT');
    await until('A finished its late copy', () => lines(marker).includes(`end s ${a.proc.pid}`));
    await new Promise((r) => setTimeout(r, 300));
    const queue = new Queue('ext.acme.work', { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'symphony' });
    try {
      const job = await Job.fromId(queue, jobIdFor(result.runId, 's', 1));
      expect(await job!.getState()).toBe('completed');
      expect(JSON.parse((job!.returnvalue as { body: string }).body).output.pid).toBe(b.proc.pid);
    } finally {
      await queue.close();
    }
  });

  it('the coordinator SIGKILLed: a restarted one resumes the run, re-attaches to the job by id and collects the result', async () => {
    const marker = join(dir, 'kill-coord.log');
    const w = child('worker-proc.mjs', [redis.url, join(dir, 'wc'), '2000', '2']);
    await w.line('ready');
    const home = join(dir, 'c2');
    const c = child('coordinator-proc.mjs', [redis.url, home, ws, marker]);
    const runId = await c.line('run');
    await until('the step started', () => lines(marker).some((l) => l.startsWith('start slow')));
    await kill(c.proc);
    // The step finishes on the worker while no coordinator is there.
    await until('the step ended', () => lines(marker).some((l) => l.startsWith('end slow')));
    const { symphony } = await coordinator(home);
    const result = await symphony.resume(runId);
    expect(result.status).toBe('succeeded');
    expect(symphony.artifacts.value('kill-coordinator/after')).toMatchObject({ echoed: { got: 'slow' } });
    // Collected, not run again.
    expect(lines(marker).filter((l) => l.startsWith('start slow'))).toHaveLength(1);
  });

  it('Redis SIGKILLed and restarted from its AOF, unreachable meanwhile: dispatch pauses with a status, resumes, nothing lost', async () => {
    const marker = join(dir, 'redis-restart.log');
    const w = child('worker-proc.mjs', [redis.url, join(dir, 'wd'), '2000', '2']);
    await w.line('ready');
    const { symphony, scale } = await coordinator(join(dir, 'c3'));
    await until('the worker in the registry', async () => (await scale.dispatcher.refresh(), scale.dispatcher.extensions().has('acme.work')));
    const run = symphony.run({ name: 'redis-restart', steps: [{ id: 'a', uses: 'acme.work/slow', with: { ms: 300, marker, tag: 'a' } }, { id: 'b', uses: 'acme.work/slow', with: { ms: 300, marker, tag: 'b' } }, { id: 'c', uses: 'acme.work/echo', needs: ['a', 'b'], with: { ok: true } }] } as never);
    await until('a step started', () => lines(marker).length > 0);
    // SIGKILL: only what the AOF (appendfsync always) holds survives.
    await redis.stop(true);
    await until('status down', () => scale.dispatcher.status().redis === 'down');
    expect(scale.dispatcher.status().pending).toBeGreaterThanOrEqual(0);
    await new Promise((r) => setTimeout(r, 300));
    await redis.restart();
    await until('status up', () => scale.dispatcher.status().redis === 'up');
    const result = await run;
    expect(result.status).toBe('succeeded');
    expect(symphony.artifacts.value('redis-restart/c')).toMatchObject({ echoed: { ok: true } });
  });

  it('a dispatcher refuses to start without a secret, and results signed with another secret are discarded', async () => {
    await expect(createDispatcher({ redis: redis.url, secret: '' })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    const w = child('worker-proc.mjs', [redis.url, join(dir, 'we'), '2000', '1']);
    await w.line('ready');
    // This coordinator signs with another secret: the worker refuses its jobs, the run fails with the code.
    const symphony = await createSymphony({ home: join(dir, 'c4'), workspace: ws, builtins: false, policy: 'heuristic', noSync: true, logLevel: 'silent' });
    const scale = await attachScaleOut(symphony, { redis: redis.url, secret: 'not-the-workers-secret' }, { sweepMs: 200 });
    open.push({ close: () => symphony.close() }, { close: () => scale.detach() });
    const result = await symphony.run({ name: 'wrong-secret', steps: [{ id: 'a', uses: 'acme.work/echo', with: {} }] } as never);
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('E_JOB_SIGNATURE');
  });
});
