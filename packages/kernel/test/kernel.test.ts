import { describe, expect, it } from 'vitest';
import { hasErrorCode, isSymphonyError, type SymphonyError } from '@symphony/types';
import { createKernel, definePlugin, type AnyPlugin } from '../src/index.js';

function recorder() {
  const log: string[] = [];
  const plugin = (name: string, extra: Partial<AnyPlugin> = {}): AnyPlugin =>
    definePlugin({
      name,
      version: '1.0.0',
      setup: () => {
        log.push(`setup ${name}`);
        return { name };
      },
      start: () => void log.push(`start ${name}`),
      stop: () => void log.push(`stop ${name}`),
      ...extra,
    });
  return { log, plugin };
}

async function rejection(promise: Promise<unknown>): Promise<SymphonyError> {
  try {
    await promise;
  } catch (err) {
    expect(isSymphonyError(err)).toBe(true);
    return err as SymphonyError;
  }
  throw new Error('expected a rejection');
}

describe('ordering', () => {
  it('sets up and starts plugins after their dependencies, stops them in reverse', async () => {
    const { log, plugin } = recorder();
    const kernel = createKernel({
      plugins: [plugin('c', { dependsOn: ['b'] }), plugin('a'), plugin('b', { dependsOn: ['a'] })],
    });
    await kernel.start();
    expect(kernel.plugins).toEqual(['a', 'b', 'c']);
    await kernel.stop();
    expect(log).toEqual(['setup a', 'start a', 'setup b', 'start b', 'setup c', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('keeps registration order among independent plugins', async () => {
    const { plugin } = recorder();
    const kernel = createKernel({ plugins: [plugin('z'), plugin('y'), plugin('x', { dependsOn: ['z'] })] });
    await kernel.start();
    expect(kernel.plugins).toEqual(['z', 'y', 'x']);
  });

  it('treats a `requires` entry as a dependency too', async () => {
    const { plugin } = recorder();
    const kernel = createKernel({ plugins: [plugin('user', { requires: { lib: '^1.0.0' } }), plugin('lib')] });
    await kernel.start();
    expect(kernel.plugins).toEqual(['lib', 'user']);
  });
});

describe('refusals before anything starts', () => {
  it('names the cycle', async () => {
    const { log, plugin } = recorder();
    const kernel = createKernel({
      plugins: [plugin('a', { dependsOn: ['c'] }), plugin('b', { dependsOn: ['a'] }), plugin('c', { dependsOn: ['b'] }), plugin('d')],
    });
    const err = await rejection(kernel.start());
    expect(err.code).toBe('E_PLUGIN_CYCLE');
    expect(err.details.cycle).toEqual(['a', 'c', 'b', 'a']);
    expect(err.message).toContain('a -> c -> b -> a');
    expect(log).toEqual([]);
    expect(kernel.state).toBe('failed');
  });

  it('reports a missing dependency with both names', async () => {
    const { plugin } = recorder();
    const err = await rejection(createKernel({ plugins: [plugin('a', { dependsOn: ['ghost'] })] }).start());
    expect(err.code).toBe('E_PLUGIN_MISSING');
    expect(err.details).toMatchObject({ plugin: 'a', missing: 'ghost' });
  });

  it('reports a version outside the required range', async () => {
    const { plugin } = recorder();
    const kernel = createKernel({ plugins: [plugin('lib', { version: '2.1.0' }), plugin('app', { requires: { lib: '^1.4.0' } })] });
    const err = await rejection(kernel.start());
    expect(err.code).toBe('E_PLUGIN_VERSION');
    expect(err.details).toMatchObject({ plugin: 'app', dependency: 'lib', range: '^1.4.0', version: '2.1.0' });
  });

  it('refuses a range it cannot read rather than matching anything', async () => {
    const { plugin } = recorder();
    const err = await rejection(createKernel({ plugins: [plugin('lib'), plugin('app', { requires: { lib: 'one-ish' } })] }).start());
    expect(err.code).toBe('E_PLUGIN_VERSION');
  });

  it('refuses two plugins with one name', async () => {
    const { plugin } = recorder();
    const err = await rejection(createKernel({ plugins: [plugin('a'), plugin('a')] }).start());
    expect(err.code).toBe('E_PLUGIN_DUPLICATE');
  });
});

describe('rollback', () => {
  it('stops every started plugin in reverse when a later setup throws, naming the plugin', async () => {
    const { log, plugin } = recorder();
    const kernel = createKernel({
      plugins: [
        plugin('a'),
        plugin('b'),
        plugin('bad', {
          setup: () => {
            throw new Error('no disk');
          },
        }),
        plugin('never'),
      ],
    });
    const err = await rejection(kernel.start());
    expect(err.code).toBe('E_PLUGIN_SETUP');
    expect(err.details.plugin).toBe('bad');
    expect(err.message).toContain('no disk');
    expect((err.cause as Error).message).toBe('no disk');
    expect(log).toEqual(['setup a', 'start a', 'setup b', 'start b', 'stop b', 'stop a']);
    expect(kernel.has('a')).toBe(false);
  });

  it('stops the failing plugin too when its start throws (it was set up)', async () => {
    const { log, plugin } = recorder();
    const kernel = createKernel({
      plugins: [
        plugin('a'),
        plugin('bad', {
          start: async () => {
            throw new Error('port in use');
          },
        }),
      ],
    });
    const err = await rejection(kernel.start());
    expect(err.code).toBe('E_PLUGIN_START');
    expect(err.details.plugin).toBe('bad');
    expect(log).toEqual(['setup a', 'start a', 'setup bad', 'stop bad', 'stop a']);
  });
});

describe('stop', () => {
  it('finishes stopping everything past a throwing plugin and aggregates the errors', async () => {
    const { log, plugin } = recorder();
    const boom = (msg: string) => () => {
      throw new Error(msg);
    };
    const kernel = createKernel({
      plugins: [plugin('a'), plugin('b', { stop: boom('b broke') }), plugin('c'), plugin('d', { stop: boom('d broke') })],
    });
    await kernel.start();
    const err = await rejection(kernel.stop());
    expect(err.code).toBe('E_PLUGIN_STOP');
    expect(err.message).toContain('2 plugins');
    expect((err.details.errors as { details: { plugin: string } }[]).map((e) => e.details.plugin)).toEqual(['d', 'b']);
    expect(log.filter((l) => l.startsWith('stop'))).toEqual(['stop c', 'stop a']);
    expect(kernel.state).toBe('stopped');
  });

  it('a single failing stop is thrown as it is', async () => {
    const { plugin } = recorder();
    const kernel = createKernel({ plugins: [plugin('a', { stop: () => Promise.reject(new Error('x')) })] });
    await kernel.start();
    const err = await rejection(kernel.stop());
    expect(err.details.plugin).toBe('a');
  });

  it('concurrent stop() calls share one stop, and a stopped kernel cannot restart', async () => {
    const { log, plugin } = recorder();
    const kernel = createKernel({ plugins: [plugin('a')] });
    await kernel.start();
    await Promise.all([kernel.stop(), kernel.stop()]);
    expect(log.filter((l) => l === 'stop a')).toHaveLength(1);
    expect((await rejection(kernel.start())).code).toBe('E_KERNEL_STATE');
  });
});

describe('start', () => {
  it('concurrent start() calls start each plugin once', async () => {
    let setups = 0;
    const slow = definePlugin({
      name: 'slow',
      version: '1.0.0',
      setup: async () => {
        setups++;
        await new Promise((r) => setTimeout(r, 10));
        return {};
      },
    });
    const kernel = createKernel({ plugins: [slow] });
    const starts = [kernel.start(), kernel.start(), kernel.start()];
    expect(starts[0]).toBe(starts[1]);
    await Promise.all(starts);
    expect(setups).toBe(1);
    expect(kernel.state).toBe('started');
  });

  it('refuses use() after start', async () => {
    const kernel = createKernel();
    await kernel.start();
    const { plugin } = recorder();
    expect(() => kernel.use(plugin('late'))).toThrow(expect.objectContaining({ code: 'E_KERNEL_STATE' }));
  });
});

describe('services', () => {
  it('returns the API object itself, and dependencies see each other during setup', async () => {
    const api = { count: 0, inc() { return ++this.count; } };
    const seen: unknown[] = [];
    const kernel = createKernel({
      plugins: [
        definePlugin({ name: 'counter', version: '1.0.0', setup: () => api }),
        definePlugin({
          name: 'user',
          version: '1.0.0',
          dependsOn: ['counter'],
          setup: (ctx) => {
            seen.push(ctx.service('counter'));
            return {};
          },
        }),
      ],
    });
    await kernel.start();
    expect(kernel.service('counter')).toBe(api);
    expect(seen[0]).toBe(api);
    expect(kernel.service<typeof api>('counter').inc()).toBe(1);
  });

  it('an unknown name is E_SERVICE_UNKNOWN listing what exists; tryService returns undefined', async () => {
    const { plugin } = recorder();
    const kernel = createKernel({ plugins: [plugin('a')] });
    await kernel.start();
    let err: unknown;
    try {
      kernel.service('pit.nope');
    } catch (e) {
      err = e;
    }
    expect(hasErrorCode(err, 'E_SERVICE_UNKNOWN')).toBe(true);
    expect((err as SymphonyError).details).toMatchObject({ service: 'pit.nope', available: ['a'] });
    expect(kernel.tryService('pit.nope')).toBeUndefined();
  });

  it('passes per-plugin options and the whole config', async () => {
    let options: unknown;
    const kernel = createKernel({
      config: { home: '/tmp/x', pluginOptions: { p: { size: 3 } } },
      plugins: [definePlugin({ name: 'p', version: '1.0.0', setup: (ctx) => ((options = [ctx.options, ctx.config.home]), {}) })],
    });
    await kernel.start();
    expect(options).toEqual([{ size: 3 }, '/tmp/x']);
  });
});

describe('events', () => {
  it('emits lifecycle events on the typed bus', async () => {
    const { plugin } = recorder();
    const kernel = createKernel({ plugins: [plugin('a'), plugin('b')] });
    const names: string[] = [];
    kernel.events.on('plugin:start', (e) => names.push(e.name));
    let started: string[] = [];
    kernel.events.on('kernel:started', (e) => (started = e.plugins));
    await kernel.start();
    expect(names).toEqual(['a', 'b']);
    expect(started).toEqual(['a', 'b']);
  });

  it('a listener that throws or rejects is logged; the listeners after it and the emitter go on', async () => {
    const logged: string[] = [];
    const logger = { error: (_o: unknown, msg: string) => logged.push(msg), warn() {}, info() {}, debug() {}, trace() {}, fatal() {}, child() { return logger; } };
    const kernel = createKernel({ logger: logger as never });
    const heard: string[] = [];
    const broken = () => {
      throw new Error('broken');
    };
    kernel.events.on('run:start', broken);
    kernel.events.on('run:start', async () => Promise.reject(new Error('rejected')));
    kernel.events.once('run:start', (e) => heard.push(`once ${e.runId}`));
    kernel.events.on('run:start', (e) => heard.push(e.runId));
    expect(() => kernel.events.emit('run:start', { runId: 'r1', workflow: 'w', at: 0, resumed: false })).not.toThrow();
    kernel.events.emit('run:start', { runId: 'r2', workflow: 'w', at: 0, resumed: false });
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual(['once r1', 'r1', 'r2']);
    expect(logged.filter((m) => m.includes('run:start'))).toHaveLength(4);
    // off() finds a listener by the function it was given.
    kernel.events.off('run:start', broken);
    expect(kernel.events.listenerCount('run:start')).toBe(2);
  });
});

describe('health', () => {
  it('reports the worst plugin status, and a hung check as down', async () => {
    const kernel = createKernel({
      healthTimeoutMs: 50,
      plugins: [
        definePlugin({ name: 'fine', version: '1.0.0', setup: () => ({}), health: () => 'ok' }),
        definePlugin({ name: 'slow', version: '1.0.0', setup: () => ({}), health: () => ({ status: 'degraded', detail: 'queue 90% full' }) }),
        definePlugin({ name: 'stuck', version: '1.0.0', setup: () => ({}), health: () => new Promise(() => {}) }),
      ],
    });
    await kernel.start();
    const health = await kernel.health();
    expect(health.status).toBe('down');
    expect(health.plugins.fine).toEqual({ status: 'ok' });
    expect(health.plugins.slow).toEqual({ status: 'degraded', detail: 'queue 90% full' });
    expect(health.plugins.stuck?.status).toBe('down');
  });

  it('a kernel that is not started is down', async () => {
    expect((await createKernel().health()).status).toBe('down');
  });
});

describe('loading plugins from config', () => {
  it('imports packages named in config and orders them with the rest', async () => {
    const { plugin } = recorder();
    const modules: Record<string, unknown> = {
      '@acme/db': { default: plugin('db') },
      '@acme/many': { plugins: [plugin('cache', { dependsOn: ['db'] }), plugin('queue')] },
    };
    const kernel = createKernel({
      config: { plugins: ['@acme/many', '@acme/db'] },
      plugins: [plugin('app', { dependsOn: ['cache'] })],
      importer: async (s) => modules[s],
    });
    await kernel.start();
    expect(kernel.plugins).toEqual(['db', 'cache', 'app', 'queue']);
  });

  it('loads a real module by file URL through dynamic import', async () => {
    const url = new URL('./fixtures/hello-plugin.mjs', import.meta.url).href;
    const kernel = createKernel({ config: { plugins: [url] } });
    await kernel.start();
    expect(kernel.service<{ greet(n: string): string }>('hello').greet('pit')).toBe('hello, pit');
  });

  it('an unimportable package is E_PLUGIN_LOAD naming it', async () => {
    const err = await rejection(createKernel({ config: { plugins: ['@symphony/does-not-exist'] } }).start());
    expect(err.code).toBe('E_PLUGIN_LOAD');
    expect(err.details.specifier).toBe('@symphony/does-not-exist');
  });

  it('a module that exports no plugin is E_PLUGIN_LOAD', async () => {
    const err = await rejection(createKernel({ config: { plugins: ['x'] }, importer: async () => ({ default: 42 }) }).start());
    expect(err.code).toBe('E_PLUGIN_LOAD');
  });
});
