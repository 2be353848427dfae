import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest, type ExtensionManifest } from '@symphony/manifest';
import { SymphonyError } from '@symphony/types';
import { importHostPackage } from './resolve-host.js';
import { createTestView, type TestView, type UiHostLike, type VNode } from './test-view.js';

export interface TestHostOptions {
  /** The extension's folder (holds `symphony.extension.json`); default the current directory. */
  dir?: string;
  /** `process` (what a third-party extension gets in production, sandboxed) or `worker` (trusted). */
  mode?: 'process' | 'worker';
  /** The folder granted as `${workspace}`; default a fresh temp folder, removed on close. */
  workspace?: string;
  /** Folders of other extensions this one depends on. */
  dependencies?: string[];
  /** Where to find the host packages (kernel, extension-loader, sandbox, vdom); default `dir`. */
  resolveFrom?: string;
  /** Default time limit per call. */
  timeoutMs?: number;
  /** Hot reload: restart the extension when its files change (what `symphony-sdk dev` uses). */
  watch?: boolean;
}

export interface CapturedEvent {
  name: string;
  payload: unknown;
}

export interface CapturedProgress {
  method: string;
  fraction: number;
  message?: string;
}

/** Sandbox audit entries: `{ kind, extensionId, version, operation, target, rule, time }`. */
export interface AuditRecord {
  time: string;
  kind: string;
  extensionId: string;
  version: string;
  operation: string;
  target: string;
  rule: string;
  detail?: string;
}

export interface TestHost {
  readonly id: string;
  readonly version: string;
  readonly manifest: ExtensionManifest;
  /** `${workspace}` for this host: put input files here. */
  readonly workspace: string;
  /** Events the extension emitted (`ctx.emit`), in order. */
  readonly events: CapturedEvent[];
  /** Progress reports (`ctx.progress`), in order. */
  readonly progress: CapturedProgress[];
  /** Calls a method through the real bus: `E_*` errors arrive as they would in production. */
  call<T = unknown>(method: string, input?: unknown, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T>;
  /** Resolves with the first event of that name (already captured or still to come). */
  waitForEvent(name: string, timeoutMs?: number): Promise<CapturedEvent>;
  /** Opens one of the extension's views (its `uiRender`) and returns it as a vdom tree with helpers. */
  render(view: string, props?: unknown): Promise<TestView>;
  /** The sandbox's audit entries for this extension (denials, limit violations). */
  audit(query?: { kind?: string }): AuditRecord[];
  /** Throws unless an audit entry matches every given field. */
  expectAudit(match: Partial<AuditRecord>): AuditRecord;
  /** The kernel, for anything else (`kernel.service('stage')`, `kernel.service('sandbox')`). */
  readonly kernel: { service<T = unknown>(name: string): T; stop(): Promise<void> };
  close(): Promise<void>;
}

interface StageLike {
  call(uses: string, input?: unknown, options?: Record<string, unknown>): Promise<unknown>;
  events: { on(event: string, listener: (info: any) => void): void; off(event: string, listener: (info: any) => void): void };
}
interface SandboxLike {
  register(extension: { id: string; version: string; dir: string; permissions?: unknown; trusted?: boolean }): void;
  audit: { read(query?: { extensionId?: string; kind?: string }): AuditRecord[] };
}

/**
 * Starts one extension exactly as production does: a kernel with the `sandbox` and `stage`
 * plugins, the extension discovered from its folder and launched through the IPC bus in a
 * child process under the sandbox (or a worker when `mode: 'worker'`), with its manifest's
 * permissions and nothing more.
 */
export async function createTestHost(options: TestHostOptions = {}): Promise<TestHost> {
  const dir = resolve(options.dir ?? process.cwd());
  const { manifest } = await loadManifest(dir);
  const mode = options.mode ?? 'process';
  const scratch = await mkdtemp(join(tmpdir(), 'symphony-test-host-'));
  const workspace = options.workspace ?? join(scratch, 'workspace');
  await mkdir(workspace, { recursive: true });
  const from = [options.resolveFrom ?? dir, dir, fileURLToPath(new URL('.', import.meta.url))];

  const { createKernel } = await importHostPackage<{ createKernel(o: unknown): any }>('@symphony/kernel', from);
  const { createStagePlugin } = await importHostPackage<{ createStagePlugin(o: unknown): unknown }>('@symphony/extension-loader', from);
  const { sandboxPlugin } = await importHostPackage<{ sandboxPlugin: unknown }>('@symphony/sandbox', from);

  const dirs = [{ path: dir, mode }, ...(options.dependencies ?? []).map((path) => ({ path: resolve(path), mode }))];
  const kernel = createKernel({
    plugins: [sandboxPlugin, createStagePlugin({ dirs, ...(options.watch ? { watch: true } : {}), ...(mode === 'worker' ? { trusted: [manifest.id] } : {}) })],
    config: { home: join(scratch, 'home'), workspace, pluginOptions: { sandbox: { home: join(scratch, 'home'), workspace } } },
  });
  await kernel.start();
  const stage = kernel.service('stage') as StageLike;
  const sandbox = kernel.service('sandbox') as SandboxLike;
  if (mode === 'worker') sandbox.register({ id: manifest.id, version: manifest.version, dir, permissions: manifest.permissions, trusted: true });

  const events: CapturedEvent[] = [];
  const progress: CapturedProgress[] = [];
  const waiters = new Set<(e: CapturedEvent) => void>();
  const onEvent = (info: { id: string; name: string; payload: unknown }) => {
    if (info.id !== manifest.id) return;
    const event = { name: info.name, payload: info.payload };
    events.push(event);
    for (const w of waiters) w(event);
  };
  stage.events.on('event', onEvent);

  let uiHost: UiHostLike | undefined;
  let views = 0;
  // The bus only sends progress to a caller that asks for it, as a production caller would.
  const call = (method: string, input?: unknown, o: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
    stage.call(`${manifest.id}/${method}`, input, {
      timeoutMs: o.timeoutMs ?? options.timeoutMs ?? 10_000,
      onProgress: (fraction: number, message?: string) => progress.push({ method, fraction, ...(message !== undefined ? { message } : {}) }),
      ...(o.signal ? { signal: o.signal } : {}),
    });

  const host: TestHost = {
    id: manifest.id,
    version: manifest.version,
    manifest,
    workspace,
    events,
    progress,
    call: call as TestHost['call'],
    waitForEvent(name, timeoutMs = 5_000) {
      const seen = events.find((e) => e.name === name);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolvePromise, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new SymphonyError('E_TIMEOUT', `${manifest.id} emitted no "${name}" event within ${timeoutMs} ms (saw: ${events.map((e) => e.name).join(', ') || 'none'})`, { details: { event: name } }));
        }, timeoutMs);
        const waiter = (e: CapturedEvent) => {
          if (e.name !== name) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolvePromise(e);
        };
        waiters.add(waiter);
      });
    },
    async render(view, props) {
      if (!uiHost) {
        const { createUiHost } = await importHostPackage<{ createUiHost(o: { call: (ext: string, m: string, i: unknown) => Promise<unknown> }): UiHostLike }>('@symphony/vdom', from);
        const created = createUiHost({ call: (ext, m, input) => stage.call(`${ext}/${m}`, input, { timeoutMs: options.timeoutMs ?? 10_000 }) });
        // Pushed updates (`ui:update`) reach the host the way the server forwards them.
        stage.events.on('event', (info: { id: string; name: string; payload: unknown }) => {
          if (info.id === manifest.id && info.name === 'ui:update') created.push(info.payload as never);
        });
        uiHost = created;
      }
      const viewId = `test-${++views}`;
      await uiHost.open(viewId, { extensionId: manifest.id, name: view, ...(props !== undefined ? { props } : {}) });
      return createTestView(uiHost, viewId);
    },
    audit(query = {}) {
      return sandbox.audit.read({ extensionId: manifest.id, ...(query.kind ? { kind: query.kind } : {}) });
    },
    expectAudit(match) {
      const entries = host.audit();
      const found = entries.find((e) => Object.entries(match).every(([k, v]) => (e as unknown as Record<string, unknown>)[k] === v));
      if (!found) {
        throw new SymphonyError('E_ASSERTION', `no audit entry for ${manifest.id} matches ${JSON.stringify(match)}; entries: ${JSON.stringify(entries.map((e) => ({ kind: e.kind, operation: e.operation, target: e.target, rule: e.rule })))}`, {
          details: { match, entries },
        });
      }
      return found;
    },
    kernel,
    async close() {
      stage.events.off('event', onEvent);
      await kernel.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
  return host;
}

export type { TestView, VNode };
