import { definePlugin, type Plugin, type PluginContext } from '@symphony/kernel';
import { type CallLimits, type CallOptions, type CommandLine, type IsolationMode, type LaunchSpec, type Launcher, type SpawnWrapper } from '@symphony/ipc-bus';
import type { ExtensionManifest } from '@symphony/manifest';
import type { EventEmitter } from 'eventemitter3';
import type { ExtensionDirectory, InMemoryExtension } from './discover.js';
import { ExtensionHost, type ExtensionHostOptions, type ExtensionInfo, type Provider, type StageEvents, type StageInstance } from './host.js';

/** What `kernel.service('stage')` returns. */
export interface StageService {
  /** Calls `extension.id/method` (or `capability:name`, first provider) with a timeout, a signal and progress. */
  call(uses: string, input?: unknown, options?: CallOptions): Promise<unknown>;
  list(): ExtensionInfo[];
  providers(capability: string): Provider[];
  /** Adds one extension (a folder, or a manifest object plus its entry module), or a folder of them, at run time. */
  register(source: string | InMemoryExtension, mode?: IsolationMode): Promise<ExtensionInfo>;
  addDirectory(dir: string | ExtensionDirectory): Promise<ExtensionInfo[]>;
  reload(id: string): Promise<void>;
  /** Starts an extension before its first call (pre-warming), whatever its activation events. */
  activate(id: string): Promise<void>;
  enable(id: string): void;
  /** Turns an extension off (calls refused with `E_EXTENSION_DISABLED`) until `enable(id)`. */
  disable(id: string): Promise<void>;
  /** `event`, `progress`, `state`, `activated`, `crash`, `failed`, `reloaded`, `reload-failed`, `problem`. */
  readonly events: EventEmitter<StageEvents>;
  readonly problems: readonly Error[];
  /** Starts one more instance of an extension, owned by the caller (`pit.pool` through `stageInstrumentSpec`). */
  startInstance(id: string): Promise<StageInstance>;
  /** True when calls to this extension are leased from `pit.pool` by the Stage itself (the runtime's instrument pool). */
  pooled?(extensionId: string): boolean;
}

declare module '@symphony/kernel' {
  interface Services {
    stage: StageService;
  }
}

/** The sandbox service's hooks, found by name (the sandbox sits beside us, never imported). */
interface SandboxHooks {
  spawnWrapper?(command: CommandLine, spec: LaunchSpec): CommandLine | Promise<CommandLine>;
  wrapLauncher?(launcher: Launcher): Launcher;
  callLimits?(id: string): Partial<CallLimits>;
  get?(id: string): unknown;
  register?(extension: { id: string; version: string; dir?: string; permissions?: unknown }): void;
}

/**
 * The `sandbox` service's hooks, looked up at launch time (after every plugin is set up): its
 * `spawnWrapper` builds each child's command line and its `wrapLauncher` guards each launch.
 */
function sandboxSpawnWrapper(ctx: PluginContext): SpawnWrapper {
  return (command, spec) => {
    const sandbox = ctx.tryService<SandboxHooks>('sandbox');
    return sandbox?.spawnWrapper ? sandbox.spawnWrapper(command, spec) : command;
  };
}

function sandboxWrapLauncher(ctx: PluginContext): (launcher: Launcher) => Launcher {
  return (base) => (spec) => {
    const sandbox = ctx.tryService<SandboxHooks>('sandbox');
    return (sandbox?.wrapLauncher ? sandbox.wrapLauncher(base) : base)(spec);
  };
}

/** Per-extension call limits from the sandbox, registering the extension with it first. */
function sandboxLimits(ctx: PluginContext) {
  return (manifest: ExtensionManifest, dir?: string): Partial<CallLimits> | undefined => {
    const sandbox = ctx.tryService<SandboxHooks>('sandbox');
    if (!sandbox?.callLimits) return undefined;
    if (sandbox.get && sandbox.register && sandbox.get(manifest.id) === undefined) {
      sandbox.register({ id: manifest.id, version: manifest.version, ...(dir ? { dir } : {}), permissions: manifest.permissions });
    }
    return sandbox.callLimits(manifest.id);
  };
}

/**
 * The kernel plugin `stage`. Options (from `config.pluginOptions.stage` or the factory) are the
 * `ExtensionHost` options. When a `sandbox` service is present (register its plugin before this
 * one for `onStartup` extensions), instances start through its `spawnWrapper` and `wrapLauncher`,
 * and its `callLimits(id)` sets each extension's timeout, payload cap and in-flight bound.
 */
export function createStagePlugin(defaults: ExtensionHostOptions = {}): Plugin<StageService> {
  // One host per service object, so the same plugin object can serve several kernels.
  const hosts = new WeakMap<StageService, ExtensionHost>();
  return definePlugin<StageService>({
    name: 'stage',
    version: '0.1.0',
    setup(ctx: PluginContext) {
      const options: ExtensionHostOptions = { logger: ctx.logger, ...defaults, ...(ctx.options as ExtensionHostOptions) };
      options.spawnWrapper ??= sandboxSpawnWrapper(ctx);
      options.wrapLauncher ??= sandboxWrapLauncher(ctx);
      options.limitsFor ??= sandboxLimits(ctx);
      const stage = new ExtensionHost(options);
      const service: StageService = {
        call: (uses, input, callOptions) => stage.call(uses, input, callOptions),
        list: () => stage.list(),
        providers: (capability) => stage.providers(capability),
        register: (source, mode) => stage.register(source, mode),
        addDirectory: (dir) => stage.addDirectory(dir),
        reload: (id) => stage.reload(id),
        activate: (id) => stage.activate(id),
        enable: (id) => stage.enable(id),
        disable: (id) => stage.disable(id),
        events: stage,
        problems: stage.problems,
        startInstance: (id) => stage.startInstance(id),
      };
      hosts.set(service, stage);
      return service;
    },
    async start(service) {
      await hosts.get(service)!.load();
    },
    async stop(service) {
      await hosts.get(service)?.stop();
    },
    health(service) {
      const failed = hosts.get(service)?.list().filter((e) => e.state === 'failed').map((e) => e.id) ?? [];
      return failed.length === 0 ? 'ok' : { status: 'degraded', detail: `disabled after crashing: ${failed.join(', ')}` };
    },
  });
}

/** The `stage` plugin with options from kernel config (`pluginOptions.stage`). */
export const stagePlugin: Plugin<StageService> = createStagePlugin();
