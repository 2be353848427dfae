// The web app's small host: a Node http server for the built app plus the WebSocket protocol
// (README.md, "WebSocket protocol") over a real kernel whose `stage` service runs the motifs in
// worker threads. apps/server mounts the same protocol on its authenticated `/ws` with `connect(socket)`.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { createKernel } from '@symphony/kernel';
import { createStagePlugin } from '@symphony/extension-loader';
import { SymphonyError, toSymphonyError } from '@symphony/types';
import { createUiHost } from '@symphony/vdom';
import { createSyncServer, openStateStore, openLmdbPersistence, isSyncMessage } from '@symphony/state-sync';
import { demoArtifacts, demoRun } from './demo-data.mjs';
import { contentSecurityPolicy, inertContentSecurityPolicy, securityHeaders } from './csp.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
export const defaultDist = resolve(here, '../dist');
export const defaultExtensions = resolve(here, 'extensions');

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png', '.ico': 'image/x-icon' };
const AUDIT_LIMIT = 100;
// A client this far behind loses patches instead of growing the server's memory; its next patch
// reveals the gap (`from` is not its revision) and it asks for a snapshot.
const MAX_BUFFERED_BYTES = 4 << 20;
// What a browser may change through state-sync proposals, and the scope it needs (the same as
// the REST route that does the same thing); everything else is the server's. UI preferences
// (theme) are not shared state: each browser keeps its own.
const WRITABLE = [{ path: /^\/extensions\/\d+\/enabled$/, scope: 'admin' }];
// How long a session's own views outlive its last socket (a reload finds its selection again).
const SESSION_VIEW_GRACE_MS = 10 * 60_000;

/**
 * Starts the host. `demo: 'instant'` feeds the monitor a whole run at once (tests), `'live'`
 * plays it step by step, `false` feeds nothing.
 */
export async function startWebHost(options = {}) {
  const dist = options.dist ?? defaultDist;
  const kernel = createKernel({
    plugins: [createStagePlugin({ dirs: [options.extensionsDir ?? defaultExtensions], isolation: () => 'worker', symphonyVersion: '0.1.0', watch: options.watch ?? false })],
  });
  await kernel.start();
  const stage = kernel.service('stage');
  const protocol = await createWebProtocol({ stage, stateDir: options.stateDir });
  const server = createServer((req, res) => serveStatic(dist, req, res));
  protocol.attach(server);
  await new Promise((ok) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', ok));
  const { port } = server.address();
  if (options.demo === 'instant') await protocol.playDemo({ delayMs: 0 });
  else if (options.demo === 'live') void protocol.playDemo({ delayMs: 700, loop: true });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    kernel,
    stage,
    protocol,
    async close() {
      protocol.close();
      await new Promise((ok) => server.close(ok));
      server.closeAllConnections?.();
      await protocol.store.close();
      await kernel.stop();
    },
  };
}

/**
 * The protocol over a `stage` service. `attach(httpServer)` adds an (unauthenticated) `/ws`
 * endpoint; a server that authenticates upgrades itself hands each accepted socket to `connect`.
 */
export async function createWebProtocol({ stage, stateDir }) {
  const extensions = stage.list();
  const motifs = [];
  for (const ext of extensions.filter((e) => e.kind === 'motif')) {
    const panels = await stage.call(`${ext.id}/motifPanels`, {}, { timeoutMs: 10_000 });
    motifs.push({ extension: ext.id, title: ext.id, panels });
  }
  const manifests = await Promise.all(extensions.map(async (e) => JSON.parse(await readFile(join(e.dir, 'symphony.extension.json'), 'utf8'))));
  const store = await openStateStore({
    initial: {
      extensions: extensions.map((e, i) => ({
        id: e.id, name: manifests[i].name ?? e.id, version: e.version, kind: e.kind, mode: e.mode, state: e.state, enabled: true,
        description: manifests[i].description ?? '', permissions: manifests[i].permissions ?? {}, methods: e.methods, crashes: e.crashes,
      })),
      motifs,
      pages: { runs: { extension: 'symphony.run-monitor', name: 'monitor' }, artifacts: { extension: 'symphony.artifact-browser', name: 'browser' } },
      audit: [],
    },
    historyLimit: 500,
    ...(stateDir ? { persistence: openLmdbPersistence({ path: stateDir, name: 'web' }) } : {}),
  });

  // The Extensions page's switch turns the extension off in the stage itself (calls refused,
  // no longer a capability provider), not only in this UI; a persisted `false` applies at start.
  const applyEnabled = (id, enabled) => {
    if (typeof stage.disable !== 'function') return;
    if (enabled === false) void stage.disable(id).catch(() => undefined);
    else if (enabled === true) stage.enable(id);
  };
  const offEnabled = store.state.extensions.map((e, i) => {
    if (e.enabled === false) applyEnabled(e.id, false);
    return store.subscribe(`/extensions/${i}/enabled`, (value) => applyEnabled(e.id, value));
  });

  // Appends (and trims from the front) so each audit entry is a small patch, not the whole list.
  const audit = (entry) => {
    const ops = [{ op: 'add', path: '/audit/-', value: entry }];
    if (store.state.audit.length >= AUDIT_LIMIT) ops.unshift({ op: 'remove', path: '/audit/0' });
    store.apply(ops);
  };
  const call = async (extensionId, method, input) => {
    const index = store.state.extensions.findIndex((e) => e.id === extensionId);
    const started = performance.now();
    try {
      if (index >= 0 && !store.state.extensions[index].enabled) {
        throw new SymphonyError('E_PERMISSION_DENIED', `Extension ${extensionId} is disabled; enable it on the Extensions page`, { details: { extensionId } });
      }
      const result = await stage.call(`${extensionId}/${method}`, input, { timeoutMs: 10_000 });
      audit({ at: Date.now(), extension: extensionId, method, ok: true, ms: Math.round(performance.now() - started) });
      return result;
    } catch (err) {
      const e = toSymphonyError(err);
      audit({ at: Date.now(), extension: extensionId, method, ok: false, code: e.code, ms: Math.round(performance.now() - started) });
      throw e;
    }
  };

  const ui = createUiHost({ call });
  const onStageEvent = ({ name, payload }) => { if (name === 'ui:update') ui.push(payload); };
  // Status and crash counts follow the stage: re-read its list on every lifecycle event.
  const onState = () => {
    const ops = [];
    for (const info of stage.list()) {
      const i = store.state.extensions.findIndex((e) => e.id === info.id);
      if (i < 0) continue;
      if (store.state.extensions[i].state !== info.state) ops.push({ op: 'replace', path: `/extensions/${i}/state`, value: info.state });
      if (store.state.extensions[i].crashes !== info.crashes) ops.push({ op: 'replace', path: `/extensions/${i}/crashes`, value: info.crashes });
    }
    if (ops.length) store.apply(ops);
  };
  const lifecycle = ['state', 'activated', 'crash', 'failed', 'reloaded'];
  // After a hot reload the new code re-renders as a diff against the tree the host kept.
  const onReloaded = ({ id }) => { for (const v of ui.views()) if (v.extensionId === id) void ui.reattach(v.view).catch(() => undefined); };
  stage.events.on('event', onStageEvent);
  for (const name of lifecycle) stage.events.on(name, onState);
  stage.events.on('reloaded', onReloaded);
  onState();

  // The connection whose proposal is being decided (state-sync calls `authorize` synchronously
  // from the message dispatch below).
  let deciding;
  const sync = createSyncServer(store, {
    authorize(ops) {
      for (const op of ops) {
        const rule = op.op === 'replace' ? WRITABLE.find((w) => w.path.test(op.path)) : undefined;
        if (!rule) throw new SymphonyError('E_PERMISSION_DENIED', `The web UI may not change ${op.path}`, { details: { path: op.path } });
        if (!deciding?.can(rule.scope)) {
          throw new SymphonyError('E_PERMISSION_DENIED', `Changing ${op.path} needs the "${rule.scope}" scope`, { details: { path: op.path, scope: rule.scope } });
        }
      }
    },
  });
  const opening = new Map();
  const openView = (view, extension, name, props) => {
    if (ui.views().some((v) => v.view === view)) return Promise.resolve(ui.snapshot(view));
    if (!opening.has(view)) opening.set(view, ui.open(view, { extensionId: extension, name, props }).finally(() => opening.delete(view)));
    return opening.get(view);
  };
  // Per-session views: sockets of one session share them; the last one leaving starts a timer.
  const sessionSockets = new Map();
  const sessionTimers = new Map();
  const releaseSession = (key) => {
    sessionTimers.delete(key);
    if (sessionSockets.get(key)?.size) return;
    sessionSockets.delete(key);
    for (const v of ui.views()) if (v.view.endsWith(`~${key}`)) ui.close(v.view);
  };

  const sockets = new Set();
  /**
   * Serves one socket. `access` (from a server that authenticated it): `session`, a key whose
   * views (selection, filters) are this session's own (kept for a while after its last socket
   * closes, unless `ephemeral`), and `can(scope)`, the caller's scopes
   * (`read` < `run` < `admin`). Without it (this unauthenticated test host) every socket shares
   * one set of views and may do everything.
   */
  const connect = (socket, access) => {
    const can = access?.can ?? (() => true);
    const key = access?.session;
    if (key !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(key)) throw new TypeError('session keys are 1-64 characters of [A-Za-z0-9_-]');
    if (key !== undefined) {
      clearTimeout(sessionTimers.get(key));
      sessionTimers.delete(key);
      if (!sessionSockets.has(key)) sessionSockets.set(key, new Set());
      sessionSockets.get(key).add(socket);
    }
    // Client view ids stay `<extension>:<name>`; inside, a session's views carry its key.
    const inner = (view) => (key === undefined ? view : `${view}~${key}`);
    const outer = (view) => (key === undefined ? view : view.slice(0, -(key.length + 1)));
    const views = new Set();
    const send = (message) => {
      if (socket.readyState !== 1) return;
      // (a patch acknowledging this client's own proposal is never dropped)
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES && (message.t === 'view.patch' || (message.t === 'sync.patch' && message.id === undefined))) return;
      socket.send(JSON.stringify(message));
    };
    const syncListeners = new Set();
    const disconnectSync = sync.connect({ send, onMessage: (l) => { syncListeners.add(l); return () => syncListeners.delete(l); } });
    const offUi = ui.subscribe((m) => {
      if (!views.has(m.view)) return;
      if (m.t === 'patch') send({ t: 'view.patch', view: outer(m.view), from: m.from, to: m.to, patches: m.patches });
      else send({ t: 'view.snapshot', view: outer(m.view), rev: m.rev, tree: m.tree });
    });
    const fail = (view, err, extra = {}) => {
      const e = toSymphonyError(err);
      send({ t: 'view.error', view, code: e.code, message: e.message, ...extra });
    };
    const isText = (v) => typeof v === 'string' && v.length > 0 && v.length <= 256;
    socket.on('message', async (raw) => {
      let message;
      try { message = JSON.parse(String(raw)); } catch { return send({ t: 'error', code: 'E_INPUT_INVALID', message: 'messages must be JSON' }); }
      if (message === null || typeof message !== 'object') return send({ t: 'error', code: 'E_INPUT_INVALID', message: 'messages must be JSON objects' });
      if (isSyncMessage(message)) {
        deciding = { can };
        try { for (const l of syncListeners) l(message); } finally { deciding = undefined; }
        return;
      }
      try {
        switch (message.t) {
          case 'view.open': {
            if (!isText(message.extension) || !isText(message.name) || message.extension.includes('~') || message.name.includes('~')) throw new SymphonyError('E_INPUT_INVALID', 'view.open needs an extension id and a view name', { details: {} });
            const view = inner(`${message.extension}:${message.name}`);
            const snap = await openView(view, message.extension, message.name, message.props);
            views.add(snap.view); // from here on this socket gets the view's patches
            const now = ui.snapshot(snap.view);
            send({ t: 'view.snapshot', view: outer(now.view), rev: now.rev, tree: now.tree });
            break;
          }
          case 'view.close': views.delete(inner(String(message.view))); break;
          case 'view.resync': {
            if (!views.has(inner(String(message.view)))) throw new SymphonyError('E_VDOM_VIEW_UNKNOWN', `No view "${message.view}" is open; open it first`, { details: { view: message.view } });
            const snap = ui.snapshot(inner(message.view));
            send({ t: 'view.snapshot', view: message.view, rev: snap.rev, tree: snap.tree });
            break;
          }
          case 'view.event':
            // Only views this socket opened (its session's own): never another session's.
            if (!views.has(inner(String(message.view)))) throw new SymphonyError('E_VDOM_VIEW_UNKNOWN', `No view "${message.view}" is open; open it first`, { details: { view: message.view } });
            await ui.event(inner(message.view), message.handler, message.event).catch((err) => fail(message.view, err, { handler: message.handler }));
            break;
          default: send({ t: 'error', code: 'E_INPUT_INVALID', message: `unknown message type ${JSON.stringify(message.t)}` });
        }
      } catch (err) {
        fail(message.view ?? `${message.extension}:${message.name}`, err);
      }
    });
    socket.on('close', () => {
      sockets.delete(socket);
      offUi();
      disconnectSync();
      if (key === undefined) return;
      const others = sessionSockets.get(key);
      others?.delete(socket);
      if (others?.size || sessionTimers.has(key)) return;
      if (access?.ephemeral) releaseSession(key);
      else {
        const timer = setTimeout(() => releaseSession(key), SESSION_VIEW_GRACE_MS);
        timer.unref?.();
        sessionTimers.set(key, timer);
      }
    });
    sockets.add(socket);
  };

  let wss;
  let demoStopped = false;
  return {
    store,
    ui,
    /** Serves one accepted WebSocket (a host that authenticates upgrades itself calls this). */
    connect,
    attach(httpServer) {
      wss = new WebSocketServer({ server: httpServer, path: '/ws' });
      wss.on('connection', connect);
    },
    /** Feeds the run monitor a workflow run and the artifact browser its artifacts. */
    async playDemo({ delayMs = 0, loop = false } = {}) {
      await call('symphony.artifact-browser', 'setArtifacts', { artifacts: demoArtifacts() });
      for (let n = 1; !demoStopped; n++) {
        const { describe, events } = demoRun(`run-${n}`);
        await call('symphony.run-monitor', 'describeRun', describe);
        for (const event of events) {
          if (demoStopped) return;
          if (delayMs) await new Promise((ok) => setTimeout(ok, delayMs));
          await call('symphony.run-monitor', 'ingest', { events: [event] });
        }
        if (!loop) return;
      }
    },
    close() {
      demoStopped = true;
      for (const off of offEnabled) off();
      stage.events.off('event', onStageEvent);
      for (const name of lifecycle) stage.events.off(name, onState);
      stage.events.off('reloaded', onReloaded);
      for (const s of sockets) s.terminate();
      for (const timer of sessionTimers.values()) clearTimeout(timer);
      sessionTimers.clear();
      wss?.close();
      sync.close();
    },
  };
}

async function serveStatic(dist, req, res) {
  // The headers `symphony serve` sends (host/csp.mjs): the app runs under its real policy here too.
  for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/healthz') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); return; }
  const root = resolve(dist);
  let file = normalize(join(root, decodeURIComponent(url.pathname)));
  if (file !== root && !file.startsWith(root + sep)) { res.writeHead(403); res.end('forbidden'); return; }
  try {
    if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
  } catch {
    file = join(root, 'index.html'); // client-side routes
  }
  try {
    const body = await readFile(file);
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'content-security-policy': type.startsWith('text/html') ? contentSecurityPolicy : inertContentSecurityPolicy });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`Not built: run \`pnpm --filter @symphony/web build\` (looked in ${root})`);
  }
}
