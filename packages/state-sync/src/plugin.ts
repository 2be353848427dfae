import { definePlugin, type Plugin } from '@symphony/kernel';
import type { LedgerService } from '@symphony/types';
import { openLmdbPersistence } from './lmdb.js';
import { createSyncServer, type SyncServer, type SyncServerOptions } from './server.js';
import { openStateStore, type StateStore, type StateStoreOptions } from './store.js';

/** The `state-sync` kernel service: named, persistent stores and sync servers over them. */
export interface StateSyncService {
  /**
   * Opens (once; later calls return the same store) a named document. It persists in the Pit's
   * shared LMDB environment when `pit.ledger` is present, else under the plugin's `path` option,
   * else only in memory.
   */
  open(name: string, options?: Omit<StateStoreOptions, 'persistence'>): Promise<StateStore>;
  /** A sync server for a store (one per store and options object: create it once). */
  serve(store: StateStore, options?: SyncServerOptions): SyncServer;
  /** Names of the stores opened so far. */
  names(): string[];
}

declare module '@symphony/kernel' {
  interface Services {
    'state-sync': StateSyncService;
  }
}

interface Owned { service: StateSyncService; stores: Map<string, Promise<StateStore>>; servers: SyncServer[] }

/**
 * `ledger: true` makes `pit.ledger` a dependency (started first, required). Without it the ledger
 * is used if it is registered before this plugin, and a private environment or memory otherwise.
 */
export function createStateSyncPlugin(defaults: { path?: string; ledger?: boolean } = {}): Plugin<StateSyncService> {
  const owned = new WeakMap<StateSyncService, Owned>();
  return definePlugin<StateSyncService>({
    name: 'state-sync',
    version: '0.1.0',
    ...(defaults.ledger ? { dependsOn: ['pit.ledger'] } : {}),
    setup(ctx) {
      const ledger = ctx.tryService<LedgerService>('pit.ledger');
      const path = (ctx.options.path as string | undefined) ?? defaults.path;
      const stores = new Map<string, Promise<StateStore>>();
      const servers: SyncServer[] = [];
      const service: StateSyncService = {
        open(name, options = {}) {
          let store = stores.get(name);
          if (!store) {
            const persistence = ledger ? openLmdbPersistence({ ledger, name }) : path ? openLmdbPersistence({ path, name }) : undefined;
            store = openStateStore({ ...options, ...(persistence ? { persistence } : {}) });
            stores.set(name, store);
          }
          return store;
        },
        serve(store, options) {
          const server = createSyncServer(store, { logger: ctx.logger, ...options });
          servers.push(server);
          return server;
        },
        names: () => [...stores.keys()],
      };
      owned.set(service, { service, stores, servers });
      return service;
    },
    async stop(service) {
      const o = owned.get(service);
      if (!o) return;
      for (const s of o.servers) s.close();
      // Each close writes a final snapshot, so the next start loads without replaying a log.
      await Promise.all([...o.stores.values()].map(async (p) => (await p).close()));
    },
    health(service) {
      return { status: 'ok', stores: service.names() };
    },
  });
}

/** The plugin with default options (`pluginOptions['state-sync'].path` for a private environment). */
export const stateSyncPlugin: Plugin<StateSyncService> = createStateSyncPlugin();
