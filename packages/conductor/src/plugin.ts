import { definePlugin, type Plugin, type PluginContext } from '@symphony/kernel';
import type { ArtifactsService, LedgerService } from '@symphony/types';
import { createConductor, type Conductor, type ConductorServices } from './conductor.js';
import { createHeuristic, HEURISTICS, type HeuristicName } from './heuristics.js';
import { PolicyManager } from './model-manager.js';
import { readBundledPolicy } from './policy-file.js';
import type { ArbiterPort, MetricsPort, PoolPort, StagePort } from './ports.js';
import type { DagPort } from './dag-execution.js';

declare module '@symphony/kernel' {
  interface Services {
    conductor: Conductor;
  }
}

/**
 * Options (`pluginOptions.conductor`): `concurrency`, `slots`, `crashBudget` (crashes of one
 * extension one run tolerates, default 20), `fallback` (a heuristic name,
 * default `ev-greedy`, the strongest deterministic baseline) and `policy`: `store` (default: `conductor-policy@production` from the
 * artifact store, seeded from the bundled model on first use), `bundled`, or `heuristic`.
 */
export interface ConductorPluginOptions {
  concurrency?: number;
  /** Crashes of one extension one run tolerates (default 20; a workflow's `crashBudget` wins). */
  crashBudget?: number;
  slots?: number;
  fallback?: HeuristicName;
  policy?: 'store' | 'bundled' | 'heuristic';
}

const VERSION = '0.1.0';

export function createConductorPlugin(given: ConductorPluginOptions = {}): Plugin<Conductor> {
  return definePlugin<Conductor>({
    name: 'conductor',
    version: VERSION,
    dependsOn: ['pit.ledger', 'pit.artifacts'],
    setup(ctx) {
      const options = { ...(ctx.options as ConductorPluginOptions), ...given };
      const fallbackName = options.fallback && HEURISTICS.includes(options.fallback) ? options.fallback : 'ev-greedy';
      // Optional collaborators are looked up at call time: they may be set up after this plugin.
      const services: ConductorServices = {
        ledger: ctx.service<LedgerService<unknown, unknown>>('pit.ledger'),
        artifacts: ctx.service<ArtifactsService>('pit.artifacts'),
        events: ctx.events,
        get stage() {
          return ctx.tryService<StagePort>('stage');
        },
        get arbiter() {
          return ctx.tryService<ArbiterPort>('pit.arbitration');
        },
        get pool() {
          return ctx.tryService<PoolPort>('pit.pool');
        },
        get metrics() {
          return ctx.tryService<MetricsPort>('metrics');
        },
        get stale() {
          return staleAdapter(ctx);
        },
        get dag() {
          return ctx.tryService<DagPort>('pit.dag');
        },
      };
      return createConductor(services, {
        fallback: createHeuristic(fallbackName),
        logger: ctx.logger,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        ...(options.slots ? { slots: options.slots } : {}),
        ...(options.crashBudget !== undefined ? { crashBudget: options.crashBudget } : {}),
      });
    },
    async start(conductor, ctx) {
      const options = { ...(ctx.options as ConductorPluginOptions), ...given };
      await loadPolicy(conductor, ctx, options.policy ?? 'store');
    },
    async stop(conductor) {
      await conductor.policy.close();
    },
    health(conductor) {
      const status = conductor.policy.status();
      return { status: status.degraded ? 'degraded' : 'ok', policy: status.version, source: status.source, ...(status.degraded ? { detail: status.degraded } : {}) };
    },
  });
}

export const conductorPlugin: Plugin<Conductor> = createConductorPlugin();

async function loadPolicy(conductor: Conductor, ctx: PluginContext, mode: 'store' | 'bundled' | 'heuristic'): Promise<void> {
  if (mode === 'heuristic') return;
  const artifacts = ctx.service<ArtifactsService>('pit.artifacts');
  if (mode === 'store') {
    // Seed the store with the bundled model; replace an older bundled one after an upgrade,
    // but never a model someone trained and published (`source: 'trained'`).
    const stored = artifacts.info('conductor-policy', 'production');
    const bundle = await readBundledPolicy();
    if (!stored || (stored.attributes?.source !== 'trained' && stored.attributes?.sha256 !== bundle.metadata.sha256)) {
      await PolicyManager.publish(artifacts, bundle.bytes, { ...bundle.metadata, source: 'bundled' });
    }
    const outcome = await conductor.policy.loadFromStore(artifacts);
    if (outcome.ok) return;
    // E.g. a model trained for an older feature set: the bundled one still decides better than a heuristic.
    ctx.logger.warn({ err: outcome.error }, 'conductor: the stored policy did not load; deciding with the bundled policy');
    const loaded = await conductor.policy.load(bundle.bytes, bundle.metadata.version);
    if (!loaded.ok) ctx.logger.warn({ err: loaded.error }, 'conductor: the bundled policy did not load either; deciding with the fallback heuristic');
    return;
  }
  const bundle = await readBundledPolicy();
  await conductor.policy.load(bundle.bytes, bundle.metadata.version);
}

/**
 * `pit.stale` is optional. Each decision whose call has ended becomes a trace (features, action,
 * reward) that pit-stale scores, deduplicates and keeps for offline fine-tuning.
 */
function staleAdapter(ctx: PluginContext): ConductorServices['stale'] {
  const stale = ctx.tryService<{ recordMany?: (traces: unknown[]) => Promise<unknown> }>('pit.stale');
  if (!stale?.recordMany) return undefined;
  return {
    record(records) {
      const traces = records
        .filter((r) => r.outcome)
        .map((r) => ({
          questType: `capability:${r.capability}`,
          state: r.features,
          action: r.action,
          outcome: { ...r.outcome, verdict: r.verdict, chosen: r.chosen, policy: r.policyVersion, ...(r.probabilities ? { probabilities: r.probabilities } : {}) },
          reward: r.outcome!.reward,
          runId: r.runId,
          stepId: r.stepId,
          at: r.at,
        }));
      if (traces.length > 0) stale.recordMany!(traces).catch((err: unknown) => ctx.logger.warn({ err }, 'pit.stale refused decision traces'));
    },
  };
}
