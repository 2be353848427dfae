/**
 * The escape tests: a hostile `process`-mode extension (fixtures/escaper) started by the real
 * stage (extension-loader + ipc-bus) under the real sandbox plugin, trying each escape directly.
 * Each must be refused, reach the caller as a coded error, leave an audit entry, and leave the
 * host (and the extension, after a restart) serving.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '@symphony/kernel';
import { stagePlugin } from '@symphony/extension-loader';
import { probeBubblewrap, sandboxPlugin, type AuditEntry } from '../src/index.js';
import { tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures');
const bwrap = probeBubblewrap();
if (!bwrap.available) console.warn(`[sandbox escape tests] bubblewrap cannot run here; only the degraded mode is tested: ${bwrap.reason}`);

const modes = [
  { name: 'with bubblewrap', bubblewrap: 'require' as const, skip: !bwrap.available },
  { name: 'without bubblewrap (degraded)', bubblewrap: 'off' as const, skip: false },
];

let server: Server;
let port: number;
beforeAll(async () => {
  // Clients hang up at once; a reset on the server side is expected, not an error.
  server = createServer((socket) => socket.on('error', () => {}).end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => server?.close());

describe.each(modes)('a hostile process-mode extension, $name', ({ bubblewrap, skip }) => {
  let root: { dir: string; cleanup: () => void };
  let kernel: Kernel;
  let ws: string;
  let outside: string;
  const call = (method: string, input: unknown = {}) => kernel.service('stage').call(`evil.escaper/${method}`, input, { timeoutMs: 20_000 });
  const audit = (): AuditEntry[] => kernel.service('sandbox').audit.read({ extensionId: 'evil.escaper' });

  beforeAll(async () => {
    if (skip) return;
    root = tempDir();
    ws = join(root.dir, 'ws');
    outside = join(root.dir, 'outside');
    mkdirSync(ws);
    mkdirSync(outside);
    writeFileSync(join(ws, 'data.txt'), 'workspace data');
    writeFileSync(join(outside, 'secret.txt'), 'outside secret');
    symlinkSync(join(outside, 'secret.txt'), join(ws, 'planted'));
    kernel = createKernel({
      plugins: [sandboxPlugin, stagePlugin],
      config: {
        pluginOptions: {
          sandbox: { home: join(root.dir, 'home'), workspace: ws, bubblewrap, limits: { memoryMb: 64, cpuMs: 400, maxOpenFiles: 160 } },
          stage: {
            dirs: [join(fixtures, 'escaper')],
            env: { ...process.env, ESCAPE_SECRET: 'hunter2', ESCAPE_GRANTED: 'visible' },
            restart: { maxCrashes: 20, windowMs: 60_000, backoffMs: 10, maxBackoffMs: 50 },
          },
        },
      },
    });
    await kernel.start();
  });
  afterAll(async () => {
    if (skip) return;
    await kernel.stop();
    root.cleanup();
  });

  it.skipIf(skip)('serves what it is granted', async () => {
    expect(await call('ping')).toBe('pong');
    expect(await call('readWorkspace', { path: join(ws, 'data.txt') })).toBe('workspace data');
    expect(await call('env', { name: 'ESCAPE_GRANTED' })).toBe('visible');
    // Relative paths mean the workspace: the child runs there, not in its own folder.
    expect(await call('cwd')).toBe(ws);
    expect(await call('readWorkspace', { path: 'data.txt' })).toBe('workspace data');
  });

  const refusals: Array<[string, string, () => unknown, string | RegExp]> = [
    ['reads /etc/passwd', 'readPasswd', () => ({}), '/etc/passwd'],
    ['writes outside the workspace', 'writeFile', () => ({ path: join(outside, 'pwned.txt') }), /outside\/pwned\.txt$/],
    ['traverses out with ..', 'readFile', () => ({ path: `${ws}/../outside/secret.txt` }), /outside\/secret\.txt$/],
    // Inside bubblewrap the link's target is not even mounted, so the refusal names the link itself.
    ['follows a symlink planted in the workspace', 'readFile', () => ({ path: join(ws, 'planted') }), /(outside\/secret\.txt|ws\/planted)$/],
    ['spawns a child process without the grant', 'spawn', () => ({}), '/bin/echo'],
    ['reads an environment variable it was not granted', 'env', () => ({ name: 'ESCAPE_SECRET' }), 'ESCAPE_SECRET'],
    ['connects to a TCP listener on 127.0.0.1 without a net grant', 'tcp', () => ({ port }), /^127\.0\.0\.1:\d+$/],
  ];

  it.skipIf(skip).each(refusals)('%s: E_PERMISSION_DENIED, audited, host still serving', async (_what, method, input, target) => {
    const before = audit().length;
    const error = await call(method, input()).then(
      (value) => ({ code: 'RESOLVED', value }),
      (e: { code: string; details?: Record<string, unknown>; message: string }) => e,
    );
    expect(error).toMatchObject({ code: 'E_PERMISSION_DENIED' });
    const entries = audit().slice(before);
    expect(entries).toEqual([expect.objectContaining({ kind: 'deny', extensionId: 'evil.escaper', version: '1.0.0', target: expect.stringMatching(target instanceof RegExp ? target : new RegExp(`^${target}$`)) })]);
    expect(await call('ping')).toBe('pong');
    expect(existsSync(join(outside, 'pwned.txt'))).toBe(false);
  });

  it.skipIf(skip)('allocating past its memory limit: E_RESOURCE_LIMIT, audited, restarted', async () => {
    await expect(call('allocate')).rejects.toMatchObject({ code: 'E_RESOURCE_LIMIT', details: { limit: 'memory' } });
    expect(audit().at(-1)).toMatchObject({ kind: 'limit', operation: 'allocate', rule: 'limits.memoryMb=64' });
    expect(await call('ping')).toBe('pong');
  });

  it.skipIf(skip)('opening files past its open-file limit: E_RESOURCE_LIMIT, audited', async () => {
    await expect(call('hoardFiles', { path: join(ws, 'data.txt') })).rejects.toMatchObject({ code: 'E_RESOURCE_LIMIT', details: { limit: 'open files' } });
    expect(audit().at(-1)).toMatchObject({ kind: 'limit', operation: 'hoardFiles', rule: 'limits.maxOpenFiles=160' });
    expect(await call('ping')).toBe('pong');
  });

  it.skipIf(skip)('burning CPU past its budget: E_RESOURCE_LIMIT, audited, restarted', async () => {
    await expect(call('burnCpu')).rejects.toMatchObject({ code: 'E_RESOURCE_LIMIT', details: { limit: 'cpu' } });
    expect(audit().at(-1)).toMatchObject({ kind: 'limit', operation: 'burnCpu', rule: 'limits.cpuMs=400' });
    expect(await call('ping')).toBe('pong');
  });

  it.skipIf(skip)('the launch itself is on record: bubblewrap or a loud degraded warning', () => {
    const warnings = audit().filter((e) => e.kind === 'warning');
    if (bubblewrap === 'off') expect(warnings.some((w) => /SANDBOX DEGRADED/.test(w.detail ?? ''))).toBe(true);
    else expect(warnings.some((w) => /SANDBOX DEGRADED/.test(w.detail ?? ''))).toBe(false);
  });
});

describe('a handler that ignores cancellation after its wall-time limit', () => {
  it('times out for the caller (E_TIMEOUT), then is killed, audited and restarted', async () => {
    const root = tempDir();
    const ws = join(root.dir, 'ws');
    mkdirSync(ws);
    const kernel = createKernel({
      plugins: [sandboxPlugin, stagePlugin],
      config: {
        pluginOptions: {
          sandbox: { home: join(root.dir, 'home'), workspace: ws, bubblewrap: bwrap.available ? 'require' : 'off', limits: { wallTimeMs: 500 } },
          stage: { dirs: [join(fixtures, 'escaper')], restart: { maxCrashes: 20, backoffMs: 10 } },
        },
      },
    });
    try {
      await kernel.start();
      // Starting counts against a call's time: pings get room for it, `hang` gets the 500 ms limit.
      const call = (method: string, timeoutMs?: number) => kernel.service('stage').call(`evil.escaper/${method}`, {}, timeoutMs ? { timeoutMs } : {});
      expect(await call('ping', 20_000)).toBe('pong');
      await expect(call('hang')).rejects.toMatchObject({ code: 'E_TIMEOUT' });
      const sandbox = kernel.service('sandbox');
      // The process answers pings, so the bus would keep it; the sandbox ends it 1 s later.
      for (let i = 0; i < 100 && sandbox.audit.read({ kind: 'limit' }).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(sandbox.audit.read({ kind: 'limit' }).at(-1)).toMatchObject({ operation: 'hang', rule: 'limits.wallTimeMs=500' });
      expect(await call('ping', 20_000)).toBe('pong');
    } finally {
      await kernel.stop();
      root.cleanup();
    }
  });
});
