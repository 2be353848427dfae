import { watch, type FSWatcher } from 'node:fs';
import { createRequire } from 'node:module';
import { EventEmitter } from 'eventemitter3';
import {
  Supervisor,
  createLauncher,
  createWarmLauncher,
  externalSocketLauncher,
  type CallLimits,
  type CallOptions,
  type IsolationMode,
  type Launcher,
  type RestartPolicy,
  type SpawnWrapper,
  type SupervisorState,
  type WarmLauncher,
} from '@symphony/ipc-bus';
import type { ExtensionManifest } from '@symphony/manifest';
import { SymphonyError, parseUses, silentLogger, toSymphonyError, type Logger } from '@symphony/types';
import { discoverExtensions, extensionFromManifest, loadExtension, type DiscoveredExtension, type ExtensionDirectory, type InMemoryExtension } from './discover.js';
import { resolveDependencies } from './resolve.js';

export interface ExtensionHostOptions {
  /** Folders of extensions (each a folder with a manifest, or a folder of such folders). */
  dirs?: ReadonlyArray<string | ExtensionDirectory>;
  /** Project roots whose `node_modules` are searched for packages that ship a manifest. */
  nodeModules?: readonly string[];
  /** This Symphony's version, checked against every `engines.symphony`. */
  symphonyVersion?: string;
  /** Ids run in worker threads; every other extension defaults to a child process. */
  trusted?: readonly string[];
  /** Overrides the isolation rule for any extension. */
  isolation?: (ext: DiscoveredExtension) => IsolationMode | undefined;
  /** The module started in the worker or child (default: `@symphony/sdk/runtime/entry`). */
  entry?: string;
  /** The sandbox's hooks: rewrite a child's command line, or replace how instances start. */
  spawnWrapper?: SpawnWrapper;
  /** Replaces how instances start entirely (then `spawnWrapper`, `wrapLauncher`, `prewarm` are unused). */
  launcher?: Launcher;
  /** Wraps the default launcher (the sandbox's guard: isolation check, CPU budget, audit). */
  wrapLauncher?: (launcher: Launcher) => Launcher;
  /**
   * Worker threads kept booted with the SDK runtime loaded, so activating a worker-mode
   * extension costs its own module only (default 0: none). Costs a worker's memory per spare.
   */
  prewarm?: number;
  /** Call limits for every extension, and per extension (the sandbox sets these). */
  limits?: Partial<CallLimits>;
  limitsFor?: (manifest: ExtensionManifest, dir?: string) => Partial<CallLimits> | undefined;
  /** Heap limit per instance in MB. */
  memoryLimitMb?: number;
  restart?: Partial<RestartPolicy>;
  /** Environment for child processes (default: the host's; the sandbox filters it). */
  env?: Record<string, string | undefined>;
  /**
   * Extensions started separately, by id: the host listens on the socket path given and waits
   * (up to `externalWaitMs`) for the extension to connect, e.g. one run under a debugger with
   * `SYMPHONY_IPC_SOCKET=<path> SYMPHONY_LAUNCH_DATA='{"module":"<main>"}' node <sdk runtime entry>`.
   */
  external?: Readonly<Record<string, string>>;
  externalWaitMs?: number;
  /** Restart an extension when a file in its folder changes. */
  watch?: boolean;
  /** Settle time after the last file change before reloading. */
  watchDebounceMs?: number;
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /**
   * After a call times out or is aborted, its handler must settle within this many ms, or its
   * instance (a method spinning on the CPU, or deaf to its signal) is terminated at once and the
   * next call starts a fresh one, without counting as a crash. Default 500 ms (`@symphony/ipc-bus`'s
   * `DEFAULT_CANCEL_GRACE_MS`).
   */
  cancelGraceMs?: number;
  logger?: Logger;
}

export interface ExtensionInfo {
  id: string;
  version: string;
  kind: ExtensionManifest['kind'];
  mode: IsolationMode;
  state: SupervisorState | 'inactive' | 'disabled';
  methods: string[];
  capabilities: Array<{ name: string; method: string }>;
  /** JSON Schema of each method's input, where the manifest declares one. */
  inputs: Record<string, unknown>;
  dir: string;
  crashes: number;
}

export interface Provider {
  id: string;
  version: string;
  method: string;
  /** `id/method`, ready for `call`. */
  uses: string;
  /** The capability's declared relative cost (0..1), when the manifest gives one. */
  cost?: number;
}

export interface StageEvents {
  /** An extension's own event (`ctx.emit`). */
  event: [info: { id: string; name: string; payload: unknown }];
  progress: [info: { id: string; method: string; fraction: number; message?: string }];
  state: [info: { id: string; state: SupervisorState | 'inactive' | 'disabled' }];
  activated: [info: { id: string; version: string; pid: number; startMs: number }];
  crash: [info: { id: string; crashes: number }];
  failed: [info: { id: string; crashes: number; recentCalls: Array<{ method: string; at: number }> }];
  reloaded: [info: { id: string; from: string; to: string }];
  'reload-failed': [info: { id: string; error: SymphonyError }];
  problem: [error: SymphonyError];
}

interface Record_ {
  ext: DiscoveredExtension;
  mode: IsolationMode;
  current: Supervisor | undefined;
  watcher: FSWatcher | undefined;
  reloading: Promise<void> | undefined;
  /** Turned off by the user: calls are refused and it is no capability's provider until enabled. */
  disabled?: boolean;
}

/** One instance of an extension started for a caller that owns it (the pool): never restarted. */
export interface StageInstance {
  readonly extensionId: string;
  /** Unique within the host. */
  readonly instanceId: number;
  readonly mode: IsolationMode;
  /** The child's pid (process mode); the host's pid for a worker thread. */
  readonly pid: number | undefined;
  /** Calls a declared method on this instance only. */
  call(method: string, input?: unknown, options?: CallOptions): Promise<unknown>;
  /** The instance's own heap and RSS, asked over the bus; `undefined` once it is gone. */
  memory(): Promise<{ heapUsedBytes: number; rssBytes: number } | undefined>;
  /** Called once if the instance dies on its own (crash, SIGKILL, unresponsive). */
  onExit(listener: (reason: string) => void): void;
  /** Drains its calls and stops it. */
  stop(): Promise<void>;
}

/**
 * The Stage: every known extension, started on its activation event, called by `id/method`,
 * restarted when it crashes, and replaced without dropping calls when its files change.
 */
export class ExtensionHost extends EventEmitter<StageEvents> {
  private readonly records = new Map<string, Record_>();
  private readonly targets = new Map<string, { id: string; method: string }>();
  private readonly logger: Logger;
  private readonly launcher: Launcher;
  private warm: WarmLauncher | undefined;
  private readonly entry: string;
  private stopped = false;
  private instanceSeq = 0;
  /** Instances started by `startInstance` and not yet stopped: `stop()` takes them down too. */
  private readonly instances = new Set<Supervisor>();
  /** Problems found while loading (bad manifests, conflicts); those extensions are left out. */
  readonly problems: SymphonyError[] = [];

  constructor(private readonly options: ExtensionHostOptions = {}) {
    super();
    this.logger = (options.logger ?? silentLogger).child({ plugin: 'stage' });
    this.entry = options.entry ?? createRequire(import.meta.url).resolve('@symphony/sdk/runtime/entry');
    this.launcher = options.launcher ?? this.defaultLauncher();
  }

  /** Spawned children through `spawnWrapper`, spares first if `prewarm`, all behind `wrapLauncher`. */
  private defaultLauncher(): Launcher {
    const plain = createLauncher(this.options.spawnWrapper ? { spawnWrapper: this.options.spawnWrapper } : {});
    const { prewarm = 0, memoryLimitMb } = this.options;
    if (prewarm > 0) {
      // Spares run only the SDK runtime until told which extension to load, after the
      // wrapper (the sandbox's guard) has approved that extension's launch.
      this.warm = createWarmLauncher(plain, {
        size: prewarm,
        spare: { mode: 'worker', entry: this.entry, data: { deferred: true }, ...(memoryLimitMb ? { memoryLimitMb } : {}) },
        load: (spec) => ({ load: spec.data }),
      });
    }
    const base = this.warm ?? plain;
    return this.options.wrapLauncher ? this.options.wrapLauncher(base) : base;
  }

  /** Discovers and resolves the configured extensions, then starts the `onStartup` ones. */
  async load(): Promise<void> {
    const found = await discoverExtensions({ dirs: this.options.dirs ?? [], nodeModules: this.options.nodeModules ?? [] });
    for (const problem of found.problems) this.report(problem);
    await this.admit(found.extensions);
  }

  /**
   * Adds one extension at run time: a folder (a manifest plus its code), or a manifest object with
   * the path of its entry module (the code still runs in its own worker or process).
   */
  async register(source: string | InMemoryExtension, mode?: IsolationMode): Promise<ExtensionInfo> {
    const ext = typeof source === 'string' ? await loadExtension(source, 'registered', mode) : extensionFromManifest(source, mode);
    await this.admit([ext], true);
    return this.info(this.records.get(ext.manifest.id)!);
  }

  /** Adds a folder of extensions at run time. */
  async addDirectory(dir: string | ExtensionDirectory): Promise<ExtensionInfo[]> {
    const found = await discoverExtensions({ dirs: [dir] });
    for (const problem of found.problems) this.report(problem);
    await this.admit(found.extensions, true);
    return found.extensions.map((e) => this.records.get(e.manifest.id)).filter((r) => r !== undefined).map((r) => this.info(r));
  }

  /** Calls `id/method`, starting the extension first if this is its activation. */
  async call(uses: string, input?: unknown, options: CallOptions = {}): Promise<unknown> {
    const target = this.target(uses);
    const record = this.recordFor(target.id);
    if (record.disabled) {
      throw new SymphonyError('E_EXTENSION_DISABLED', `${target.id} is disabled; enable it to call it again`, { details: { extensionId: target.id } });
    }
    const { manifest } = record.ext;
    const declared = manifest.contributes.methods;
    if (Object.keys(declared).length > 0 && !Object.prototype.hasOwnProperty.call(declared, target.method)) {
      throw new SymphonyError('E_METHOD_UNKNOWN', `${target.id} has no method "${target.method}" (it has: ${Object.keys(declared).join(', ')})`, {
        details: { extensionId: target.id, method: target.method, methods: Object.keys(declared) },
      });
    }
    const timeoutMs = options.timeoutMs ?? declared[target.method]?.timeoutMs;
    return this.supervisorFor(record).call(target.method, input, timeoutMs === undefined ? options : { ...options, timeoutMs });
  }

  /** `id/method` parsed once per distinct string (it is on every call's path). */
  private target(uses: string): { id: string; method: string } {
    let target = this.targets.get(uses);
    if (target) return target;
    const parsed = parseUses(uses);
    if (parsed?.kind === 'capability') {
      const provider = this.providers(parsed.capability)[0];
      if (!provider) {
        throw new SymphonyError('E_CAPABILITY_UNKNOWN', `no installed extension provides "${parsed.capability}"`, { details: { capability: parsed.capability } });
      }
      return { id: provider.id, method: provider.method };
    }
    if (!parsed) throw new SymphonyError('E_INPUT_INVALID', `"${uses}" is not "<extension-id>/<method>" or "capability:<name>"`, { details: { uses } });
    target = { id: parsed.extensionId, method: parsed.method };
    if (this.targets.size > 10_000) this.targets.clear();
    this.targets.set(uses, target);
    return target;
  }

  list(): ExtensionInfo[] {
    return [...this.records.values()].map((r) => this.info(r));
  }

  /** Extensions that provide a capability; looking them up activates those waiting for it. */
  providers(capability: string): Provider[] {
    const out: Provider[] = [];
    for (const record of this.records.values()) {
      if (record.disabled) continue;
      const { manifest } = record.ext;
      for (const cap of manifest.contributes.capabilities) {
        if (cap.name !== capability) continue;
        const method = cap.method ?? cap.name;
        out.push({ id: manifest.id, version: manifest.version, method, uses: `${manifest.id}/${method}`, ...(cap.cost === undefined ? {} : { cost: cap.cost }) });
        if (manifest.activation.includes(`onCapability:${capability}`) || manifest.activation.includes('onCapability:*')) {
          this.supervisorFor(record).start().catch(() => {});
        }
      }
    }
    return out;
  }

  /**
   * Starts the extension's new version from its folder; new calls go to it at once, calls in
   * flight finish on the old one, which then stops. If the new version fails to start, the old
   * one keeps serving and the error is reported (`reload-failed`) and thrown.
   */
  reload(id: string): Promise<void> {
    const record = this.recordFor(id);
    // Reloads of one extension run one after another, so a burst of file events is safe.
    const run = (record.reloading ?? Promise.resolve()).then(() => this.doReload(record));
    record.reloading = run.catch(() => {}).finally(() => {
      if (record.reloading === settled) record.reloading = undefined;
    });
    const settled = record.reloading;
    return run;
  }

  /** Starts an extension ahead of its first call (pre-warming); resolves once it is ready. */
  async activate(id: string): Promise<void> {
    await this.supervisorFor(this.recordFor(id)).start();
  }

  /**
   * Starts one more instance of extension `id` in its own worker or process (same isolation,
   * sandbox wrapper and limits as its regular instance), owned by the caller: a crash is not
   * restarted but reported through `onExit`, so a pool can replace it. Resolves once it is ready.
   */
  async startInstance(id: string): Promise<StageInstance> {
    const record = this.recordFor(id);
    if (record.disabled) {
      throw new SymphonyError('E_EXTENSION_DISABLED', `${id} is disabled; enable it to start instances`, { details: { extensionId: id } });
    }
    if (this.stopped) throw new SymphonyError('E_EXTENSION_STOPPED', `the stage is stopped; no instance of ${id} can start`, { details: { extensionId: id } });
    const ext = record.ext;
    const supervisor = this.makeSupervisor(ext, record.mode, { maxCrashes: 1 });
    const instanceId = ++this.instanceSeq;
    const listeners: Array<(reason: string) => void> = [];
    let exited: string | undefined;
    const exit = (reason: string): void => {
      if (exited !== undefined) return;
      exited = reason;
      for (const listener of listeners.splice(0)) listener(reason);
    };
    supervisor.on('crash', ({ exit: info }) => exit(`instance crashed (${JSON.stringify(info)})`));
    supervisor.on('failed', () => exit('instance failed'));
    supervisor.on('stuck', ({ method }) => exit(`instance terminated: still busy after a call of ${method} was cut off`));
    this.instances.add(supervisor);
    try {
      await supervisor.start();
    } catch (error) {
      this.instances.delete(supervisor);
      await supervisor.stop().catch(() => {});
      throw error;
    }
    return {
      extensionId: id,
      instanceId,
      mode: record.mode,
      pid: supervisor.pid,
      // async: an undeclared method rejects like every other failure, never throws synchronously.
      call: async (method, input, options = {}) => {
        const timeoutMs = options.timeoutMs ?? this.checkMethod(ext, method);
        return supervisor.call(method, input, timeoutMs === undefined ? options : { ...options, timeoutMs });
      },
      memory: () => supervisor.memory().catch(() => undefined),
      onExit: (listener) => {
        if (exited !== undefined) listener(exited);
        else listeners.push(listener);
      },
      stop: async () => {
        exited ??= 'stopped';
        listeners.length = 0;
        await supervisor.stop();
        this.instances.delete(supervisor);
      },
    };
  }

  /** The declared method's own time limit; throws `E_METHOD_UNKNOWN` for an undeclared method. */
  private checkMethod(ext: DiscoveredExtension, method: string): number | undefined {
    const declared = ext.manifest.contributes.methods;
    if (Object.keys(declared).length > 0 && !Object.prototype.hasOwnProperty.call(declared, method)) {
      throw new SymphonyError('E_METHOD_UNKNOWN', `${ext.manifest.id} has no method "${method}" (it has: ${Object.keys(declared).join(', ')})`, {
        details: { extensionId: ext.manifest.id, method, methods: Object.keys(declared) },
      });
    }
    return declared[method]?.timeoutMs;
  }

  /** Re-enables an extension that was disabled, or that failed after crashing too often. */
  enable(id: string): void {
    const record = this.recordFor(id);
    record.disabled = false;
    record.current?.enable();
    this.emit('state', { id, state: record.current?.state ?? 'inactive' });
  }

  /**
   * Turns an extension off: new calls are refused with `E_EXTENSION_DISABLED`, it stops being a
   * capability provider, and its worker or process stops once calls in flight have drained.
   */
  async disable(id: string): Promise<void> {
    const record = this.recordFor(id);
    record.disabled = true;
    this.targets.clear(); // capability routes may have pointed at it
    this.emit('state', { id, state: 'disabled' });
    const running = record.current;
    record.current = undefined;
    await running?.stop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const records = [...this.records.values()];
    for (const r of records) r.watcher?.close();
    await Promise.all(records.map((r) => r.reloading));
    await Promise.all(records.map((r) => r.current?.stop()));
    await Promise.all([...this.instances].map((s) => s.stop()));
    this.instances.clear();
    await this.warm?.close();
  }

  private async doReload(record: Record_): Promise<void> {
    const id = record.ext.manifest.id;
    const from = record.ext.manifest.version;
    try {
      const ext = await loadExtension(record.ext.dir, record.ext.source, record.ext.mode);
      if (ext.manifest.id !== id) {
        throw new SymphonyError('E_MANIFEST_INVALID', `the manifest in ${record.ext.dir} now says id "${ext.manifest.id}", not "${id}"`, {
          details: { id, dir: record.ext.dir },
        });
      }
      resolveDependencies([...[...this.records.values()].filter((r) => r !== record).map((r) => r.ext), ext], this.options.symphonyVersion);
      const old = record.current;
      if (!old) {
        record.ext = ext; // never started: the next activation uses the new version
      } else {
        const next = this.makeSupervisor(ext, record.mode);
        await next.start().catch(async (error) => {
          await next.stop().catch(() => {});
          throw error;
        });
        record.ext = ext;
        record.current = next;
        this.logger.info({ extensionId: id, from, to: ext.manifest.version }, 'extension reloaded');
        await old.stop(); // drains its in-flight calls first
      }
      this.emit('reloaded', { id, from, to: ext.manifest.version });
    } catch (cause) {
      const error = toSymphonyError(cause, 'E_RELOAD_FAILED');
      this.logger.error({ extensionId: id, err: error.toJSON() }, 'extension reload failed; the previous version keeps serving');
      this.emit('reload-failed', { id, error });
      throw error;
    }
  }

  private async admit(extensions: DiscoveredExtension[], strict = false): Promise<void> {
    const known = [...this.records.values()].map((r) => r.ext);
    const fresh = extensions.filter((e) => !this.records.has(e.manifest.id) || strict);
    let ordered: DiscoveredExtension[];
    try {
      ordered = resolveDependencies([...known.filter((k) => !fresh.some((f) => f.manifest.id === k.manifest.id)), ...fresh], this.options.symphonyVersion);
    } catch (error) {
      if (strict) throw error;
      // One bad package must not keep the others out: admit them one by one instead.
      this.report(toSymphonyError(error));
      ordered = this.admitOneByOne(known, fresh);
    }
    for (const ext of ordered) {
      if (!fresh.includes(ext)) continue;
      const existing = this.records.get(ext.manifest.id);
      if (existing) {
        existing.ext = ext;
        continue;
      }
      const record: Record_ = { ext, mode: this.modeFor(ext), current: undefined, watcher: undefined, reloading: undefined };
      this.records.set(ext.manifest.id, record);
      if (this.options.watch) this.watchRecord(record);
    }
    for (const ext of ordered) {
      if (fresh.includes(ext) && ext.manifest.activation.includes('onStartup')) {
        await this.supervisorFor(this.records.get(ext.manifest.id)!).start().catch((error) => this.report(toSymphonyError(error)));
      }
    }
  }

  private admitOneByOne(known: DiscoveredExtension[], fresh: DiscoveredExtension[]): DiscoveredExtension[] {
    const accepted = [...known];
    for (const ext of fresh) {
      try {
        resolveDependencies([...accepted, ext], this.options.symphonyVersion);
        accepted.push(ext);
      } catch (error) {
        this.report(toSymphonyError(error));
      }
    }
    return resolveDependencies(accepted, this.options.symphonyVersion);
  }

  private modeFor(ext: DiscoveredExtension): IsolationMode {
    return this.options.isolation?.(ext) ?? ext.mode ?? (this.options.trusted?.includes(ext.manifest.id) ? 'worker' : 'process');
  }

  private supervisorFor(record: Record_): Supervisor {
    if (this.stopped) {
      throw new SymphonyError('E_EXTENSION_STOPPED', `the stage is stopped; ${record.ext.manifest.id} cannot be called`, {
        details: { extensionId: record.ext.manifest.id },
      });
    }
    record.current ??= this.makeSupervisor(record.ext, record.mode);
    return record.current;
  }

  private makeSupervisor(ext: DiscoveredExtension, mode: IsolationMode, restart?: Partial<RestartPolicy>): Supervisor {
    const { manifest } = ext;
    const limits = { ...this.options.limits, ...this.options.limitsFor?.(manifest, ext.dir) };
    const supervisor = new Supervisor({
      spec: {
        id: manifest.id,
        mode,
        entry: this.entry,
        data: { module: ext.main, ...(limits.maxPayloadBytes ? { maxPayloadBytes: limits.maxPayloadBytes } : {}) },
        cwd: ext.dir,
        ...(mode === 'worker' ? {} : { env: this.options.env ?? { ...process.env } }),
        ...(this.options.memoryLimitMb ? { memoryLimitMb: this.options.memoryLimitMb } : {}),
      },
      // An extension run by hand (a debugger, another container) connects to its own socket.
      launcher: this.options.external?.[manifest.id] ? externalSocketLauncher(this.options.external[manifest.id]!) : this.launcher,
      ...(this.options.external?.[manifest.id] ? { startTimeoutMs: this.options.externalWaitMs ?? 60_000 } : {}),
      limits,
      logger: this.options.logger ?? silentLogger,
      ...(this.options.restart || restart ? { restart: { ...this.options.restart, ...restart } } : {}),
      ...(this.options.pingIntervalMs === undefined ? {} : { pingIntervalMs: this.options.pingIntervalMs }),
      ...(this.options.pingTimeoutMs === undefined ? {} : { pingTimeoutMs: this.options.pingTimeoutMs }),
      ...(this.options.cancelGraceMs === undefined ? {} : { cancelGraceMs: this.options.cancelGraceMs }),
    });
    const id = manifest.id;
    // Only the serving instance speaks for the extension; an old one draining stays quiet.
    const live = () => this.records.get(id)?.current === supervisor;
    supervisor.on('event', (name, payload) => this.emit('event', { id, name, payload }));
    supervisor.on('progress', (info) => this.emit('progress', { id, ...info }));
    supervisor.on('state', (state) => live() && this.emit('state', { id, state }));
    supervisor.on('ready', ({ pid, startMs }) => this.emit('activated', { id, version: manifest.version, pid, startMs }));
    // A pooled instance's death is the pool's business (onExit), not the extension's crash budget.
    if (!restart) {
      supervisor.on('crash', ({ crashes }) => this.emit('crash', { id, crashes }));
      supervisor.on('failed', ({ crashes, recentCalls }) => this.emit('failed', { id, crashes, recentCalls }));
    }
    return supervisor;
  }

  private watchRecord(record: Record_): void {
    let timer: NodeJS.Timeout | undefined;
    try {
      record.watcher = watch(record.ext.dir, { recursive: true }, (_event, file) => {
        if (file && /(^|[\\/])(node_modules|\.git)([\\/]|$)/.test(file)) return;
        clearTimeout(timer);
        timer = setTimeout(() => this.reload(record.ext.manifest.id).catch(() => {}), this.options.watchDebounceMs ?? 100);
      });
      record.watcher.unref();
    } catch (error) {
      this.report(new SymphonyError('E_WATCH_FAILED', `cannot watch ${record.ext.dir}: ${(error as Error).message}`, { details: { dir: record.ext.dir } }));
    }
  }

  private recordFor(id: string): Record_ {
    const record = this.records.get(id);
    if (!record) {
      throw new SymphonyError('E_EXTENSION_UNKNOWN', `no extension "${id}" is installed (known: ${[...this.records.keys()].join(', ') || 'none'})`, {
        details: { extensionId: id, known: [...this.records.keys()] },
      });
    }
    return record;
  }

  private info(record: Record_): ExtensionInfo {
    const { manifest, dir } = record.ext;
    return {
      id: manifest.id,
      version: manifest.version,
      kind: manifest.kind,
      mode: record.mode,
      state: record.disabled ? 'disabled' : (record.current?.state ?? 'inactive'),
      methods: Object.keys(manifest.contributes.methods),
      capabilities: manifest.contributes.capabilities.map((c) => ({ name: c.name, method: c.method ?? c.name })),
      inputs: Object.fromEntries(Object.entries(manifest.contributes.methods).flatMap(([method, spec]) => (spec.input ? [[method, spec.input]] : []))),
      dir,
      crashes: record.current?.crashCount ?? 0,
    };
  }

  private report(error: SymphonyError): void {
    this.problems.push(error);
    this.logger.error({ err: error.toJSON() }, error.message);
    this.emit('problem', error);
  }
}
