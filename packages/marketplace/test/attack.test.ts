/**
 * The attack suite: a hostile extension installed through the real path (written, packed,
 * signed, published to a Symphony registry on 127.0.0.1, its publisher trusted, installed by the
 * marketplace with its install-time start check), then started by the real stage under the real
 * sandbox, with bubblewrap and in degraded mode. Every attack must be refused, leave an audit
 * entry, and leave the host (this test process) alive and the extension serving again.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '@symphony/kernel';
import { createStagePlugin } from '@symphony/extension-loader';
import { probeBubblewrap, sandboxPlugin, type AuditEntry } from '@symphony/sandbox';
import { packExtension, readPackage, writePackageFiles } from '@symphony/sdk';
import { createMarketplace, type Marketplace } from '../src/index.js';
import { startRegistry, tempDir } from './fixtures.js';

const bwrap = probeBubblewrap();
if (!bwrap.available) console.warn(`[attack suite] bubblewrap cannot run here; only the degraded mode is tested: ${bwrap.reason}`);

const SECRET = 'hunter2-attack-secret';
let reg: Awaited<ReturnType<typeof startRegistry>>;
let root: string;
let outside: string;
let tcp: Server;
let unix: Server;
let port: number;
let unixPath: string;

/** The hostile module: nothing but Node built-ins, every method a direct attack. */
function hostileSource(paths: { outside: string; home: string; ws: string; version: string }): string {
  return `import fs from 'node:fs';
import net from 'node:net';
import cp from 'node:child_process';
import inspector from 'node:inspector';
import { join } from 'node:path';

// Top level: runs at install time (the start check) and at every start.
let secret;
try { secret = process.env.ATTACK_SECRET ?? 'absent'; } catch { secret = 'refused'; }
try { fs.writeFileSync(${JSON.stringify(join(paths.outside, 'top-level-ran-unconfined.txt'))}, String(secret)); } catch {}
try { fs.writeFileSync(join(${JSON.stringify(paths.ws)}, 'top-level.txt'), String(secret)); } catch {}

const swallow = async (fn) => { try { await fn(); return 'done'; } catch { return 'swallowed'; } };
const methods = {
  ping: () => 'pong',
  readTokens: () => fs.readFileSync(${JSON.stringify(join(paths.home, 'tokens.json'))}, 'utf8'),
  overwriteGrants: () => fs.writeFileSync(${JSON.stringify(join(paths.home, 'grants.json'))}, JSON.stringify({ version: 1, grants: { ${JSON.stringify(`acme.hostile@${paths.version}`)}: [{ permission: 'fs.read', value: '/', effect: 'allow', at: 'x' }] } })),
  readOutside: () => fs.readFileSync(${JSON.stringify(join(paths.outside, 'secret.txt'))}, 'utf8'),
  createAndList: () => { fs.writeFileSync(join(${JSON.stringify(paths.ws)}, 'created.txt'), 'hi'); return fs.readdirSync(${JSON.stringify(paths.ws)}); },
  flood: () => {
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < 48; i++) {
      for (let off = 0; off < chunk.length;) {
        try { off += fs.writeSync(1, chunk, off); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
      }
    }
    return 'flooded';
  },
  longLine: () => { process.stderr.write('y'.repeat(200 * 1024) + '\\n'); return 'long'; },
  spin: () => { for (;;) {} },
  forgeReply: () => { const h = Buffer.alloc(4); h.writeUInt32BE(0x40000000); fs.writeSync(3, h); fs.writeSync(3, Buffer.alloc(64 * 1024)); return new Promise(() => {}); },
  killHost: () => process.kill(process.ppid, 'SIGTERM'),
  inspectHost: () => process.kill(process.ppid, 'SIGUSR1'),
  killGroup: () => process.kill(0, 'SIGTERM'),
  rawKill: () => process._kill(process.ppid, 15),
  unixSocket: ({ path }) => new Promise((resolve, reject) => { const s = net.connect(path, () => { s.destroy(); resolve('connected'); }); s.on('error', reject); }),
  abstractSocket: () => new Promise((resolve, reject) => { const s = net.connect('\\0symphony-attack', () => { s.destroy(); resolve('connected'); }); s.on('error', reject); }),
  listen: () => new Promise((resolve, reject) => { const srv = net.createServer(); srv.on('error', reject); srv.listen(0, '127.0.0.1', () => { srv.close(); resolve('listening'); }); }),
  dlopen: () => { const m = { exports: {} }; process.dlopen(m, '/usr/lib/x86_64-linux-gnu/libc.so.6'); return 'loaded'; },
  inspector: () => { inspector.open(0); return 'open'; },
  spawn: () => cp.execFileSync('/bin/sh', ['-c', 'id'], { encoding: 'utf8' }),
  swallowedFetch: ({ port }) => swallow(() => fetch('http://127.0.0.1:' + port + '/')),
  swallowedSignal: () => swallow(() => process.kill(process.ppid, 'SIGUSR1')),
};
export default {
  [Symbol.for('symphony.extension')]: true,
  kind: 'operator',
  manifest: { id: 'acme.hostile', version: ${JSON.stringify(paths.version)}, kind: 'operator' },
  methods,
  dispatch: (method, input) => methods[method](input),
};
`;
}

beforeAll(async () => {
  process.env.ATTACK_SECRET = SECRET;
  reg = await startRegistry();
  root = realpathSync(await tempDir('attack'));
  outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'outside secret');
  tcp = createServer((socket) => socket.on('error', () => {}).end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  port = (tcp.address() as { port: number }).port;
  unixPath = join(outside, 'agent.sock');
  unix = createServer((socket) => socket.on('error', () => {}).end('hello'));
  await new Promise<void>((resolve) => unix.listen(unixPath, resolve));
});
afterAll(async () => {
  delete process.env.ATTACK_SECRET;
  tcp?.close();
  unix?.close();
  await reg?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('refused at install time, before anything is written', () => {
  it('a package.json dependency named ../../../etc: E_DEPENDENCY_INVALID, nothing installed', async () => {
    const home = join(root, 'home-deps');
    await reg.publish({ id: 'acme.deps', version: '1.0.0', files: { 'package.json': JSON.stringify({ name: 'acme.deps', version: '1.0.0', dependencies: { '../../../etc': '*', '../.ssh': '*' } }) } });
    const mkt = await createMarketplace({ home, registries: [reg.url], consent: () => true });
    await mkt.trust('acme', ['acme'], reg.acme.publicKey);
    await expect(mkt.install('acme.deps')).rejects.toMatchObject({ code: 'E_DEPENDENCY_INVALID', details: { dependency: '../../../etc' } });
    expect(await mkt.list()).toEqual([]);
  });
});

const modes = [
  { name: 'with bubblewrap', bubblewrap: 'require' as const, skip: !bwrap.available },
  { name: 'degraded (no bubblewrap)', bubblewrap: 'off' as const, skip: false },
];

describe.each(modes)('a hostile extension installed through the real path, $name', ({ name, bubblewrap, skip }) => {
  let home: string;
  let ws: string;
  let mkt: Marketplace;
  let kernel: Kernel;
  const call = (method: string, input: unknown = {}) => kernel.service('stage').call(`acme.hostile/${method}`, input, { timeoutMs: 15_000 });
  const audit = (): AuditEntry[] => kernel.service('sandbox').audit.read({ extensionId: 'acme.hostile' });
  const settle = async (cond: () => boolean) => {
    for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 30));
  };

  beforeAll(async () => {
    if (skip) return;
    home = join(root, `home-${bubblewrap}`);
    ws = join(root, `ws-${bubblewrap}`);
    mkdirSync(ws, { recursive: true });
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'tokens.json'), JSON.stringify({ admin: 'secret-token' }));
    // One version per mode: its paths are baked in (a hostile author knows where homes live).
    const version = bubblewrap === 'off' ? '1.0.1' : '1.0.2';
    await reg.publish({ id: 'acme.hostile', version, permissions: { fs: { read: ['${workspace}'], write: ['${workspace}'] } }, code: hostileSource({ outside, home, ws, version }) });
    // Packing imports the entry in the author's own process (the SDK compares code and manifest):
    // what that left behind is the author's business; from here on only the install path runs it.
    rmSync(join(outside, 'top-level-ran-unconfined.txt'), { force: true });
    rmSync(join(ws, 'top-level.txt'), { force: true });
    mkt = await createMarketplace({ home, registries: [reg.url], consent: () => true, workspace: ws, bubblewrap });
    await mkt.trust('acme', ['acme'], reg.acme.publicKey);
    await mkt.install(`acme.hostile@${version}`);
    kernel = createKernel({
      plugins: [sandboxPlugin, createStagePlugin({ dirs: [{ path: join(home, 'extensions'), mode: 'process' }], restart: { maxCrashes: 50, windowMs: 60_000, backoffMs: 10, maxBackoffMs: 50 }, pingIntervalMs: 300, pingTimeoutMs: 300 })],
      config: { pluginOptions: { sandbox: { home, workspace: ws, bubblewrap, limits: { maxOutputBytesPerSecond: 512 * 1024, cpuMs: 60_000, wallTimeMs: 20_000 } } } },
    });
    await kernel.start();
  });
  afterAll(async () => {
    if (skip) return;
    await kernel?.stop();
  });

  it.skipIf(skip)('its top level ran at install time only inside the sandbox: no write outside, no secret', () => {
    expect(existsSync(join(outside, 'top-level-ran-unconfined.txt'))).toBe(false);
    // It did run (in the sandbox, where the workspace is granted), without the host's environment.
    expect(['absent', 'refused']).toContain(readFileSync(join(ws, 'top-level.txt'), 'utf8'));
    const log = readFileSync(join(home, 'audit.jsonl'), 'utf8');
    expect(log).toContain('top-level-ran-unconfined.txt');
  });

  it.skipIf(skip)('starts with the home outside the workspace, and may create and list files in the workspace', async () => {
    expect(await call('ping')).toBe('pong');
    expect(await call('createAndList')).toEqual(expect.arrayContaining(['created.txt', 'top-level.txt']));
  });

  const refusals: Array<[string, string, () => unknown, RegExp]> = [
    ['reads the home\'s tokens.json', 'readTokens', () => ({}), /tokens\.json$/],
    ['overwrites the home\'s grants.json', 'overwriteGrants', () => ({}), /grants\.json$/],
    ['reads a file outside its grants', 'readOutside', () => ({}), /secret\.txt$/],
    ['sends SIGTERM to the host', 'killHost', () => ({}), /^pid \d+$/],
    ['sends SIGUSR1 to the host (its inspector)', 'inspectHost', () => ({}), /^pid \d+$/],
    ['signals its process group', 'killGroup', () => ({}), /^pid 0$/],
    ['calls process._kill directly', 'rawKill', () => ({}), /^pid \d+$/],
    ['connects to a unix socket', 'unixSocket', () => ({ path: unixPath }), /^unix:.*agent\.sock$/],
    ['connects to an abstract socket', 'abstractSocket', () => ({}), /^unix:\0symphony-attack$/],
    ['listens for connections', 'listen', () => ({}), /^listen$/],
    ['loads native code', 'dlopen', () => ({}), /libc\.so\.6$/],
    ['opens the inspector', 'inspector', () => ({}), /^inspector$/],
    ['starts a shell', 'spawn', () => ({}), /^\/bin\/sh$/],
  ];

  it.skipIf(skip).each(refusals)('%s: E_PERMISSION_DENIED, audited, host alive', async (_what, method, input, target) => {
    const before = audit().length;
    await expect(call(method, input())).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    await settle(() => audit().length > before);
    expect(audit().slice(before)).toEqual([expect.objectContaining({ kind: 'deny', target: expect.stringMatching(target) })]);
    expect(await call('ping')).toBe('pong');
  });

  it.skipIf(skip)('refusals it swallows (fetch, a signal) are audited all the same', async () => {
    const before = audit().length;
    expect(await call('swallowedFetch', { port })).toBe('swallowed');
    expect(await call('swallowedSignal')).toBe('swallowed');
    await settle(() => audit().length >= before + 2);
    const targets = audit().slice(before).map((e) => e.target);
    expect(targets).toEqual(expect.arrayContaining([`127.0.0.1:${port}`, expect.stringMatching(/^pid \d+$/)]));
  });

  it.skipIf(skip)('48 MB of stdout without a newline: killed with E_RESOURCE_LIMIT, audited, host alive', async () => {
    const before = audit().length;
    await expect(call('flood')).rejects.toMatchObject({ code: 'E_RESOURCE_LIMIT', details: { limit: 'output' } });
    expect(audit().slice(before)).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'limit', rule: 'limits.maxOutputBytesPerSecond=524288' })]));
    expect(await call('ping')).toBe('pong');
  });

  it.skipIf(skip)('a 200 KB line is truncated and audited; the extension keeps serving', async () => {
    const before = audit().length;
    expect(await call('longLine')).toBe('long');
    await settle(() => audit().length > before);
    expect(audit().slice(before)).toEqual([expect.objectContaining({ kind: 'limit', rule: 'limits.maxOutputLineBytes=8192' })]);
  });

  it.skipIf(skip)('a forged 1 GiB reply frame: refused from its header, killed with E_RESOURCE_LIMIT, audited', async () => {
    const before = audit().length;
    await expect(call('forgeReply')).rejects.toMatchObject({ code: 'E_RESOURCE_LIMIT', details: { limit: 'message size' } });
    expect(audit().slice(before)).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'limit', rule: expect.stringMatching(/^maxFrameBytes=/) })]));
    expect(await call('ping')).toBe('pong');
  });

  it.skipIf(skip)('a loop that never yields: E_TIMEOUT and an audit entry, not a crash', async () => {
    const before = audit().length;
    await expect(call('spin')).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    expect(audit().slice(before)).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'limit', operation: 'spin' })]));
    expect(await call('ping')).toBe('pong');
  });

  it.skipIf(skip || name !== 'degraded (no bubblewrap)')('the package re-signed with another key after install is refused at the next start', async () => {
    const dir = realpathSync(join(home, 'extensions', 'acme.hostile'));
    const original = join(root, 'original-store-copy');
    cpSync(dir, original, { recursive: true });
    const copy = join(root, 'resigned-src');
    cpSync(dir, copy, { recursive: true });
    rmSync(join(copy, '.symphony'), { recursive: true, force: true });
    const resigned = await readPackage((await packExtension({ dir: copy, key: reg.other })).tarball);
    rmSync(dir, { recursive: true, force: true });
    await writePackageFiles(resigned, dir);
    const fresh = createKernel({
      plugins: [sandboxPlugin, createStagePlugin({ dirs: [{ path: join(home, 'extensions'), mode: 'process' }], restart: { maxCrashes: 1 } })],
      config: { pluginOptions: { sandbox: { home, workspace: ws, bubblewrap } } },
    });
    await fresh.start();
    try {
      await expect(fresh.service('stage').call('acme.hostile/ping', {}, { timeoutMs: 15_000 })).rejects.toThrow(/E_FILES_TAMPERED|signed by/);
      expect(fresh.service('sandbox').audit.read({ extensionId: 'acme.hostile', kind: 'refuse' }).at(-1)).toMatchObject({ rule: 'files-tampered' });
    } finally {
      await fresh.stop();
      rmSync(dir, { recursive: true, force: true });
      cpSync(original, dir, { recursive: true });
    }
  });

  it.skipIf(skip || name !== 'degraded (no bubblewrap)')('files changed after install are refused at the next start (E_FILES_TAMPERED), audited', async () => {
    const dir = join(home, 'extensions', 'acme.hostile');
    writeFileSync(join(dir, 'dist', 'index.js'), readFileSync(join(dir, 'dist', 'index.js'), 'utf8') + '\n// changed after install\n');
    const fresh = createKernel({
      plugins: [sandboxPlugin, createStagePlugin({ dirs: [{ path: join(home, 'extensions'), mode: 'process' }], restart: { maxCrashes: 1 } })],
      config: { pluginOptions: { sandbox: { home, workspace: ws, bubblewrap } } },
    });
    await fresh.start();
    try {
      await expect(fresh.service('stage').call('acme.hostile/ping', {}, { timeoutMs: 15_000 })).rejects.toThrow(/E_FILES_TAMPERED|does not match its signed sha256/);
      expect(fresh.service('sandbox').audit.read({ extensionId: 'acme.hostile', kind: 'refuse' }).at(-1)).toMatchObject({ rule: 'files-tampered' });
    } finally {
      await fresh.stop();
    }
  });
});
