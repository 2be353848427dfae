import { definePlugin, type Plugin } from '@symphony/kernel';
import type { LedgerService } from '@symphony/types';
import { createArbiter, type ArbiterService } from './service.js';
import type { ArbiterOptions, Decision } from './types.js';

declare module '@symphony/kernel' {
  interface Services {
    'pit.arbitration': ArbiterService;
  }
}

declare module '@symphony/types' {
  interface SymphonyEvents {
    'arbitration:decision': [Decision];
  }
}

export interface ArbitrationPluginOptions extends Omit<ArbiterOptions, 'logger' | 'events' | 'now'> {
  /** Share samples (and decision flushes) every this many ms; 0 = off. Default 1 000. */
  sampleIntervalMs?: number;
  /** Write decisions to `pit.ledger` (sub-database `arbitration.decisions`, key [bootedAt, seq]) on each tick and at stop. */
  persistDecisions?: boolean;
}

/** The lmdb calls used, typed structurally. */
interface DecisionDb {
  putSync(key: unknown, value: Decision): unknown;
}

const runtime = new WeakMap<ArbiterService, { stop(): Promise<void>; lost(): number }>();

/**
 * `pit.arbitration` as a kernel plugin. Options: `config.pluginOptions['pit.arbitration']`.
 * Every decision is re-emitted on the kernel bus as `arbitration:decision` while someone listens
 * there. Persisted decisions are read from the decision log after the fact, so the hot path pays
 * nothing for them; if more than `decisionLog` decisions happen between two flushes, the excess
 * is counted in the health report as `decisionsNotPersisted`.
 */
export const arbitrationPlugin: Plugin<ArbiterService> = definePlugin<ArbiterService>({
  name: 'pit.arbitration',
  version: '0.1.0',
  setup(ctx) {
    const { sampleIntervalMs, persistDecisions, ...options } = ctx.options as ArbitrationPluginOptions;
    const arbiter = createArbiter({ ...options, logger: ctx.logger, events: ctx.events as unknown as ArbiterOptions['events'] });
    const bootedAt = Date.now();
    let persisted = 0;
    let lost = 0;
    const flush = async (): Promise<void> => {
      if (!persistDecisions) return;
      const ledger = ctx.tryService<LedgerService>('pit.ledger');
      if (ledger === undefined) return;
      const fresh = arbiter.decisions().filter((d) => d.seq > persisted);
      if (fresh.length === 0) return;
      lost += fresh[0]!.seq - persisted - 1;
      const db = ledger.db('arbitration.decisions') as DecisionDb;
      await ledger.transaction(() => {
        for (const d of fresh) db.putSync([bootedAt, d.seq], d);
      });
      persisted = fresh[fresh.length - 1]!.seq;
    };
    const every = sampleIntervalMs ?? 1_000;
    const timer = every > 0
      ? setInterval(() => {
          arbiter.sample();
          flush().catch((err) => ctx.logger.error({ err }, 'arbitration: persisting decisions failed'));
        }, every).unref()
      : undefined;
    runtime.set(arbiter, {
      async stop() {
        clearInterval(timer);
        // The ledger may already be stopped if it started after this plugin: keep stop from failing.
        await flush().catch((err) => ctx.logger.error({ err }, 'arbitration: persisting decisions at stop failed'));
      },
      lost: () => lost,
    });
    return arbiter;
  },
  stop: (arbiter) => runtime.get(arbiter)?.stop(),
  health(arbiter) {
    const m = arbiter.metrics();
    const lost = runtime.get(arbiter)?.lost() ?? 0;
    return { status: lost > 0 ? 'degraded' : 'ok', pending: m.pending, jain: m.jain, decisionsNotPersisted: lost };
  },
});
