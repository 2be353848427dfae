import { join } from 'node:path';
import { definePlugin, type Plugin, type PluginContext } from '@symphony/kernel';
import { SymphonyError } from '@symphony/types/core';
import { closeLedger, openLedger, type LedgerOptions, type LmdbLedger } from './ledger.js';
import { ArtifactStore, type ArtifactStoreOptions } from './store.js';

declare module '@symphony/kernel' {
  interface Services {
    'pit.ledger': LmdbLedger;
    'pit.artifacts': ArtifactStore;
  }
}

const VERSION = '0.1.0';

/** Ledger options from the plugin's own options, else `<config.home>/ledger` (default `.symphony`). */
function ledgerOptions(ctx: PluginContext, given: Partial<LedgerOptions>): LedgerOptions {
  const options = { ...ctx.options, ...given } as Partial<LedgerOptions>;
  const home = typeof ctx.config.home === 'string' ? ctx.config.home : '.symphony';
  const path = options.path ?? join(home, 'ledger');
  if (typeof path !== 'string' || path.length === 0) {
    throw new SymphonyError('E_CONFIG_INVALID', 'pit.ledger: "path" must be a non-empty string', { details: { path } });
  }
  return { ...options, path };
}

/** `pit.ledger` with explicit options (merged over `ctx.options`). */
export function createLedgerPlugin(options: Partial<LedgerOptions> = {}): Plugin<LmdbLedger> {
  return definePlugin<LmdbLedger>({
    name: 'pit.ledger',
    version: VERSION,
    setup: (ctx) => openLedger(ledgerOptions(ctx, options)),
    stop: (ledger) => closeLedger(ledger),
    health: (ledger) => ({ status: 'ok', ...ledger.stats() }),
  });
}

/** `pit.artifacts` with explicit options (merged over `ctx.options`). */
export function createArtifactsPlugin(options: ArtifactStoreOptions = {}): Plugin<ArtifactStore> {
  return definePlugin<ArtifactStore>({
    name: 'pit.artifacts',
    version: VERSION,
    dependsOn: ['pit.ledger'],
    setup: (ctx) => new ArtifactStore(ctx.service('pit.ledger'), { ...(ctx.options as ArtifactStoreOptions), ...options }),
  });
}

/** Both plugins, ledger first: `createKernel({ plugins: [...pitStorePlugins({ ledger: { path } })] })`. */
export function pitStorePlugins(options: { ledger?: Partial<LedgerOptions>; artifacts?: ArtifactStoreOptions } = {}): [
  Plugin<LmdbLedger>,
  Plugin<ArtifactStore>,
] {
  return [createLedgerPlugin(options.ledger), createArtifactsPlugin(options.artifacts)];
}

/**
 * The shared LMDB environment as the kernel service `pit.ledger`; options from kernel config
 * `pluginOptions['pit.ledger']` (`path`, `mapSize`, `noSync`), path defaulting to `<home>/ledger`.
 */
export const ledgerPlugin: Plugin<LmdbLedger> = createLedgerPlugin();

/** The artifact store as the kernel service `pit.artifacts`, over `pit.ledger`. */
export const artifactsPlugin: Plugin<ArtifactStore> = createArtifactsPlugin();

/** What kernel config loading (`plugins: ['@symphony/pit-artifacts']`) picks up. */
export const plugins: [Plugin<LmdbLedger>, Plugin<ArtifactStore>] = [ledgerPlugin, artifactsPlugin];
