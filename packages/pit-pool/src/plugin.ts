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
  tryRequest(request: ArbitrationRequest): unknown;
  request(request: ArbitrationRequest, options?: { signal?: AbortSignal }): Promise<unknown>;
  release(grant: unknown): boolean;
}
interface ArbitrationRequest {
  tenant: string;
  run?: string;
  amounts: Record<string, number>;
  id?: string;
}

/** The resource every instance start holds in `pit.arbitration`: bytes of the pool's memory budget. */
export const POOL_MEMORY_RESOURCE = 'pool.memory';

/**
 * Instance starts as `pit.arbitration` requests: each start asks for its bytes of `pool.memory`
 * (class `pool`, capacity the pool's budget) as its tenant (the run that needs it, else `pit.pool`),
 * waits its turn under the class's strategy, and holds the grant while the instance lives.
 */
function arbitratedStarts(lookup: () => ArbitrationLookup | undefined, budget: number, logger: { debug(obj: object, msg: string): void }): PoolOptions['admit'] {
  let declaredOn: ArbitrationLookup | undefined;
  return (start, signal) => {
    const arbitration = lookup();
    if (!arbitration) return () => {};
    if (declaredOn !== arbitration) {
      declaredOn = arbitration;
      try {
        arbitration.addResource({ id: POOL_MEMORY_RESOURCE, capacity: Number.isFinite(budget) ? budget : Number.MAX_SAFE_INTEGER, class: 'pool' });
      } catch (err) {
        // Declared by config already: the arbiter's capacity stands.
        logger.debug({ err }, `pool: ${POOL_MEMORY_RESOURCE} already declared in pit.arbitration`);
      }
    }
    const request: ArbitrationRequest = {
      tenant: start.tenant,
      ...(start.tenant === 'pit.pool' ? {} : { run: start.tenant }),
      amounts: { [POOL_MEMORY_RESOURCE]: Math.max(1, start.memoryBytes) },
      id: `pool:${start.modelId}#${start.instanceId}`,
    };
    const giveBack = (grant: unknown) => () => void arbitration.release(grant);
    const now = arbitration.tryRequest(request);
    return now !== undefined ? giveBack(now) : arbitration.request(request, { signal }).then(giveBack);
  };
}

/**
 * `pit.pool` as a kernel plugin. Options come from `config.pluginOptions['pit.pool']`
 * (`PoolOptions` without `logger`/`now`); transitions are re-emitted on the kernel bus as
 * `pool:transition` when anyone listens there. When `pit.arbitration` is present, registering a
 * model also adds the resource `model:<id>` (class `model`, capacity maxInstances × maxConcurrency)
 * there, so fair shares count who keeps model instances busy; and every instance start holds its
 * bytes of `pool.memory` there (see `arbitratedStarts`), so arbitration sees instances as a resource.
 */
export const poolPlugin: Plugin<PoolService> = definePlugin<PoolService>({
  name: 'pit.pool',
  version: '0.1.0',
  setup(ctx) {
    const options = ctx.options as PoolOptions;
    const pool = createPool({
      ...options,
      logger: ctx.logger,
      events: ctx.events as unknown as PoolEventBus,
      admit: arbitratedStarts(() => ctx.tryService<ArbitrationLookup>('pit.arbitration'), options.memoryBudgetBytes ?? Infinity, ctx.logger),
    });
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
