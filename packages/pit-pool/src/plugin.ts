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

/**
 * `pit.pool` as a kernel plugin. Options come from `config.pluginOptions['pit.pool']`
 * (`PoolOptions` without `logger`/`now`); transitions are re-emitted on the kernel bus as
 * `pool:transition` when anyone listens there.
 */
export const poolPlugin: Plugin<PoolService> = definePlugin<PoolService>({
  name: 'pit.pool',
  version: '0.1.0',
  setup(ctx) {
    return createPool({ ...(ctx.options as PoolOptions), logger: ctx.logger, events: ctx.events as unknown as PoolEventBus });
  },
  stop: (pool) => pool.close(),
  health(pool) {
    const failed = pool.models().filter((m) => m.status === 'failed').map((m) => m.id);
    if (failed.length === 0) return { status: 'ok', models: pool.models().length };
    return { status: 'degraded', detail: `models failing to load: ${failed.join(', ')}`, failed };
  },
});
