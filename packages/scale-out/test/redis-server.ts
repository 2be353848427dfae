import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's redis-server, if installed (tests skip with a message otherwise). */
export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
export const SKIP_REASON = 'redis-server is not installed (apt-get install redis-server): scale-out tests skipped';
if (!REDIS_SERVER) console.warn(SKIP_REASON);

export interface TestRedis {
  port: number;
  url: string;
  dir: string;
  proc: ChildProcess;
  /** Stops it (SIGTERM, or SIGKILL with `kill: true`) and waits for the exit. */
  stop(kill?: boolean): Promise<void>;
  /** Starts it again on the same port and directory (AOF replays). */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
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
  throw new Error(`redis-server did not listen on ${port}`);
}

/** A private redis-server on a free loopback port in a temp dir, AOF on (`appendfsync always`). */
export async function startRedis(extraArgs: string[] = []): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error(SKIP_REASON);
  const dir = mkdtempSync(join(tmpdir(), 'sym-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning', ...extraArgs];
  const launch = async () => {
    const proc = spawn(REDIS_SERVER!, args, { stdio: 'ignore' });
    await waitForPort(port, proc);
    return proc;
  };
  const r: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    proc: await launch(),
    async stop(kill = false) {
      if (r.proc.exitCode !== null || r.proc.signalCode !== null) return;
      const exited = new Promise((res) => r.proc.once('exit', res));
      r.proc.kill(kill ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
    async restart() {
      await r.stop();
      r.proc = await launch();
    },
    async cleanup() {
      await r.stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return r;
}
