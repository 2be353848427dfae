import { definePlugin, type Plugin } from '@symphony/kernel';
import type { ArtifactsService, LedgerService } from '@symphony/types/core';
import { createDagService } from './service.js';
import type { DagService } from './types.js';

declare module '@symphony/kernel' {
  interface Services {
    'pit.dag': DagService;
  }
}

/**
 * The DAG tracker as the kernel service `pit.dag`. It keeps its checkpoints in `pit.ledger` and
 * stores step outputs through `pit.artifacts`, both found by name (this package imports
 * neither). Run events go to the kernel's `ctx.events`. Without an artifact store, use
 * `createDagService` directly (outputs are then refs the caller stored elsewhere).
 */
export const dagPlugin: Plugin<DagService> = definePlugin({
  name: 'pit.dag',
  version: '0.1.0',
  dependsOn: ['pit.ledger', 'pit.artifacts'],
  setup(ctx) {
    // `pluginOptions['pit.dag']`: `maxInterruptions` (default 3), `leaseTtlMs` (default 30 s).
    const options = (ctx.options ?? {}) as { maxInterruptions?: unknown; leaseTtlMs?: unknown };
    const positive = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
    const maxInterruptions = positive(options.maxInterruptions);
    const leaseTtlMs = positive(options.leaseTtlMs);
    return createDagService({
      ledger: ctx.service<LedgerService>('pit.ledger'),
      artifacts: ctx.service<ArtifactsService>('pit.artifacts'),
      events: ctx.events,
      logger: ctx.logger,
      ...(maxInterruptions ? { maxInterruptions } : {}),
      ...(leaseTtlMs ? { leaseTtlMs } : {}),
    });
  },
  stop(service) {
    service.close();
  },
});

/** What kernel config loading (`plugins: ['@symphony/pit-dag']`) picks up. */
export const plugin: Plugin<DagService> = dagPlugin;
