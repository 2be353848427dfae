import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import websocket from '@fastify/websocket';
import { SymphonyError } from '@symphony/types';
import { contentSecurityPolicy, inertContentSecurityPolicy, securityHeaders } from '@symphony/web/csp';
import type { ServerBackend } from './backend.js';
import { EventLog } from './event-log.js';
import { HttpProblem, jsonDepthExceeds, toProblem, validate, withoutStacks } from './http-errors.js';
import { RateLimiter } from './auth/rate-limit.js';
import { SessionStore, type Session } from './auth/sessions.js';
import { LoginCodes } from './auth/login-codes.js';
import { scopeAllows, TokenStore, type Scope, type TokenInfo, type TokenStoreOptions } from './auth/tokens.js';
import { apiRoutes } from './api.js';
import { openApiDocument } from './routes.js';
import { attachWebSocket, type WsOptions } from './ws.js';
import { mountWeb, type MountedWeb, type WebOptions } from './web.js';
import { WorkflowCatalog } from './workflows.js';

export interface ServerOptions {
  backend: ServerBackend;
  /** Symphony home: `tokens.json` and `server/events/` live here. */
  home: string;
  host?: string;
  port?: number;
  tokens?: TokenStore;
  sessions?: SessionStore;
  /** The built web UI to serve at `/`. */
  webRoot?: string;
  /** Largest accepted request body. Default 1 MiB. */
  bodyLimit?: number;
  /** Origins allowed to call the API from a browser (CORS). Same-origin always works. */
  corsOrigins?: string[];
  rateLimit?: { perSecond: number; burst: number };
  /**
   * Failed authentications allowed per client address (a token bucket, checked before any
   * hashing). Default 20 at once, then one every 2 s.
   */
  authFailures?: { perSecond: number; burst: number };
  /** Lockout of a token id after repeated wrong secrets, and the bound on concurrent hashing. */
  tokenGuard?: Omit<TokenStoreOptions, 'now'>;
  /** Connection limits against slow or idle clients (slowloris). */
  limits?: ConnectionLimits;
  ws?: Partial<WsOptions>;
  logger?: boolean;
  /** Host the web UI: its protocol at `/ws` (authenticated), its pages fed with the kernel's runs and artifacts, its files at `/`. */
  web?: WebOptions;
  /** Workflow files (or folders of them) that `GET /workflows` lists and `POST /runs {workflowName}` starts. */
  workflows?: string[];
}

export interface ConnectionLimits {
  /** Time a client has to send a request's headers. Default 10 000 ms. */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open. Default 5 000 ms. */
  keepAliveTimeoutMs?: number;
  /**
   * Open connections at most; more are closed as soon as they are accepted, so the process never
   * runs out of file descriptors. Default: the process's open-file limit less 256 (at least 64).
   */
  maxConnections?: number;
}

export interface Caller {
  kind: 'token' | 'session';
  id: string;
  scopes: Scope[];
  /** The API token this caller proved (for a session, the token it logged in with). */
  tokenId: string;
  session?: Session;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const RUN_EVENT_NAMES = ['run:start', 'step:ready', 'step:start', 'step:progress', 'step:log', 'step:retry', 'step:end', 'step:fail', 'run:end'] as const;

export interface SymphonyServer {
  app: FastifyInstance;
  events: EventLog;
  tokens: TokenStore;
  sessions: SessionStore;
  /** One-time login codes for a local launcher: `issue(tokenInfo)`, exchanged by `POST /auth/login { code }`. */
  loginCodes: LoginCodes;
  /** The mounted web UI, when `web` was given. */
  web?: MountedWeb;
  listen(): Promise<string>;
  close(reason?: string): Promise<void>;
}

export async function createServer(options: ServerOptions): Promise<SymphonyServer> {
  const host = options.host ?? '127.0.0.1';
  const tokens = options.tokens ?? (await TokenStore.open(join(options.home, 'tokens.json'), options.tokenGuard));
  if (!LOOPBACK.has(host) && tokens.size === 0) {
    throw new SymphonyError('E_CONFIG_INVALID', `refusing to listen on ${host} with no API tokens: create one with \`symphony tokens create --scope admin\` or bind 127.0.0.1`, {
      details: { host },
    });
  }
  const sessions = options.sessions ?? SessionStore.open(join(options.home, 'server'));
  const loginCodes = new LoginCodes();
  const events = new EventLog(join(options.home, 'server', 'events'));
  // Every run event the kernel emits is logged with a sequence number for streaming and resume.
  const bridged = RUN_EVENT_NAMES.map((name) => {
    const listener = (e: { runId: string }) => void events.append(e.runId, name, withoutStacks(e));
    options.backend.kernel.events.on(name, listener);
    return () => options.backend.kernel.events.off(name, listener);
  });
  const limiter = new RateLimiter(options.rateLimit?.perSecond ?? 200, options.rateLimit?.burst ?? 400);
  const failures = new RateLimiter(options.authFailures?.perSecond ?? 0.5, options.authFailures?.burst ?? 20);
  const corsOrigins = new Set(options.corsOrigins ?? []);
  const limits = options.limits ?? {};
  const headersTimeout = limits.headersTimeoutMs ?? 10_000;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: true,
    // Slow clients lose their connection instead of holding it: headers and whole requests have
    // deadlines (checked every second), idle keep-alives end soon. WebSockets are exempt once upgraded.
    http: { headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) },
    requestTimeout: Math.max(limits.requestTimeoutMs ?? 30_000, headersTimeout),
    keepAliveTimeout: limits.keepAliveTimeoutMs ?? 5_000,
  });
  app.server.maxConnections = limits.maxConnections ?? defaultMaxConnections();

  // Open sockets by the token they authenticated with (and web sessions), closed when it is revoked.
  const liveSockets = new Map<{ close(code?: number, reason?: string): void }, Caller>();
  const endSockets = (match: (caller: Caller) => boolean, reason: string) => {
    for (const [socket, caller] of liveSockets) if (match(caller)) socket.close(4401, reason);
  };
  const offRevoked = tokens.onRevoked((ids) => {
    sessions.destroyForTokens(ids);
    endSockets((c) => ids.includes(c.tokenId), 'token revoked');
  });
  // Picks up `symphony tokens revoke` from another process even while no request comes in.
  const tokenWatch = setInterval(() => {
    try {
      tokens.list();
    } catch (err) {
      app.log.warn({ err }, 'cannot re-read the token store');
    }
  }, 1000);
  tokenWatch.unref();

  // JSON bodies; an empty body is no body (a bodiless POST with a JSON content type is common).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    // Nesting deep enough to overflow a recursive validator is refused before it is parsed.
    if (jsonDepthExceeds(body as string, MAX_JSON_DEPTH)) return done(new HttpProblem(400, 'E_INPUT_INVALID', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    try {
      // As fastify's own parser does (onProtoPoisoning: 'error'): a "__proto__" key is refused, never
      // silently turned into a prototype by whatever copies the object next.
      done(null, JSON.parse(body as string, (key, value: unknown) => {
        if (key === '__proto__') throw new HttpProblem(400, 'E_INPUT_INVALID', 'a JSON key named "__proto__" is not accepted');
        return value;
      }));
    } catch (err) {
      if (err instanceof HttpProblem) return done(err, undefined);
      done(new HttpProblem(400, 'E_INPUT_INVALID', `malformed JSON: ${(err as Error).message}`), undefined);
    }
  });
  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    void reply.code(problem.status).headers(problem.headers).send({ code: problem.code, message: problem.message, ...(problem.issues ? { issues: problem.issues } : {}), ...(problem.diagnostics ? { diagnostics: problem.diagnostics } : {}) });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ code: 'E_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  // Every answer: no MIME sniffing, no referrer, never framed. Set on the raw response so that
  // answers written past fastify (the SSE stream) carry them too.
  app.addHook('onRequest', async (_request, reply) => {
    for (const [name, value] of Object.entries(securityHeaders)) reply.raw.setHeader(name, value);
  });
  // The web app's HTML gets its Content-Security-Policy (what the built app needs, from
  // @symphony/web); everything else (API answers, artifacts, icons) may load and run nothing, and
  // opened as a document it is sandboxed in an opaque origin.
  // A 304 gets none: it has no content type, and a browser merges a 304's headers into its cached
  // answer, so the inert policy would replace the app's on every revalidation of index.html.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode !== 304 && !reply.hasHeader('content-security-policy')) {
      const type = String(reply.getHeader('content-type') ?? '');
      void reply.header('content-security-policy', /^text\/html\b/i.test(type) ? contentSecurityPolicy : inertContentSecurityPolicy);
    }
    return payload;
  });

  // No stack traces (absolute host paths) in any JSON answer.
  app.addHook('preSerialization', async (_request, _reply, payload) => withoutStacks(payload));

  // Strict CORS: only listed origins get CORS headers; preflights from others are refused.
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || !corsOrigins.has(origin)) {
      if (request.method === 'OPTIONS') throw new HttpProblem(403, 'E_FORBIDDEN', 'origin not allowed');
      return;
    }
    void reply.header('access-control-allow-origin', origin).header('vary', 'origin').header('access-control-allow-credentials', 'true');
    if (request.method === 'OPTIONS') {
      void reply
        .header('access-control-allow-methods', 'GET, POST, DELETE')
        .header('access-control-allow-headers', 'authorization, content-type, x-csrf-token')
        .code(204)
        .send();
    }
  });

  /**
   * Checks an API token for a client address. An address that failed too often is refused (429)
   * before any hashing; a token id locked out after repeated wrong secrets is 429 too; too many
   * hashes waiting is 503. Every other refusal is 401 and spends the address's failure budget.
   */
  async function checkToken(request: FastifyRequest, token: string | undefined): Promise<TokenInfo> {
    const known = token === undefined ? undefined : tokens.cached(token);
    if (known) return known;
    const address = request.ip;
    const blocked = failures.peek(address);
    if (blocked !== true) throw new HttpProblem(429, 'E_RATE_LIMITED', 'too many failed authentications from this address', undefined, { 'retry-after': String(Math.ceil(blocked / 1000)) });
    const check = token === undefined ? ({ ok: false, reason: 'malformed' } as const) : await tokens.check(token);
    if (check.ok) return check.info;
    if (check.reason === 'busy') throw new HttpProblem(503, 'E_BUSY', 'too many authentications in progress: retry shortly', undefined, { 'retry-after': '1' });
    if (check.reason === 'locked') {
      throw new HttpProblem(429, 'E_RATE_LIMITED', `token ${check.tokenId} is locked after repeated failures`, undefined, { 'retry-after': String(Math.ceil((check.retryAfterMs ?? 1000) / 1000)) });
    }
    failures.take(address);
    throw new HttpProblem(401, 'E_UNAUTHENTICATED', 'invalid or expired API token', undefined, { 'www-authenticate': 'Bearer' });
  }

  /** Who is calling: a bearer token, or a web session cookie. Throws 401 when neither is valid. */
  async function authenticate(request: FastifyRequest): Promise<Caller> {
    const auth = request.headers.authorization;
    if (auth) {
      const m = /^Bearer (\S+)$/.exec(auth);
      const info = await checkToken(request, m?.[1]);
      return { kind: 'token', id: info.id, scopes: info.scopes, tokenId: info.id };
    }
    const session = sessions.fromCookie(request.cookies.sym_session);
    if (session) {
      // The token behind the session must still be live (revoked from the CLI: the session ends).
      const token = tokens.get(session.tokenId);
      if (token) return { kind: 'session', id: session.id, scopes: session.scopes, tokenId: session.tokenId, session };
      sessions.destroy(session.id);
    }
    throw new HttpProblem(401, 'E_UNAUTHENTICATED', 'authentication required: send `Authorization: Bearer <token>` or log in', undefined, { 'www-authenticate': 'Bearer' });
  }

  function authorize(request: FastifyRequest, caller: Caller, scope: Scope): void {
    if (!scopeAllows(caller.scopes, scope)) throw new HttpProblem(403, 'E_FORBIDDEN', `this needs the "${scope}" scope`);
    // A cookie rides along on cross-site requests; the CSRF token cannot.
    if (caller.kind === 'session' && !['GET', 'HEAD'].includes(request.method) && !sessions.csrfMatches(caller.session as Session, request.headers['x-csrf-token'] as string | undefined)) {
      throw new HttpProblem(403, 'E_CSRF', 'missing or wrong x-csrf-token');
    }
    const allowed = limiter.take(caller.id);
    if (allowed !== true) throw new HttpProblem(429, 'E_RATE_LIMITED', 'too many requests', undefined, { 'retry-after': String(Math.ceil(allowed / 1000)) });
  }

  const routes = apiRoutes({
    backend: options.backend,
    events,
    tokens,
    sessions,
    catalog: new WorkflowCatalog(options.workflows ?? []),
    checkToken,
    redeemCode(request, code) {
      const blocked = failures.peek(request.ip);
      if (blocked !== true) throw new HttpProblem(429, 'E_RATE_LIMITED', 'too many failed authentications from this address', undefined, { 'retry-after': String(Math.ceil(blocked / 1000)) });
      const info = loginCodes.redeem(code);
      // The token behind the code must still be live (revoked meanwhile: no session).
      if (info && tokens.get(info.id)) return info;
      failures.take(request.ip);
      throw new HttpProblem(401, 'E_UNAUTHENTICATED', 'this login code is unknown, used or expired');
    },
    onLogout: (sessionId) => endSockets((c) => c.session?.id === sessionId, 'logged out'),
  });
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        if (route.scope !== 'public') {
          const caller = await authenticate(request);
          authorize(request, caller, route.scope);
          request.caller = caller;
        }
        const params = route.params ? validate(route.params, request.params, 'params') : request.params;
        const query = route.query ? validate(route.query, request.query ?? {}, 'query') : request.query;
        const body = route.body ? validate(route.body, request.body, 'body') : undefined;
        return route.handler({ params, query, body, request, reply });
      },
    });
  }
  const document = openApiDocument(routes, { title: 'Symphony server API', version: '0.1.0' });
  app.get('/openapi.json', async () => document);

  const authenticateUpgrade = async (request: FastifyRequest): Promise<Caller> => {
    const caller = await authenticate(request);
    // A browser sends cookies on cross-site WebSocket upgrades too: check where it came from.
    const origin = request.headers.origin;
    if (caller.kind === 'session' && origin && !corsOrigins.has(origin) && originHost(origin) !== request.headers.host) {
      throw new HttpProblem(403, 'E_FORBIDDEN', 'cross-origin WebSocket refused');
    }
    if (!scopeAllows(caller.scopes, 'read')) throw new HttpProblem(403, 'E_FORBIDDEN', 'this needs the "read" scope');
    return caller;
  };
  const track = (socket: { close(code?: number, reason?: string): void; once(event: 'close', l: () => void): unknown }, caller: Caller) => {
    liveSockets.set(socket, caller);
    socket.once('close', () => liveSockets.delete(socket));
  };
  attachWebSocket(app, { events, authenticate: authenticateUpgrade, track, options: options.ws });

  const web = options.web ? await mountWeb(app, { backend: options.backend, events, web: options.web, authenticateUpgrade, track, ...(options.ws?.heartbeatMs ? { heartbeatMs: options.ws.heartbeatMs } : {}) }) : undefined;
  const webRoot = options.webRoot ?? web?.dist;
  if (webRoot && existsSync(webRoot)) {
    // @fastify/static resolves inside `root` only; `..` and encoded traversal are refused.
    await app.register(fastifyStatic, {
      root: webRoot,
      prefix: '/',
      wildcard: true,
      index: 'index.html',
      // The build writes .br and .gz beside each file; a client that accepts them gets those.
      preCompressed: true,
      cacheControl: false,
      setHeaders(res, path) {
        // Content-hashed names under assets/ never change: cache them for a year. Everything
        // else (index.html, the manifest, icons) is revalidated so a new build shows at once.
        void res.header('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    // Deep links (`/runs/:id`, `/runs/:id/steps/:step`, `/extensions`, ...) share their paths
    // with the API: a browser navigating there (it asks for HTML) gets the app, which then reads
    // the path; API clients asking for JSON get the API as before.
    app.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?')[0] ?? '';
      if (request.method !== 'GET' || !isAppRoute(path)) return;
      // `/` is only ever the app; the other routes are the app for a browser's navigation.
      const accept = request.headers.accept ?? '';
      if (path !== '/' && (!/\btext\/html\b/.test(accept) || (request.headers['sec-fetch-dest'] && request.headers['sec-fetch-dest'] !== 'document'))) return;
      await reply.header('cache-control', 'no-cache').sendFile('index.html');
    });
  }

  let url = '';
  return {
    app,
    events,
    tokens,
    sessions,
    loginCodes,
    ...(web ? { web } : {}),
    async listen() {
      url = await app.listen({ host, port: options.port ?? 7777 });
      return url;
    },
    async close(reason = 'server shutting down') {
      clearInterval(tokenWatch);
      offRevoked();
      app.websocketServer?.clients.forEach((client) => client.close(1001, reason));
      await app.close();
      for (const unbridge of bridged) unbridge();
      await web?.close();
      await options.backend.close?.();
    },
  };
}

/** The web app's own routes (answered with index.html for a browser's navigation). */
export function isAppRoute(path: string): boolean {
  return /^\/(?:$|runs(?:\/[^/]+(?:\/steps\/[^/]+)?)?|extensions|artifacts|motifs)\/?$/.test(path);
}

/** Nesting depth accepted in JSON bodies (workflows nest a few levels; validators recurse). */
const MAX_JSON_DEPTH = 64;

/** An Origin header's host, or undefined when it is not a URL (refused like a foreign origin). */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** The open-file limit less a reserve for the store, logs and extensions (Linux; else 4096). */
function defaultMaxConnections(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return Math.max(64, Number(m[1]) - 256);
  } catch {
    // not Linux
  }
  return 4096;
}
