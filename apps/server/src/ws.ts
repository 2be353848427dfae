import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Caller } from './app.js';
import type { EventLog, LoggedEvent } from './event-log.js';
import { toProblem, withoutStacks } from './http-errors.js';
import { ClientMessage } from './schemas.js';

export interface WsOptions {
  /** Ping period; a client that misses two pongs is dropped. Default 15 000. */
  heartbeatMs: number;
  /** A client whose unsent backlog passes this is dropped (close 4008), never buffered without bound. */
  maxBufferedBytes: number;
  /** Runs one socket may follow at once (each holds a listener): more are refused. Default 1 000. */
  maxSubscriptions: number;
}

/** Close codes a client can act on. */
export const WS_CLOSE = { slowConsumer: 4008, unauthorized: 4401, forbidden: 4403, badMessage: 4400 } as const;

/**
 * `/ws/runs`: run events for scripts and shells (the web UI's own protocol is at `/ws`). Authenticated at the upgrade (bearer header or
 * session cookie from the same origin). Client → server: `{type:'subscribe', runId, after}`,
 * `{type:'unsubscribe', runId}`, `{type:'ping'}`. Server → client: `{type:'event', runId, seq,
 * event, data}`, `{type:'subscribed', runId, after}`, `{type:'pong'}`, `{type:'error', code, message}`.
 * Reconnecting clients resume with `after` = the last seq they saw and miss nothing.
 */
export function attachWebSocket(
  app: FastifyInstance,
  deps: {
    events: EventLog;
    authenticate(request: FastifyRequest): Promise<Caller>;
    /** Registers an accepted socket with its caller (closed when the token is revoked). */
    track?(socket: WebSocket, caller: Caller): void;
    options?: Partial<WsOptions>;
  },
): void {
  const opts: WsOptions = { heartbeatMs: 15_000, maxBufferedBytes: 1024 * 1024, maxSubscriptions: 1000, ...deps.options };
  app.register(async (scope) => {
    // Authenticate before the upgrade completes: a refused client never gets a socket.
    scope.addHook('preValidation', async (request, reply) => {
      try {
        (request as FastifyRequest & { wsCaller?: Caller }).wsCaller = await deps.authenticate(request);
      } catch (err) {
        const problem = toProblem(err);
        await reply.code(problem.status).send({ code: problem.code, message: problem.message });
      }
    });
    scope.get('/ws/runs', { websocket: true }, (socket: WebSocket, request: FastifyRequest) => {
      const caller = (request as FastifyRequest & { wsCaller?: Caller }).wsCaller;
      if (caller) deps.track?.(socket, caller);
      const subscriptions = new Map<string, (e: LoggedEvent) => void>();
      let alive = true;
      const heartbeat = setInterval(() => {
        if (!alive) return socket.terminate();
        alive = false;
        socket.ping();
      }, opts.heartbeatMs);
      socket.on('pong', () => (alive = true));

      const send = (message: unknown): void => {
        if (socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > opts.maxBufferedBytes) {
          socket.close(WS_CLOSE.slowConsumer, 'slow consumer: reconnect and resume from your last seq');
          return;
        }
        socket.send(JSON.stringify(withoutStacks(message)));
      };

      socket.on('message', (raw) => {
        let message: ReturnType<typeof ClientMessage.parse>;
        try {
          message = ClientMessage.parse(JSON.parse(String(raw)));
        } catch {
          return send({ type: 'error', code: 'E_INPUT_INVALID', message: 'unrecognised message' });
        }
        if (message.type === 'ping') return send({ type: 'pong' });
        if (message.type === 'unsubscribe') {
          const listener = subscriptions.get(message.runId);
          if (listener) deps.events.off(message.runId, listener);
          subscriptions.delete(message.runId);
          return;
        }
        if (subscriptions.has(message.runId)) return;
        // Each subscription holds a listener: without a cap one read token grows the server's
        // memory without bound (300,000 subscriptions on one socket: +190 MB).
        if (subscriptions.size >= opts.maxSubscriptions) {
          return send({ type: 'error', code: 'E_RATE_LIMITED', message: `at most ${opts.maxSubscriptions} runs followed per connection: unsubscribe first` });
        }
        let after = message.after;
        const forward = (e: LoggedEvent) => {
          if (e.seq <= after) return;
          after = e.seq;
          send({ type: 'event', runId: message.runId, seq: e.seq, event: e.type, data: e.data });
        };
        subscriptions.set(message.runId, forward);
        send({ type: 'subscribed', runId: message.runId, after });
        for (const e of deps.events.since(message.runId, after)) forward(e);
        deps.events.on(message.runId, forward);
      });

      socket.on('close', () => {
        clearInterval(heartbeat);
        for (const [runId, listener] of subscriptions) deps.events.off(runId, listener);
        subscriptions.clear();
      });
    });
  });
}
