import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { SymphonyError, toSymphonyError } from '@symphony/types';
import type { SignedRegistryRequest } from '@symphony/sdk';
import type { Registry } from './registry.js';

export interface RegistryHttpOptions {
  /** Mount point when embedded in a larger server (apps/server): `/registry`. Default `/`. */
  basePath?: string;
  /** Bearer token for publisher management (`PUT /-/publishers/<name>`); without it that route is closed. */
  adminToken?: string;
  /** Largest upload accepted. */
  maxUploadBytes?: number;
  /**
   * Uploads per client address: a token bucket of `burst` uploads refilled at `perMinute`, and
   * at most `concurrent` uploads of one client parsed at once (8 more wait). Beyond: 429 `E_RATE_LIMITED`.
   */
  uploadLimit?: { perMinute?: number; burst?: number; concurrent?: number; concurrentTotal?: number };
  now?: () => number;
}

/** A request handler: returns false when the path is not under `basePath`, so a host can fall through. */
export type RegistryHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const STATUS: Record<string, number> = {
  E_NOT_FOUND: 404,
  E_NO_MATCHING_VERSION: 404,
  E_VERSION_EXISTS: 409,
  E_CONFLICT: 409,
  E_NAMESPACE_FORBIDDEN: 403,
  E_NAMESPACE_UNOWNED: 403,
  E_NAMESPACE_RESERVED: 403,
  E_RATE_LIMITED: 429,
  E_UNAUTHORIZED: 401,
  E_PAYLOAD_TOO_LARGE: 413,
  E_INTEGRITY_MISMATCH: 422,
  E_SIGNATURE_INVALID: 422,
  E_MANIFEST_INVALID: 422,
  E_PACKAGE_INVALID: 422,
  E_KEY_INVALID: 400,
  E_INPUT_INVALID: 400,
  E_REQUEST_EXPIRED: 400,
};

/**
 * The registry's HTTP API:
 *   GET  /-/ping                         → { ok: true }
 *   GET  /-/key                          → { keyId, publicKey } of the key that signs metadata
 *   GET  /-/search?q=&limit=&kind=       → { results: SearchHit[] }
 *   PUT  /-/packages                     tarball body, x-symphony-integrity → 201 VersionMeta
 *   PUT  /-/publishers/<name>            admin; { namespaces, publicKeys } → Publisher
 *   GET  /<id>                           → Packument
 *   GET  /<id>/<version|range|tag>       → VersionMeta
 *   GET  /<id>/-/<id>-<version>.tgz      → the tarball
 *   POST /<id>/-/<action>                SignedRegistryRequest (deprecate, undeprecate, yank, unyank, dist-tag)
 * Errors are `{ error: SymphonyErrorJSON }` (without stack) with a status from the code.
 */
export function createRegistryHandler(registry: Registry, options: RegistryHttpOptions = {}): RegistryHandler {
  const base = (options.basePath ?? '/').replace(/\/+$/, '');
  const maxUpload = options.maxUploadBytes ?? 32 * 1024 * 1024;
  const limiter = createUploadLimiter(options.uploadLimit ?? {}, options.now ?? Date.now);

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry.local');
    if (base && url.pathname !== base && !url.pathname.startsWith(`${base}/`)) return false;
    try {
      const segments = url.pathname.slice(base.length).split('/').filter(Boolean).map(decodeSegment);
      await route(req, res, url, segments);
    } catch (error) {
      const e = toSymphonyError(error);
      const { stack: _stack, cause: _cause, ...body } = e.toJSON();
      const status = Object.hasOwn(STATUS, e.code) ? (STATUS[e.code] as number) : 500;
      if (status === 429 && typeof e.details.retryAfterSeconds === 'number') res.setHeader('retry-after', String(e.details.retryAfterSeconds));
      // An upload refused before its body was read: close rather than drain up to 32 MiB.
      if (!req.complete) res.setHeader('connection', 'close');
      if (!res.headersSent) sendJson(res, status, { error: body });
      else res.destroy();
    }
    return true;
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, s: string[]): Promise<void> {
    const method = req.method ?? 'GET';
    if (s[0] === '-') {
      if (method === 'GET' && s[1] === 'ping' && s.length === 2) return sendJson(res, 200, { ok: true });
      if (method === 'GET' && s[1] === 'key' && s.length === 2) return sendJson(res, 200, registry.key);
      if (method === 'GET' && s[1] === 'search') {
        const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 20) || 20));
        const kind = url.searchParams.get('kind') ?? undefined;
        const results = await registry.search(url.searchParams.get('q') ?? '', { limit, ...(kind ? { kind } : {}) });
        return sendJson(res, 200, { results });
      }
      if (method === 'PUT' && s[1] === 'packages' && s.length === 2) {
        const declared = Number(header(req, 'content-length') ?? 0);
        if (declared > maxUpload) throw new SymphonyError('E_PAYLOAD_TOO_LARGE', `the upload is ${declared} bytes; the limit is ${maxUpload}`, { details: { limit: maxUpload } });
        const release = await limiter.acquire(req.socket.remoteAddress ?? 'unknown');
        let meta;
        try {
          const body = await readBody(req, maxUpload);
          const integrity = header(req, 'x-symphony-integrity');
          const tag = url.searchParams.get('tag') ?? undefined;
          meta = await registry.publish(body, { ...(integrity ? { integrity } : {}), ...(tag ? { tag } : {}) });
        } finally {
          release();
        }
        const { readme: _readme, ...summary } = meta;
        return sendJson(res, 201, { ...summary, distTags: (await registry.packument(meta.id)).distTags });
      }
      if (method === 'PUT' && s[1] === 'publishers' && s[2] && s.length === 3) {
        checkAdmin(req);
        const input = parseJson<{ namespaces?: string[]; publicKeys?: string[] }>(await readBody(req, 1024 * 1024));
        return sendJson(res, 200, await registry.registerPublisher({ name: s[2], namespaces: input.namespaces ?? [], publicKeys: input.publicKeys ?? [] }));
      }
      throw new SymphonyError('E_NOT_FOUND', `no registry route ${method} ${url.pathname}`, { details: { path: url.pathname } });
    }
    const id = s[0];
    if (!id) return sendJson(res, 200, { packages: await registry.list() });
    if (method === 'GET' && s.length === 1) return sendJson(res, 200, await registry.packument(id));
    if (method === 'GET' && s.length === 2) return sendJson(res, 200, await registry.resolve(id, s[1]));
    if (method === 'GET' && s.length === 3 && s[1] === '-' && s[2]?.endsWith('.tgz')) {
      const version = s[2].slice(id.length + 1, -'.tgz'.length);
      if (!s[2].startsWith(`${id}-`)) throw new SymphonyError('E_NOT_FOUND', `no tarball ${s[2]} for ${id}`, { details: { id, file: s[2] } });
      const { data, meta } = await registry.tarball(id, version);
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': data.length, 'x-symphony-integrity': meta.integrity });
      res.end(data);
      return;
    }
    if (method === 'POST' && s.length === 3 && s[1] === '-') {
      const request = parseJson<SignedRegistryRequest>(await readBody(req, 64 * 1024));
      if (request.id !== id || request.action !== s[2]) {
        throw new SymphonyError('E_INPUT_INVALID', `the signed request is for ${request.action} ${request.id}, not ${s[2]} ${id}`, { details: { id } });
      }
      return sendJson(res, 200, await registry.applySignedRequest(request));
    }
    throw new SymphonyError('E_NOT_FOUND', `no registry route ${method} ${url.pathname}`, { details: { path: url.pathname } });
  }

  function checkAdmin(req: IncomingMessage): void {
    const given = Buffer.from(header(req, 'authorization')?.replace(/^Bearer\s+/i, '') ?? '');
    const expected = Buffer.from(options.adminToken ?? '');
    if (!options.adminToken || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new SymphonyError('E_UNAUTHORIZED', 'publisher management needs the registry admin token (Authorization: Bearer …)', { details: {} });
    }
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SymphonyError('E_INPUT_INVALID', `"${segment.slice(0, 100)}" is not a valid URL path segment`, { details: {} });
  }
}

/** A counting semaphore whose released slot passes straight to the next waiter (no barging). */
function createSlots(limit: number, maxWaiting: number) {
  let inUse = 0;
  const waiting: Array<() => void> = [];
  return {
    get idle() {
      return inUse === 0 && waiting.length === 0;
    },
    /** Resolves once a slot is held; false (and no slot) when the queue is full. */
    async take(): Promise<boolean> {
      if (inUse < limit) {
        inUse += 1;
        return true;
      }
      if (waiting.length >= maxWaiting) return false;
      await new Promise<void>((resolve) => waiting.push(resolve));
      return true;
    },
    give(): void {
      const next = waiting.shift();
      if (next) next();
      else inUse -= 1;
    },
  };
}

/**
 * Per-client upload admission: a token bucket (refused beyond it with a Retry-After), then at
 * most `concurrent` uploads of one client and `concurrentTotal` of all clients parsed at a time;
 * the next ones wait for a slot (their bodies stay unread in the socket), beyond that: refused.
 */
function createUploadLimiter(limit: NonNullable<RegistryHttpOptions['uploadLimit']>, now: () => number) {
  const perMinute = limit.perMinute ?? 30;
  const burst = limit.burst ?? 10;
  const concurrent = limit.concurrent ?? 2;
  const total = createSlots(limit.concurrentTotal ?? 4, 64);
  const clients = new Map<string, { tokens: number; at: number; slots: ReturnType<typeof createSlots> }>();
  const refuse = (client: string, why: string, retryAfterSeconds: number) =>
    new SymphonyError('E_RATE_LIMITED', `too many uploads from ${client} (${why}); retry in ${retryAfterSeconds} s`, { details: { client, retryAfterSeconds } });
  return {
    async acquire(client: string): Promise<() => void> {
      const t = now();
      const state = clients.get(client) ?? { tokens: burst, at: t, slots: createSlots(concurrent, 32) };
      state.tokens = Math.min(burst, state.tokens + ((t - state.at) / 60_000) * perMinute);
      state.at = t;
      clients.set(client, state);
      if (state.tokens < 1) throw refuse(client, `${burst} per burst, ${perMinute} a minute`, Math.max(1, Math.ceil(((1 - state.tokens) * 60) / perMinute)));
      state.tokens -= 1;
      if (!(await state.slots.take())) throw refuse(client, `${concurrent} in flight and 32 waiting`, 1);
      if (!(await total.take())) {
        state.slots.give();
        throw refuse(client, 'the registry is busy with other uploads', 5);
      }
      // Forget idle, full buckets so the map stays bounded by active clients.
      if (clients.size > 10_000) for (const [k, v] of clients) if (v.slots.idle && v.tokens >= burst - 1) clients.delete(k);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total.give();
        state.slots.give();
      };
    },
  };
}

function parseJson<T>(body: Buffer): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new SymphonyError('E_INPUT_INVALID', 'the request body is not JSON', { details: {} });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new SymphonyError('E_PAYLOAD_TOO_LARGE', `the upload exceeds ${limit} bytes`, { details: { limit } });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Serves a registry on its own port (127.0.0.1 unless told otherwise). */
export async function serveRegistry(
  registry: Registry,
  options: RegistryHttpOptions & { port?: number; host?: string } = {},
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const handler = createRegistryHandler(registry, options);
  const server = createServer({ requestTimeout: 120_000, headersTimeout: 30_000 }, (req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) sendJson(res, 404, { error: { name: 'SymphonyError', code: 'E_NOT_FOUND', message: `nothing at ${req.url}` } });
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}${(options.basePath ?? '').replace(/\/+$/, '')}/`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
