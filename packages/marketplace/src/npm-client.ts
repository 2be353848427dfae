import semver from 'semver';
import { SymphonyError } from '@symphony/types';
import { nullRecord } from './own.js';
import type { RegistryClient, RemotePackument, RemoteSearchHit, RemoteVersion } from './registry-client.js';

/** How a registry URL says it speaks the npm protocol: `npm:https://registry.example.com/`. */
export const NPM_PREFIX = 'npm:';

/** The parts of an npm packument this client reads. */
interface NpmPackument {
  name?: string;
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, NpmVersion>;
}

interface NpmVersion {
  name?: string;
  version?: string;
  description?: string;
  keywords?: unknown;
  deprecated?: string;
  dist?: { tarball?: string; integrity?: string };
  /** Written by `symphony-sdk pack` from the signed manifest (see `NpmSymphonyField` in the SDK). */
  symphony?: { id?: string; kind?: string; dependencies?: Record<string, string>; engines?: { symphony?: string }; permissions?: string[]; keyId?: string };
}

/**
 * A Symphony extension published to an npm-protocol registry (npmjs, verdaccio, a company's
 * registry) with `npm publish <signed tarball>`: the same tarball, so the same signature and
 * per-file hashes travel with it and the marketplace verifies, trusts and asks consent exactly as
 * for Symphony's registry. Only versions whose package.json carries the `symphony` field that
 * `symphony-sdk pack` writes count; everything else on the registry is not an extension. The
 * registry's metadata only guides resolution: after download, the signed manifest must say the
 * same: the signature's key must be the `keyId` the metadata named, and resolution reads
 * dependencies from the signed manifest. What npm metadata cannot give is freshness: a registry
 * may withhold a newer version (Symphony's registry signs its metadata with a timestamp that only
 * moves forward). Use an npm registry for distribution; Symphony's for that guarantee and search.
 */
export function createNpmRegistryClient(url: string, fetchImpl: typeof fetch = fetch): RegistryClient {
  const raw = url.startsWith(NPM_PREFIX) ? url.slice(NPM_PREFIX.length) : url;
  const base = raw.endsWith('/') ? raw : `${raw}/`;
  const origin = new URL(base).origin;

  async function get(target: URL, signal: AbortSignal | undefined, accept: string): Promise<Response> {
    try {
      return await fetchImpl(target, { headers: { accept }, ...(signal ? { signal } : {}) });
    } catch (cause) {
      if (signal?.aborted) throw new SymphonyError('E_ABORTED', `request to ${target.href} was cancelled`, { details: { url: target.href }, cause });
      throw new SymphonyError('E_REGISTRY_UNREACHABLE', `cannot reach the npm registry at ${target.origin}: ${(cause as Error).message}`, { details: { url: target.href }, cause });
    }
  }

  function failed(response: Response, target: URL): SymphonyError {
    return new SymphonyError('E_REGISTRY_FAILED', `the npm registry answered ${response.status} for ${target.pathname}`, { details: { url: target.href, status: response.status } });
  }

  return {
    url: `${NPM_PREFIX}${base}`,
    async packument(id, signal) {
      // Extension ids are valid unscoped npm names (`acme.csv`); anything else cannot be here.
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(id)) return undefined;
      const target = new URL(encodeURIComponent(id), base);
      const response = await get(target, signal, 'application/json');
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok) throw failed(response, target);
      let doc: NpmPackument;
      try {
        doc = (await response.json()) as NpmPackument;
      } catch (cause) {
        throw new SymphonyError('E_REGISTRY_FAILED', `the npm registry at ${base} answered ${id} with something that is not JSON`, { details: { url: target.href }, cause });
      }
      // Keys are data: a null-prototype record, and only well-formed versions (never `__proto__`).
      const versions = nullRecord<RemoteVersion>();
      for (const [version, v] of Object.entries(doc.versions ?? {})) {
        const s = v?.symphony;
        if (semver.valid(version) !== version || !s || s.id !== id || v.version !== version || typeof s.keyId !== 'string' || !v.dist?.tarball || !v.dist.integrity) continue;
        versions[version] = {
          id,
          version,
          kind: String(s.kind ?? ''),
          ...(v.description ? { description: v.description } : {}),
          keywords: Array.isArray(v.keywords) ? v.keywords.filter((k): k is string => typeof k === 'string') : [],
          permissions: Array.isArray(s.permissions) ? s.permissions : [],
          engines: s.engines ?? {},
          dependencies: s.dependencies ?? {},
          integrity: v.dist.integrity,
          tarball: v.dist.tarball,
          publisher: id.slice(0, id.indexOf('.')),
          keyId: s.keyId,
          ...(v.deprecated ? { deprecated: v.deprecated } : {}),
        };
      }
      if (Object.keys(versions).length === 0) return undefined;
      const distTags = nullRecord(Object.entries(doc['dist-tags'] ?? {}).filter(([tag, v]) => tag !== '__proto__' && typeof v === 'string' && Object.hasOwn(versions, v)));
      return { id, publisher: id.slice(0, id.indexOf('.')), distTags, versions } satisfies RemotePackument;
    },
    async tarball(meta, signal) {
      const target = new URL(meta.tarball, base);
      // A registry may only hand out its own tarballs: no redirect of the download elsewhere.
      if (target.origin !== origin) {
        throw new SymphonyError('E_REGISTRY_FAILED', `the npm registry at ${base} points ${meta.id}@${meta.version} at another host (${target.origin})`, { details: { url: target.href } });
      }
      const response = await get(target, signal, 'application/octet-stream');
      if (!response.ok) throw failed(response, target);
      return Buffer.from(await response.arrayBuffer());
    },
    async search(query, options = {}) {
      const params = new URLSearchParams({ text: `${query} keywords:symphony-extension`.trim(), size: String(options.limit ?? 20) });
      const target = new URL(`-/v1/search?${params}`, base);
      const response = await get(target, options.signal, 'application/json');
      if (!response.ok) throw failed(response, target);
      const body = (await response.json().catch(() => ({}))) as { objects?: Array<{ package?: { name?: string; version?: string; description?: string; keywords?: string[] }; score?: { final?: number } }> };
      const hits: RemoteSearchHit[] = [];
      for (const o of body.objects ?? []) {
        const p = o.package;
        if (!p?.name || !p.version || !/^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+$/.test(p.name)) continue;
        hits.push({ id: p.name, version: p.version, ...(p.description ? { description: p.description } : {}), keywords: p.keywords ?? [], kind: '', downloads: 0, score: o.score?.final ?? 0 });
      }
      return hits;
    },
  };
}

/** The client for a configured registry URL: `npm:<url>` speaks npm's protocol, anything else Symphony's. */
export function isNpmRegistry(url: string): boolean {
  return url.startsWith(NPM_PREFIX);
}
