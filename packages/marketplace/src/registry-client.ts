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

export function createRegistryClient(url: string, fetchImpl: typeof fetch = fetch): RegistryClient {
  const base = url.endsWith('/') ? url : `${url}/`;

  async function get(path: string, signal: AbortSignal | undefined, allow404: boolean): Promise<Response | undefined> {
    const target = new URL(path, base);
    let response: Response;
    try {
      response = await fetchImpl(target, signal ? { signal } : {});
    } catch (cause) {
      if (signal?.aborted) throw new SymphonyError('E_ABORTED', `request to ${target.href} was cancelled`, { details: { url: target.href }, cause });
      throw new SymphonyError('E_REGISTRY_UNREACHABLE', `cannot reach the registry at ${target.origin}: ${(cause as Error).message}`, {
        details: { url: target.href },
        cause,
      });
    }
    if (response.status === 404 && allow404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => undefined)) as { error?: SymphonyErrorJSON } | undefined;
      if (body?.error?.code) throw SymphonyError.fromJSON(body.error);
      throw new SymphonyError('E_REGISTRY_FAILED', `the registry answered ${response.status} for ${target.pathname}`, {
        details: { url: target.href, status: response.status },
      });
    }
    return response;
  }

  async function json<T>(response: Response, what: string): Promise<T> {
    try {
      return (await response.json()) as T;
    } catch (cause) {
      throw new SymphonyError('E_REGISTRY_FAILED', `the registry at ${base} answered ${what} with something that is not JSON`, { details: { url: response.url }, cause });
    }
  }

  return {
    url: base,
    async packument(id, signal) {
      const response = await get(encodeURIComponent(id), signal, true);
      return response ? json<RemotePackument>(response, id) : undefined;
    },
    async tarball(meta, signal) {
      const response = await get(`${encodeURIComponent(meta.id)}/-/${encodeURIComponent(meta.tarball)}`, signal, false);
      return Buffer.from(await (response as Response).arrayBuffer());
    },
    async search(query, options = {}) {
      const params = new URLSearchParams({ q: query, limit: String(options.limit ?? 20) });
      if (options.kind) params.set('kind', options.kind);
      const response = await get(`-/search?${params}`, options.signal, false);
      return (await json<{ results: RemoteSearchHit[] }>(response as Response, 'search')).results;
    },
  };
}
