import { definePlugin, type Plugin } from '@symphony/kernel';
import { createPool, type PoolService } from './service.js';
import type { PoolEventBus, PoolOptions, TransitionEvent } from './types.js';

declare module '@symphony/kernel' {
  interface Services {
    'pit.pool': PoolService;
  }
}

declare module '@symphony/types' {
  interface SymphonyEvents {
    'pool:transition': [TransitionEvent];
  }
}

/** The part of `pit.arbitration` the pool uses, found by service name (Pit packages never import each other). */
interface ArbitrationLookup {
  addResource(spec: { id: string; capacity: number; class?: string }): void;
}

/**
 * `pit.pool` as a kernel plugin. Options come from `config.pluginOptions['pit.pool']`
 * (`PoolOptions` without `logger`/`now`); transitions are re-emitted on the kernel bus as
 * `pool:transition` when anyone listens there. When `pit.arbitration` is present, registering a
 * model also adds the resource `model:<id>` (class `model`, capacity maxInstances × maxConcurrency)
 * there, so fair shares count who keeps model instances busy.
 */
export const poolPlugin: Plugin<PoolService> = definePlugin<PoolService>({
  name: 'pit.pool',
  version: '0.1.0',
  setup(ctx) {
    const pool = createPool({ ...(ctx.options as PoolOptions), logger: ctx.logger, events: ctx.events as unknown as PoolEventBus });
    return {
      ...pool,
      register(spec) {
        pool.register(spec);
        const arbitration = ctx.tryService<ArbitrationLookup>('pit.arbitration');
        try {
          arbitration?.addResource({ id: `model:${spec.id}`, capacity: (spec.maxInstances ?? 1) * (spec.maxConcurrency ?? 1), class: 'model' });
        } catch (err) {
          // Already declared there (by config or an earlier registration): the arbiter's own capacity stands.
          ctx.logger.debug({ err, modelId: spec.id }, 'pool: model resource not added to pit.arbitration');
        }
      },
    };
  },
  stop: (pool) => pool.close(),
  health(pool) {
    const failed = pool.models().filter((m) => m.status === 'failed').map((m) => m.id);
    if (failed.length === 0) return { status: 'ok', models: pool.models().length };
    return { status: 'degraded', detail: `models failing to load: ${failed.join(', ')}`, failed };
  },
});
