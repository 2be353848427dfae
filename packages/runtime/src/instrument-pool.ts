import { definePlugin, type AnyPlugin, type PluginContext } from '@symphony/kernel';
import type { StageInstrumentOptions, StageService } from '@symphony/extension-loader';

// The Stage's code loads with the Stage (a full Symphony), never with `@symphony/runtime` itself.
type Loader = typeof import('@symphony/extension-loader');
let loader: Loader | undefined;
import type { DagService } from '@symphony/pit-dag';
import type { PoolService } from '@symphony/pit-pool';

/** `createSymphony({ pool })`: Stage instruments served by `pit.pool` instances. */
export interface InstrumentPoolOptions {
  /** Which Stage extensions of kind `instrument` the pool manages: `true` for all of them, or their ids. */
  instruments: true | string[];
  /** Instances per instrument at most (default 1). */
  instances?: number;
  /** The pool's memory budget across every instance (measured from the instances' own heap/RSS). */
  memoryBudgetBytes?: number;
  /** Instruments never evicted nor stopped for idleness. */
  pinned?: string[];
  /** Per-instrument options over the defaults above (`memoryBytes`, `keepAliveMs`, `minInstances`, ...). */
  options?: Record<string, StageInstrumentOptions>;
  /** Retries of a call on another instance when the leased one dies mid-call (default 1). */
  retries?: number;
  /** Pre-warm along the critical path at `run:start` and each `step:end` (default true). */
  prewarm?: boolean;
  /**
   * Worker threads the Stage keeps booted with the SDK runtime loaded (its `prewarm` spares), so
   * starting an instance of a worker-mode instrument costs its own module only. Default 1 with
   * pre-warming, 0 without. Outside the pool's budget: a spare holds no model.
   */
  spares?: number;
}

/**
 * Wraps the `stage` plugin: once the Stage has loaded, every selected instrument is registered on
 * `pit.pool` (`stageInstrumentSpec`), `stage.call` of a pooled instrument goes through
 * `callPooled` (a lease per call, retried on another instance when the leased one dies), and as a
 * run starts or a step ends the pool warms what the rest of the critical path needs, most urgent
 * first (`criticalPathOrder` over pit-dag's upward ranks).
 */
export function withInstrumentPool(stage: AnyPlugin, options: InstrumentPoolOptions): AnyPlugin {
  const pooledIds = new WeakMap<object, Set<string>>();
  const unsubscribe = new WeakMap<object, Array<() => void>>();
  return definePlugin<StageService>({
    ...stage,
    dependsOn: [...new Set([...(stage.dependsOn ?? []), 'pit.pool', 'pit.dag'])],
    async setup(ctx: PluginContext) {
      loader ??= await import('@symphony/extension-loader');
      const { callPooled } = loader;
      const inner = (await stage.setup(ctx)) as StageService;
      const ids = new Set<string>();
      const pool = (): PoolService => ctx.service<PoolService>('pit.pool');
      // The same object (the stage plugin keeps its host by it), with pooled calls routed.
      const service = inner;
      const direct = inner.call.bind(inner);
      service.pooled = (extensionId: string) => ids.has(extensionId);
      service.call = (uses, input, callOptions = {}) => {
        const slash = uses.indexOf('/');
        const id = slash > 0 ? uses.slice(0, slash) : uses;
        if (!ids.has(id)) return direct(uses, input, callOptions);
        // The Conductor passes the step it calls for (an option the bus ignores): the lease's holder.
        const step = (callOptions as { step?: { runId: string; stepId: string } }).step;
        const holder = step ? `${step.runId}/${step.stepId}` : undefined;
        return callPooled(pool(), id, uses.slice(slash + 1), input, {
          ...callOptions,
          retries: options.retries ?? 1,
          ...(holder ? { holder } : {}),
        });
      };
      pooledIds.set(service, ids);
      return service;
    },
    async start(service: StageService, ctx: PluginContext) {
      await stage.start?.(service, ctx);
      const { criticalPathOrder, stageInstrumentSpec } = loader!;
      const ids = pooledIds.get(service)!;
      const pool = ctx.service<PoolService>('pit.pool');
      const dag = ctx.service<DagService>('pit.dag');
      // Named ids must exist (`E_EXTENSION_UNKNOWN` from stageInstrumentSpec); `true` takes every instrument.
      const selected = options.instruments === true ? service.list().filter((e) => e.kind === 'instrument').map((e) => e.id) : [...new Set(options.instruments)];
      for (const id of selected) {
        pool.register(
          stageInstrumentSpec(service, id, {
            instances: options.instances ?? 1,
            ...(options.pinned?.includes(id) ? { pinned: true } : {}),
            ...options.options?.[id],
          }),
        );
        ids.add(id);
      }
      if (ids.size === 0 || options.prewarm === false) return;
      const instrumentsOf = new Map<string, Map<string, string>>();
      const done = new Map<string, Set<string>>();
      const warm = (runId: string): void => {
        const of = instrumentsOf.get(runId);
        if (!of) return;
        try {
          const { ranks } = dag.criticalPath(runId);
          const stepIds = Object.keys(ranks);
          pool.prewarmPath(criticalPathOrder(stepIds, stepIds.map((s) => ranks[s] ?? 0), (s) => of.get(s), done.get(runId)), { tenant: runId });
        } catch (err) {
          // Pre-warming is an optimisation: a run the dag no longer drives just is not warmed.
          ctx.logger.debug({ err, runId }, 'instrument pre-warm skipped');
        }
      };
      const onStart = ({ runId }: { runId: string }): void => {
        const record = dag.record(runId);
        if (!record) return;
        const of = new Map<string, string>();
        for (const step of record.workflow.steps) {
          const slash = step.uses.indexOf('/');
          const id = step.uses.startsWith('capability:') || slash < 0 ? undefined : step.uses.slice(0, slash);
          if (id !== undefined && ids.has(id)) of.set(step.id, id);
        }
        if (of.size === 0) return;
        instrumentsOf.set(runId, of);
        done.set(runId, new Set());
        warm(runId);
      };
      const onStepEnd = ({ runId, stepId }: { runId: string; stepId: string }): void => {
        done.get(runId)?.add(stepId);
        warm(runId);
      };
      const onEnd = ({ runId }: { runId: string }): void => {
        if (!instrumentsOf.delete(runId)) return;
        done.delete(runId);
        // The run's plan ends with it: its models no longer hold places in the merged plan.
        pool.prewarmPath([], { tenant: runId });
      };
      ctx.events.on('run:start', onStart);
      ctx.events.on('step:end', onStepEnd);
      ctx.events.on('run:end', onEnd);
      const offs = [() => ctx.events.off('run:start', onStart), () => ctx.events.off('step:end', onStepEnd), () => ctx.events.off('run:end', onEnd)];
      unsubscribe.set(service, offs);
    },
    async stop(service: StageService, ctx: PluginContext) {
      for (const off of unsubscribe.get(service) ?? []) off();
      const ids = pooledIds.get(service);
      // The pooled instances are the host's too: stop them through the pool before the host stops.
      if (ids) {
        const pool = ctx.tryService<PoolService>('pit.pool');
        for (const id of ids) await pool?.unregister(id).catch(() => undefined);
      }
      await stage.stop?.(service, ctx);
    },
  });
}
