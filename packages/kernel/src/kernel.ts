import { EventEmitter } from 'eventemitter3';
import {
  SymphonyError,
  silentLogger,
  toSymphonyError,
  type HealthReport,
  type HealthStatus,
  type Logger,
  type SymphonyEvents,
} from '@symphony/types/core';
import { loadPlugins } from './load.js';
import { orderPlugins } from './order.js';
import type { AnyPlugin, KernelEvents, PluginContext, PluginHealth, ServiceLookup } from './plugin.js';

export interface KernelConfig {
  /** Package names (or file URLs) whose default export is a plugin or an array of plugins. */
  plugins?: string[];
  /** Per-plugin options, by plugin name: handed to that plugin as `ctx.options`. */
  pluginOptions?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export interface KernelOptions {
  plugins?: readonly AnyPlugin[];
  config?: KernelConfig;
  logger?: Logger;
  /** Resolves config plugin names; defaults to a dynamic `import()` from this package. */
  importer?: (specifier: string) => Promise<unknown>;
  /** Per-plugin health check time limit (a hung check reports `down`, never hangs the kernel). */
  healthTimeoutMs?: number;
}

export type KernelState = 'idle' | 'starting' | 'started' | 'stopping' | 'stopped' | 'failed';

export interface KernelHealth {
  status: HealthStatus;
  plugins: Record<string, HealthReport>;
}

export interface Kernel extends ServiceLookup {
  readonly state: KernelState;
  readonly events: KernelEvents;
  readonly logger: Logger;
  readonly config: Readonly<KernelConfig>;
  /** Adds a plugin before `start()`. */
  use(plugin: AnyPlugin): Kernel;
  /** Plugin names in start order (after `start()`). */
  readonly plugins: readonly string[];
  /** Sets up and starts every plugin in dependency order. Concurrent calls share one start. */
  start(): Promise<void>;
  /** Stops every started plugin in reverse order; always finishes, then throws the aggregate. */
  stop(): Promise<void>;
  health(): Promise<KernelHealth>;
}

interface Entry {
  plugin: AnyPlugin;
  api: unknown;
  ctx: PluginContext;
}

type Listener = (...args: unknown[]) => unknown;

/**
 * Listeners observe: one that throws (or rejects) is logged, and the listeners after it and the
 * code that emitted still go on. An embedder's broken `step:end` handler must not stop a run.
 */
function observedEvents(logger: Logger): KernelEvents {
  const events = new EventEmitter<SymphonyEvents>();
  const guards = new WeakMap<Listener, Map<unknown, Listener>>();
  const guarded = (event: unknown, fn: Listener): Listener | undefined => guards.get(fn)?.get(event);
  const guard = (event: unknown, fn: Listener): Listener => {
    let g = guarded(event, fn);
    if (!g) {
      const report = (err: unknown) => logger.error({ err, event }, `kernel: a listener of ${String(event)} failed (ignored)`);
      g = function (this: unknown, ...args: unknown[]) {
        try {
          const out = fn.apply(this, args);
          if (out && typeof (out as Promise<unknown>).then === 'function') (out as Promise<unknown>).then(undefined, report);
          return out;
        } catch (err) {
          report(err);
          return undefined;
        }
      };
      guards.set(fn, (guards.get(fn) ?? new Map<unknown, Listener>()).set(event, g));
    }
    return g;
  };
  const raw = events as unknown as Record<'on' | 'once' | 'off', (event: unknown, fn?: Listener, context?: unknown, once?: boolean) => unknown>;
  const [on, once, off] = [raw.on.bind(events), raw.once.bind(events), raw.off.bind(events)];
  const patched = events as unknown as Record<'on' | 'addListener' | 'once' | 'off' | 'removeListener', unknown>;
  patched.on = patched.addListener = (event: unknown, fn: Listener, context?: unknown) => on(event, guard(event, fn), context);
  patched.once = (event: unknown, fn: Listener, context?: unknown) => once(event, guard(event, fn), context);
  patched.off = patched.removeListener = (event: unknown, fn?: Listener, context?: unknown, one?: boolean) => off(event, fn && (guarded(event, fn) ?? fn), context, one);
  return events;
}

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2 };

export function createKernel(options: KernelOptions = {}): Kernel {
  const config: KernelConfig = options.config ?? {};
  const logger = options.logger ?? silentLogger;
  const events = observedEvents(logger);
  const registered: AnyPlugin[] = [...(options.plugins ?? [])];
  const services = new Map<string, unknown>();
  const started: Entry[] = [];
  let state: KernelState = 'idle';
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  function service(name: string): any {
    const api = services.get(name);
    if (api === undefined && !services.has(name)) {
      throw new SymphonyError('E_SERVICE_UNKNOWN', `no service named "${name}" (available: ${[...services.keys()].join(', ') || 'none'})`, {
        details: { service: name, available: [...services.keys()] },
      });
    }
    return api;
  }
  const lookup: ServiceLookup = {
    service,
    tryService: (name: string): any => services.get(name),
    has: (name) => services.has(name),
  };

  function contextFor(plugin: AnyPlugin): PluginContext {
    return {
      ...lookup,
      name: plugin.name,
      options: config.pluginOptions?.[plugin.name] ?? {},
      config,
      logger: logger.child({ plugin: plugin.name }),
      events,
    };
  }

  async function rollback(): Promise<void> {
    try {
      await stopAll();
    } catch (err) {
      logger.error({ err }, 'rollback after a failed start: some plugins failed to stop');
    }
  }

  async function doStart(): Promise<void> {
    const t0 = performance.now();
    state = 'starting';
    try {
      const fromConfig = await loadPlugins(config.plugins ?? [], options.importer);
      const ordered = orderPlugins([...registered, ...fromConfig]);
      for (const plugin of ordered) {
        const ctx = contextFor(plugin);
        const ts = performance.now();
        let api: unknown;
        try {
          api = await plugin.setup(ctx);
        } catch (cause) {
          await rollback();
          throw pluginError('E_PLUGIN_SETUP', plugin, 'setup', cause);
        }
        services.set(plugin.name, api);
        const entry: Entry = { plugin, api, ctx };
        started.push(entry);
        events.emit('plugin:setup', { name: plugin.name, version: plugin.version, durationMs: performance.now() - ts });
        const t1 = performance.now();
        try {
          await plugin.start?.(api, ctx);
        } catch (cause) {
          await rollback();
          throw pluginError('E_PLUGIN_START', plugin, 'start', cause);
        }
        events.emit('plugin:start', { name: plugin.name, durationMs: performance.now() - t1 });
      }
      state = 'started';
      events.emit('kernel:started', { plugins: started.map((e) => e.plugin.name), durationMs: performance.now() - t0 });
    } catch (err) {
      state = 'failed';
      throw toSymphonyError(err);
    }
  }

  async function stopAll(): Promise<void> {
    const errors: SymphonyError[] = [];
    while (started.length > 0) {
      const { plugin, api, ctx } = started.pop() as Entry;
      const t0 = performance.now();
      let error: SymphonyError | undefined;
      try {
        await plugin.stop?.(api, ctx);
      } catch (cause) {
        error = pluginError('E_PLUGIN_STOP', plugin, 'stop', cause);
        errors.push(error);
      }
      services.delete(plugin.name);
      events.emit('plugin:stop', { name: plugin.name, durationMs: performance.now() - t0, ...(error ? { error: error.toJSON() } : {}) });
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      const names = errors.map((e) => e.details.plugin).join(', ');
      throw new SymphonyError('E_PLUGIN_STOP', `${errors.length} plugins failed to stop: ${names}`, {
        details: { errors: errors.map((e) => e.toJSON()) },
        cause: new AggregateError(errors, 'plugin stop failures'),
      });
    }
  }

  const kernel: Kernel = {
    ...lookup,
    get state() {
      return state;
    },
    events,
    logger,
    config,
    get plugins() {
      return started.map((e) => e.plugin.name);
    },
    use(plugin) {
      if (state !== 'idle') {
        throw new SymphonyError('E_KERNEL_STATE', `cannot add plugin "${plugin.name}": the kernel is ${state}`, {
          details: { plugin: plugin.name, state },
        });
      }
      registered.push(plugin);
      return kernel;
    },
    start() {
      if (state === 'stopping' || state === 'stopped') {
        return Promise.reject(new SymphonyError('E_KERNEL_STATE', `cannot start a kernel that is ${state}`, { details: { state } }));
      }
      starting ??= doStart();
      return starting;
    },
    stop() {
      if (stopping) return stopping;
      const t0 = performance.now();
      stopping = (async () => {
        // A stop during start waits for the start to settle, so nothing is left half set up.
        await starting?.catch(() => {});
        state = 'stopping';
        try {
          await stopAll();
        } finally {
          state = 'stopped';
          events.emit('kernel:stopped', { durationMs: performance.now() - t0 });
        }
      })();
      return stopping;
    },
    async health() {
      const timeoutMs = options.healthTimeoutMs ?? 5_000;
      const reports = await Promise.all(
        started.map(async ({ plugin, api, ctx }): Promise<[string, HealthReport]> => {
          if (!plugin.health) return [plugin.name, { status: 'ok' }];
          try {
            return [plugin.name, normalise(await withTimeout(Promise.resolve(plugin.health(api, ctx)), timeoutMs))];
          } catch (err) {
            return [plugin.name, { status: 'down', detail: (err as Error).message }];
          }
        }),
      );
      let status: HealthStatus = state === 'started' ? 'ok' : 'down';
      for (const [, report] of reports) if (RANK[report.status] > RANK[status]) status = report.status;
      events.emit('kernel:health', { status });
      return { status, plugins: Object.fromEntries(reports) };
    },
  };
  return kernel;
}

function pluginError(code: 'E_PLUGIN_SETUP' | 'E_PLUGIN_START' | 'E_PLUGIN_STOP', plugin: AnyPlugin, hook: string, cause: unknown) {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new SymphonyError(code, `plugin "${plugin.name}" failed in ${hook}: ${message}`, {
    details: { plugin: plugin.name, hook },
    cause,
  });
}

function normalise(health: PluginHealth): HealthReport {
  return typeof health === 'string' ? { status: health } : health;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SymphonyError('E_TIMEOUT', `health check took longer than ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
