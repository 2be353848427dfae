import { SymphonyError, type SymphonyErrorJSON } from '@symphony/types';

/**
 * The registry's HTTP API as the marketplace reads it (the wire contract of @symphony/registry,
 * restated here because the two packages sit on the same layer and never import each other).
 */
export interface RemoteVersion {
  id: string;
  version: string;
  kind: string;
  name?: string;
  description?: string;
  keywords: string[];
  permissions: string[];
  engines: { symphony?: string };
  /** The registry's unsigned summary, for display only: resolution reads the signed manifest. */
  dependencies?: Record<string, string>;
  integrity: string;
  tarball: string;
  publisher: string;
  keyId: string;
  deprecated?: string;
  yanked?: boolean;
}

export interface RemotePackument {
  id: string;
  publisher: string;
  distTags: Record<string, string>;
  versions: Record<string, RemoteVersion>;
  /** The registry's signature over the resolution facts (see metadata.ts); the marketplace resolves from it only. */
  signed?: { keyId: string; publicKey: string; payload: string; signature: string };
  /** Signed when served (freshness): `{ registry, id, snapshot, issuedAt }`. */
  fresh?: { keyId: string; publicKey: string; payload: string; signature: string };
}

export interface RemoteSearchHit {
  id: string;
  version: string;
  name?: string;
  description?: string;
  keywords: string[];
  kind: string;
  deprecated?: string;
  downloads: number;
  score: number;
}

export interface RegistryClient {
  readonly url: string;
  /** `undefined` when this registry does not have the package. */
  packument(id: string, signal?: AbortSignal): Promise<RemotePackument | undefined>;
  tarball(meta: RemoteVersion, signal?: AbortSignal): Promise<Buffer>;
  search(query: string, options?: { limit?: number; kind?: string; signal?: AbortSignal }): Promise<RemoteSearchHit[]>;
}

/** Caps on what a registry may send (TUF's endless-data attack): metadata, tarballs, search answers. */
export const CLIENT_LIMITS = { metadataBytes: 16 * 1024 * 1024, tarballBytes: 64 * 1024 * 1024, searchBytes: 4 * 1024 * 1024, timeoutMs: 60_000 };

export interface RegistryClientOptions {
  fetch?: typeof fetch;
  /** Per request, headers to last byte (default 60 s): a registry that drips bytes is `E_TIMEOUT`. */
  timeoutMs?: number;
}

export function createRegistryClient(url: string, fetchOrOptions: typeof fetch | RegistryClientOptions = {}): RegistryClient {
  const base = url.endsWith('/') ? url : `${url}/`;
  const opts: RegistryClientOptions = typeof fetchOrOptions === 'function' ? { fetch: fetchOrOptions } : fetchOrOptions;
  const fetchImpl = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? CLIENT_LIMITS.timeoutMs;

  /** One GET, read to the end within `limit` bytes and the timeout; `undefined` for an allowed 404. */
  async function get(path: string, signal: AbortSignal | undefined, allow404: boolean, limit: number): Promise<Buffer | undefined> {
    const target = new URL(path, base);
    const timer = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timer]) : timer;
    const fail = (cause: unknown): SymphonyError => {
      if (signal?.aborted) return new SymphonyError('E_ABORTED', `request to ${target.href} was cancelled`, { details: { url: target.href }, cause });
      if (timer.aborted) return new SymphonyError('E_TIMEOUT', `the registry at ${target.origin} did not answer ${target.pathname} within ${timeoutMs} ms`, { details: { url: target.href, timeoutMs }, cause });
      if (cause instanceof SymphonyError) return cause;
      return new SymphonyError('E_REGISTRY_UNREACHABLE', `cannot reach the registry at ${target.origin}: ${(cause as Error).message}`, { details: { url: target.href }, cause });
    };
    let response: Response;
    try {
      response = await fetchImpl(target, { signal: combined });
    } catch (cause) {
      throw fail(cause);
    }
    if (response.status === 404 && allow404) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    let body: Buffer;
    try {
      body = await readCapped(response, response.ok ? limit : 64 * 1024, target.href);
    } catch (cause) {
      throw fail(cause);
    }
    if (!response.ok) {
      let error: SymphonyErrorJSON | undefined;
      try {
        error = (JSON.parse(body.toString('utf8')) as { error?: SymphonyErrorJSON }).error;
      } catch {
        error = undefined;
      }
      if (error?.code) throw SymphonyError.fromJSON(error);
      throw new SymphonyError('E_REGISTRY_FAILED', `the registry answered ${response.status} for ${target.pathname}`, {
        details: { url: target.href, status: response.status },
      });
    }
    return body;
  }

  function json<T>(body: Buffer, what: string): T {
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch (cause) {
      throw new SymphonyError('E_REGISTRY_FAILED', `the registry at ${base} answered ${what} with something that is not JSON`, { details: { url: base }, cause });
    }
  }

  return {
    url: base,
    async packument(id, signal) {
      const body = await get(encodeURIComponent(id), signal, true, CLIENT_LIMITS.metadataBytes);
      return body ? json<RemotePackument>(body, id) : undefined;
    },
    async tarball(meta, signal) {
      return (await get(`${encodeURIComponent(meta.id)}/-/${encodeURIComponent(meta.tarball)}`, signal, false, CLIENT_LIMITS.tarballBytes)) as Buffer;
    },
    async search(query, options = {}) {
      const params = new URLSearchParams({ q: query, limit: String(options.limit ?? 20) });
      if (options.kind) params.set('kind', options.kind);
      const body = (await get(`-/search?${params}`, options.signal, false, CLIENT_LIMITS.searchBytes)) as Buffer;
      return json<{ results: RemoteSearchHit[] }>(body, 'search').results;
    },
  };
}

/** Reads a response body, stopping (and cancelling it) at the first chunk past `limit`. */
async function readCapped(response: Response, limit: number, url: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  const tooLarge = () => new SymphonyError('E_PAYLOAD_TOO_LARGE', `${url} sent more than ${limit} bytes; refusing the rest`, { details: { url, limit } });
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}
