import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { createKernel, definePlugin, type Kernel } from '@symphony/kernel';
import { stagePlugin, type StageService } from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
let kernel: Kernel | undefined;
afterEach(async () => {
  await kernel?.stop();
  kernel = undefined;
});

async function boot(options: Record<string, unknown> = {}) {
  kernel = createKernel({
    plugins: [stagePlugin],
    config: { pluginOptions: { stage: { dirs: [`${fixtures}extensions`], nodeModules: [`${fixtures}project`], trusted: ['acme.csv'], symphonyVersion: '0.1.0', pingIntervalMs: 0, ...options } } },
  });
  await kernel.start();
  return kernel.service('stage');
}

describe('the stage kernel plugin', () => {
  it("calls kernel.service('stage').call('acme.csv/parse', input, { signal, timeoutMs }) with progress", async () => {
    const stage = await boot();
    const progress: number[] = [];
    const events: unknown[] = [];
    stage.events.on('event', (e) => events.push(e));
    const stageProgress: unknown[] = [];
    stage.events.on('progress', (p) => stageProgress.push(p));
    const controller = new AbortController();
    const rows = await stage.call('acme.csv/parse', { text: 'a,b\nc,d' }, { signal: controller.signal, timeoutMs: 5_000, onProgress: (f) => progress.push(f) });
    expect(rows).toEqual([['a', 'b'], ['c', 'd']]);
    expect(progress).toEqual([0.5, 1]);
    expect(stageProgress).toContainEqual({ id: 'acme.csv', method: 'parse', fraction: 1, message: 'line 2' });
    expect(events).toContainEqual({ id: 'acme.csv', name: 'parsed', payload: { lines: 2 } });
    expect(await stage.call('acme.hello/hello', { name: 'ada' })).toBe('hello ada');
  });

  it('activates lazily: on first call, on capability lookup, or at startup', async () => {
    const stage = await boot();
    const state = (id: string) => stage.list().find((e) => e.id === id)?.state;
    expect(state('acme.boot')).toBe('running'); // onStartup
    expect(state('acme.csv')).toBe('inactive');
    expect(state('acme.tagger')).toBe('inactive');
    expect(stage.providers('classify')).toEqual([{ id: 'acme.tagger', version: '2.0.0', method: 'tag', uses: 'acme.tagger/tag' }]);
    await new Promise<void>((resolve) => stage.events.on('activated', (e) => e.id === 'acme.tagger' && resolve()));
    expect(state('acme.tagger')).toBe('running');
    expect(state('acme.csv')).toBe('inactive');
    expect(await stage.call('capability:classify', { text: 'hi!' })).toBe('loud');
    await stage.activate('acme.csv'); // pre-warming, as a pool manager would
    expect(state('acme.csv')).toBe('running');
    await expect(stage.activate('acme.none')).rejects.toMatchObject({ code: 'E_EXTENSION_UNKNOWN' });
  });

  it('disables an extension: calls refused, no longer a provider, its worker stopped; enable brings it back', async () => {
    const stage = await boot();
    const state = (id: string) => stage.list().find((e) => e.id === id)?.state;
    expect(await stage.call('capability:classify', { text: 'hi!' })).toBe('loud');
    expect(state('acme.tagger')).toBe('running');
    await stage.disable('acme.tagger');
    expect(state('acme.tagger')).toBe('disabled');
    expect(stage.providers('classify')).toEqual([]);
    await expect(stage.call('acme.tagger/tag', { text: 'x' })).rejects.toMatchObject({ code: 'E_EXTENSION_DISABLED' });
    await expect(stage.call('capability:classify', { text: 'x' })).rejects.toMatchObject({ code: 'E_CAPABILITY_UNKNOWN' });
    stage.enable('acme.tagger');
    expect(stage.providers('classify').map((p) => p.id)).toEqual(['acme.tagger']);
    expect(await stage.call('acme.tagger/tag', { text: 'hi!' })).toBe('loud');
    await expect(stage.disable('acme.none')).rejects.toMatchObject({ code: 'E_EXTENSION_UNKNOWN' });
  });

  it('lists extensions with their mode, methods and capabilities', async () => {
    const stage = await boot();
    expectTypeOf(stage).toEqualTypeOf<StageService>(); // kernel.service('stage') is typed by name
    const csv = stage.list().find((e) => e.id === 'acme.csv')!;
    expect(csv).toMatchObject({ version: '1.2.0', kind: 'operator', mode: 'worker', methods: ['parse', 'wait', 'crash'], capabilities: [{ name: 'parse.csv', method: 'parse' }] });
    expect(stage.list().find((e) => e.id === 'acme.hello')?.mode).toBe('process'); // third party
    expect(stage.providers('parse.csv').map((p) => p.uses)).toEqual(['acme.csv/parse']);
  });

  it('fails fast with coded errors for unknown extensions, methods and timeouts', async () => {
    const stage = await boot();
    await expect(stage.call('acme.nope/parse')).rejects.toMatchObject({ code: 'E_EXTENSION_UNKNOWN' });
    await expect(stage.call('acme.csv/nope')).rejects.toMatchObject({ code: 'E_METHOD_UNKNOWN' });
    expect(stage.list().find((e) => e.id === 'acme.csv')?.state).toBe('inactive'); // an unknown method never starts it
    await expect(stage.call('not a uses')).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(stage.call('acme.csv/wait', { ms: 5_000 }, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    await expect(stage.call('acme.csv/wait', { ms: 5_000 }, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('registers an extension folder, or a manifest object with its module, at run time', async () => {
    const stage = await boot({ dirs: [] , nodeModules: [] });
    expect(stage.list()).toEqual([]);
    const info = await stage.register(`${fixtures}extensions/csv`, 'worker');
    expect(info).toMatchObject({ id: 'acme.csv', state: 'inactive' });
    expect(await stage.call('acme.csv/parse', { text: 'x' })).toEqual([['x']]);
    const inMemory = await stage.register(
      { manifest: { id: 'acme.tag2', version: '2.1.0', kind: 'instrument', contributes: { methods: { tag: {} }, capabilities: ['tag'] } }, main: `${fixtures}extensions/tagger/index.mjs` },
      'worker',
    );
    expect(inMemory).toMatchObject({ id: 'acme.tag2', version: '2.1.0', capabilities: [{ name: 'tag', method: 'tag' }] });
    expect(await stage.call('acme.tag2/tag', { text: 'ok' })).toBe('calm');
    await expect(stage.register({ manifest: { id: 'acme.bad', version: 'x', kind: 'operator' }, main: '/nowhere.mjs' })).rejects.toMatchObject({ code: 'E_MANIFEST_INVALID' });
    const added = await stage.addDirectory(`${fixtures}broken`);
    expect(added).toEqual([]);
    expect(stage.problems.map((p) => (p as { code?: string }).code)).toContain('E_MANIFEST_INVALID');
  });

  it('disables an extension past its crash budget: calls fail fast, health is degraded, enable() brings it back', async () => {
    const stage = await boot({ restart: { maxCrashes: 2, backoffMs: 5 } });
    const failed = new Promise((resolve) => stage.events.once('failed', resolve));
    await expect(stage.call('acme.csv/crash')).rejects.toMatchObject({ code: 'E_EXTENSION_CRASHED' });
    await expect(stage.call('acme.csv/crash')).rejects.toMatchObject({ code: 'E_EXTENSION_CRASHED' });
    expect(await failed).toMatchObject({ id: 'acme.csv', crashes: 2 });
    await expect(stage.call('acme.csv/parse', { text: 'x' })).rejects.toMatchObject({ code: 'E_EXTENSION_FAILED' });
    expect(await kernel!.health()).toMatchObject({ status: 'degraded', plugins: { stage: { status: 'degraded' } } });
    stage.enable('acme.csv');
    expect(await stage.call('acme.csv/parse', { text: 'x' })).toEqual([['x']]);
    expect((await kernel!.health()).plugins.stage?.status).toBe('ok');
  });

  it("starts children through a `sandbox` service's spawnWrapper, wrapLauncher and callLimits", async () => {
    const seen: string[] = [];
    // The sandbox's side of the contract, as the stage finds it: a service named `sandbox`.
    const sandbox = definePlugin({
      name: 'sandbox',
      version: '0.0.0',
      setup: () => {
        const registered = new Map<string, unknown>();
        return {
        spawnWrapper: (cmd: { env: Record<string, string | undefined> }, spec: { id: string; cwd?: string }) => {
          seen.push(`wrap ${spec.id} in ${spec.cwd}`);
          return { ...cmd, env: { ...cmd.env, SANDBOXED: '1' } };
        },
        wrapLauncher: (launch: (spec: { id: string }) => Promise<unknown>) => (spec: { id: string }) => {
          seen.push(`launch ${spec.id}`);
          return launch(spec);
        },
        get: (id: string) => registered.get(id),
        register(ext: { id: string }) {
          seen.push(`register ${ext.id}`);
          registered.set(ext.id, ext);
        },
        callLimits: (id: string) => (id === 'acme.hello' ? { maxPayloadBytes: 100 } : {}),
        };
      },
    });
    kernel = createKernel({
      plugins: [sandbox, stagePlugin],
      config: { pluginOptions: { stage: { dirs: [], nodeModules: [`${fixtures}project`], pingIntervalMs: 0 } } },
    });
    await kernel.start();
    const stage = kernel.service('stage');
    expect(await stage.call('acme.hello/hello', { name: 'bo' })).toBe('hello bo');
    await expect(stage.call('acme.hello/hello', { name: 'x'.repeat(500) })).rejects.toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE' });
    expect(seen).toEqual(['register acme.hello', 'launch acme.hello', `wrap acme.hello in ${fixtures}project/node_modules/@acme/ext-hello`]);
  });

  it('waits for an extension started separately on its socket (external)', async () => {
    const { spawn } = await import('node:child_process');
    const { existsSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createRequire } = await import('node:module');
    const socket = join(mkdtempSync(join(tmpdir(), 'symphony-external-')), 'acme.csv.sock');
    const stage = await boot({ external: { 'acme.csv': socket } });
    const call = stage.call('acme.csv/parse', { text: 'p,q' });
    await expect.poll(() => existsSync(socket), { timeout: 5_000 }).toBe(true);
    // What a developer would run by hand, e.g. under --inspect.
    const entry = createRequire(import.meta.url).resolve('@symphony/sdk/runtime/entry');
    const child = spawn(process.execPath, [entry], {
      env: { ...process.env, SYMPHONY_IPC_SOCKET: socket, SYMPHONY_LAUNCH_DATA: JSON.stringify({ module: `${fixtures}extensions/csv/index.mjs` }) },
      stdio: 'ignore',
    });
    expect(await call).toEqual([['p', 'q']]);
    expect(stage.list().find((e) => e.id === 'acme.csv')?.state).toBe('running');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await kernel!.stop();
    kernel = undefined;
    expect(await exited).toBe(0);
  });

  it('activates worker extensions from pre-warmed spares (prewarm)', async () => {
    const stage = await boot({ prewarm: 1, trusted: ['acme.csv', 'acme.tagger'] });
    const activated: Array<{ id: string; startMs: number }> = [];
    stage.events.on('activated', (e) => activated.push(e));
    // Spares boot in the background; two activations in a row use one and its replacement.
    expect(await stage.call('acme.csv/parse', { text: 'a,b' })).toEqual([['a', 'b']]);
    expect(await stage.call('acme.tagger/tag', { text: 'hey!' })).toBe('loud');
    expect(stage.list().filter((e) => e.mode === 'worker').map((e) => e.id)).toEqual(['acme.csv', 'acme.tagger']);
    expect(activated.map((e) => e.id)).toEqual(['acme.csv', 'acme.tagger']);
    await expect(stage.call('acme.csv/wait', { ms: 5_000 }, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'E_TIMEOUT' });
  });
});
