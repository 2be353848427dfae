import { definePlugin, type Plugin } from '@symphony/kernel';
import { SymphonyError, hasErrorCode, type ArtifactsService, type LedgerService, type Logger } from '@symphony/types';
import { createDirectoryTarget } from './archive.js';
import { createStale, queueTraces, type RecordResult, type StaleService } from './store.js';
import type { StaleOptions, TraceInput } from './types.js';

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
    const ledger = ctx.service<LedgerService>('pit.ledger');
    const open = (): StaleService => createStale(ledger, {
      ...options,
      archive: createDirectoryTarget(archiveDir ?? `${home}/archive/stale`),
      artifacts: () => ctx.tryService<ArtifactsService>('pit.artifacts'),
      logger: ctx.logger,
    });
    const stale = openOrStandby(open, (traces) => queueTraces(ledger, traces, options), ctx.logger);
    if (maintenanceIntervalMs) {
      const run = async (): Promise<void> => {
        await stale.applyRetention();
        await stale.cleanup();
        await stale.purge();
      };
      const failed = (err: unknown): void => {
        if (hasErrorCode(err, 'E_STALE_LOCKED')) ctx.logger.debug({ err }, 'stale: maintenance skipped, another instance holds the ledger');
        else ctx.logger.error({ err }, 'stale: maintenance failed');
      };
      timers.set(stale, setInterval(() => void run().catch(failed), maintenanceIntervalMs).unref());
    }
    return stale;
  },
  async stop(stale) {
    clearInterval(timers.get(stale));
    await stale.close(); // after any maintenance pass in flight; frees the ledger's lock
  },
  health(stale) {
    try {
      return { status: 'ok', ...stale.stats() };
    } catch (err) {
      if (!hasErrorCode(err, 'E_STALE_LOCKED')) throw err;
      return { status: 'degraded', reason: (err as Error).message };
    }
  },
});

// Every method of the service (the type makes this list complete), and whether it returns a promise.
const METHODS: Record<Exclude<keyof StaleService, 'close'>, 'async' | 'sync'> = {
  record: 'async', recordMany: 'async', pin: 'async', unpin: 'async', applyRetention: 'async', cleanup: 'async',
  purge: 'async', undo: 'async', archive: 'async', restore: 'async',
  score: 'sync', get: 'sync', getBytes: 'sync', trainingSet: 'sync', archives: 'sync', removals: 'sync', stats: 'sync',
};

/**
 * The store, or, while another process (another `symphony run` or `serve` on the same home)
 * holds the ledger's pit.stale lock, a stand-in that opens the real store at the first call
 * after the holder is gone. Meanwhile `record*` queue their traces in the ledger for the holder
 * (which takes them in before its next operation) and other calls fail with `E_STALE_LOCKED`.
 */
function openOrStandby(open: () => StaleService, queue: (traces: TraceInput[]) => Promise<RecordResult[]>, logger: Logger): StaleService {
  try {
    return open();
  } catch (err) {
    if (!hasErrorCode(err, 'E_STALE_LOCKED')) throw err;
    // Expected whenever two processes share a home (a second `symphony run`, a `serve`): no stack
    // trace on the user's terminal, just who holds the lock.
    logger.info({ code: 'E_STALE_LOCKED', holder: (err as { details?: { holder?: unknown } }).details?.holder }, 'pit.stale: another instance holds the ledger; traces are queued for it until it is gone');
  }
  let real: StaleService | undefined;
  let closed = false;
  let retryAt = 0;
  let refusal: unknown;
  const current = (): StaleService => {
    if (closed) throw new SymphonyError('E_STALE_CLOSED', 'the stale store is closed', { details: {} });
    if (real) return real;
    if (Date.now() < retryAt) throw refusal; // at most one attempt at the lock a second
    try {
      return (real = open());
    } catch (err) {
      refusal = err;
      retryAt = Date.now() + 1_000;
      throw err;
    }
  };
  return new Proxy({} as StaleService, {
    get(_target, key) {
      if (key === 'close') return async () => { closed = true; await real?.close(); };
      if (key === 'record' || key === 'recordMany') {
        return async (input: TraceInput | TraceInput[]) => {
          try {
            return await (key === 'record' ? current().record(input as TraceInput) : current().recordMany(input as TraceInput[]));
          } catch (err) {
            if (!hasErrorCode(err, 'E_STALE_LOCKED')) throw err;
            const results = await queue(key === 'record' ? [input as TraceInput] : (input as TraceInput[]));
            return key === 'record' ? results[0] : results;
          }
        };
      }
      const kind = typeof key === 'string' && Object.hasOwn(METHODS, key) ? METHODS[key as keyof typeof METHODS] : undefined;
      if (kind === undefined) return undefined; // not a thenable, no other members
      const call = (args: unknown[]): unknown => (current()[key as keyof StaleService] as (...a: unknown[]) => unknown)(...args);
      if (kind === 'sync') return (...args: unknown[]) => call(args);
      return (...args: unknown[]) => {
        try {
          return call(args);
        } catch (err) {
          return Promise.reject(err);
        }
      };
    },
  });
}
