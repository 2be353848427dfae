import type { EventEmitter } from 'eventemitter3';
import type { HealthReport, HealthStatus, Logger, SymphonyEvents } from '@symphony/types/core';

/**
 * Services by name, for typed lookups. A Pit package declares its own entry:
 *
 *   declare module '@symphony/kernel' { interface Services { 'pit.pool': PoolService } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Services {}

export type ServiceName = keyof Services & string;

export type KernelEvents = EventEmitter<SymphonyEvents>;

export interface ServiceLookup {
  /** The plugin's API object itself: no proxy, no copy. Throws `E_SERVICE_UNKNOWN`. */
  service<K extends ServiceName>(name: K): Services[K];
  service<T = unknown>(name: string): T;
  /** Like `service`, but `undefined` instead of throwing, for optional collaborators. */
  tryService<K extends ServiceName>(name: K): Services[K] | undefined;
  tryService<T = unknown>(name: string): T | undefined;
  has(name: string): boolean;
}

/** What a plugin's hooks receive. */
export interface PluginContext extends ServiceLookup {
  /** The plugin's own name. */
  readonly name: string;
  /** `config.plugins[name]`-style options: the slice of kernel config for this plugin. */
  readonly options: Record<string, unknown>;
  /** The whole kernel config, for plugins that need shared settings (e.g. `home`). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  readonly events: KernelEvents;
}

export type PluginHealth = HealthReport | HealthStatus;

export interface Plugin<Api = unknown> {
  name: string;
  version: string;
  /** Plugins that must be set up (and started) before this one. */
  dependsOn?: readonly string[];
  /** Semver ranges the dependencies' versions must satisfy: `{ 'pit.ledger': '^1.0.0' }`. */
  requires?: Readonly<Record<string, string>>;
  /** Builds the service API; `kernel.service(name)` returns exactly this object. */
  setup(ctx: PluginContext): Api | Promise<Api>;
  start?(api: Api, ctx: PluginContext): void | Promise<void>;
  stop?(api: Api, ctx: PluginContext): void | Promise<void>;
  health?(api: Api, ctx: PluginContext): PluginHealth | Promise<PluginHealth>;
}

export type AnyPlugin = Plugin<any>;

/** Identity with types: the plugin is a plain object, like a Vite or Fastify plugin. */
export function definePlugin<Api>(plugin: Plugin<Api>): Plugin<Api> {
  return plugin;
}
