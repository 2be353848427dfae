import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bubblewrapArgs,
  createPermissionSet,
  createPolicy,
  nodePermissionFlags,
  probeBubblewrap,
  resolveLimits,
  sandboxCommandLine,
  type BubblewrapStatus,
  type CommandLine,
} from '../src/index.js';
import { layout, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const preload = join(here, '..', 'dist', 'preload.cjs');
const bwrap = probeBubblewrap();
if (!bwrap.available) console.warn(`[sandbox tests] bubblewrap cannot run here, its assertions are skipped: ${bwrap.reason}`);

let root: { dir: string; cleanup: () => void };
let paths: ReturnType<typeof layout>;
let server: Server;
let port: number;
let entry: string;

beforeAll(async () => {
  if (!existsSync(preload)) throw new Error(`build the package first: ${preload} is missing`);
  root = tempDir();
  paths = layout(root.dir);
  writeFileSync(join(paths.workspace, 'data.txt'), 'workspace data');
  writeFileSync(join(paths.outside, 'secret.txt'), 'outside secret');
  symlinkSync(join(paths.outside, 'secret.txt'), join(paths.workspace, 'planted'));
  writeFileSync(join(paths.extension, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0' }));
  entry = join(paths.extension, 'escape-probe.cjs');
  copyFileSync(join(here, 'fixtures', 'escape-probe.cjs'), entry);
  // Clients hang up at once; a reset on the server side is expected, not an error.
  server = createServer((socket) => socket.on('error', () => {}).end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => {
  server?.close();
  root?.cleanup();
});

function policy(net: string[] = []) {
  return createPolicy({
    manifest: createPermissionSet({ fs: { read: ['${workspace}'], write: ['${workspace}'] }, env: ['SYMPHONY_TEST_GRANTED'], net }, paths),
  });
}

async function runProbe(status: BubblewrapStatus, net: string[] = []): Promise<{ results: Record<string, { ok: boolean; code?: string; value?: string }>; stderr: string; line: ReturnType<typeof sandboxCommandLine> }> {
  const base: CommandLine = {
    command: process.execPath,
    args: [entry, paths.workspace, paths.outside, String(port)],
    env: { ...process.env, SYMPHONY_TEST_SECRET: 'hunter2', SYMPHONY_TEST_GRANTED: 'visible' },
    cwd: paths.workspace,
  };
  const line = sandboxCommandLine({ commandLine: base, extension: { id: 'acme.probe', version: '1.0.0', dir: paths.extension }, policy: policy(net), limits: resolveLimits(), bubblewrap: status, preload });
  const child = spawn(line.command, line.args, { env: line.env as NodeJS.ProcessEnv, cwd: line.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  await new Promise((resolve) => child.on('close', resolve));
  const last = stdout.trim().split('\n').pop() ?? '';
  if (!last.startsWith('{')) throw new Error(`probe printed no result; stderr:\n${stderr}`);
  return { results: JSON.parse(last), stderr, line };
}

function expectCommonWalls(results: Record<string, { ok: boolean; code?: string; value?: string }>): void {
  expect(results.readWorkspace).toMatchObject({ ok: true, value: 'workspace data' });
  expect(results.writeWorkspace).toMatchObject({ ok: true });
  expect(results.readPasswd?.ok).toBe(false);
  expect(results.writeOutside?.ok).toBe(false);
  expect(results.traverse?.ok).toBe(false);
  expect(results.spawn?.ok).toBe(false);
  expect(results.envGranted).toMatchObject({ ok: true, value: 'visible' });
  // The secret never reaches the process; reading it is refused loudly by the preload.
  expect(results.envSecret).toMatchObject({ ok: false, code: 'E_PERMISSION_DENIED' });
  expect(results.tcp).toMatchObject({ ok: false, code: 'E_PERMISSION_DENIED' });
  expect(results.dns).toMatchObject({ ok: false, code: 'E_PERMISSION_DENIED' });
  expect(results.dnsPromises).toMatchObject({ ok: false, code: 'E_PERMISSION_DENIED' });
  expect(existsSync(join(paths.outside, 'pwned.txt'))).toBe(false);
}

describe('flag builders', () => {
  it('one --allow-fs-* flag per path, child processes and workers only when granted', () => {
    expect(nodePermissionFlags({ read: ['/a', '/a', '/b'], write: ['/b'], childProcess: false, worker: false, nodeVersion: '20.20.2' })).toEqual([
      '--experimental-permission', '--allow-fs-read=/a', '--allow-fs-read=/b', '--allow-fs-write=/b',
    ]);
    expect(nodePermissionFlags({ read: [], write: [], childProcess: true, worker: true, nodeVersion: '22.14.0' })).toEqual(['--permission', '--allow-child-process', '--allow-worker']);
  });

  it('bwrap binds parents first, writable where granted, no network namespace only when granted', () => {
    const args = bubblewrapArgs({ readOnly: ['/w/code', '/w'], readWrite: ['/w/out'], network: false, cwd: '/w' });
    const binds = args.flatMap((a, i) => (a === '--ro-bind-try' || a === '--bind-try' ? [`${a} ${args[i + 1]}`] : []));
    expect(binds).toEqual(['--ro-bind-try /w', '--ro-bind-try /w/code', '--bind-try /w/out']);
    expect(args).toContain('--unshare-net');
    expect(args).toContain('--die-with-parent');
    expect(args).toContain('--unshare-pid');
    expect(bubblewrapArgs({ readOnly: [], readWrite: [], network: true, cwd: '/' })).not.toContain('--unshare-net');
  });

  it('passes only the outermost paths to Node (a path below a granted folder would make Node refuse listing it)', () => {
    expect(nodePermissionFlags({ read: ['/ws/node_modules/x', '/ws', '/wsx', '/ws/a/b'], write: ['/ws/out', '/ws'], childProcess: false, worker: false, nodeVersion: '20.20.2' })).toEqual([
      '--experimental-permission', '--allow-fs-read=/ws', '--allow-fs-read=/wsx', '--allow-fs-write=/ws',
    ]);
  });

  it('masks the home with a tmpfs when a granted path contains it; the code below it is bound again after', () => {
    const args = bubblewrapArgs({ readOnly: ['/', '/h/store/x@1'], readWrite: [], network: false, cwd: '/', masks: ['/h'] });
    const mounts = args.flatMap((a, i) => (a === '--ro-bind' || a === '--ro-bind-try' || a === '--bind-try' || a === '--tmpfs' ? [`${a} ${args[i + 1]}`] : []));
    // `/` first (bound after them it covered the private /proc and /dev, and the runtime's /bin link
    // clashed with the one it already has: bwrap refused to start); the host's /tmp shows through it.
    expect(mounts).toEqual(['--ro-bind /', '--tmpfs /h', '--ro-bind-try /h/store/x@1']);
    expect(args).not.toContain('--symlink');
    expect(args.indexOf('--proc')).toBeGreaterThan(args.indexOf('/'));
    // Nothing granted contains the home: no mask.
    expect(bubblewrapArgs({ readOnly: ['/w'], readWrite: [], network: false, cwd: '/w', masks: ['/h'] })).not.toContain('/h');
  });

  it('the policy denies the home whatever the grants say, except the extension\'s own folder and tmp', () => {
    const vars = { workspace: '/ws', extension: '/h/store/x@1', tmp: '/h/tmp/x' };
    const p = createPolicy({ manifest: createPermissionSet({ fs: { read: ['/'], write: ['/'] } }, vars), cwd: '/ws', protectedPaths: [{ root: '/h', except: ['/h/store/x@1', '/h/tmp/x'], rule: 'host:home' }] });
    expect(p.decide({ kind: 'fs.read', path: '/h/tokens.json' })).toMatchObject({ allow: false, rule: 'host:home' });
    expect(p.decide({ kind: 'fs.write', path: '/h/grants.json' })).toMatchObject({ allow: false, rule: 'host:home' });
    expect(p.decide({ kind: 'fs.read', path: '/h/store/x@1/index.js' })).toMatchObject({ allow: true });
    expect(p.decide({ kind: 'fs.write', path: '/h/tmp/x/scratch' })).toMatchObject({ allow: true });
    expect(() => p.require({ kind: 'fs.read', path: '/h/tokens.json' })).toThrow(/No grant can allow this/);
    expect(() => p.require({ kind: 'fs.read', path: '/etc/x' })).not.toThrow();
  });

  it('refuses to wrap anything but Node, and drops flags that would undo the sandbox', () => {
    const base = { env: {}, cwd: '/' };
    const input = { extension: { id: 'x', version: '1.0.0' }, policy: policy(), limits: resolveLimits(), bubblewrap: { available: false, reason: 'test' }, preload };
    expect(() => sandboxCommandLine({ ...input, commandLine: { ...base, command: '/bin/sh', args: ['-c', 'id'] } })).toThrow(/only starts Node programs/);
    const line = sandboxCommandLine({ ...input, commandLine: { ...base, command: process.execPath, args: ['--allow-fs-read=/', '--require', entry, '--max-old-space-size=4096', entry] } });
    expect(line.droppedFlags).toEqual(['--allow-fs-read=/', '--require']);
    expect(line.args).toContain('--max-old-space-size=256');
    expect(line.warnings.some((w) => w.includes('SANDBOX DEGRADED'))).toBe(true);
  });
});

describe('socket mode', () => {
  it('binds the socket directory read-write when the bus names it before the hook', () => {
    const line = sandboxCommandLine({
      commandLine: { command: process.execPath, args: [entry], env: { SYMPHONY_IPC_SOCKET: '/run/symphony-ipc-x/bus.sock' }, cwd: paths.workspace },
      extension: { id: 'acme.probe', version: '1.0.0', dir: paths.extension },
      policy: policy(),
      limits: resolveLimits(),
      bubblewrap: { available: true, path: '/usr/bin/bwrap' },
      preload,
    });
    const i = line.args.indexOf('/run/symphony-ipc-x');
    expect(line.args[i - 1]).toBe('--bind-try');
    expect(line.env.SYMPHONY_IPC_SOCKET).toBe('/run/symphony-ipc-x/bus.sock');
  });
});

describe('a process that tries every escape directly', () => {
  it.skipIf(!bwrap.available)('inside bubblewrap: every attempt fails, the planted symlink included', async () => {
    const { results, line } = await runProbe(bwrap);
    if (process.env.SHOW_PROBE) console.log(JSON.stringify(results, null, 1), line.command, line.args.join(" "));
    expect(line.layers.bubblewrap).toBe(true);
    expectCommonWalls(results);
    expect(results.plantedSymlink).toMatchObject({ ok: false, code: 'E_PERMISSION_DENIED' });
  });

  const netGranted = async (status: BubblewrapStatus): Promise<void> => {
    const { results, line } = await runProbe(status, ['127.0.0.1:*']);
    if (status.available) expect(line.args).not.toContain('--unshare-net');
    expect(results.tcp).toMatchObject({ ok: true, value: 'connected' });
    expect(results.readPasswd?.ok).toBe(false);
  };
  it.skipIf(!bwrap.available)('a net grant for 127.0.0.1 lets that connection through, inside bubblewrap', () => netGranted(bwrap));
  it('a net grant for 127.0.0.1 lets that connection through, without bubblewrap', () => netGranted({ available: false, reason: 'forced off by the test' }));

  it.skipIf(!bwrap.available)('inside bubblewrap, code that slips past the in-process layer still meets the namespaces', async () => {
    // No preload, no Node permission flags: only the mount and network namespaces.
    const args = bubblewrapArgs({ readOnly: [paths.extension], readWrite: [paths.workspace], network: false, cwd: paths.workspace });
    const script = `const fs=require('fs');const out={};try{fs.readFileSync('/etc/passwd');out.passwd='read'}catch(e){out.passwd=e.code}
try{fs.readFileSync('${paths.workspace}/planted');out.planted='read'}catch(e){out.planted=e.code}
out.capabilities=/CapEff:\\s*(\\w+)/.exec(fs.readFileSync('/proc/self/status','utf8'))[1];
require('net').connect(${port},'127.0.0.1').on('connect',()=>{out.tcp='connected';console.log(JSON.stringify(out));process.exit()}).on('error',e=>{out.tcp=e.code;console.log(JSON.stringify(out))})`;
    const child = spawn(bwrap.path!, [...args, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    await new Promise((resolve) => child.on('close', resolve));
    // Even when the host runs as root, the sandboxed process holds no capabilities.
    expect(JSON.parse(stdout)).toEqual({ passwd: 'ENOENT', planted: 'ENOENT', capabilities: '0000000000000000', tcp: 'ECONNREFUSED' });
  });

  it('Node\'s warning about its experimental permission model is not printed at each start; every other warning is', async () => {
    const warns = join(paths.extension, 'warns.cjs');
    writeFileSync(warns, "process.emitWarning('mine is experimental', 'ExperimentalWarning'); process.emitWarning('old api', 'DeprecationWarning'); process.emitWarning('Permission is an experimental feature, says the extension'); console.log('done');\n");
    const line = sandboxCommandLine({
      commandLine: { command: process.execPath, args: [warns], env: { ...process.env }, cwd: paths.workspace },
      extension: { id: 'acme.warns', version: '1.0.0', dir: paths.extension }, policy: policy(), limits: resolveLimits(), bubblewrap: bwrap, preload,
    });
    const child = spawn(line.command, line.args, { env: line.env as NodeJS.ProcessEnv, cwd: line.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stdout.trim()).toBe('done');
    expect(line.args.some((a) => a === '--experimental-permission' || a === '--permission')).toBe(true);
    expect(stderr).not.toMatch(/ExperimentalWarning: Permission is an experimental feature/);
    // The extension's own warnings, an experimental one included, still reach stderr.
    expect(stderr).toMatch(/ExperimentalWarning: mine is experimental/);
    expect(stderr).toMatch(/DeprecationWarning: old api/);
    expect(stderr).toMatch(/Warning: Permission is an experimental feature, says the extension/);
  });

  it('without bubblewrap (degraded): Node\'s model and the in-process layer still refuse every attempt', async () => {
    const { results, line } = await runProbe({ available: false, reason: 'forced off by the test' });
    if (process.env.SHOW_PROBE) console.log(JSON.stringify(results.plantedSymlink), JSON.parse(line.env.SYMPHONY_SANDBOX ?? '{}').fs);
    expect(line.layers.bubblewrap).toBe(false);
    expect(line.warnings.join('\n')).toMatch(/SANDBOX DEGRADED/);
    expectCommonWalls(results);
    // Node 20 alone would follow this link (nodejs/node#49154); the preload resolves it first.
    expect(results.plantedSymlink).toMatchObject({ ok: false, code: 'E_PERMISSION_DENIED' });
  });
});
