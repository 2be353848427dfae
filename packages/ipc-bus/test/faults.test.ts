import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '@symphony/types';
import type { CallLogEntry, Supervisor } from '../src/index.js';
import { codeOf, faulty, memoryLogger } from './helpers.js';

const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
function track(s: Supervisor): Supervisor {
  running.push(s);
  return s;
}

describe.each(['worker', 'process'] as const)('faults in %s mode: the host stays up and the next call succeeds', (mode) => {
  it('a handler that throws: the error crosses, nothing restarts', async () => {
    const s = track(faulty(mode));
    expect(await codeOf(s.call('throws'))).toBe('E_ROW_INVALID');
    expect(await s.call('add', { a: 1, b: 1 })).toBe(2);
    expect(s.crashCount).toBe(0);
  });

  it('process.exit(1): E_EXTENSION_CRASHED, then a restart', async () => {
    const s = track(faulty(mode));
    const pid = await s.call('pid');
    expect(await codeOf(s.call('exit'))).toBe('E_EXTENSION_CRASHED');
    expect(await s.call('add', { a: 1, b: 2 })).toBe(3);
    expect(s.crashCount).toBe(1);
    if (mode === 'process') expect(await s.call('pid')).not.toBe(pid);
  });

  it('an infinite loop: E_TIMEOUT, the instance still busy after the grace is terminated, the next call gets a fresh one (no crash)', async () => {
    const s = track(faulty(mode));
    const pid = await s.call('pid');
    const stuck = new Promise((resolve) => s.once('stuck', resolve));
    expect(await codeOf(s.call('loop', undefined, { timeoutMs: 100 }))).toBe('E_TIMEOUT');
    // Sent right away: it waits for the verdict on the busy instance instead of landing on it.
    expect(await s.call('add', { a: 2, b: 2 })).toBe(4);
    expect(await stuck).toMatchObject({ method: 'loop', graceMs: 500 });
    expect(s.crashCount).toBe(0);
    if (mode === 'process') expect(await s.call('pid')).not.toBe(pid);
  });

  it('an aborted call spinning on the CPU: the next call is served by a fresh instance; a handler that lets go keeps its instance', async () => {
    const s = track(faulty(mode));
    const pid = await s.call('pid');
    const stuck: unknown[] = [];
    s.on('stuck', (e) => stuck.push(e));
    // A handler that honours its signal lets go at once: its instance is kept.
    const polite = new AbortController();
    const waiting = s.call('slow', { ms: 5_000 }, { signal: polite.signal });
    setTimeout(() => polite.abort(), 20);
    expect(await codeOf(waiting)).toBe('E_ABORTED');
    expect(await s.call('add', { a: 1, b: 1 })).toBe(2);
    expect(stuck).toEqual([]);
    if (mode === 'process') expect(await s.call('pid')).toBe(pid);
    // A promise deaf to its signal (an awaited timer) never lets go: terminated after the grace.
    const deaf = new AbortController();
    const sleeping = s.call('sleep', 60_000, { signal: deaf.signal });
    setTimeout(() => deaf.abort(), 20);
    expect(await codeOf(sleeping)).toBe('E_ABORTED');
    expect(await s.call('add', { a: 2, b: 1 })).toBe(3);
    expect(stuck).toEqual([{ method: 'sleep', graceMs: 500 }]);
    const spin = new AbortController();
    const spinning = s.call('loop', undefined, { signal: spin.signal });
    setTimeout(() => spin.abort(), 50);
    expect(await codeOf(spinning)).toBe('E_ABORTED');
    expect(await s.call('add', { a: 1, b: 4 })).toBe(5);
    expect(stuck).toHaveLength(2);
    expect(s.crashCount).toBe(0);
    if (mode === 'process') expect(await s.call('pid')).not.toBe(pid);
  });

  it('a memory leak past its heap limit: E_EXTENSION_CRASHED, then a restart', async () => {
    const s = track(faulty(mode, { spec: { memoryLimitMb: 32 } as any }));
    const error: any = await s.call('leak', undefined, { timeoutMs: 15_000 }).catch((e: any) => e);
    expect(error.code).toBe('E_EXTENSION_CRASHED');
    if (mode === 'worker') expect(error.message).toMatch(/memory/i);
    expect(await s.call('add', { a: 3, b: 3 })).toBe(6);
  });
});

describe('faults on the socket transport', () => {
  it('a malformed frame closes that connection only, then a restart', async () => {
    const s = track(faulty('socket'));
    expect(await s.call('echo', 'hi')).toBe('hi');
    const error: any = await s.call('garbage').catch((e: any) => e);
    expect(error.code).toBe('E_EXTENSION_CRASHED');
    expect(error.cause.code).toBe('E_PROTOCOL');
    expect(await s.call('echo', 'again')).toBe('again');
  });

  it('serves calls, progress and errors like the other transports', async () => {
    const s = track(faulty('socket'));
    const seen: number[] = [];
    expect(await s.call('progress', { steps: 2 }, { onProgress: (f) => seen.push(f) })).toBe(2);
    expect(seen).toEqual([0.5, 1]);
    expect(await codeOf(s.call('throws'))).toBe('E_ROW_INVALID');
    expect(await codeOf(s.call('nope'))).toBe('E_METHOD_UNKNOWN');
  });
});

describe('Supervisor', () => {
  it('disables an extension past its crash budget, names its last calls, and re-enables it', async () => {
    const logger = memoryLogger();
    const s = track(faulty('worker', { logger, restart: { maxCrashes: 3, windowMs: 60_000, backoffMs: 5 } }));
    for (let i = 0; i < 3; i++) expect(await codeOf(s.call('exit'))).toBe('E_EXTENSION_CRASHED');
    expect(s.state).toBe('failed');
    const error: any = await s.call('echo', 1).catch((e: any) => e);
    expect(hasErrorCode(error, 'E_EXTENSION_FAILED')).toBe(true);
    expect(error.details.recentCalls.map((c: { method: string }) => c.method)).toEqual(['exit', 'exit', 'exit']);
    const disabled = logger.lines.find((l) => l.msg?.includes('crashed too often'));
    expect(disabled?.obj).toMatchObject({ extensionId: 'test.worker', crashes: 3 });
    s.enable();
    expect(await s.call('echo', 2)).toBe(2);
  });

  it('backs off exponentially between restarts', async () => {
    const s = track(faulty('worker', { restart: { maxCrashes: 10, backoffMs: 40, maxBackoffMs: 1_000 } }));
    await s.start();
    const states: string[] = [];
    s.on('state', (st) => states.push(st));
    await codeOf(s.call('exit'));
    expect(s.state).toBe('restarting');
    await new Promise((r) => s.once('ready', r));
    expect(states).toEqual(['restarting', 'starting', 'running']);
  });

  it('holds calls during the backoff (cancellable), and settles them if stopped', async () => {
    const s = track(faulty('worker', { restart: { maxCrashes: 10, backoffMs: 400, maxBackoffMs: 400 } }));
    await codeOf(s.call('exit'));
    expect(s.state).toBe('restarting');
    expect(await codeOf(s.call('echo', 1, { signal: AbortSignal.timeout(50) }))).toBe('E_ABORTED');
    expect(s.state).toBe('restarting'); // the call waited for the backoff rather than forcing a restart
    expect(await s.call('echo', 2)).toBe(2); // waited for the scheduled restart
    await codeOf(s.call('exit'));
    const waiting = s.call('echo', 3);
    await s.stop();
    expect(await codeOf(waiting)).toBe('E_EXTENSION_STOPPED');
  });

  it('captures stdout and stderr into the host log with the extension id', async () => {
    const logger = memoryLogger();
    const s = track(faulty('process', { logger }));
    await s.call('print', { text: 'hello from the child' });
    await new Promise((r) => setTimeout(r, 50));
    expect(logger.lines).toContainEqual({ level: 'info', obj: { extensionId: 'test.process', stream: 'stdout' }, msg: 'hello from the child' });
    expect(logger.lines).toContainEqual({ level: 'warn', obj: { extensionId: 'test.process', stream: 'stderr' }, msg: 'err:hello from the child' });
  });

  it("hands a call's stdout/stderr lines to its onLog, marked ambiguous when another call was running", async () => {
    const s = track(faulty('process'));
    const alone: CallLogEntry[] = [];
    await s.call('print', { text: 'solo' }, { onLog: (e) => alone.push(e) });
    for (let i = 0; i < 100 && alone.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(alone).toEqual(expect.arrayContaining([{ stream: 'stdout', line: 'solo' }, { stream: 'stderr', line: 'err:solo' }]));
    const slow: CallLogEntry[] = [];
    const printed: CallLogEntry[] = [];
    const running = s.call('slow', { ms: 300 }, { onLog: (e) => slow.push(e) });
    await s.call('print', { text: 'both' }, { onLog: (e) => printed.push(e) });
    for (let i = 0; i < 100 && printed.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    await running;
    expect(printed).toEqual(expect.arrayContaining([{ stream: 'stdout', line: 'both', ambiguous: true }, { stream: 'stderr', line: 'err:both', ambiguous: true }]));
    expect(slow.every((e) => e.ambiguous === true)).toBe(true);
  });

  it('stops gracefully: in-flight calls finish, new ones are refused', async () => {
    const s = track(faulty('process'));
    await s.start();
    const inFlight = s.call('slow', { ms: 100 });
    const stopped = s.stop();
    expect(await codeOf(s.call('echo', 1))).toBe('E_EXTENSION_STOPPED');
    expect(await inFlight).toBe('done');
    await stopped;
    expect(s.state).toBe('stopped');
  });

  it('SIGKILLs a child that ignores SIGTERM once the grace period is over', async () => {
    const s = track(faulty('process', { graceMs: 300 }));
    await s.call('ignoreTerm');
    const pid = (await s.call('pid')) as number;
    await s.stop();
    expect(s.state).toBe('stopped');
    expect(() => process.kill(pid, 0)).toThrow(); // gone
  });

  it('builds child command lines through the spawnWrapper hook', async () => {
    const seen: string[][] = [];
    const s = track(
      faulty('process', {
        spawnWrapper: (cmd, spec) => {
          seen.push([cmd.command, ...cmd.args]);
          return { ...cmd, env: { ...cmd.env, WRAPPED_FOR: spec.id } };
        },
        spec: { memoryLimitMb: 64 } as any,
      }),
    );
    expect(await s.call('echo', 1)).toBe(1);
    expect(seen[0]).toContain('--max-old-space-size=64');
    expect(seen[0]![0]).toBe(process.execPath);
  });

  it('reports a start failure as E_EXTENSION_START', async () => {
    const s = track(faulty('process', { spec: { entry: '/nonexistent/entry.mjs' } as any, startTimeoutMs: 3_000 }));
    const error: any = await s.call('echo', 1).catch((e: any) => e);
    expect(error.code).toBe('E_EXTENSION_START');
    expect(error.details.extensionId).toBe('test.process');
    // The message says why (Node's "Cannot find module") without Node's stack frames; details keep them.
    expect(error.message).toMatch(/Cannot find module/);
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(error.message).not.toMatch(/Node\.js v\d/);
    expect(error.details.stderr).toMatch(/\n\s+at /);
  });
});

describe('unresponsive peers and separately started extensions', () => {
  it('kills a peer that acknowledges nothing for unresponsiveMs, even before the call times out', async () => {
    const s = track(faulty('worker', { limits: { unresponsiveMs: 300 } }));
    await s.start();
    const error: any = await s.call('loop', undefined, { timeoutMs: 60_000 }).catch((e: any) => e);
    expect(error.code).toBe('E_EXTENSION_CRASHED');
    expect(await s.call('echo', 'back')).toBe('back');
  });

  it('serves an extension that was started separately and connects to the host socket', async () => {
    const { spawn } = await import('node:child_process');
    const { existsSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { externalSocketLauncher } = await import('../src/index.js');
    const { FAULTY } = await import('./helpers.js');
    const path = join(mkdtempSync(join(tmpdir(), 'symphony-ext-')), 'host.sock');
    const s = track(faulty('socket', { launcher: externalSocketLauncher(path), startTimeoutMs: 10_000 }));
    const started = s.start();
    await expect.poll(() => existsSync(path), { timeout: 5_000 }).toBe(true); // the host is listening
    const child = spawn(process.execPath, [FAULTY], { env: { ...process.env, SYMPHONY_IPC_SOCKET: path }, stdio: 'ignore' });
    await started;
    expect(await s.call('add', { a: 20, b: 22 })).toBe(42);
    expect(await s.call('pid')).toBe(child.pid);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await s.stop();
    expect(await exited).toBe(0); // it honoured the shutdown request
  });
});
