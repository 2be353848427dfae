import { definePlugin, type Plugin } from '@symphony/kernel';
import type { ArtifactsService, LedgerService } from '@symphony/types';
import { createDirectoryTarget } from './archive.js';
import { createStale, type StaleService } from './store.js';
import type { StaleOptions } from './types.js';

declare module '@symphony/kernel' {
  interface Services {
    'pit.stale': StaleService;
  }
}

export interface StalePluginOptions extends Omit<StaleOptions, 'archive' | 'artifacts' | 'logger' | 'now' | 'protect'> {
  /** Archive directory (relative to the working directory); default `<config.home>/archive/stale`. */
  archiveDir?: string;
  /** Run retention + cleanup + purge on this period (0 = off, the default). */
  maintenanceIntervalMs?: number;
}

const timers = new WeakMap<StaleService, ReturnType<typeof setInterval>>();

/**
 * `pit.stale` over the shared ledger (`pit.ledger`). Alias and lineage protection asks
 * `pit.artifacts` when that service is present (looked up at cleanup time, so plugin order does
 * not matter); a trace that references artifacts while it is absent is kept.
 */
export const stalePlugin: Plugin<StaleService> = definePlugin<StaleService>({
  name: 'pit.stale',
  version: '0.1.0',
  dependsOn: ['pit.ledger'],
  setup(ctx) {
    const { archiveDir, maintenanceIntervalMs, ...options } = ctx.options as StalePluginOptions;
    const home = typeof ctx.config.home === 'string' ? ctx.config.home : '.symphony';
    const stale = createStale(ctx.service<LedgerService>('pit.ledger'), {
      ...options,
      archive: createDirectoryTarget(archiveDir ?? `${home}/archive/stale`),
      artifacts: () => ctx.tryService<ArtifactsService>('pit.artifacts'),
      logger: ctx.logger,
    });
    if (maintenanceIntervalMs) {
      const run = async (): Promise<void> => {
        await stale.applyRetention();
        await stale.cleanup();
        await stale.purge();
      };
      timers.set(stale, setInterval(() => void run().catch((err) => ctx.logger.error({ err }, 'stale: maintenance failed')), maintenanceIntervalMs).unref());
    }
    return stale;
  },
  stop(stale) {
    clearInterval(timers.get(stale));
  },
  health(stale) {
    return { status: 'ok', ...stale.stats() };
  },
});
