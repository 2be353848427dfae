import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { SymphonyError, type Logger } from '@symphony/types';
import type { StageService } from '@symphony/extension-loader';
import type { Caller } from './app.js';
import { scopeAllows } from './auth/tokens.js';
import type { EventLog } from './event-log.js';
import { toProblem } from './http-errors.js';
import { ARTIFACT_BROWSER, feedMotifs, RUN_MONITOR } from './web-feed.js';
import type { ServerBackend } from './backend.js';

/** `serve({ web })`: host the web UI (`apps/web`) on this server. */
export interface WebOptions {
  /** The built app (`apps/web/dist`). Default: `@symphony/web`'s own dist. */
  dist?: string;
  /**
   * Motif extensions for the UI's pages. Default: the run monitor and artifact browser shipped
   * with `@symphony/web` (`host/extensions`), started in worker threads in the kernel's stage.
   */
  extensionsDir?: string;
  /** Persist the UI's state document (theme, ...) in LMDB here. Default: not persisted. */
  stateDir?: string;
}

export interface MountedWeb {
  /** The built app's folder, served at `/`. */
  dist: string;
  /** Resolves when every queued update to the motifs has been delivered (tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Mounts the web UI's WebSocket protocol at `/ws`, authenticated at the upgrade exactly like
 * `/ws/runs` (a refused client never gets a socket), over the kernel's `stage` with the UI's
 * motifs loaded, and feeds those motifs the kernel's runs and artifacts.
 */
export async function mountWeb(
  app: FastifyInstance,
  deps: {
    backend: ServerBackend;
    events: EventLog;
    web: WebOptions;
    authenticateUpgrade(request: FastifyRequest): Promise<Caller>;
    /** Registers an accepted socket with its caller (closed when the token is revoked or the session ends). */
    track?(socket: WebSocket, caller: Caller): void;
    heartbeatMs?: number;
  },
): Promise<MountedWeb> {
  const kernel = deps.backend.kernel;
  const logger = kernel.logger as Logger;
  const stage = kernel.tryService<StageService>('stage');
  if (!stage) {
    throw new SymphonyError('E_CONFIG_INVALID', 'the web UI runs its pages as extensions: start the kernel with the stage plugin (@symphony/extension-loader)', { details: { service: 'stage' } });
  }
  // Loaded lazily: a server without the UI never loads React's host side.
  const host = await import('@symphony/web/host');
  const dist = deps.web.dist ?? host.defaultDist;
  if (!existsSync(join(dist, 'index.html'))) {
    throw new SymphonyError('E_CONFIG_INVALID', `the web UI is not built in ${dist}: run \`pnpm --filter @symphony/web build\``, { details: { path: dist } });
  }
  const loaded = new Set(stage.list().map((e) => e.id));
  if (deps.web.extensionsDir) await stage.addDirectory({ path: deps.web.extensionsDir, mode: 'worker' });
  else {
    for (const [id, folder] of [[RUN_MONITOR, 'run-monitor'], [ARTIFACT_BROWSER, 'artifact-browser']] as const) {
      if (!loaded.has(id)) await stage.register(join(host.defaultExtensions, folder), 'worker');
    }
  }
  const protocol = await host.createWebProtocol({ stage, ...(deps.web.stateDir ? { stateDir: deps.web.stateDir } : {}) });
  const feed = feedMotifs({ kernel, stage, events: deps.events, logger });

  app.register(async (scope) => {
    scope.addHook('preValidation', async (request, reply) => {
      try {
        (request as FastifyRequest & { wsCaller?: Caller }).wsCaller = await deps.authenticateUpgrade(request);
      } catch (err) {
        const problem = toProblem(err);
        await reply.code(problem.status).send({ code: problem.code, message: problem.message });
      }
    });
    scope.get('/ws', { websocket: true }, (socket: WebSocket, request: FastifyRequest) => {
      const caller = (request as FastifyRequest & { wsCaller?: Caller }).wsCaller as Caller;
      deps.track?.(socket, caller);
      // Heartbeats as on /ws/runs: a client that misses a pong is dropped (it reconnects and resyncs).
      let alive = true;
      const heartbeat = setInterval(() => {
        if (!alive) return socket.terminate();
        alive = false;
        socket.ping();
      }, deps.heartbeatMs ?? 15_000);
      socket.on('pong', () => (alive = true));
      socket.on('close', () => clearInterval(heartbeat));
      // The same scopes as the REST API decide every change made over the socket; UI state
      // (selected run, open step, filters) belongs to the web session (or, for a bearer token,
      // to this one socket), never shared with other browsers.
      const session = caller.session ? createHash('sha256').update(caller.session.id).digest('base64url').slice(0, 22) : undefined;
      protocol.connect(socket, { ...(session ? { session } : { session: `t${randomBytes(15).toString('base64url')}`, ephemeral: true }), can: (scope) => scopeAllows(caller.scopes, scope) });
    });
  });

  let closed: Promise<void> | undefined;
  return {
    dist,
    idle: () => feed.idle(),
    close() {
      closed ??= (async () => {
        feed.stop();
        protocol.close();
        await protocol.store.close();
      })();
      return closed;
    },
  };
}
