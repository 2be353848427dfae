import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, symphony } from './cli-harness.js';

const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
const SKIP = 'redis-server is not installed (apt-get install redis-server): `symphony worker` end-to-end test skipped';
if (!REDIS_SERVER) console.warn(SKIP);

const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanup.reverse()) c();
});

describe('symphony worker', () => {
  it('usage errors exit 2 with E_USAGE', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sym-worker-usage-'));
    cleanup.push(() => rmSync(cwd, { recursive: true, force: true }));
    const env = { SYMPHONY_REDIS_URL: '' };
    for (const args of [['worker'], ['worker', '--redis', 'redis://127.0.0.1:1', '--concurrency', '0'], ['worker', '--bogus'], ['worker', '--redis', 'redis://127.0.0.1:1', '--limit', 'fast']]) {
      const r = await symphony(args, { cwd, env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('[E_USAGE]');
    }
  });

  it.skipIf(!REDIS_SERVER)(`runs the steps a coordinator (symphony run with SYMPHONY_REDIS_URL) dispatches${REDIS_SERVER ? '' : ` (${SKIP})`}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sym-worker-e2e-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const redis = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    cleanup.push(() => redis.kill('SIGKILL'));
    await waitPort(port);
    const url = `redis://127.0.0.1:${port}`;
    const secret = { SYMPHONY_SCALE_OUT_SECRET: 'cli-test-secret-0123456789' };
    const workerLog = join(dir, 'worker.log');
    const coordLog = join(dir, 'coord.log');
    const worker: ChildProcess = spawn(process.execPath, [CLI, 'worker', '--redis', url, '--extension-dir', join(FIXTURES, 'slow', 'extensions'), '--extensions', 'test.sleepy', '--home', join(dir, 'whome')], {
      cwd: mkdirSync(join(dir, 'wws'), { recursive: true }) ?? join(dir, 'wws'),
      env: { ...process.env, ...secret, SLEEPY_LOG: workerLog, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.push(() => worker.kill('SIGKILL'));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      worker.stdout!.on('data', (d) => {
        out += String(d);
        if (out.includes('consuming')) resolve();
      });
      let err = '';
      worker.stderr!.on('data', (d) => (err += String(d)));
      worker.once('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
    });
    expect(out).toContain('consuming ext.test.sleepy');
    mkdirSync(join(dir, 'cws'));
    const run = await symphony(['run', join(FIXTURES, 'slow', 'workflow.yaml'), '--json', '--home', join(dir, 'chome')], { cwd: join(dir, 'cws'), env: { ...secret, SYMPHONY_REDIS_URL: url, SLEEPY_LOG: coordLog } });
    expect(run.code, run.stderr).toBe(0);
    // Every step ran on the worker, none on the coordinator.
    expect(readFileSync(workerLog, 'utf8').trim().split('\n')).toEqual(['1', '2', '3', '4']);
    expect(existsSync(coordLog)).toBe(false);
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.end();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('redis-server did not start');
}
